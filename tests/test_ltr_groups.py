import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlref.ltr.groups import QueryGroups, check_ranking_data


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=30), st.randoms())
def test_grouping_sums_softmax_and_pairs_match_a_per_query_loop(ids, random):
    ids = np.array(ids)
    rng = np.random.default_rng(random.randint(0, 2**32 - 1))
    y = rng.integers(0, 3, len(ids)).astype(float)
    s = rng.normal(size=len(ids)) * 30
    g = QueryGroups.from_ids(ids)
    assert (ids[g.order] == g.ids[g.position]).all()
    within_query_steps = np.diff(g.order)[np.diff(g.position) == 0]
    assert (within_query_steps > 0).all()  # stable: file order kept inside each query
    sums, softmax = g.sum(s[g.order]), g.softmax(s[g.order])
    expected_pairs = set()
    for q_index, q in enumerate(g.ids):
        rows = np.flatnonzero(ids == q)  # original row numbers, in file order
        assert np.isclose(sums[q_index], s[rows].sum())
        e = np.exp(s[rows] - s[rows].max())
        assert np.allclose(softmax[g.position == q_index], e / e.sum())
        expected_pairs |= {(a, b) for a in rows for b in rows if y[a] > y[b]}
    i, j = g.pairs(y[g.order])
    assert set(zip(g.order[i].tolist(), g.order[j].tolist(), strict=True)) == expected_pairs
    assert len(i) == len(expected_pairs)


def test_string_ids_and_order_stability():
    g = QueryGroups.from_ids(np.array(["b", "a", "b", "a"]))
    assert g.ids.tolist() == ["a", "b"] and g.order.tolist() == [1, 3, 0, 2]


@pytest.mark.parametrize(
    ("X", "y", "group", "message"),
    [
        (np.ones((3, 2)), [1, 0], [0, 0, 1], "length mismatch"),
        (np.ones((2, 2)), [1, -1], [0, 0], "non-negative"),
        (np.ones((2, 2)), [1, 0], [0, None], "missing query ids"),
        (np.ones((2, 2)), [1, 0], [], "one query id per row"),
        (np.ones(2), [1, 0], [0, 0], "2-D"),
        (np.ones((2, 2)), [1, np.nan], [0, 0], "NaN"),
    ],
)
def test_bad_ranking_data_raises_a_clear_error(X, y, group, message):
    with pytest.raises(ValueError, match=message):
        check_ranking_data(X, y, np.array(group, dtype=object) if None in group else group)
