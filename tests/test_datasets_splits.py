import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlref.datasets import per_user_time_split


@given(
    sizes=st.lists(st.integers(1, 12), min_size=1, max_size=6),
    fraction=st.sampled_from([0.0, 0.2, 0.5, 0.9]),
    seed=st.integers(0, 1000),
)
@settings(max_examples=60, deadline=None)
def test_each_user_holds_out_its_latest_events(sizes, fraction, seed):
    rng = np.random.default_rng(seed)
    user = rng.permutation(np.repeat(np.arange(len(sizes)), sizes))
    timestamp = rng.integers(0, 5, len(user))  # many ties
    is_test = per_user_time_split(user, timestamp, test_fraction=fraction)
    for u, n in enumerate(sizes):
        mine = user == u
        n_train = int(np.ceil((1 - fraction) * n))
        assert (~is_test[mine]).sum() == n_train >= 1
        if is_test[mine].any() and (~is_test[mine]).any():
            assert timestamp[mine][is_test[mine]].min() >= timestamp[mine][~is_test[mine]].max()


def test_ties_break_by_input_order_and_ids_can_be_strings():
    is_test = per_user_time_split(
        ["x", "x", "y", "x"], pd.to_datetime(["2020", "2020", "2021", "2020"]), test_fraction=0.34
    )
    assert is_test.tolist() == [False, False, False, True]


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        (([1, 2], [1]), {}, "same length|length"),
        (([], []), {}, "non-empty"),
        (([1, 2], [1.0, np.nan]), {}, "NaN"),
        (([1, None], [1, 2]), {}, "missing"),
        (([1, 2], [1, 2]), {"test_fraction": 1.0}, "below 1"),
        (([1, 2], [1, 2]), {"test_fraction": -0.1}, "test_fraction"),
    ],
)
def test_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        per_user_time_split(*args, **kwargs)
