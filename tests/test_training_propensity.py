import doctest

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from mlref.datasets import make_marketplace
from mlref.training import (
    ipw_labels,
    propensity_em,
    propensity_from_interventions,
    propensity_from_randomization,
    randomize_top_k,
)
from mlref.training import propensity as propensity_module


@pytest.fixture(scope="module")
def market():
    return make_marketplace(random_state=0)


def _pbm_log(n=60_000, n_pos=6, seed=0):
    rng = np.random.default_rng(seed)
    q = rng.integers(0, 40, n)
    d = rng.integers(0, 5, n)
    k = rng.integers(1, n_pos + 1, n)
    gamma = 0.1 + 0.2 * d
    theta = 1.0 / k**0.8
    c = (rng.random(n) < theta * gamma).astype(int)
    return q, d, k, c, (1.0 / np.arange(1, n_pos + 1) ** 0.8)


def test_doctests():
    result = doctest.testmod(propensity_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_estimators_recover_pbm_propensities():
    q, d, k, c, theta = _pbm_log()
    ih = propensity_from_interventions(q, d, k, c).to_numpy()
    em = propensity_em(q, d, k, c).propensity.to_numpy()
    X = np.eye(5)[d]  # features that determine relevance: regression-EM can fit gamma exactly
    reg = propensity_em(q, d, k, c, X=X, relevance_model=LogisticRegression(C=1e6), n_iter=60)
    rand = propensity_from_randomization(k, c, k=6).to_numpy()
    for name, est in (("ih", ih), ("em", em), ("reg", reg.propensity.to_numpy()), ("rand", rand)):
        assert np.max(np.abs(est / theta - 1)) < 0.08, (name, est, theta)
    # Regression EM's relevance, rescaled to theta_1 = 1, matches the true gamma per document.
    for doc in range(5):
        assert reg.relevance[d == doc].mean() == pytest.approx(0.1 + 0.2 * doc, rel=0.08)


def test_em_likelihood_does_not_decrease():
    q, d, k, c, _ = _pbm_log(n=20_000, seed=3)
    ll = np.array(propensity_em(q, d, k, c, n_iter=30).log_likelihood)
    assert np.all(np.diff(ll) >= -1e-9)


def test_interventions_on_the_simulator(market):
    imp = market.impressions
    est = propensity_from_interventions(imp.query_id, imp.product_id, imp.position, imp.clicked)
    ratio = est.to_numpy() / market.propensities.to_numpy()
    # Measured: largest error 11.8 % (position 11) at the default size; stated tolerance 15 %.
    assert np.max(np.abs(ratio - 1)) < 0.15


def test_randomization_on_the_simulator(market):
    imp = market.impressions
    new, randomized = randomize_top_k(imp.search_id, imp.position, k=5, share=0.3, random_state=0)
    rng = np.random.default_rng(1)
    clicks = rng.random(len(imp)) < market.click_probability(new, imp.true_relevance)
    keep = randomized & (new <= 5)
    est = propensity_from_randomization(new[keep], clicks[keep], k=5).to_numpy()
    assert np.max(np.abs(est / market.propensities.to_numpy()[:5] - 1)) < 0.1


def test_randomize_top_k_permutes_within_each_search():
    rng = np.random.default_rng(0)
    sizes = rng.integers(1, 9, 300)
    search = np.repeat(np.arange(300), sizes)
    pos = np.concatenate([np.arange(1, s + 1) for s in sizes])
    new, randomized = randomize_top_k(search, pos, k=4, share=0.5, random_state=2)
    moved = 0
    for s in range(300):
        m = search == s
        assert sorted(new[m]) == sorted(pos[m])  # still a permutation of the positions
        assert np.array_equal(new[m][pos[m] > 4], pos[m][pos[m] > 4])
        if not randomized[m].any():
            assert np.array_equal(new[m], pos[m])
        moved += int(np.any(new[m] != pos[m]))
    assert 0.3 < randomized[np.r_[0, np.cumsum(sizes)[:-1]]].mean() < 0.7
    assert moved > 50
    # Every order of the top positions is about equally likely.
    counts = np.zeros(4)
    search = np.repeat(np.arange(4000), 4)
    pos = np.tile(np.arange(1, 5), 4000)
    new, _ = randomize_top_k(search, pos, k=4, share=1.0, random_state=0)
    counts = np.bincount(new[pos == 1], minlength=5)[1:]
    assert np.all(np.abs(counts / 4000 - 0.25) < 0.03)


def test_ipw_labels_are_unbiased_and_clip_caps_weights():
    rng = np.random.default_rng(0)
    theta = np.repeat([1.0, 0.5, 0.2, 0.05], 200_000)
    c = rng.random(theta.size) < theta * 0.3
    labels = ipw_labels(c, theta)
    for t in (1.0, 0.5, 0.2, 0.05):
        assert labels[theta == t].mean() == pytest.approx(0.3, rel=0.05)
    clipped = ipw_labels(c, theta, clip=0.2)
    assert clipped.max() == 5.0
    assert clipped[theta == 0.05].mean() == pytest.approx(0.3 * 0.05 / 0.2, rel=0.1)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: ipw_labels([1, 0], [0.5, 0.0]), "propensity must lie in"),
        (lambda: ipw_labels([1, 0], [0.5, -0.1]), "propensity must lie in"),
        (lambda: ipw_labels([1, 0], [0.5]), "same length|length"),
        (lambda: ipw_labels([1, 0], [0.5, np.nan]), "NaN|finite"),
        (lambda: ipw_labels([1, 0], [0.5, 0.5], clip=0), "clip"),
        (lambda: propensity_em([], [], [], []), "empty"),
        (lambda: propensity_em([1], [1], [0], [1]), "1-based"),
        (lambda: propensity_em([1, 2], [1, 2], [1, 2], [1, 2]), "clicked"),
        (lambda: propensity_em([1], [1], [1], [1], X=np.ones((1, 1))), "both X"),
        (lambda: propensity_from_randomization([1, 2], [0, 1], k=2), "position 1"),
        (lambda: propensity_from_randomization([1, 1], [1, 1], k=2), "positions \\[2\\]"),
        (lambda: propensity_from_interventions([1, 2], [1, 2], [1, 2], [1, 1]), "linked"),
        (lambda: randomize_top_k([0, 0], [1, 2], k=1, share=0.1), "k must be >= 2"),
        (lambda: randomize_top_k([0, 0], [1, 2], k=2, share=0.0), "share"),
        (lambda: randomize_top_k([0, 0], [1, 2], k=2, share=0.5, random_state="a"), "random_state"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
