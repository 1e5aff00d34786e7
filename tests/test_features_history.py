"""point_in_time_ctr against a brute-force count over earlier rows and a pandas formulation."""

import numpy as np
import pandas as pd
import pytest

from mlref.features import point_in_time_ctr


def _brute(keys, clicks, times, prior, m):
    n = len(clicks)
    out = np.zeros((n, 2), dtype=np.int64)
    for i in range(n):
        earlier = [j for j in range(n) if keys[j] == keys[i] and times[j] < times[i]]
        out[i] = len(earlier), sum(clicks[j] for j in earlier)
    ctr = np.where(
        out[:, 0] + m > 0, (out[:, 1] + m * prior) / np.maximum(out[:, 0] + m, 1e-300), prior
    )
    return out, ctr


@pytest.mark.parametrize("seed", range(4))
def test_matches_brute_force_with_ties_in_time(seed):
    rng = np.random.default_rng(seed)
    n = 150
    users = rng.integers(0, 6, n)
    ads = rng.choice(["a", "b", "c"], n)
    times = rng.integers(0, 30, n).astype(float)  # many rows share a time
    clicks = (rng.random(n) < 0.3).astype(int)
    got = point_in_time_ctr(
        pd.DataFrame({"user": users, "ad": ads}), clicks, times, prior_ctr=0.1, smoothing=3.0
    )
    keys = list(zip(users.tolist(), ads.tolist(), strict=True))
    counts, ctr = _brute(keys, clicks, times, 0.1, 3.0)
    np.testing.assert_array_equal(got[["past_impressions", "past_clicks"]].to_numpy(), counts)
    np.testing.assert_allclose(got["ctr"].to_numpy(), ctr, rtol=1e-14)


def test_equals_pandas_cumulative_counts_in_row_order():
    rng = np.random.default_rng(7)
    n = 2_000
    frame = pd.DataFrame({"k": rng.integers(0, 50, n), "y": (rng.random(n) < 0.1).astype(int)})
    grouped = frame.groupby("k")["y"]
    expected_clicks = grouped.cumsum() - frame["y"]
    expected_imps = grouped.cumcount()
    got = point_in_time_ctr(frame["k"], frame["y"], prior_ctr=0.1, smoothing=0.0)
    np.testing.assert_array_equal(got["past_clicks"], expected_clicks)
    np.testing.assert_array_equal(got["past_impressions"], expected_imps)
    seen = expected_imps > 0
    np.testing.assert_allclose(got["ctr"][seen], (expected_clicks / expected_imps)[seen])
    assert (got["ctr"][~seen] == 0.1).all()  # no history, no smoothing: the prior


def test_a_row_never_sees_its_own_click():
    rng = np.random.default_rng(1)
    keys = rng.integers(0, 3, 40)
    clicks = (rng.random(40) < 0.5).astype(int)
    base = point_in_time_ctr(keys, clicks, prior_ctr=0.2)
    for i in (0, 17, 39):
        flipped = clicks.copy()
        flipped[i] = 1 - flipped[i]
        again = point_in_time_ctr(keys, flipped, prior_ctr=0.2)
        assert again["ctr"][i] == base["ctr"][i]
        later = np.arange(40) > i
        same_key_later = later & (keys == keys[i])
        if same_key_later.any():
            assert (again["ctr"][same_key_later] != base["ctr"][same_key_later]).all()


def test_two_column_array_keys_and_single_row():
    keys = np.array([[1, "x"], [1, "y"], [1, "x"]], dtype=object)
    got = point_in_time_ctr(keys, [1, 1, 0], prior_ctr=0.0, smoothing=1.0)
    assert got["past_impressions"].tolist() == [0, 0, 1]
    assert got["ctr"].tolist() == [0.0, 0.0, 0.5]
    one = point_in_time_ctr(["a"], [1], prior_ctr=0.3)
    assert one["ctr"].tolist() == [0.3]


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((["a", "b"], [1, 0, 1]), {"prior_ctr": 0.1}, "length"),
        ((["a", None], [1, 0]), {"prior_ctr": 0.1}, "keys"),
        ((["a", "b"], [1, 2]), {"prior_ctr": 0.1}, "clicks"),
        ((["a", "b"], [1, 0], [0.0, np.nan]), {"prior_ctr": 0.1}, "times"),
        ((["a", "b"], [1, 0]), {"prior_ctr": 1.5}, "prior_ctr"),
        ((["a", "b"], [1, 0]), {"prior_ctr": 0.1, "smoothing": -1.0}, "smoothing"),
        (([], []), {"prior_ctr": 0.1}, "empty"),
    ],
)
def test_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        point_in_time_ctr(*args, **kwargs)
