"""LambdaMART's compiled objective loops equal their NumPy versions bit for bit."""

import numpy as np
import pytest

from mlref import _compiled
from mlref._compiled import numpy_only
from mlref.ltr.groups import QueryGroups
from mlref.ltr.lambdamart import _XGBoostNDCGObjective
from mlref.ltr.lambdas import ranks_within_query

pytestmark = pytest.mark.skipif(_compiled.numba is None, reason="numba is not installed")


def _queries(seed, n_queries=30, tied=False):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 25, size=n_queries)
    sizes[0] = 1  # a single-document query
    qid = np.repeat(np.arange(n_queries), sizes)
    y = rng.integers(0, 4, size=len(qid))
    y[qid == 1] = 0  # a query without a relevant document
    scores = rng.normal(size=len(qid))
    if tied:
        scores = np.round(scores)  # many equal scores within a query
    scores[qid == 2] = 0.5  # a query whose documents all score the same (no spread)
    return y, scores, QueryGroups.from_ids(qid)


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_ranks_within_query_equal_the_lexsort(seed, tied):
    y, scores, groups = _queries(seed, tied=tied)
    for values in (scores, y, y.astype(float) / 2):
        compiled = ranks_within_query(values, groups)
        with numpy_only():
            reference = ranks_within_query(values, groups)
        np.testing.assert_array_equal(compiled, reference)


def test_tied_scores_keep_row_order():
    groups = QueryGroups.from_ids(np.array([0, 0, 0, 1, 1]))
    ranks = ranks_within_query(np.array([1.0, 2.0, 1.0, 3.0, 3.0]), groups)
    np.testing.assert_array_equal(ranks, [1, 0, 2, 0, 1])


@pytest.mark.parametrize("ndcg_at", [None, 1, 5])
@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_objective_equals_the_numpy_objective(seed, tied, ndcg_at):
    y, scores, groups = _queries(seed, tied=tied)
    objective = _XGBoostNDCGObjective(y, groups, ndcg_at)
    gradient, hessian = objective(scores)
    with numpy_only():
        reference_gradient, reference_hessian = objective(scores)
    np.testing.assert_array_equal(gradient, reference_gradient)
    np.testing.assert_array_equal(hessian, reference_hessian)
    assert np.any(gradient != 0)
