"""B2B marketplace: credit decisions, ranking policies and retailer behaviour on fresh seeds."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from mlref.b2b import (
    break_even_default_probability,
    evaluate_ranking_policy,
    expected_credit_loss,
    expected_credit_profit,
    policy_scores,
    profit_by_threshold,
    retailer_behaviour,
)
from mlref.datasets import (
    consumer_demand_by_month,
    make_ad_traffic,
    make_credit_applications,
    make_marketplace,
    ranking_slates,
    simulate_sell_through,
)
from mlref.models import LogisticRegression

MARGIN, LGD = 0.15, 0.9


@pytest.fixture(scope="module", params=[11, 12])
def market(request):
    return make_marketplace(n_searches=4000, random_state=request.param)


def test_credit_formulas_and_threshold_by_brute_force():
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 0.4, 500)
    e = rng.lognormal(6, 0.5, 500)
    np.testing.assert_allclose(expected_credit_loss(p, e, LGD), p * LGD * e)
    profit = expected_credit_profit(p, e, margin=MARGIN, loss_given_default=LGD)
    t = break_even_default_probability(margin=MARGIN, loss_given_default=LGD)
    assert ((profit > 0) == (p < t)).all()
    # the break-even threshold maximises expected profit over every threshold on a fine grid
    grid = np.linspace(0, 0.5, 2001)
    expected = [profit[p < g].sum() for g in grid]
    assert profit[p < t].sum() >= max(expected) - 1e-9
    # realised profit by threshold equals a direct loop
    y = (rng.random(500) < p).astype(int)
    direct = [(np.where(y == 1, -LGD, MARGIN) * e)[p < g].sum() for g in (0.0, 0.1, t, 1.0)]
    np.testing.assert_allclose(
        profit_by_threshold(p, y, e, [0.0, 0.1, t, 1.0], margin=MARGIN, loss_given_default=LGD),
        direct,
    )


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_calibrated_credit_model_threshold_is_near_optimal_on_fresh_seeds(seed):
    data = make_credit_applications(n_applications=12_000, random_state=seed)
    X = np.column_stack(
        [
            (data["credit_score"] - 680) / 60,
            np.log1p(data["months_in_business"] / 12),
            np.log1p(data["past_orders"]),
            data["late_payments"],
            np.log(data["order_value"] / 500),
            pd.get_dummies(data["store_type"]).to_numpy(float)[:, 1:],
        ]
    )
    y = data["defaulted"].to_numpy()
    train, test = slice(0, 8000), slice(8000, None)
    model = LogisticRegression(C=10.0, tol=1e-10).fit(X[train], y[train])
    p = model.predict_proba(X[test])[:, 1]
    reference = SkLogisticRegression(C=10.0, tol=1e-10, max_iter=10_000).fit(X[train], y[train])
    np.testing.assert_allclose(p, reference.predict_proba(X[test])[:, 1], atol=1e-5)
    assert abs(p.mean() / y[test].mean() - 1) < 0.25  # calibrated in the large
    e = data["order_value"].to_numpy()[test]
    t = break_even_default_probability(margin=MARGIN, loss_given_default=LGD)
    # in expectation (true PD), the model's rule at t* is close to the best threshold
    true_pd = data["true_pd"].to_numpy()[test]
    exp_profit = expected_credit_profit(true_pd, e, margin=MARGIN, loss_given_default=LGD)
    grid = np.linspace(0.005, 0.5, 100)
    by_t = np.array([exp_profit[p < g].sum() for g in grid])
    at_t = exp_profit[p < t].sum()
    assert at_t >= by_t.max() - 0.02 * abs(by_t.max())
    assert at_t > exp_profit.sum()  # better than approving everyone
    # a model whose PDs are 3x too low approves too much and earns less
    assert exp_profit[p / 3 < t].sum() < at_t


def test_ranking_policies_on_fresh_seeds(market):
    slates = ranking_slates(market, n_searches=2000, random_state=1)
    base = evaluate_ranking_policy(slates, policy_scores(slates))
    small = evaluate_ranking_policy(slates, policy_scores(slates, exploration_bonus=0.5))
    assert small["new_brand_exposure"] > 1.3 * base["new_brand_exposure"]
    assert small["gmv_per_search"] > 0.99 * base["gmv_per_search"]  # discovery almost free
    explore = evaluate_ranking_policy(slates, policy_scores(slates, exploration_bonus=10.0))
    assert explore["new_brand_exposure"] > 3 * base["new_brand_exposure"]
    assert explore["gmv_per_search"] < base["gmv_per_search"]  # too much exploration costs GMV
    aware = evaluate_ranking_policy(slates, policy_scores(slates, inventory_aware=True))
    assert aware["out_of_stock_clicks"] == 0 < base["out_of_stock_clicks"]
    assert aware["gmv_per_search"] > base["gmv_per_search"]
    boost = evaluate_ranking_policy(slates, policy_scores(slates, returns_boost=1.0))
    assert boost["orders_per_new_retailer_search"] > base["orders_per_new_retailer_search"]
    personal = evaluate_ranking_policy(slates, policy_scores(slates, personalization=0.5))
    assert personal["gmv_per_search"] > base["gmv_per_search"]


def test_evaluate_ranking_policy_matches_a_per_search_loop():
    slates = ranking_slates(make_marketplace(n_searches=300, random_state=3), n_searches=50)
    scores = policy_scores(slates, exploration_bonus=0.7, personalization=0.3)
    got = evaluate_ranking_policy(slates, scores, n_shown=5, eta=0.8)
    gmv = 0.0
    for _, g in slates.assign(score=scores).groupby("search_id", sort=False):
        top = g.sort_values("score", ascending=False, kind="stable").head(5)
        exam = np.arange(1, len(top) + 1) ** -0.8
        gmv += (exam * top.click_given_exam * top.order_given_click * top.order_value).sum()
    assert got["gmv_per_search"] == pytest.approx(gmv / slates.search_id.nunique(), rel=1e-12)


def test_seasonality_follows_demand_three_to_six_months_ahead(market):
    demand = consumer_demand_by_month()
    np.testing.assert_allclose(demand.mean(axis=1), 1.0)
    plain = ranking_slates(market, n_searches=300, random_state=2)
    august = ranking_slates(market, n_searches=300, order_month=8, random_state=2)
    assert (plain[["season_now", "season_ahead"]] == 1.0).all().all()
    category = market.products["category"].to_numpy()[august.product_id]
    expected = demand[[11, 12, 1, 2]].mean(axis=1).loc[category].to_numpy()
    np.testing.assert_allclose(august.season_ahead, expected)
    np.testing.assert_allclose(august.season_now, demand[8].loc[category].to_numpy())
    np.testing.assert_allclose(
        august.order_given_click, np.minimum(plain.order_given_click * expected, 1.0)
    )
    # within a query the category is fixed, so a category season term barely moves search GMV
    base = evaluate_ranking_policy(august, policy_scores(august))["gmv_per_search"]
    for which in ("now", "ahead"):
        scores = policy_scores(august, seasonality=1.0, season=which)
        assert abs(evaluate_ranking_policy(august, scores)["gmv_per_search"] / base - 1) < 0.005
    # ranking by the true expected GMV of each candidate beats ranking by the wrong season
    value = august.click_given_exam * august.order_given_click * august.order_value
    truth = evaluate_ranking_policy(august, value.to_numpy())["gmv_per_search"]
    wrong = value / august.season_ahead * august.season_now
    assert truth >= evaluate_ranking_policy(august, wrong.to_numpy())["gmv_per_search"]
    with pytest.raises(ValueError, match="order_month"):
        ranking_slates(market, order_month=13)
    with pytest.raises(ValueError, match="season"):
        policy_scores(august, seasonality=1.0, season="later")


def test_retailer_behaviour_and_sell_through(market):
    orders = simulate_sell_through(market, random_state=0)
    assert ((orders.units_sold >= 0) & (orders.units_sold <= orders.quantity)).all()
    stats = retailer_behaviour(orders)
    assert 0 < stats["reorder_rate"] < 1 and stats["units_per_line"] > 2
    assert stats["sell_through"] == pytest.approx(orders.units_sold.sum() / orders.quantity.sum())
    # bestsellers are reordered: products that sell through get reordered more
    first = orders[~orders.is_reorder]
    reordered = orders[orders.is_reorder][["retailer_id", "product_id"]].drop_duplicates()
    first = first.merge(reordered.assign(again=1), how="left", on=["retailer_id", "product_id"])
    high = first.sell_probability > first.sell_probability.median()
    assert first.again.fillna(0)[high].mean() > first.again.fillna(0)[~high].mean()


def test_ad_traffic_is_seeded_and_consistent():
    a = make_ad_traffic(n_requests=2000, random_state=5)
    b = make_ad_traffic(n_requests=2000, random_state=5)
    pd.testing.assert_frame_equal(a.impressions, b.impressions)
    c = a.candidates
    assert (c.groupby("request_id").ad_id.nunique() == 6).all()
    assert (a.impressions.converted <= a.impressions.clicked).all()
    assert (
        a.impressions.groupby("request_id")
        .position.apply(sorted)
        .map(list)
        .eq([[1, 2, 3, 4]] * 2000)
        .all()
    )
    big = make_ad_traffic(n_requests=40_000, random_state=6).impressions
    expected = (big.true_ctr * np.array([1.0, 0.65, 0.45, 0.3])[big.position - 1]).sum()
    assert abs(big.clicked.sum() - expected) < 4 * np.sqrt(expected)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: make_ad_traffic(n_requests=0), "n_requests"),
        (lambda: make_ad_traffic(position_ctrs=(0.5, 1.0)), "non-increasing"),
        (lambda: make_ad_traffic(ads_per_request=2), "ads_per_request"),
        (lambda: make_ad_traffic(random_state="x"), "random_state"),
        (lambda: make_credit_applications(random_state=1.5), "random_state"),
        (lambda: ranking_slates("market"), "Marketplace"),
        (lambda: simulate_sell_through(None), "Marketplace"),
        (lambda: break_even_default_probability(margin=0.0), "margin"),
        (lambda: expected_credit_loss([0.1, 0.2], [1.0]), "length"),
        (lambda: expected_credit_profit([1.2], [1.0], margin=0.1), r"\[0, 1\]"),
        (lambda: profit_by_threshold([0.1], [2], [1.0], [0.1], margin=0.1), "binary"),
        (lambda: policy_scores(pd.DataFrame(), inventory_aware="yes"), "base_score|True"),
        (lambda: evaluate_ranking_policy(pd.DataFrame({"x": [1]}), [1.0]), "has no column"),
        (lambda: retailer_behaviour(pd.DataFrame({"x": [1]})), "has no column"),
    ],
)
def test_bad_input_raises_value_error(call, match):
    with pytest.raises((ValueError, KeyError), match=match):
        call()
