"""Objective mismatch and latency: ranking_outcomes against a brute-force loop and against the
simulator's logged clicks and orders; the purchase model against the log on fresh seeds; the
latency model's algebra; new-brand arrivals in the simulator and the cold-start replay."""

import numpy as np
import pandas as pd
import pytest

from mlref.datasets import make_marketplace
from mlref.diagnostics import latency_break_even, ranking_outcomes, traffic_retained
from mlref.recsys import simulate_cold_start


def _brute_force(groups, scores, click_prob, propensities, per_click, k):
    out = {}
    for g in sorted(set(groups.tolist())):
        rows = np.flatnonzero(groups == g)
        # Descending score, ties in input order.
        ranked = sorted(rows, key=lambda i: (-scores[i], i))[:k]
        clicks = sum(propensities[pos] * click_prob[i] for pos, i in enumerate(ranked))
        values = {
            name: sum(propensities[pos] * click_prob[i] * v[i] for pos, i in enumerate(ranked))
            for name, v in per_click.items()
        }
        out[g] = {"clicks": clicks, **values}
    return pd.DataFrame(out).T


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ranking_outcomes_match_a_loop_with_ties_and_truncation(seed):
    rng = np.random.default_rng(seed)
    n = 60
    groups = rng.integers(0, 9, n)
    scores = rng.integers(0, 4, n).astype(float)  # many ties
    click_prob = rng.random(n)
    per_click = {"orders": rng.random(n), "gmv": rng.exponential(30.0, n)}
    propensities = 1.0 / np.arange(1, 21)
    for k in (1, 3, 20):
        ours = ranking_outcomes(
            groups, scores, click_prob, propensities=propensities, per_click=per_click, k=k
        )
        expected = _brute_force(groups, scores, click_prob, propensities, per_click, k)
        assert list(ours.index) == list(expected.index)
        np.testing.assert_allclose(ours.to_numpy(), expected[ours.columns].to_numpy(), rtol=1e-12)


def test_ranking_outcomes_tiny_and_string_groups():
    one = ranking_outcomes(["a"], [0.3], [0.5], propensities=[0.8])
    assert one.loc["a", "clicks"] == pytest.approx(0.4)
    two = ranking_outcomes(["b", "a", "b"], [1.0, 1.0, 2.0], [0.2, 0.4, 0.6], propensities=[1, 0.5])
    assert two.loc["b", "clicks"] == pytest.approx(0.6 + 0.5 * 0.2)
    assert two.loc["a", "clicks"] == pytest.approx(0.4)


def test_ranking_outcomes_errors():
    with pytest.raises(ValueError, match="propensities cover"):
        ranking_outcomes([0, 0, 0], [1.0, 2.0, 3.0], [0.1] * 3, propensities=[1.0, 0.5])
    with pytest.raises(ValueError, match="k must be at most"):
        ranking_outcomes([0], [1.0], [0.1], propensities=[1.0], k=2)
    with pytest.raises(ValueError, match="click_prob"):
        ranking_outcomes([0], [1.0], [1.5], propensities=[1.0])
    with pytest.raises(ValueError, match="per_click"):
        ranking_outcomes([0], [1.0], [0.5], propensities=[1.0], per_click={"gmv": [-1.0]})
    with pytest.raises(ValueError, match="scores"):
        ranking_outcomes([0, 1], [1.0], [0.5, 0.5], propensities=[1.0])


@pytest.fixture(scope="module", params=[11, 12])
def fresh_market(request):
    return make_marketplace(random_state=request.param, n_searches=20_000)


def test_logged_ranking_reproduces_the_logged_click_probabilities(fresh_market):
    imp = fresh_market.impressions
    alpha = fresh_market.click_prob_given_relevance[imp["true_relevance"].to_numpy()]
    out = ranking_outcomes(
        imp["search_id"],
        -imp["position"].to_numpy().astype(float),
        alpha,
        propensities=fresh_market.propensities.to_numpy(),
    )
    logged = imp.groupby("search_id")["click_prob"].sum()
    np.testing.assert_allclose(out["clicks"].to_numpy(), logged.to_numpy(), rtol=1e-12)


def test_purchase_model_matches_the_logged_orders(fresh_market):
    imp = fresh_market.impressions
    clicked = imp[imp["clicked"] == 1]
    order_prob, gmv = fresh_market.purchase_given_click(
        clicked["query_id"], clicked["retailer_id"], clicked["product_id"]
    )
    observed = clicked["ordered"].to_numpy()
    se = np.sqrt(np.sum(order_prob * (1 - order_prob))) / len(observed)
    assert abs(observed.mean() - order_prob.mean()) < 4 * se
    orders = fresh_market.orders
    search_orders = orders[orders["source"] == "search"]
    key = pd.MultiIndex.from_arrays([clicked["search_id"], clicked["product_id"]])
    value = (
        search_orders.groupby(["search_id", "product_id"])["order_value"]
        .sum()
        .reindex(key)
        .fillna(0.0)
        .to_numpy()
    )
    # GMV is heavy-tailed: compare means within 4 standard errors of the observed values.
    assert abs(value.mean() - gmv.mean()) < 4 * value.std() / np.sqrt(len(value))
    # Out of stock: a click never becomes an order.
    stock = fresh_market.products["inventory"].to_numpy()[clicked["product_id"].to_numpy()]
    assert (order_prob[stock == 0] == 0).all() and (gmv[stock == 0] == 0).all()
    assert observed[stock == 0].sum() == 0


def test_objective_mismatch_on_the_simulator_truth(fresh_market):
    imp = fresh_market.impressions
    alpha = fresh_market.click_prob_given_relevance[imp["true_relevance"].to_numpy()]
    order_prob, gmv = fresh_market.purchase_given_click(
        imp["query_id"], imp["retailer_id"], imp["product_id"]
    )
    theta = fresh_market.propensities.to_numpy()
    results = {
        name: ranking_outcomes(
            imp["search_id"],
            score,
            alpha,
            propensities=theta,
            per_click={"orders": order_prob, "gmv": gmv},
        ).mean()
        for name, score in {
            "clicks": alpha,
            "orders": alpha * order_prob,
            "gmv": alpha * gmv,
        }.items()
    }
    table = pd.DataFrame(results).T
    # Each oracle wins its own objective, and the click-optimal ranking loses orders and GMV.
    for outcome in ("clicks", "orders", "gmv"):
        assert table[outcome].idxmax() == outcome
    assert table.loc["clicks", "orders"] < 0.9 * table.loc["orders", "orders"]
    assert table.loc["clicks", "gmv"] < 0.8 * table.loc["gmv", "gmv"]


def test_traffic_retained_and_break_even():
    assert traffic_retained(100.0) == pytest.approx(0.994)
    assert traffic_retained(0.0) == 1.0
    assert traffic_retained(-100.0) > 1.0
    a, b = traffic_retained([70.0, 130.0])
    assert a * b == pytest.approx(float(traffic_retained(200.0)))
    assert traffic_retained(300.0, loss_per_100ms=0.01) == pytest.approx(0.99**3)
    assert traffic_retained(500.0, loss_per_100ms=0.0) == 1.0
    for gain in (0.001, 0.02, 0.3, -0.05):
        for loss in (0.006, 0.01, 0.2):
            delta = latency_break_even(gain, loss_per_100ms=loss)
            assert (1 + gain) * traffic_retained(delta, loss_per_100ms=loss) == pytest.approx(1.0)
    assert latency_break_even(0.0) == 0.0
    with pytest.raises(ValueError, match="loss_per_100ms"):
        traffic_retained(10.0, loss_per_100ms=1.0)
    with pytest.raises(ValueError, match="extra_latency_ms"):
        traffic_retained([np.nan])
    with pytest.raises(ValueError, match="relative_gain"):
        latency_break_even(-1.0)
    with pytest.raises(ValueError, match="loss_per_100ms"):
        latency_break_even(0.1, loss_per_100ms=0.0)


def test_arrivals_off_is_bit_identical_and_on_respects_launch_days():
    small = {"n_searches": 3000, "n_products": 1500, "random_state": 3}
    base = make_marketplace(**small)
    off = make_marketplace(**small, new_brand_arrivals=0.0)
    for name in ("brands", "products", "searches", "impressions", "orders"):
        pd.testing.assert_frame_equal(getattr(base, name), getattr(off, name))
    on = make_marketplace(**small, new_brand_arrivals=0.25)
    launch = on.brands["launch_day"].to_numpy()
    assert (launch > 0).sum() == round(0.25 * len(on.brands))
    assert launch.max() <= 89 and on.brands["is_new"].to_numpy()[launch > 0].all()
    product_launch = on.products["launch_day"].to_numpy()
    np.testing.assert_array_equal(product_launch, launch[on.products["brand_id"].to_numpy()])
    imp = on.impressions
    day = on.searches["day"].to_numpy()[imp["search_id"].to_numpy()]
    assert (product_launch[imp["product_id"].to_numpy()] <= day).all()
    # Launched products do get shown once they are there.
    late = product_launch[imp["product_id"].to_numpy()] > 0
    assert late.sum() > 0
    # Pages stay contiguous and n_results counts them.
    counts = imp.groupby("search_id").size().reindex(on.searches["search_id"], fill_value=0)
    np.testing.assert_array_equal(counts.to_numpy(), on.searches["n_results"].to_numpy())
    assert (imp.groupby("search_id")["position"].max() == imp.groupby("search_id").size()).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"new_brand_arrivals": -0.1}, "new_brand_arrivals"),
        ({"new_brand_arrivals": 1.0}, "new_brand_arrivals"),
        ({"new_brand_arrivals": "some"}, "new_brand_arrivals"),
        ({"new_brand_arrivals": 0.2, "n_days": 1}, "n_days"),
    ],
)
def test_arrivals_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_marketplace(n_searches=50, **kwargs)


@pytest.fixture(scope="module")
def arrivals():
    return make_marketplace(
        n_searches=2500, n_products=1500, random_state=8, new_brand_arrivals=0.3
    )


def test_cold_start_with_arrivals(arrivals):
    launch = arrivals.products["launch_day"].to_numpy()
    first = int(launch[launch >= 60].min())
    history = simulate_cold_start(arrivals, policy="history", start_day=60)
    assert history.summary["new_impression_share"] == 0.0
    assert history.summary["new_gmv"] == 0.0 and history.summary["gmv"] > 0
    assert history.summary["n_new_products"] == int((launch >= 60).sum())
    for policy in ("content", "epsilon_greedy", "thompson"):
        result = simulate_cold_start(arrivals, policy=policy, start_day=60, epsilon=0.5)
        daily = result.daily
        # Nothing new can be shown before the first launch of the replay window.
        assert (daily.loc[daily.index < first, "new_impressions"] == 0).all()
        assert result.summary["new_impression_share"] > 0
        assert result.summary["new_orders"] > 0 and result.summary["new_gmv"] > 0
        assert result.summary["ndcg"] < history.summary["ndcg"]
        assert daily["gmv"].sum() == pytest.approx(result.summary["gmv"])
