"""Listwise losses (ListNet, ListMLE), their rankers and the self-attention list scorer."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import log_softmax, logsumexp, softmax
from sklearn.base import clone

from mlref.ltr.attention import AttentionListScorer, AttentionRanker
from mlref.ltr.groups import QueryGroups
from mlref.ltr.listwise import (
    ListMLE,
    ListNet,
    ideal_permutation,
    listmle_loss,
    listnet_loss,
)
from mlref.metrics.ranking import ndcg_at_k
from mlref.nn.gradcheck import numerical_gradient


@st.composite
def ragged_queries(draw, max_rows=14):
    """Query ids (singletons and all-equal-label queries included), labels with ties, scores."""
    ids = np.array(draw(st.lists(st.integers(0, 4), min_size=1, max_size=max_rows)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    groups = QueryGroups.from_ids(ids)
    y = rng.integers(0, draw(st.integers(1, 4)), len(ids)).astype(float)
    scores = rng.normal(size=len(ids)) * draw(st.sampled_from([0.1, 1.0, 5.0]))
    return groups, y[groups.order], scores, seed


# --------------------------------------------------------------------------------------------
# ListNet
# --------------------------------------------------------------------------------------------


def _listnet_per_query(y_sorted, scores_sorted, groups):
    losses = []
    for q in range(groups.n_queries):
        rows = groups.position == q
        target = softmax(y_sorted[rows])
        losses.append(-np.dot(target, log_softmax(scores_sorted[rows])))
    return np.mean(losses)


@settings(max_examples=40, deadline=None)
@given(ragged_queries())
def test_listnet_matches_a_per_query_loop_and_finite_differences(case):
    groups, y, scores, _ = case
    loss, d_scores = listnet_loss(y, scores, groups)
    assert loss == pytest.approx(_listnet_per_query(y, scores, groups), rel=1e-12, abs=1e-12)
    numeric = numerical_gradient(lambda: listnet_loss(y, scores, groups)[0], scores)
    np.testing.assert_allclose(d_scores, numeric, atol=1e-7)


def test_listnet_hand_computed_values():
    # one query, labels (1, 0), equal scores: target (e, 1)/(1 + e), model (1/2, 1/2)
    groups = QueryGroups.from_ids([7, 7])
    loss, d_scores = listnet_loss([1.0, 0.0], [0.0, 0.0], groups)
    target = np.array([np.e, 1.0]) / (1 + np.e)
    assert loss == pytest.approx(np.log(2))
    np.testing.assert_allclose(d_scores, 0.5 - target)
    # the gradient is divided by the number of queries: a second (singleton) query halves it
    loss2, d_scores2 = listnet_loss(
        [1.0, 0.0, 3.0], [0.0, 0.0, 9.0], QueryGroups.from_ids([0, 0, 1])
    )
    assert loss2 == pytest.approx(np.log(2) / 2)
    np.testing.assert_allclose(d_scores2, [*(0.5 - target) / 2, 0.0])


def test_listnet_degenerate_queries():
    groups = QueryGroups.from_ids([0, 1, 1, 1])
    scores = np.array([3.0, 1.0, 2.0, 4.0])
    loss, d_scores = listnet_loss([2.0, 1.0, 1.0, 1.0], scores, groups)
    assert d_scores[0] == 0.0  # singleton: nothing to rank
    # all-equal labels: uniform target, the gradient pulls the scores together
    np.testing.assert_allclose(d_scores[1:], (softmax(scores[1:]) - 1 / 3) / 2)
    assert loss == pytest.approx(-np.mean(log_softmax(scores[1:])) / 2)


def test_listnet_is_shift_invariant_per_query_and_stable_for_huge_scores():
    groups = QueryGroups.from_ids([0, 0, 0, 1, 1])
    y = np.array([2.0, 0.0, 1.0, 1.0, 0.0])
    scores = np.array([0.3, -1.0, 2.0, 0.5, 0.1])
    shifted = scores + np.array([1e4, 1e4, 1e4, -5e3, -5e3])
    for a, b in zip(listnet_loss(y, scores, groups), listnet_loss(y, shifted, groups), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-9)
    loss, d_scores = listnet_loss(y, scores * 1e3, groups)
    assert np.isfinite(loss) and np.isfinite(d_scores).all()
    assert loss == pytest.approx(_listnet_per_query(y, scores * 1e3, groups))


# --------------------------------------------------------------------------------------------
# ListMLE
# --------------------------------------------------------------------------------------------


def _listmle_per_query(y_sorted, scores_sorted, groups, random_state):
    perm = ideal_permutation(y_sorted, groups, random_state)
    losses = []
    for q in range(groups.n_queries):
        s = scores_sorted[perm[groups.position == q]]
        losses.append(sum(logsumexp(s[k:]) - s[k] for k in range(len(s))))
    return np.mean(losses)


@settings(max_examples=40, deadline=None)
@given(ragged_queries())
def test_listmle_matches_a_per_query_loop_and_finite_differences(case):
    groups, y, scores, seed = case
    loss, d_scores = listmle_loss(y, scores, groups, seed)
    assert loss == pytest.approx(_listmle_per_query(y, scores, groups, seed), rel=1e-12)
    numeric = numerical_gradient(lambda: listmle_loss(y, scores, groups, seed)[0], scores)
    np.testing.assert_allclose(d_scores, numeric, atol=1e-7)


def test_listmle_hand_computed_values_and_degenerate_queries():
    loss, d_scores = listmle_loss([1.0, 0.0], [0.0, 0.0], QueryGroups.from_ids([0, 0]))
    assert loss == pytest.approx(np.log(2))  # P(ideal order) = 1/2
    np.testing.assert_allclose(d_scores, [-0.5, 0.5])
    loss, d_scores = listmle_loss([0.0, 1.0], [2.0, 2.0], QueryGroups.from_ids([0, 1]))
    assert loss == 0.0 and (d_scores == 0.0).all()  # singleton queries
    # two documents, scores (a, b), ideal order first then second: -log sigmoid(a - b)
    loss, d_scores = listmle_loss([3.0, 1.0], [1.5, -0.5], QueryGroups.from_ids([0, 0]))
    assert loss == pytest.approx(np.log1p(np.exp(-2.0)))
    np.testing.assert_allclose(d_scores, [-1, 1] / (1 + np.exp(2.0)))


def test_listmle_probabilities_of_all_permutations_sum_to_one():
    groups = QueryGroups.from_ids([0, 0, 0, 0])
    scores = np.array([0.7, -1.2, 2.0, 0.1])
    total = 0.0
    for order in itertools.permutations(range(4)):
        y = np.empty(4)
        y[list(order)] = [3.0, 2.0, 1.0, 0.0]  # labels whose ideal order is `order`
        total += np.exp(-listmle_loss(y, scores, groups)[0])
    assert total == pytest.approx(1.0)


def test_ideal_permutation_sorts_by_label_and_breaks_ties_uniformly():
    groups = QueryGroups.from_ids([0, 0, 0, 0, 1, 1])
    y = np.array([1.0, 2.0, 1.0, 1.0, 0.0, 5.0])
    counts = {}
    for seed in range(1200):
        perm = ideal_permutation(y, groups, seed)
        assert perm[0] == 1 and perm[4:].tolist() == [5, 4]
        counts[tuple(perm[1:4])] = counts.get(tuple(perm[1:4]), 0) + 1
    assert set(counts) == set(itertools.permutations([0, 2, 3]))
    assert min(counts.values()) > 150  # expected 200 each (binomial sd ~ 13)


def test_listmle_stays_finite_when_scores_are_far_apart():
    groups = QueryGroups.from_ids([0, 0, 0])
    y = np.array([0.0, 1.0, 2.0])  # ideal order: rows 2, 1, 0
    scores = np.array([0.0, 800.0, -900.0])  # the exponentials underflow/overflow in float64
    loss, d_scores = listmle_loss(y, scores, groups)
    expected = (logsumexp(scores) - scores[2]) + (logsumexp(scores[:2]) - scores[1])
    assert loss == pytest.approx(expected)
    # top document (row 2) is certain to be beaten: -1; row 1 is picked at both steps: -1 + 2
    np.testing.assert_allclose(d_scores, [0.0, 1.0, -1.0], atol=1e-12)


@pytest.mark.parametrize("loss_function", [listnet_loss, listmle_loss])
def test_losses_reject_bad_input(loss_function):
    groups = QueryGroups.from_ids([0, 0, 1])
    with pytest.raises(ValueError, match="QueryGroups"):
        loss_function([1.0, 0.0, 1.0], [0.0, 0.0, 0.0], [0, 0, 1])
    with pytest.raises(ValueError, match="length mismatch"):
        loss_function([1.0, 0.0], [0.0, 0.0], groups)
    with pytest.raises(ValueError, match="scores_sorted holds 1 NaN"):
        loss_function([1.0, 0.0, 1.0], [0.0, np.nan, 0.0], groups)
    with pytest.raises(ValueError, match="non-negative"):
        loss_function([1.0, -1.0, 1.0], [0.0, 0.0, 0.0], groups)


# --------------------------------------------------------------------------------------------
# ListNet and ListMLE rankers
# --------------------------------------------------------------------------------------------


def _synthetic_ranking(n_queries=40, size=10, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_queries * size, 5))
    utility = X @ np.array([2.0, -1.0, 0.5, 0.0, 0.0])
    y = np.digitize(utility, [-1.0, 1.0]).astype(float)
    group = np.repeat(rng.permutation(n_queries), size)
    shuffle = rng.permutation(len(y))  # rows of a query need not be contiguous
    return X[shuffle], y[shuffle], group[shuffle]


@pytest.mark.parametrize("ranker_class", [ListNet, ListMLE])
@pytest.mark.parametrize("scorer", ["linear", "mlp"])
def test_rankers_learn_a_planted_linear_ranking(ranker_class, scorer):
    X, y, group = _synthetic_ranking()
    ranker = ranker_class(scorer=scorer, n_epochs=150, learning_rate=0.05, random_state=0)
    scores = ranker.fit(X, y, group).predict(X)
    assert ndcg_at_k(y, scores, 10, group) > 0.97
    assert ndcg_at_k(y, -scores, 10, group) < 0.6
    assert ranker.loss_curve_[-1] < ranker.loss_curve_[0]


@pytest.mark.parametrize("ranker_class", [ListNet, ListMLE])
def test_rankers_follow_the_sklearn_conventions(ranker_class):
    X, y, group = _synthetic_ranking(n_queries=6)
    ranker = ranker_class(scorer="mlp", n_epochs=5, random_state=3)
    assert clone(ranker).get_params() == ranker.get_params()
    first = ranker.fit(X, y, group).predict(X)
    again = clone(ranker).fit(X, y, group).predict(X)
    np.testing.assert_array_equal(first, again)  # random_state makes fit reproducible
    assert not hasattr(clone(ranker), "scorer_")
    with pytest.raises(TypeError):
        ranker_class("linear")  # options are keyword-only


def test_listmle_ties_are_redrawn_at_each_step():
    # all labels tied: with (almost) frozen random scores, the loss changes only because each
    # step draws a new order of the tied documents
    X, _, group = _synthetic_ranking(n_queries=5)
    ranker = ListMLE(scorer="mlp", n_epochs=4, learning_rate=1e-12, random_state=0)
    ranker.fit(X, np.ones(50), group)
    assert len(np.unique(ranker.loss_curve_.round(10))) == 4


def test_listwise_rankers_on_mq2008_fold1():
    from mlref.datasets import fetch_mq2008

    X, y, qid = fetch_mq2008(fold=1, subset="train")
    X_test, y_test, qid_test = fetch_mq2008(fold=1, subset="test")
    # baseline: the single feature with the best training NDCG@10 (LMIR.JM url), 0.454 on test
    best = np.argmax([ndcg_at_k(y, X[:, j], 10, qid) for j in range(X.shape[1])])
    baseline = ndcg_at_k(y_test, X_test[:, best], 10, qid_test)
    for ranker in (ListNet(random_state=0), ListMLE(random_state=0)):
        scores = ranker.fit(X, y, qid).predict(X_test)
        assert ndcg_at_k(y_test, scores, 10, qid_test) > baseline + 0.01
    attention = AttentionRanker(random_state=0).fit(X, y, qid)
    scores = attention.predict(X_test, qid_test)
    assert ndcg_at_k(y_test, scores, 10, qid_test) > baseline + 0.01


# --------------------------------------------------------------------------------------------
# Self-attention list scorer
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("loss", ["listnet", "listmle"])
@pytest.mark.parametrize("sizes", [(3, 5), (5, 8, 1)])
def test_attention_gradient_matches_finite_differences(loss, sizes):
    # (3, 5): two queries, each its own length class; (5, 8, 1): 5 and 8 share a padded batch
    rng = np.random.default_rng(sum(sizes))
    groups = QueryGroups.from_ids(np.repeat(np.arange(len(sizes)), sizes))
    X = rng.normal(size=(sum(sizes), 3))
    y = rng.integers(0, 3, sum(sizes)).astype(float)  # with ties
    scorer = AttentionListScorer(d_model=4, n_heads=2, d_ff=8).init(3, rng)

    def objective():
        scores = scorer.forward(X, groups)[0]
        if loss == "listnet":
            return listnet_loss(y, scores, groups)
        return listmle_loss(y, scores, groups, random_state=0)

    _, cache = scorer.forward(X, groups)
    analytic = scorer.backward(cache, objective()[1])
    assert len(analytic) == len(scorer.params) == len(scorer.param_names)
    for name, param, grad in zip(scorer.param_names, scorer.params, analytic, strict=True):
        numeric = numerical_gradient(lambda: objective()[0], param)
        assert grad.shape == param.shape
        np.testing.assert_allclose(grad, numeric, atol=1e-7, err_msg=name)
        assert np.abs(numeric).max() > 1e-4, name  # every parameter matters


@settings(max_examples=15, deadline=None)
@given(ragged_queries(max_rows=20))
def test_attention_scores_each_query_as_if_it_were_alone(case):
    groups, _, _, seed = case
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(len(groups.order), 3))
    scorer = AttentionListScorer(d_model=4, n_heads=2, d_ff=4).init(3, rng)
    scores = scorer.forward(X, groups)[0]
    for q in range(groups.n_queries):
        rows = groups.position == q
        alone = scorer.forward(X[rows], QueryGroups.from_ids(np.zeros(rows.sum())))[0]
        np.testing.assert_allclose(scores[rows], alone, rtol=1e-10, atol=1e-12)


def test_attention_is_permutation_equivariant_within_a_query_and_list_dependent():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(11, 4))
    y = rng.integers(0, 3, 11).astype(float)
    group = np.repeat([10, 20], [6, 5])  # one padded batch: the second list gets a masked slot
    ranker = AttentionRanker(d_model=8, n_epochs=3, random_state=0).fit(X, y, group)
    scores = ranker.predict(X, group)
    shuffle = np.concatenate([rng.permutation(6), 6 + rng.permutation(5)])
    np.testing.assert_allclose(ranker.predict(X[shuffle], group[shuffle]), scores[shuffle])
    # dropping a candidate changes the scores of the others: the scorer sees the list
    assert not np.allclose(ranker.predict(X[1:6], group[1:6]), scores[1:6])
    # ... but documents of other queries never do, nor does the padding
    np.testing.assert_allclose(ranker.predict(X[:6], group[:6]), scores[:6])
    np.testing.assert_allclose(ranker.predict(X[6:], group[6:]), scores[6:])


def test_attention_weights_are_row_stochastic_and_match_the_formula():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(7, 3))
    group = np.array(["b", "a", "b", "b", "a", "b", "c"])
    ranker = AttentionRanker(d_model=4, n_heads=2, n_epochs=2, random_state=0)
    ranker.fit(X, rng.integers(0, 2, 7).astype(float), group)
    weights = ranker.attention_weights(X, group)
    assert list(weights) == ["a", "b", "c"]
    assert [w.shape for w in weights.values()] == [(2, 2, 2), (2, 4, 4), (2, 1, 1)]
    for w in weights.values():
        np.testing.assert_allclose(w.sum(axis=-1), 1.0)
    # recompute query "b" by hand: softmax(Q K^T / sqrt(d_k)) per head, rows in file order
    W_e, b_e, W_q, W_k = ranker.scorer_.params[:4]
    rows = np.flatnonzero(group == "b")
    h0 = ((X[rows] - ranker.feature_mean_) / ranker.feature_scale_) @ W_e + b_e
    for head in range(2):
        cols = slice(2 * head, 2 * head + 2)
        expected = softmax((h0 @ W_q[:, cols]) @ (h0 @ W_k[:, cols]).T / np.sqrt(2), axis=1)
        np.testing.assert_allclose(weights["b"][head], expected)


def test_attention_ranker_options_and_errors():
    X, y, group = _synthetic_ranking(n_queries=4, size=5)
    with pytest.raises(ValueError, match="multiple of n_heads"):
        AttentionRanker(d_model=5, n_heads=2).fit(X, y, group)
    with pytest.raises(ValueError, match="loss must be one of"):
        AttentionRanker(loss="ranknet").fit(X, y, group)
    ranker = AttentionRanker(d_model=4, n_epochs=2, loss="listmle", random_state=0)
    ranker.fit(X, y, group)
    with pytest.raises(ValueError, match="pass group"):
        ranker.predict(X)
    with pytest.raises(ValueError, match="features"):
        ranker.attention_weights(X[:, :3], group)
    assert clone(ranker).get_params() == ranker.get_params()
    np.testing.assert_array_equal(
        clone(ranker).fit(X, y, group).predict(X, group), ranker.predict(X, group)
    )
