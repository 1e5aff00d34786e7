"""The teaching code behind A1: bias–variance decomposition, elastic-net paths, word2vec SGNS
and PPMI-SVD embeddings, each against scikit-learn, SciPy or finite differences."""

import doctest

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF
from sklearn.linear_model import enet_path, lasso_path

from mlref import nn
from mlref.features import (
    SkipGramNegativeSampling,
    context_pairs,
    nearest_tokens,
    ppmi_svd_embeddings,
    sgns_loss,
    word2vec,
)
from mlref.models import elastic_net, elastic_net_path
from mlref.training import (
    bias_variance,
    bias_variance_decomposition,
    expected_improvement,
    gaussian_process_posterior,
    tuning,
)


@pytest.mark.parametrize("module", [bias_variance, elastic_net, word2vec, tuning])
def test_doctests(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# --- bias-variance ------------------------------------------------------------------------------


def test_bias_squared_plus_variance_is_the_mean_squared_error_against_f_exactly():
    rng = np.random.default_rng(0)
    preds, f = rng.normal(size=(30, 12)), rng.normal(size=12)
    terms = bias_variance_decomposition(preds, f, noise_variance=0.3)
    assert terms.bias_squared + terms.variance == pytest.approx(np.mean((preds - f) ** 2))
    assert terms.expected_error == pytest.approx(np.mean((preds - f) ** 2) + 0.3)


def test_sample_mean_learner_has_variance_sigma2_over_n_and_no_bias():
    # A learner that predicts the mean of n noisy targets of a constant f: bias 0, variance s2/n.
    rng = np.random.default_rng(1)
    n, sigma = 10, 2.0
    preds = (3.0 + sigma * rng.normal(size=(20_000, n))).mean(axis=1, keepdims=True)
    terms = bias_variance_decomposition(preds, [3.0], noise_variance=sigma**2)
    assert terms.variance == pytest.approx(sigma**2 / n, rel=0.03)
    assert terms.bias_squared < 1e-3


def test_bias_variance_rejects_a_single_training_set():
    with pytest.raises(ValueError, match="predictions"):
        bias_variance_decomposition(np.ones((1, 3)), np.ones(3))


# --- elastic-net paths --------------------------------------------------------------------------


def _correlated_regression(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 5))
    X[:, 1] = X[:, 0] + 0.2 * rng.normal(size=60)
    y = X @ [1.5, 0.0, -2.0, 0.0, 0.7] + 0.5 * rng.normal(size=60)
    return X - X.mean(0), y - y.mean()


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5, 0.1])
def test_elastic_net_path_equals_sklearn(l1_ratio):
    X, y = _correlated_regression()
    alphas = np.geomspace(1.0, 0.01, 8)
    ours = elastic_net_path(X, y, alphas, l1_ratio=l1_ratio)
    if l1_ratio == 1.0:
        _, theirs, _ = lasso_path(X, y, alphas=alphas, tol=1e-12, max_iter=100_000)
    else:
        _, theirs, _ = enet_path(
            X, y, l1_ratio=l1_ratio, alphas=alphas, tol=1e-12, max_iter=100_000
        )
    np.testing.assert_allclose(ours, theirs, atol=1e-7)
    np.testing.assert_array_equal(ours == 0, np.abs(theirs) < 1e-12)


def test_elastic_net_path_ridge_end_equals_the_closed_form():
    X, y = _correlated_regression(1)
    alpha = 0.3
    ours = elastic_net_path(X, y, [alpha], l1_ratio=0.0)[:, 0]
    n = len(X)
    closed = np.linalg.solve(X.T @ X / n + alpha * np.eye(X.shape[1]), X.T @ y / n)
    np.testing.assert_allclose(ours, closed, atol=1e-8)


# --- word2vec -----------------------------------------------------------------------------------


def test_context_pairs_stay_inside_sessions_and_window():
    tokens = np.array([10, 11, 12, 13, 14])
    session = np.array([0, 0, 0, 1, 1])
    center, context = context_pairs(tokens, session, window=2)
    pairs = set(zip(center.tolist(), context.tolist(), strict=True))
    assert pairs == {(0, 1), (1, 0), (1, 2), (2, 1), (0, 2), (2, 0), (3, 4), (4, 3)}


def test_sgns_gradients_match_finite_differences():
    rng = np.random.default_rng(2)
    u, v, n = rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), rng.normal(size=(4, 5, 3))
    _, d_u, d_v, d_n = sgns_loss(u, v, n)
    for array, grad in ((u, d_u), (v, d_v), (n, d_n)):
        numeric = nn.numerical_gradient(lambda: sgns_loss(u, v, n)[0], array)
        assert nn.relative_error(grad, numeric) < 1e-6


def test_sgns_loss_has_no_overflow_on_huge_scores():
    loss, *_ = sgns_loss(np.full((1, 2), 100.0), np.full((1, 2), -100.0), np.zeros((1, 1, 2)))
    assert loss == pytest.approx(2e4 + np.log(2))


def _planted_sessions(seed=0):
    # 3 topics of 5 items; each session draws its items from one topic.
    rng = np.random.default_rng(seed)
    topic = rng.integers(0, 3, 400)
    tokens = (topic[:, None] * 5 + rng.integers(0, 5, size=(400, 8))).ravel()
    return tokens, np.repeat(np.arange(400), 8)


def test_sgns_and_ppmi_svd_recover_planted_topics():
    tokens, session = _planted_sessions()
    model = SkipGramNegativeSampling(8, window=3, n_epochs=5, random_state=0)
    model.fit(tokens, session)
    assert model.loss_curve_[-1] < model.loss_curve_[0]
    vocab, E = ppmi_svd_embeddings(tokens, session, n_components=4, window=3)
    for embeddings, vocabulary in ((model.embeddings_, model.vocabulary_), (E, vocab)):
        for item in range(15):
            neighbours, _ = nearest_tokens(embeddings, vocabulary, item, k=4)
            assert set(neighbours // 5) == {item // 5}


def test_ppmi_matches_a_dense_computation():
    tokens, session = _planted_sessions(1)
    center, context = context_pairs(tokens, session, window=2)
    counts = np.zeros((15, 15))
    np.add.at(counts, (tokens[center], tokens[context]), 1.0)
    with np.errstate(divide="ignore"):
        expected = np.log(counts * counts.sum() / np.outer(counts.sum(1), counts.sum(0)))
    ppmi = np.maximum(expected, 0)
    u, s, _ = np.linalg.svd(ppmi)
    dense = u[:, :3] * np.sqrt(s[:3])
    _, ours = ppmi_svd_embeddings(tokens, session, n_components=3, window=2)
    # singular vectors are defined up to sign: compare the Gram matrices
    np.testing.assert_allclose(ours @ ours.T, dense @ dense.T, atol=1e-8)


def test_sgns_is_reproducible_and_checks_its_input():
    tokens, session = _planted_sessions()
    a = SkipGramNegativeSampling(4, n_epochs=1, random_state=3).fit(tokens, session)
    b = SkipGramNegativeSampling(4, n_epochs=1, random_state=3).fit(tokens, session)
    np.testing.assert_array_equal(a.embeddings_, b.embeddings_)
    with pytest.raises(ValueError, match="window"):
        SkipGramNegativeSampling(4).fit([1, 2, 3], [0, 1, 2])
    with pytest.raises(ValueError, match="vocabulary"):
        a.most_similar(999)


# --- Bayesian optimisation pieces ---------------------------------------------------------------


@pytest.mark.parametrize("length_scale", [0.3, 1.0, 3.0])
def test_gaussian_process_posterior_equals_sklearn(length_scale):
    rng = np.random.default_rng(5)
    X, y, Q = rng.normal(size=(12, 2)), rng.normal(size=12), rng.normal(size=(7, 2))
    gp = GaussianProcessRegressor(RBF(length_scale), alpha=1e-4, optimizer=None)
    mean, std = gp.fit(X, y - y.mean()).predict(Q, return_std=True)
    ours_mean, ours_std = gaussian_process_posterior(X, y, Q, length_scale=length_scale, noise=1e-4)
    np.testing.assert_allclose(ours_mean, mean + y.mean(), atol=1e-10)
    np.testing.assert_allclose(ours_std, std, atol=1e-8)


def test_expected_improvement_equals_the_normal_integral():
    rng = np.random.default_rng(6)
    mean, std, best = rng.normal(size=20), rng.uniform(0.1, 2, 20), 0.2
    z = (best - mean) / std
    closed = (best - mean) * norm.cdf(z) + std * norm.pdf(z)
    np.testing.assert_allclose(expected_improvement(mean, std, best), closed, atol=1e-12)
    draws = mean + std * rng.standard_normal((200_000, 1))
    monte_carlo = np.maximum(best - draws, 0).mean(axis=0)
    np.testing.assert_allclose(expected_improvement(mean, std, best), monte_carlo, atol=0.02)
