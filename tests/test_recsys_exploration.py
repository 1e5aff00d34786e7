"""Thompson sampling against SciPy's Beta distribution and a Bernoulli bandit with known arms;
the cold-start simulation against what each policy must do by construction."""

import numpy as np
import pytest
from scipy import stats

from mlref.datasets import make_marketplace
from mlref.recsys import simulate_cold_start, thompson_sample


def test_thompson_draws_follow_the_beta_posterior():
    draws = np.array(
        [
            thompson_sample([3.0, 30.0], [10.0, 40.0], prior_a=2.0, random_state=s)
            for s in range(4000)
        ]
    )
    for arm, (a, b) in enumerate([(5.0, 8.0), (32.0, 11.0)]):
        ks = stats.kstest(draws[:, arm], stats.beta(a, b).cdf)
        assert ks.pvalue > 0.001


def test_thompson_finds_the_best_arm_of_a_bernoulli_bandit():
    truth = np.array([0.02, 0.05, 0.08, 0.04])
    rng = np.random.default_rng(0)
    clicks, trials = np.zeros(4), np.zeros(4)
    for _ in range(4000):
        arm = int(np.argmax(thompson_sample(clicks, trials, random_state=rng)))
        trials[arm] += 1
        clicks[arm] += rng.random() < truth[arm]
    assert np.argmax(trials) == 2
    assert trials[2] > 0.6 * trials.sum()


def test_thompson_errors():
    with pytest.raises(ValueError, match="exceed"):
        thompson_sample([3.0], [2.0])
    with pytest.raises(ValueError, match="prior_a"):
        thompson_sample([1.0], [2.0], prior_a=0.0)


@pytest.fixture(scope="module")
def market():
    return make_marketplace(n_searches=1500, n_products=1500, random_state=7)


def test_history_never_shows_a_new_product(market):
    result = simulate_cold_start(market, policy="history")
    assert result.summary["new_impression_share"] == 0.0
    assert result.daily["new_impressions"].sum() == 0


def test_epsilon_greedy_boosts_about_epsilon_of_searches(market):
    result = simulate_cold_start(market, policy="epsilon_greedy", epsilon=0.3, n_results=10)
    searches = result.daily["searches"].sum()
    boosted = result.daily["new_impressions"].sum()
    # One new product in about 30% of searches (fewer: some categories have no new product).
    assert 0.15 * searches < boosted <= 0.3 * searches * 1.2
    none = simulate_cold_start(market, policy="epsilon_greedy", epsilon=0.0)
    assert none.summary["new_impression_share"] == 0.0


def test_exploring_policies_show_new_products_and_cost_ndcg(market):
    base = simulate_cold_start(market, policy="history").summary
    for policy in ("content", "transfer", "thompson"):
        summary = simulate_cold_start(market, policy=policy).summary
        assert summary["new_impression_share"] > 0.0
        assert summary["new_clicks"] > 0
        assert summary["ndcg"] < base["ndcg"]


def test_simulation_is_seeded(market):
    a = simulate_cold_start(market, policy="thompson", random_state=3).daily
    b = simulate_cold_start(market, policy="thompson", random_state=3).daily
    assert a.equals(b)
