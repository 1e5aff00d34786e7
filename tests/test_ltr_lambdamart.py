import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from mlref.datasets import fetch_mq2008
from mlref.ltr.groups import QueryGroups
from mlref.ltr.lambdamart import LambdaMART, _xgboost_ndcg_objective, _XGBoostNDCGObjective
from mlref.ltr.lambdas import lambda_gradients, pair_weights_delta_ndcg, ranks_within_query
from mlref.ltr.xgboost_ranker import ALL_PAIRS, fit_xgboost_ranker, xgboost_ranker
from mlref.metrics.ranking import ndcg_at_k
from mlref.models.histogram_tree import (
    _children_histograms,
    _histograms,
    bin_edges,
    grow_histogram_tree,
    make_bins,
    predict_forest,
)


def random_queries(seed, n_queries=3, max_size=7, n_labels=3, tie_scores=False):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, max_size + 1, n_queries)
    ids = rng.permutation(np.repeat(np.arange(n_queries), sizes))
    y = rng.integers(0, n_labels, len(ids)).astype(float)
    s = rng.integers(0, 3, len(ids)).astype(float) if tie_scores else rng.normal(size=len(ids))
    groups = QueryGroups.from_ids(ids)
    return y[groups.order], s[groups.order], groups


# --------------------------------------------------------------------------------- lambdas


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 10**6),
    st.sampled_from([None, 1, 2, 4]),
    st.sampled_from([0.5, 1.0, 2.0]),
    st.booleans(),
)
def test_lambdas_are_the_gradient_and_hessian_of_the_lambdarank_pairwise_loss(
    seed, k, sigma, tie_scores
):
    y, s, groups = random_queries(seed, tie_scores=tie_scores)
    i, j, delta = pair_weights_delta_ndcg(y, s, groups, k=k)  # held fixed below

    def loss(scores):
        return np.sum(delta * np.logaddexp(0.0, -sigma * (scores[i] - scores[j])))

    gradient, hessian = lambda_gradients(y, s, groups, k=k, sigma=sigma)
    step = 1e-5
    for r in range(len(s)):
        e = np.zeros(len(s))
        e[r] = step
        fd_gradient = (loss(s + e) - loss(s - e)) / (2 * step)
        fd_hessian = (loss(s + e) - 2 * loss(s) + loss(s - e)) / step**2
        assert gradient[r] == pytest.approx(fd_gradient, abs=1e-7)
        assert hessian[r] == pytest.approx(fd_hessian, abs=1e-4)
    assert np.allclose(groups.sum(gradient), 0.0)  # each pair pushes and pulls equally
    assert (hessian >= 0).all()


def test_delta_ndcg_by_hand():
    # one query, labels (2, 0, 1) scored (0.1, 0.3, 0.2): ranks 3, 1, 2 (1-based)
    groups = QueryGroups.from_ids([7, 7, 7])
    i, j, delta = pair_weights_delta_ndcg([2.0, 0.0, 1.0], [0.1, 0.3, 0.2], groups)
    d1, d2, d3 = 1.0, 1 / np.log2(3), 0.5
    idcg = 3 * d1 + 1 * d2
    expected = {
        (0, 1): 3 * (d1 - d3) / idcg,  # gains 3 vs 0, ranks 3 vs 1
        (0, 2): 2 * (d2 - d3) / idcg,  # gains 3 vs 1, ranks 3 vs 2
        (2, 1): 1 * (d1 - d2) / idcg,  # gains 1 vs 0, ranks 2 vs 1
    }
    got = dict(zip(zip(i.tolist(), j.tolist(), strict=True), delta, strict=True))
    assert got.keys() == expected.keys()
    for pair, value in expected.items():
        assert got[pair] == pytest.approx(value)
    gradient, _ = lambda_gradients([2.0, 0.0, 1.0], [0.1, 0.3, 0.2], groups)
    rho = {p: 1 / (1 + np.exp([0.1, 0.3, 0.2][p[0]] - [0.1, 0.3, 0.2][p[1]])) for p in expected}
    lam = {p: expected[p] * rho[p] for p in expected}
    assert gradient == pytest.approx(
        [-lam[0, 1] - lam[0, 2], lam[0, 1] + lam[2, 1], lam[0, 2] - lam[2, 1]]
    )


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10**6))
def test_delta_ndcg_is_the_ndcg_change_of_swapping_the_two_documents(seed):
    y, s, groups = random_queries(seed, n_queries=2, max_size=8, n_labels=4)
    i, j, delta = pair_weights_delta_ndcg(y, s, groups)
    ndcg = ndcg_at_k(y, s, len(y), groups.position, per_query=True)
    for a, b, d in zip(i, j, delta, strict=True):
        swapped = s.copy()
        swapped[[a, b]] = s[[b, a]]
        q = groups.position[a]
        after = ndcg_at_k(y, swapped, len(y), groups.position, per_query=True)
        assert abs(after[q] - ndcg[q]) == pytest.approx(d, abs=1e-12)


def test_truncation_keeps_pairs_touching_the_top_k_and_uses_idcg_at_k():
    groups = QueryGroups.from_ids([0] * 6)
    y = np.array([0.0, 2.0, 1.0, 0.0, 1.0, 3.0])
    s = np.array([6.0, 5.0, 4.0, 3.0, 2.0, 1.0])  # ranks are the row numbers
    i_all, j_all, d_all = pair_weights_delta_ndcg(y, s, groups)
    i, j, d = pair_weights_delta_ndcg(y, s, groups, k=2)
    kept = np.minimum(i_all, j_all) < 2
    assert (i == i_all[kept]).all() and (j == j_all[kept]).all()
    gains = np.sort(2**y - 1)[::-1]
    idcg, idcg_at_2 = np.sum(gains / np.log2(np.arange(2, 8))), np.sum(gains[:2] / np.log2([2, 3]))
    assert d == pytest.approx(d_all[kept] * idcg / idcg_at_2)


def test_queries_without_relevant_documents_or_pairs_get_zero_gradient():
    groups = QueryGroups.from_ids([0, 0, 1, 1, 2])
    y = np.array([0.0, 0.0, 1.0, 0.0, 2.0])
    gradient, hessian = lambda_gradients(y, np.array([0.3, 0.1, 0.0, 0.5, 1.0]), groups)
    assert (gradient[[0, 1, 4]] == 0).all() and (hessian[[0, 1, 4]] == 0).all()
    assert gradient[2] < 0 < gradient[3]  # the relevant document is pushed up


def test_ties_in_scores_are_broken_stably_by_row_order():
    groups = QueryGroups.from_ids([5, 4, 5, 5])
    assert ranks_within_query(np.zeros(4), groups).tolist() == [0, 0, 1, 2]
    # query 5 holds original rows 0, 2, 3 with labels 0, 1, 2: tied scores rank them in row order
    y_sorted = np.array([3.0, 0.0, 1.0, 2.0])
    i, j, delta = pair_weights_delta_ndcg(y_sorted, np.zeros(4), groups)
    d = 1 / np.log2(np.arange(2, 5))
    idcg = 3 * d[0] + 1 * d[1]
    got = dict(zip(zip(i.tolist(), j.tolist(), strict=True), delta, strict=True))
    assert got[2, 1] == pytest.approx((d[0] - d[1]) / idcg)  # ranks 2 vs 1, not 2 vs 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y_sorted": [1.0, 0.0, 1.0]}, "length mismatch"),
        ({"y_sorted": [1.0, -1.0]}, "non-negative"),
        ({"scores_sorted": [np.nan, 0.0]}, "NaN"),
        ({"k": 0}, "k must be an integer >= 1"),
        ({"sigma": 0.0}, "sigma must be a finite number > 0"),
        ({"groups": [0, 0]}, "QueryGroups"),
    ],
)
def test_lambda_gradients_bad_input(kwargs, message):
    args = {"y_sorted": [1.0, 0.0], "scores_sorted": [0.0, 1.0]}
    args["groups"] = QueryGroups.from_ids([0, 0])
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        lambda_gradients(
            args.pop("y_sorted"), args.pop("scores_sorted"), args.pop("groups"), **args
        )


# ------------------------------------------------------------------------------- trees


def brute_force_tree(X, g, h, rows, depth, *, max_depth, reg_lambda, min_child_weight, lr):
    """Exact greedy split search by enumeration; returns a prediction function."""
    G, H = g[rows].sum(), h[rows].sum()
    best = (0.5e-6, None)
    if depth < max_depth:
        for f in range(X.shape[1]):
            for t in np.unique(X[:, f])[1:]:  # cut points from all rows, as the histograms
                left = rows[X[rows, f] < t]
                right = rows[X[rows, f] >= t]
                gl, hl, gr, hr = g[left].sum(), h[left].sum(), g[right].sum(), h[right].sum()
                if hl < min_child_weight or hr < min_child_weight:
                    continue
                gain = 0.5 * (
                    gl**2 / (hl + reg_lambda) + gr**2 / (hr + reg_lambda) - G**2 / (H + reg_lambda)
                )
                if gain > best[0] + 1e-12:
                    best = (gain, (f, t, left, right))
    if best[1] is None:
        value = -lr * G / (H + reg_lambda)
        return lambda Z: np.full(len(Z), value)
    f, t, left, right = best[1]
    kw = {"max_depth": max_depth, "reg_lambda": reg_lambda, "min_child_weight": min_child_weight}
    go_left = brute_force_tree(X, g, h, left, depth + 1, lr=lr, **kw)
    go_right = brute_force_tree(X, g, h, right, depth + 1, lr=lr, **kw)
    return lambda Z: np.where(Z[:, f] < t, go_left(Z), go_right(Z))


@pytest.mark.parametrize("seed", range(6))
def test_histogram_tree_equals_exact_greedy_search(seed):
    rng = np.random.default_rng(seed)
    n = 40
    X = rng.integers(0, 6, size=(n, 3)).astype(float)  # ties in every feature
    X[:, 2] = rng.normal(size=n)
    g, h = rng.normal(size=n), rng.uniform(0.1, 1.0, n)
    sampled = np.sort(rng.choice(n, size=30, replace=False)) if seed % 2 else np.arange(n)
    params = {"max_depth": 3, "reg_lambda": 0.5, "min_child_weight": 0.3}
    bins, _ = make_bins(X, max_bin=256)
    tree, row_output = grow_histogram_tree(bins, g, h, sampled, learning_rate=0.3, **params)
    expected = brute_force_tree(X, g, h, sampled, 0, lr=0.3, **params)(X)
    assert tree.predict(X) == pytest.approx(expected)
    assert row_output == pytest.approx(expected)  # routing in fit = routing in predict


def test_children_histograms_by_subtraction_equal_the_direct_sums():
    rng = np.random.default_rng(3)
    n = 3000  # many rows per bin: the children's histograms come from subtraction
    X = rng.integers(0, 5, size=(n, 4)).astype(float)
    g, h = rng.normal(size=n), rng.uniform(0.1, 1.0, n)
    bins, _ = make_bins(X, max_bin=256)
    rows = np.sort(rng.choice(n, size=2500, replace=False))
    parent = rng.integers(0, 3, size=len(rows))
    child = 2 * parent + rng.integers(0, 2, size=len(rows))
    parent_hist = _histograms(bins, rows, parent, 3, g, h)
    direct = _histograms(bins, rows, child, 6, g, h)
    by_subtraction = _children_histograms(bins, rows, child, parent_hist.copy(), g, h)
    np.testing.assert_allclose(by_subtraction, direct, atol=1e-9)
    assert direct.shape == (6, bins.n_bins, 2)
    first_feature = direct[:, bins.feature == 0, 0]
    np.testing.assert_allclose(first_feature.sum(axis=1), np.bincount(child, g[rows]))


@pytest.mark.parametrize("seed", range(3))
def test_histogram_tree_equals_exact_search_with_many_rows_per_bin(seed):
    rng = np.random.default_rng(seed)
    n = 600
    X = rng.integers(0, 5, size=(n, 3)).astype(float)
    g, h = rng.normal(size=n) + X[:, 0] - 2, rng.uniform(0.1, 1.0, n)
    sampled = np.sort(rng.choice(n, size=500, replace=False))
    params = {"max_depth": 3, "reg_lambda": 0.5, "min_child_weight": 0.3}
    bins, _ = make_bins(X, max_bin=256)
    tree, row_output = grow_histogram_tree(bins, g, h, sampled, learning_rate=0.3, **params)
    expected = brute_force_tree(X, g, h, sampled, 0, lr=0.3, **params)(X)
    assert tree.predict(X) == pytest.approx(expected)
    assert row_output == pytest.approx(expected)


def test_a_tree_on_constant_gradients_is_one_newton_leaf():
    X = np.random.default_rng(0).normal(size=(50, 2))
    g, h = np.full(50, 0.3), np.full(50, 0.2)
    bins, _ = make_bins(X, max_bin=16)
    tree, row_output = grow_histogram_tree(
        bins,
        g,
        h,
        np.arange(50),
        max_depth=4,
        reg_lambda=1.0,
        min_child_weight=0.0,
        learning_rate=0.1,
    )
    newton = -0.1 * (50 * 0.3) / (50 * 0.2 + 1.0)
    assert tree.feature.tolist() == [-1] and tree.value == pytest.approx([newton])
    assert row_output == pytest.approx(np.full(50, newton))


def test_quantile_bins_respect_max_bin_and_split_between_observed_values():
    column = np.random.default_rng(0).exponential(size=5000)
    column[:1500] = 0.0  # a heavy value
    edges = bin_edges(column, 32)
    assert len(edges) == 31 and np.isin(edges, column).all()
    counts = np.bincount(np.searchsorted(edges, column, side="right"))
    assert 1500 <= counts[0] < 1500 + 3500 / 31  # the zeros share the first bin only
    assert counts[1:].max() < 2 * counts[1:].mean()
    assert bin_edges(np.array([3.0, 1.0, 2.0, 1.0]), 32).tolist() == [2.0, 3.0]


# ---------------------------------------------------------------------------- LambdaMART


def synthetic_ranking(seed=0, n_queries=30):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 45, n_queries)
    group = np.repeat(np.arange(n_queries), sizes)
    X = rng.integers(0, 10, size=(len(group), 5)).astype(float)
    y = np.clip(np.round(X[:, 0] / 3 + rng.normal(0, 1, len(group))), 0, 3)
    return X, y, group


@pytest.mark.parametrize("ndcg_at", [None, 5])
def test_matches_xgboost_rank_ndcg_tree_for_tree_when_cuts_coincide(ndcg_at):
    # features with <= max_bin distinct values: both libraries split at the same cut points,
    # and subsample=1 removes the random draws, so the whole model must agree.
    X, y, group = synthetic_ranking()
    params = {"n_estimators": 4, "max_depth": 3, "learning_rate": 0.3, "subsample": 1.0}
    ours = LambdaMART(ndcg_at=ndcg_at, **params).fit(X, y, group).predict(X)
    theirs = fit_xgboost_ranker(X, y, group, ndcg_at=ndcg_at, **params)
    theirs = theirs.predict(X, output_margin=True)
    assert np.abs(ours).max() > 0.1
    assert (ours - ours.mean()) == pytest.approx(theirs - theirs.mean(), abs=1e-5)


def test_objective_is_lambda_gradients_with_xgboost_normalisations():
    y, s, groups = random_queries(3, n_queries=4, max_size=9, n_labels=4)
    pairs = groups.pairs(y)
    s = np.where(groups.position == 0, 0.0, s)  # query 0 all tied: no score normalisation
    gradient, hessian = _xgboost_ndcg_objective(y, s, groups, pairs, None)
    plain_g, plain_h = lambda_gradients(y, s, groups)
    q0 = groups.position == 0
    i, _, delta = pair_weights_delta_ndcg(y, s, groups)
    lambda_sum = 2 * np.sum(0.5 * delta[groups.position[i] == 0])  # tied scores: rho = 1/2
    norm = np.log2(1 + lambda_sum) / lambda_sum
    assert gradient[q0] == pytest.approx(norm * plain_g[q0])
    assert hessian[q0] == pytest.approx(2 * norm * plain_h[q0])
    assert np.allclose(groups.sum(gradient), 0.0)


def test_fit_is_deterministic_and_the_seed_matters():
    X, y, group = synthetic_ranking()
    fit = lambda seed: LambdaMART(n_estimators=10, max_depth=3, random_state=seed).fit(  # noqa: E731
        X, y, group
    )
    assert np.array_equal(fit(1).predict(X), fit(1).predict(X))
    assert not np.array_equal(fit(1).predict(X), fit(2).predict(X))


def test_training_ndcg_improves_over_iterations_and_is_recorded():
    X, y, group = synthetic_ranking(1)
    model = LambdaMART(n_estimators=25, max_depth=3, subsample=1.0, min_child_weight=0.0)
    model.fit(X, y, group, eval_set=[(X, y, group)])
    curve = np.array(model.evals_result_["validation_0"]["ndcg@10"])
    assert len(curve) == 25
    assert curve[-1] > curve[0] + 0.05
    assert curve[-1] == pytest.approx(ndcg_at_k(y, model.predict(X), 10, group))
    first = LambdaMART(n_estimators=1, max_depth=3, subsample=1.0, min_child_weight=0.0)
    assert ndcg_at_k(y, first.fit(X, y, group).predict(X), 10, group) == pytest.approx(curve[0])


def test_predictions_do_not_depend_on_query_ids_or_query_order():
    X, y, group = synthetic_ranking(2, n_queries=10)
    model = LambdaMART(n_estimators=5, max_depth=3, subsample=1.0)
    base = model.fit(X, y, group).predict(X)
    # relabel the queries so that they sort in reverse; rows inside each query keep their order
    renamed = np.array([f"q{9 - q}" for q in group])
    rows = np.argsort(9 - group, kind="stable")
    moved = model.fit(X[rows], y[rows], renamed[rows]).predict(X[rows])
    assert moved == pytest.approx(base[rows])


def test_feature_importances_and_fitted_attributes():
    X, y, group = synthetic_ranking(3)
    model = LambdaMART(n_estimators=10, max_depth=3, random_state=0).fit(X, y, group)
    assert model.feature_importances_.sum() == pytest.approx(1.0)
    assert (model.feature_importances_ >= 0).all() and model.feature_importances_.argmax() == 0
    assert model.n_features_in_ == 5 and len(model.estimators_) == 10
    assert model.predict(X) == pytest.approx(sum(t.predict(X) for t in model.estimators_))
    assert model.predict(X) == pytest.approx(predict_forest(model.estimators_, X))
    assert all(t.depth <= 3 for t in model.estimators_)


def test_no_split_means_zero_importances():
    X, y, group = synthetic_ranking(4)
    model = LambdaMART(n_estimators=2, min_child_weight=1e9).fit(X, y, group)
    assert (model.feature_importances_ == 0).all()
    assert all(len(t.feature) == 1 for t in model.estimators_)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_estimators": 0}, "n_estimators"),
        ({"max_depth": 1.5}, "max_depth"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"subsample": 0.0}, "subsample"),
        ({"subsample": 1.5}, "subsample"),
        ({"reg_lambda": -1.0}, "reg_lambda"),
        ({"min_child_weight": np.nan}, "min_child_weight"),
        ({"max_bin": 1}, "max_bin"),
        ({"ndcg_at": 0}, "ndcg_at"),
        ({"reg_lambda": 0.0, "min_child_weight": 0.0}, "both 0"),
    ],
)
def test_bad_parameters_raise(params, message):
    X, y, group = synthetic_ranking(n_queries=3)
    with pytest.raises(ValueError, match=message):
        LambdaMART(**params).fit(X, y, group)


def test_bad_data_raises():
    X, y, group = synthetic_ranking(n_queries=3)
    model = LambdaMART(n_estimators=2)
    with pytest.raises(NotFittedError):
        model.predict(X)
    with pytest.raises(ValueError, match="length mismatch"):
        model.fit(X, y[:-1], group)
    with pytest.raises(ValueError, match="non-negative"):
        model.fit(X, -y, group)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.fit(X_nan, y, group)
    with pytest.raises(ValueError, match="eval_set"):
        model.fit(X, y, group, eval_set=[(X, y)])
    with pytest.raises(ValueError, match="features"):
        model.fit(X, y, group, eval_set=(X[:, :2], y, group))
    model.fit(X, y, group)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :3])


def test_xgboost_helper_configuration_and_row_order():
    params = xgboost_ranker(subsample=0.5).get_params()
    assert params["objective"] == "rank:ndcg" and params["learning_rate"] == 0.1
    assert params["max_depth"] == 6 and params["subsample"] == 0.5
    assert params["lambdarank_num_pair_per_sample"] == ALL_PAIRS
    assert xgboost_ranker(ndcg_at=10).get_params()["lambdarank_num_pair_per_sample"] == 10
    X, y, group = synthetic_ranking(5, n_queries=8)
    # interleave the queries (round robin), keeping the order of rows inside each query
    within_query = np.arange(len(group)) - np.searchsorted(group, group)
    interleaved = np.lexsort((group, within_query))
    assert not (np.diff(group[interleaved]) >= 0).all()
    sorted_fit = fit_xgboost_ranker(X, y, group, n_estimators=5)
    interleaved_fit = fit_xgboost_ranker(
        X[interleaved], y[interleaved], group[interleaved], n_estimators=5
    )
    assert np.abs(sorted_fit.predict(X)).max() > 0
    assert interleaved_fit.predict(X) == pytest.approx(sorted_fit.predict(X))
    with pytest.raises(ValueError, match="ndcg_at"):
        xgboost_ranker(ndcg_at=0)


def test_mq2008_fold1_ndcg_within_0_01_of_xgboost():
    X, y, qid = fetch_mq2008(fold=1, subset="train")
    X_test, y_test, qid_test = fetch_mq2008(fold=1, subset="test")
    params = {"n_estimators": 20, "max_depth": 3, "subsample": 1.0}
    ours = LambdaMART(**params).fit(X, y, qid).predict(X_test)
    theirs = fit_xgboost_ranker(X, y, qid, **params).predict(X_test)
    ndcg_ours = ndcg_at_k(y_test, ours, 10, qid_test)
    ndcg_theirs = ndcg_at_k(y_test, theirs, 10, qid_test)
    assert ndcg_theirs > 0.4
    assert abs(ndcg_ours - ndcg_theirs) <= 0.01


def test_tiny_data_one_and_two_rows():
    gradient, hessian = lambda_gradients([1.0], [0.0], QueryGroups.from_ids([0]))
    assert gradient.dtype == hessian.dtype == np.float64 and gradient.tolist() == [0.0]
    for seed in range(3):  # one row: no pair, and subsampling may leave the tree no row at all
        model = LambdaMART(n_estimators=3, random_state=seed).fit([[1.0]], [1], [0])
        assert model.predict([[1.0], [2.0]]).tolist() == [0.0, 0.0]
        assert model.feature_importances_.tolist() == [0.0]
    X, y, group = [[1.0], [2.0]], [0, 1], ["a", "a"]
    model = LambdaMART(n_estimators=3, subsample=1.0, min_child_weight=0.0)
    model.fit(X, y, group, eval_set=(X, y, group))
    low, high = model.predict(X)
    assert low < 0 < high and low == pytest.approx(-high)
    assert model.feature_importances_.tolist() == [1.0]
    assert model.evals_result_ == {"validation_0": {"ndcg@10": [1.0, 1.0, 1.0]}}


def test_row_order_within_a_query_changes_the_fit_in_both_libraries_as_documented():
    # All first-round scores tie, and ties are ranked by input order (as XGBoost does), so the
    # first tree depends on row order; the LambdaMART docstring says so. Same order, same fit.
    rng = np.random.default_rng(0)
    group = np.repeat(np.arange(30), 20)
    X, y = rng.normal(size=(600, 5)), rng.integers(0, 3, 600)
    inside = np.concatenate([q * 20 + rng.permutation(20) for q in range(30)])
    params = dict(n_estimators=10, max_depth=3, learning_rate=0.1)
    ours = LambdaMART(**params, subsample=1.0, random_state=0)
    a = ours.fit(X, y, group).predict(X)
    b = clone(ours).fit(X[inside], y[inside], group[inside]).predict(X)
    xa = fit_xgboost_ranker(X, y, group, **params).predict(X)
    xb = fit_xgboost_ranker(X[inside], y[inside], group[inside], **params).predict(X)
    assert np.abs(a - b).max() > 0.01 and np.abs(xa - xb).max() > 0.01
    assert clone(ours).fit(X, y, group).predict(X) == pytest.approx(a, abs=0)


@pytest.mark.parametrize("ndcg_at", [None, 3])
def test_cached_objective_equals_the_one_built_from_the_public_lambdas(ndcg_at):
    rng = np.random.default_rng(11)
    n = 400
    group = rng.integers(0, 40, n)
    y = rng.integers(0, 4, n).astype(float)
    scores = np.round(rng.normal(size=n), 1)  # ties inside queries
    groups = QueryGroups.from_ids(group)
    y_sorted, scores_sorted = y[groups.order], scores[groups.order]
    scores_sorted[groups.starts[:5]] = 0.0
    fast = _XGBoostNDCGObjective(y_sorted, groups, ndcg_at)(scores_sorted)
    reference = _xgboost_ndcg_objective(
        y_sorted, scores_sorted, groups, groups.pairs(y_sorted), ndcg_at
    )
    for a, b in zip(fast, reference, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
