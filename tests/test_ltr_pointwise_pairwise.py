"""Scorers, pointwise and pairwise rankers: finite differences, scikit-learn references, pairs."""

import itertools
import math
from collections import Counter

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.svm import LinearSVC

from mlref.datasets import fetch_mq2008
from mlref.ltr.groups import QueryGroups
from mlref.ltr.lambdas import lambda_gradients
from mlref.ltr.pairs import all_pairs, count_pairs, sample_pairs
from mlref.ltr.pairwise import (
    LambdaRank,
    LambdaRankLoss,
    RankNet,
    RankNetLoss,
    RankSVM,
    _huberised_hinge,
    _squared_hinge,
)
from mlref.ltr.pointwise import PointwiseRanker, logistic_loss, squared_error_loss
from mlref.ltr.scorers import (
    LinearScorer,
    MLPScorer,
    QueryBatch,
    ScorerRanker,
    build_scorer,
    fit_scorer,
)
from mlref.metrics.ranking import ndcg_at_k
from mlref.nn.gradcheck import numerical_gradient

FEW = settings(max_examples=25, deadline=None)


def _tiny_queries(seed, n_rows=None):
    """A few short queries with tied labels, rows of a query scattered in the input."""
    rng = np.random.default_rng(seed)
    n_rows = int(rng.integers(2, 13)) if n_rows is None else n_rows
    group = rng.integers(0, 3, n_rows)
    y = rng.integers(0, 3, n_rows).astype(float)
    y[:2] = [2.0, 0.0]
    group[:2] = group[0]  # at least one preference pair
    return y, group


def _linear_relevance(seed=0, n_queries=40, n_features=5, w_true=None):
    """Queries of 8-20 documents whose grade 0-3 is a known linear function of the features."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(8, 21, n_queries)
    group = np.repeat(np.arange(n_queries), sizes)
    X = rng.normal(size=(len(group), n_features)) * np.linspace(0.5, 3, n_features)
    w_true = rng.normal(size=n_features) if w_true is None else w_true
    utility = X @ w_true + 0.3 * rng.normal(size=len(group))
    y = np.digitize(utility, np.quantile(utility, [0.5, 0.8, 0.95])).astype(float)
    shuffle = rng.permutation(len(group))
    return X[shuffle], y[shuffle], group[shuffle], w_true


# --------------------------------------------------------------------------------------------
# Scorers and the optimiser
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scorer",
    [
        LinearScorer(),
        MLPScorer(hidden=(5,)),
        MLPScorer(hidden=(4, 3), activation="tanh"),
        MLPScorer(hidden=(6, 4), activation="relu"),
        MLPScorer(hidden=()),
    ],
    ids=["linear", "mlp-relu", "mlp-tanh-2", "mlp-relu-2", "mlp-empty"],
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scorer_backward_matches_finite_differences(scorer, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(7, 3))
    weights = rng.normal(size=7)
    scorer = build_scorer(scorer).init(3, rng)
    for p in scorer.params:  # move biases off 0 as well
        p += 0.3 * rng.normal(size=p.shape)
    _, cache = scorer.forward(X)
    grads = scorer.backward(cache, weights)
    assert len(grads) == len(scorer.params) == len(scorer.param_names)
    for p, g in zip(scorer.params, grads, strict=True):
        assert g.shape == p.shape
        numeric = numerical_gradient(lambda: scorer.forward(X)[0] @ weights, p)
        np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-7)


def test_linear_scorer_is_xw_plus_b_and_mlp_names_follow_layers():
    scorer = LinearScorer().init(2, np.random.default_rng(0))
    scorer.params[0][:] = [2.0, -1.0]
    scorer.params[1][:] = 0.5
    assert scorer.forward(np.array([[1.0, 1.0], [0.0, 3.0]]))[0].tolist() == [1.5, -2.5]
    mlp = MLPScorer(hidden=(4, 2)).init(3, np.random.default_rng(0))
    assert mlp.param_names == ("W1", "b1", "W2", "b2", "W_out", "b_out")
    assert [p.shape for p in mlp.params] == [(3, 4), (4,), (4, 2), (2,), (2, 1), (1,)]


@pytest.mark.parametrize(("activation", "gain"), [("relu", 2.0), ("tanh", 1.0)])
def test_mlp_initialisation_is_he_or_lecun_and_reproducible(activation, gain):
    first = MLPScorer(hidden=(400,), activation=activation).init(300, np.random.default_rng(5))
    again = MLPScorer(hidden=(400,), activation=activation).init(300, np.random.default_rng(5))
    W1, b1, W_out, _ = first.params
    assert abs(W1.std() - math.sqrt(gain / 300)) < 0.02 * math.sqrt(gain / 300)
    assert abs(W_out.std() - math.sqrt(1 / 400)) < 0.1 * math.sqrt(1 / 400)
    assert (b1 == 0).all() and abs(W1.mean()) < 0.01 * W1.std()
    for p, q in zip(first.params, again.params, strict=True):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: build_scorer("tree"), "scorer must be one of"),
        (lambda: build_scorer(42), "init/forward/backward"),
        (lambda: MLPScorer(hidden=(0,)).init(3, np.random.default_rng(0)), "hidden layer"),
        (lambda: MLPScorer(hidden=5).init(3, np.random.default_rng(0)), "tuple of layer"),
        (lambda: MLPScorer(activation="gelu").init(3, np.random.default_rng(0)), "activation"),
        (lambda: MLPScorer().forward(np.ones((2, 3))), "call init"),
        (lambda: LinearScorer().init(3, None).forward(np.ones((2, 4))), r"shape \(n_rows, 3\)"),
    ],
)
def test_scorer_errors_name_the_problem(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_build_scorer_copies_the_instance():
    prototype = MLPScorer(hidden=(3,))
    built = build_scorer(prototype).init(2, np.random.default_rng(0))
    assert built is not prototype and prototype.params == [] and len(built.params) == 4


@FEW
@given(st.lists(st.integers(0, 5), min_size=1, max_size=25), st.randoms())
def test_query_batches_hold_whole_queries_in_query_order(ids, random):
    ids = np.array(ids)
    rng = np.random.default_rng(random.randint(0, 2**32 - 1))
    y = rng.normal(size=len(ids))
    groups = QueryGroups.from_ids(ids)
    n_chosen = rng.integers(1, groups.n_queries + 1)
    queries = rng.choice(groups.n_queries, size=n_chosen, replace=False)
    batch = QueryBatch.from_queries(y, groups, queries)
    chosen = groups.ids[np.sort(queries)]
    expected_rows = np.concatenate([np.flatnonzero(ids == q) for q in chosen])
    np.testing.assert_array_equal(batch.rows, expected_rows)
    np.testing.assert_array_equal(batch.y, y[expected_rows])
    np.testing.assert_array_equal(batch.groups.ids[batch.groups.position], ids[batch.rows])
    np.testing.assert_array_equal(batch.groups.order, np.arange(len(batch.rows)))
    sizes = batch.groups.sizes
    assert batch.groups.starts.tolist() == (np.cumsum(sizes) - sizes).tolist()


def test_fit_scorer_reaches_least_squares_in_full_and_mini_batches():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ [1.0, -2.0, 0.5] + 3.0 + 0.1 * rng.normal(size=200)
    groups = QueryGroups.from_ids(rng.integers(0, 20, 200))
    reference = LinearRegression().fit(X, y)
    for batch_queries, n_epochs in [(None, 3000), (5, 1000)]:
        scorer = LinearScorer().init(3, rng)
        curve = fit_scorer(
            scorer,
            squared_error_loss,
            X,
            y,
            groups,
            n_epochs=n_epochs,
            learning_rate=0.01 if batch_queries is None else 0.003,
            rng=np.random.default_rng(1),
            batch_queries=batch_queries,
        )
        assert curve.shape == (n_epochs,) and curve[-1] < curve[0]
        np.testing.assert_allclose(scorer.params[0], reference.coef_, atol=0.01)
        np.testing.assert_allclose(scorer.params[1][0], reference.intercept_, atol=0.01)


def test_l2_penalty_shrinks_weights_not_biases_like_ridge():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 2))
    y = X @ [2.0, -1.0] + 5.0
    groups = QueryGroups.from_ids(np.zeros(100))
    scorer = LinearScorer().init(2, rng)
    fit_scorer(
        scorer, squared_error_loss, X, y, groups, n_epochs=4000, learning_rate=0.01, rng=rng, l2=0.5
    )
    # minimiser of mean (Xw + b - y)^2 + 0.25 |w|^2: normal equations with the bias free
    Xc = X - X.mean(0)
    w = np.linalg.solve(2 * Xc.T @ Xc / 100 + 0.5 * np.eye(2), 2 * Xc.T @ (y - y.mean()) / 100)
    np.testing.assert_allclose(scorer.params[0], w, atol=1e-3)
    np.testing.assert_allclose(scorer.params[1][0], y.mean() - X.mean(0) @ w, atol=1e-3)


class _CentredLinearScorer(LinearScorer):
    """List-aware test scorer: linear score minus its query mean (needs the groups)."""

    needs_groups = True

    def forward(self, X, groups=None):
        raw, X = super().forward(X)
        return raw - (groups.sum(raw) / groups.sizes)[groups.position], (X, groups)

    def backward(self, cache, d_scores):
        X, groups = cache
        centred = d_scores - (groups.sum(d_scores) / groups.sizes)[groups.position]
        return super().backward(X, centred)


def test_list_aware_scorers_get_the_batch_groups_in_fit_and_predict():
    X, y, group, _ = _linear_relevance(seed=3, n_queries=10)
    ranker = RankNet(scorer=_CentredLinearScorer(), n_epochs=30, random_state=0).fit(X, y, group)
    scores = ranker.predict(X, group)
    means = np.bincount(group, weights=scores) / np.bincount(group)
    np.testing.assert_allclose(means, 0.0, atol=1e-12)
    with pytest.raises(ValueError, match="pass group"):
        ranker.predict(X)


# --------------------------------------------------------------------------------------------
# Pairs
# --------------------------------------------------------------------------------------------


@FEW
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=30))
def test_all_pairs_and_count_pairs_match_a_loop(rows):
    group, y = np.array(rows).T
    i, j = all_pairs(y, group)
    expected = {
        (a, b)
        for a, b in itertools.permutations(range(len(y)), 2)
        if group[a] == group[b] and y[a] > y[b]
    }
    assert set(zip(i.tolist(), j.tolist(), strict=True)) == expected and len(i) == len(expected)
    sizes = np.unique(group, return_counts=True)[1]
    assert count_pairs(sizes) == sum(n * (n - 1) // 2 for n in sizes.tolist())
    assert count_pairs(sizes) >= len(i)


def test_count_pairs_is_quadratic_and_exact_with_distinct_labels():
    assert count_pairs([1]) == 0 and count_pairs(0) == 0 and count_pairs(2) == 1
    assert count_pairs(2000) == 4 * count_pairs(1000) + 1000  # n(n-1)/2 doubles ~4x
    y = np.arange(10.0)
    assert count_pairs(10) == len(all_pairs(y, np.zeros(10))[0])
    with pytest.raises(ValueError, match="non-negative"):
        count_pairs([3, -1])


def test_sampled_pairs_are_valid_uniform_and_sized_by_the_budget():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 3, 40).astype(float)
    group = rng.integers(0, 4, 40)
    group[:3], y[:3] = 9, 1.0  # a query whose labels all tie: no pairs, no draws
    i_all, j_all = all_pairs(y, group)
    every_pair = set(zip(i_all.tolist(), j_all.tolist(), strict=True))
    per_query = Counter(group[i_all].tolist())
    i, j = sample_pairs(y, group, n_per_query=30_000, random_state=0)
    assert len(i) == 30_000 * len(per_query)
    counts = Counter(zip(i.tolist(), j.tolist(), strict=True))
    assert set(counts) == every_pair
    for (a, _), n in counts.items():  # uniform within a query: 30000 / P_q each
        expected = 30_000 / per_query[group[a]]
        assert abs(n - expected) < 5 * math.sqrt(expected)
    i, j = sample_pairs(y, group, ratio=0.3, random_state=1)
    drawn = Counter(group[i].tolist())
    assert drawn == {q: math.ceil(0.3 * p) for q, p in per_query.items()}
    again = sample_pairs(y, group, ratio=0.3, random_state=1)
    np.testing.assert_array_equal(again[0], i)
    np.testing.assert_array_equal(again[1], j)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of"),
        ({"n_per_query": 2, "ratio": 0.5}, "exactly one of"),
        ({"n_per_query": 0}, "n_per_query"),
        ({"ratio": 1.5}, "ratio"),
        ({"ratio": 0.0}, "ratio"),
    ],
)
def test_sample_pairs_rejects_bad_budgets(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sample_pairs([1, 0], [0, 0], **kwargs)


def test_pair_functions_validate_labels_and_groups():
    with pytest.raises(ValueError, match="length mismatch"):
        all_pairs([1, 0, 1], [0, 0])
    with pytest.raises(ValueError, match="non-negative"):
        all_pairs([1, -1], [0, 0])
    with pytest.raises(ValueError, match="NaN"):
        sample_pairs([1, np.nan], [0, 0], n_per_query=1)


# --------------------------------------------------------------------------------------------
# Losses over scores: values, finite differences, lambdas
# --------------------------------------------------------------------------------------------


def _batch(y, group):
    return QueryBatch.from_queries(np.asarray(y, dtype=float), QueryGroups.from_ids(group))


_LOSSES = {
    "squared_error": lambda: squared_error_loss,
    "logistic": lambda: logistic_loss,
    "ranknet": lambda: RankNetLoss(sigma=1.7),
    "lambdarank": lambda: LambdaRankLoss(sigma=0.8),
    "lambdarank@2": lambda: LambdaRankLoss(k=2),
}


@pytest.mark.parametrize("name", list(_LOSSES))
@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31))
def test_loss_gradient_wrt_scores_matches_finite_differences(name, seed):
    y, group = _tiny_queries(seed)
    batch = _batch(y, group)
    loss = _LOSSES[name]()
    scores = np.random.default_rng(seed).normal(size=len(y)) * 2  # distinct: ranks stay put
    value, grad = loss(scores, batch)
    assert grad.shape == scores.shape and np.isfinite(value)
    numeric = numerical_gradient(lambda: loss(scores, batch)[0], scores)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("name", list(_LOSSES))
@pytest.mark.parametrize("scorer", [LinearScorer(), MLPScorer(hidden=(4,), activation="tanh")])
def test_loss_gradient_wrt_parameters_matches_finite_differences(name, scorer):
    y, group = _tiny_queries(7, n_rows=10)
    rng = np.random.default_rng(7)
    X = rng.normal(size=(len(y), 3))
    batch = _batch(y, group)
    X_batch = X[batch.rows]
    loss = _LOSSES[name]()
    scorer = build_scorer(scorer).init(3, rng)
    for p in scorer.params:
        p += 0.5 * rng.normal(size=p.shape)
    scores, cache = scorer.forward(X_batch)
    grads = scorer.backward(cache, loss(scores, batch)[1])
    for p, g in zip(scorer.params, grads, strict=True):
        numeric = numerical_gradient(lambda: loss(scorer.forward(X_batch)[0], batch)[0], p)
        np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-8)


def test_ranknet_loss_matches_the_pair_formula_and_a_hand_value():
    y, group = np.array([2.0, 1.0, 1.0, 0.0, 1.0]), np.array([0, 0, 0, 0, 1])
    scores = np.array([0.3, -0.2, 0.5, 1.0, 9.0])
    batch = _batch(y, group)
    s = scores[batch.rows]
    pairs = [(a, b) for a, b in itertools.permutations(range(5), 2) if batch.y[a] > batch.y[b]]
    pairs = [(a, b) for a, b in pairs if batch.groups.position[a] == batch.groups.position[b]]
    expected = np.mean([np.log1p(np.exp(-2.0 * (s[a] - s[b]))) for a, b in pairs])
    assert RankNetLoss(sigma=2.0)(s, batch)[0] == pytest.approx(expected, rel=1e-12)
    assert len(pairs) == 5
    value, grad = RankNetLoss()(np.array([0.0, 0.0]), _batch([1, 0], [0, 0]))
    assert value == pytest.approx(math.log(2)) and grad.tolist() == [-0.5, 0.5]
    value, grad = RankNetLoss()(np.array([0.0, 0.0]), _batch([1, 1], [0, 0]))
    assert value == 0.0 and grad.tolist() == [0.0, 0.0]  # no pair: nothing to learn
    huge = RankNetLoss()(np.array([-1000.0, 1000.0]), _batch([1, 0], [0, 0]))[0]
    assert huge == pytest.approx(2000.0)  # logaddexp: no overflow


@pytest.mark.parametrize("k", [None, 1, 3])
@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31))
def test_lambdarank_gradient_is_lambda_gradients_over_the_query_count(k, seed):
    y, group = _tiny_queries(seed, n_rows=12)
    batch = _batch(y, group)
    scores = np.random.default_rng(seed).normal(size=12)
    scores[3] = scores[4]  # a tie in scores too
    _, grad = LambdaRankLoss(k=k, sigma=1.3)(scores, batch)
    expected, _ = lambda_gradients(batch.y, scores, batch.groups, k=k, sigma=1.3)
    np.testing.assert_allclose(grad, expected / batch.groups.n_queries, atol=1e-15)


def test_lambdarank_weights_top_mistakes_more_than_ranknet():
    batch = _batch([1, 0, 0, 0, 0, 0, 0, 1], np.zeros(8))
    scores = -np.arange(8.0)  # a relevant document first, the other last
    ranknet = RankNetLoss()(scores, batch)[1]
    lambdarank = LambdaRankLoss()(scores, batch)[1]
    # RankNet pushes hardest on the badly placed document; LambdaRank also keeps the top right.
    assert ranknet[7] < ranknet[0] < 0 and lambdarank[0] < 0 and lambdarank[7] < 0
    assert lambdarank[0] / lambdarank[7] > ranknet[0] / ranknet[7]


def test_sampled_ranknet_loss_is_unbiased_for_the_mean_of_query_means():
    lists = [([2.0, 1, 0, 0], [0.1, 0.5, -0.3, 0.2]), ([1.0, 0, 2], [0.0, 0.7, -1.0])]
    query_means = [RankNetLoss()(np.array(s), _batch(y, np.zeros(len(y))))[0] for y, s in lists]
    batch = _batch(lists[0][0] + lists[1][0], [0, 0, 0, 0, 1, 1, 1])
    scores = np.array(lists[0][1] + lists[1][1])
    sampled = RankNetLoss(pair_sampling=1, rng=0)
    draws = [sampled(scores, batch)[0] for _ in range(4000)]
    # one pair per query: the sample mean estimates the mean of the per-query mean losses
    assert np.mean(draws) == pytest.approx(np.mean(query_means), abs=0.02)
    assert abs(np.mean(query_means) - RankNetLoss()(scores, batch)[0]) > 0.05  # not all-pairs


# --------------------------------------------------------------------------------------------
# Rankers
# --------------------------------------------------------------------------------------------

_RANKERS = {
    "pointwise-regression": lambda: PointwiseRanker(random_state=0),
    "pointwise-classification": lambda: PointwiseRanker(objective="classification", random_state=0),
    "pointwise-mlp": lambda: PointwiseRanker(scorer="mlp", n_epochs=100, random_state=0),
    "ranknet": lambda: RankNet(random_state=0),
    "ranknet-mlp": lambda: RankNet(scorer="mlp", learning_rate=0.01, random_state=0),
    "ranknet-sampled": lambda: RankNet(pair_sampling=5, random_state=0),
    "ranknet-minibatch": lambda: RankNet(batch_queries=8, n_epochs=20, random_state=0),
    "lambdarank": lambda: LambdaRank(random_state=0),
    "lambdarank-mlp@10": lambda: LambdaRank(scorer="mlp", k=10, learning_rate=0.01, random_state=0),
    "ranksvm": lambda: RankSVM(random_state=0),
    "ranksvm-squared": lambda: RankSVM(loss="squared_hinge", pair_sampling=20, random_state=0),
}


@pytest.fixture(scope="module")
def synthetic():
    X, y, group, w_true = _linear_relevance(seed=0)
    X_test, y_test, group_test, _ = _linear_relevance(seed=1, w_true=w_true)
    return X, y, group, X_test, y_test, group_test, w_true


@pytest.mark.parametrize("name", list(_RANKERS))
def test_every_ranker_beats_random_on_linear_relevance(name, synthetic):
    X, y, group, X_test, y_test, group_test, w_true = synthetic
    ranker = _RANKERS[name]().fit(X, y, group)
    assert ranker.n_features_in_ == X.shape[1]
    scores = ranker.predict(X_test)
    ndcg = ndcg_at_k(y_test, scores, 10, group_test)
    random_ndcg = ndcg_at_k(y_test, np.zeros(len(y_test)), 10, group_test)  # expected, ties
    oracle = ndcg_at_k(y_test, X_test @ w_true, 10, group_test)
    assert oracle > random_ndcg + 0.4
    assert ndcg > random_ndcg + 0.9 * (oracle - random_ndcg)
    if isinstance(ranker, RankSVM):
        w = ranker.coef_
    elif isinstance(ranker.scorer_, LinearScorer):
        w = ranker.scorer_.params[0] / ranker.feature_scale_  # back to raw feature units
    else:
        return
    assert w @ w_true / np.linalg.norm(w) / np.linalg.norm(w_true) > 0.95


@pytest.mark.parametrize("name", list(_RANKERS))
def test_rankers_are_deterministic_clonable_and_ignore_row_order(name, synthetic):
    X, y, group, *_ = synthetic
    X, y, group = X[:150], y[:150], group[:150]
    ranker = _RANKERS[name]()
    ranker.set_params(random_state=3)
    first = ranker.fit(X, y, group).predict(X)
    second = clone(ranker).fit(X, y, group).predict(X)
    np.testing.assert_array_equal(first, second)
    assert clone(ranker).get_params() == ranker.get_params()
    deterministic = getattr(ranker, "batch_queries", None) is None and (
        ranker.pair_sampling == "all" if hasattr(ranker, "pair_sampling") else True
    )
    # LambdaRank is left out: its linear scorer starts at w = 0, where all scores tie and the
    # ranks behind the first |delta NDCG| weights are broken by row order.
    if deterministic and "mlp" not in name and "lambdarank" not in name:
        shuffle = np.random.default_rng(0).permutation(len(y))
        shuffled = clone(ranker).fit(X[shuffle], y[shuffle], group[shuffle]).predict(X)
        np.testing.assert_allclose(shuffled, first, rtol=1e-6, atol=1e-6)


def test_linear_pointwise_regression_reaches_least_squares(synthetic):
    X, y, group, *_ = synthetic
    ranker = PointwiseRanker(n_epochs=3000, learning_rate=0.02).fit(X, y, group)
    np.testing.assert_allclose(
        ranker.predict(X), LinearRegression().fit(X, y).predict(X), atol=2e-3
    )
    assert ranker.loss_curve_[-1] <= ranker.loss_curve_.min() + 1e-9


def test_linear_pointwise_classification_reaches_logistic_regression():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(400, 4)) * [1.0, 2.0, 0.5, 1.0]
    relevant = rng.random(400) < scipy.special.expit(X @ [1.0, -0.5, 2.0, 0.0] - 0.5)
    y = np.where(relevant, rng.integers(1, 3, 400), 0)  # grades 1 and 2 both count as relevant
    ranker = PointwiseRanker(objective="classification", n_epochs=3000, learning_rate=0.02)
    logits = ranker.fit(X, y, rng.integers(0, 30, 400)).predict(X)
    reference = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(X, relevant)
    np.testing.assert_allclose(logits, reference.decision_function(X), atol=1e-4)


@pytest.mark.parametrize("loss", ["hinge", "squared_hinge"])
@pytest.mark.parametrize("C", [0.01, 1.0, 30.0])
def test_ranksvm_matches_linearsvc_on_pair_differences(loss, C, synthetic):
    X, y, group, *_ = synthetic
    X, y, group = X[:250], y[:250], group[:250]
    model = RankSVM(C=C, loss=loss).fit(X, y, group)
    i, j = all_pairs(y, group)
    D = X[i] - X[j]
    flip = np.random.default_rng(0).random(len(D)) < 0.5
    reference = LinearSVC(C=C, loss=loss, fit_intercept=False, tol=1e-8, max_iter=200_000)
    reference.fit(np.where(flip[:, None], -D, D), np.where(flip, -1, 1))
    w_ref = reference.coef_[0]
    cosine = model.coef_ @ w_ref / np.linalg.norm(model.coef_) / np.linalg.norm(w_ref)
    assert cosine > 0.99 and model.n_pairs_ == len(i)
    power = 1 if loss == "hinge" else 2

    def objective(w):
        return 0.5 * w @ w + C * np.sum(np.maximum(0.0, 1.0 - D @ w) ** power)

    assert objective(model.coef_) <= objective(w_ref) * (1 + 1e-6)
    np.testing.assert_allclose(model.predict(X), X @ model.coef_)


def test_ranksvm_hand_solution():
    X = np.array([[3.0, 0.0], [2.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    for loss in ("hinge", "squared_hinge"):
        model = RankSVM(C=10.0, loss=loss).fit(X, [2, 1, 1, 0], [0, 0, 1, 1])
        # both differences are d = (1, -1), so w = t d. Hinge: t = 1/2 (margin exactly 1).
        # Squared hinge: min t^2 + 2C (1 - 2t)^2, so t = 8C / (2 + 16C) = 40/81 at C = 10.
        expected = [0.5, -0.5] if loss == "hinge" else np.array([1, -1]) * 40 / 81
        np.testing.assert_allclose(model.coef_, expected, atol=1e-6)


def test_pointwise_tiny_inputs_work():
    ranker = PointwiseRanker(n_epochs=5).fit([[1.0]], [1.0], ["q"])
    assert ranker.predict([[1.0], [2.0]]).shape == (2,)
    ranker = RankNet(n_epochs=50).fit([[1.0], [0.0]], [1, 0], [0, 0])
    assert ranker.predict([[1.0]])[0] > ranker.predict([[0.0]])[0]


@pytest.mark.parametrize(
    ("ranker", "X", "y", "group", "message"),
    [
        (RankNet(), [[1.0], [2.0]], [1, 0], [0], "length mismatch"),
        (RankNet(), [[1.0], [np.nan]], [1, 0], [0, 0], "NaN"),
        (RankNet(), [[1.0], [2.0]], [1, -1], [0, 0], "non-negative"),
        (RankNet(), [[1.0], [2.0]], [1, 1], [0, 0], "no query has two documents"),
        (RankNet(), [[1.0], [2.0]], [1, 0], [0, 1], "no query has two documents"),
        (RankSVM(), [[1.0], [2.0]], [1, 0], [0, 1], "no query has two documents"),
        (PointwiseRanker(objective="classification"), [[1.0], [2.0]], [0, 0], [0, 0], "relevant"),
        (PointwiseRanker(objective="ordinal"), [[1.0], [2.0]], [1, 0], [0, 0], "objective"),
        (RankNet(sigma=0), [[1.0], [2.0]], [1, 0], [0, 0], "sigma"),
        (RankNet(pair_sampling="some"), [[1.0], [2.0]], [1, 0], [0, 0], "pair_sampling"),
        (LambdaRank(k=0), [[1.0], [2.0]], [1, 0], [0, 0], "k must be"),
        (RankNet(learning_rate=0), [[1.0], [2.0]], [1, 0], [0, 0], "learning_rate"),
        (RankNet(n_epochs=0), [[1.0], [2.0]], [1, 0], [0, 0], "n_epochs"),
        (RankNet(alpha=-1), [[1.0], [2.0]], [1, 0], [0, 0], "alpha"),
        (RankNet(batch_queries=0), [[1.0], [2.0]], [1, 0], [0, 0], "batch_queries"),
        (RankNet(random_state=-1), [[1.0], [2.0]], [1, 0], [0, 0], "random_state"),
        (RankNet(scorer="tree"), [[1.0], [2.0]], [1, 0], [0, 0], "scorer"),
        (RankSVM(C=0), [[1.0], [2.0]], [1, 0], [0, 0], "C must be"),
        (RankSVM(loss="log"), [[1.0], [2.0]], [1, 0], [0, 0], "loss"),
        (RankSVM(tol=-1.0), [[1.0], [2.0]], [1, 0], [0, 0], "tol"),
    ],
)
def test_rankers_reject_bad_input(ranker, X, y, group, message):
    with pytest.raises(ValueError, match=message):
        ranker.fit(X, y, group)


@pytest.mark.parametrize("ranker", [PointwiseRanker(n_epochs=5), RankSVM()])
def test_predict_checks_fitted_state_and_features(ranker):
    with pytest.raises(NotFittedError):
        ranker.predict([[1.0, 2.0]])
    ranker.fit([[1.0, 0.0], [0.0, 1.0]], [1, 0], [0, 0])
    with pytest.raises(ValueError, match="features"):
        ranker.predict([[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="NaN"):
        ranker.predict([[1.0, np.inf]])


def test_predict_with_group_equals_predict_for_row_wise_scorers(synthetic):
    X, y, group, *_ = synthetic
    ranker = LambdaRank(scorer="mlp", n_epochs=5, random_state=0).fit(X, y, group)
    np.testing.assert_allclose(ranker.predict(X, group), ranker.predict(X), atol=1e-12)
    with pytest.raises(ValueError, match="length mismatch"):
        ranker.predict(X, group[:-1])


def test_scorer_ranker_base_needs_a_loss():
    class NoLoss(ScorerRanker):
        def __init__(self):
            self.scorer, self.n_epochs, self.learning_rate = "linear", 1, 0.1
            self.batch_queries, self.alpha, self.random_state = None, 0.0, None

    with pytest.raises(NotImplementedError):
        NoLoss().fit([[1.0]], [1.0], [0])


def test_pairwise_rankers_beat_random_on_mq2008_fold():
    X, y, qid = fetch_mq2008(fold=1, subset="train")
    X_test, y_test, qid_test = fetch_mq2008(fold=1, subset="test")
    random_ndcg = ndcg_at_k(y_test, np.zeros(len(y_test)), 10, qid_test)
    for ranker in (LambdaRank(random_state=0), RankSVM(loss="squared_hinge")):
        ndcg = ndcg_at_k(y_test, ranker.fit(X, y, qid).predict(X_test), 10, qid_test)
        assert ndcg > random_ndcg + 0.1


@pytest.mark.parametrize("h", [1.0, 0.1, 1e-3])
def test_huberised_hinge_derivatives_and_limit(h):
    margins = np.array([-3.0, 0.2, 1 - 0.5 * h, 1 - 0.1 * h, 1 + 0.5 * h, 1 + 2 * h, 4.0])
    for loss in (_huberised_hinge(h), _squared_hinge):
        _, slope, curvature = loss(margins)
        eps = 1e-4 * h
        up, down = loss(margins + eps), loss(margins - eps)
        np.testing.assert_allclose(slope, (up[0] - down[0]) / (2 * eps), atol=1e-6)
        np.testing.assert_allclose(curvature, (up[1] - down[1]) / (2 * eps), atol=1e-6)
    hinge = np.maximum(0.0, 1.0 - margins)
    assert np.all(np.abs(_huberised_hinge(h)(margins)[0] - hinge) <= h / 4 + 1e-15)
