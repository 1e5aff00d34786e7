"""Battery entries of ``mlref.ads``, ``mlref.b2b`` and the ads/B2B simulators of ``mlref.datasets``.

Each valid call is small (four bidders, a 60-search marketplace, a few dozen simulated rows), so
the whole battery of these names runs in well under a second.
"""

from __future__ import annotations

import numpy as np

from bad_input_specs import Func
from mlref.ads import gsp_auction
from mlref.datasets import make_marketplace, ranking_slates, simulate_sell_through

BIDS = np.array([10.0, 4.0, 6.0, 1.0])
QUALITY = np.array([0.05, 0.1, 0.04, 0.2])
ALPHA = np.array([0.5, 0.2])
GRID = np.array([1.0, 5.0, 9.0])
P_CLICK = np.array([0.02, 0.05, 0.1, 0.3])
P_DEFAULT = np.array([0.02, 0.3, 0.1, 0.6, 0.05, 0.2])
DEFAULTED = np.array([0, 1, 0, 1, 0, 0])
EXPOSURE = np.array([500.0, 800.0, 1200.0, 300.0, 950.0, 410.0])
THRESHOLDS = np.array([0.05, 0.15, 0.5])

MARKET = make_marketplace(
    random_state=0, n_retailers=30, n_brands=10, n_products=80, n_queries=20, n_searches=60
)
SLATES = ranking_slates(MARKET, n_searches=5, order_month=11, random_state=0)
ORDERS = simulate_sell_through(MARKET, random_state=0)

NO_INPUT = {
    "ads.AuctionResult": "a result record returned by every auction",
    "datasets.AdTraffic": "a result record returned by make_ad_traffic",
}

# ad_score, expected_value and correct_downsampled_probability are element-wise and broadcast
# their arguments (a (requests, ads) grid is as valid as a vector): one dimension more is valid.
_BROADCAST = {"ndim"}

SPECS = {
    # --- ads.auction ------------------------------------------------------------------------
    "ads.first_price_auction": Func(
        {"bids": BIDS, "quality": QUALITY, "position_ctrs": ALPHA, "reserve": 0.5}
    ),
    "ads.second_price_auction": Func({"bids": BIDS, "quality": QUALITY, "reserve": 0.5}),
    "ads.gsp_auction": Func(
        {"bids": BIDS, "position_ctrs": ALPHA, "quality": QUALITY, "reserve": 0.5}
    ),
    "ads.vcg_auction": Func(
        {"bids": BIDS, "position_ctrs": ALPHA, "quality": QUALITY, "reserve": 0.5}
    ),
    "ads.vcg_externalities": Func({"bids": BIDS, "position_ctrs": ALPHA, "quality": QUALITY}),
    "ads.gsp_envy_free_bids": Func({"values": BIDS, "position_ctrs": ALPHA, "quality": QUALITY}),
    "ads.auction_utilities": Func(
        {
            "auction": gsp_auction,
            "bids": BIDS,
            "values": BIDS + 1.0,
            "bidder": 0,
            "grid": GRID,
            "position_ctrs": ALPHA,
            "quality": QUALITY,
        }
    ),
    # --- ads.scoring ------------------------------------------------------------------------
    "ads.ad_score": Func(
        {"p_click": P_CLICK, "bid": BIDS, "quality": QUALITY * 10},
        skip={"p_click": _BROADCAST, "bid": _BROADCAST, "quality": _BROADCAST},
    ),
    "ads.expected_value": Func(
        {"p_click": P_CLICK, "p_conversion": P_CLICK[::-1].copy(), "bid_per_conversion": BIDS},
        skip={"p_click": _BROADCAST, "p_conversion": _BROADCAST, "bid_per_conversion": _BROADCAST},
    ),
    "ads.correct_downsampled_probability": Func(
        {"p": P_CLICK, "negative_rate": 0.1}, skip={"p": _BROADCAST}
    ),
    "ads.true_outcome": Func(
        {
            "result": gsp_auction(BIDS, ALPHA, QUALITY),
            "position_ctrs": ALPHA,
            "true_ctr": QUALITY * 1.1,
            "values": BIDS,
        }
    ),
    # --- b2b --------------------------------------------------------------------------------
    "b2b.break_even_default_probability": Func({"margin": 0.15, "loss_given_default": 0.8}),
    "b2b.expected_credit_loss": Func(
        {"pd_": P_DEFAULT, "exposure": EXPOSURE, "loss_given_default": 0.8}
    ),
    "b2b.expected_credit_profit": Func(
        {"pd_": P_DEFAULT, "exposure": EXPOSURE, "margin": 0.15, "loss_given_default": 0.8}
    ),
    "b2b.profit_by_threshold": Func(
        {
            "pd_": P_DEFAULT,
            "defaulted": DEFAULTED,
            "exposure": EXPOSURE,
            "thresholds": THRESHOLDS,
            "margin": 0.15,
            "loss_given_default": 0.8,
        }
    ),
    "b2b.policy_scores": Func(
        {
            "slates": SLATES,
            "exploration_bonus": 0.5,
            "returns_boost": 0.5,
            "personalization": 0.3,
            "inventory_aware": True,
            "seasonality": 1.0,
            "season": "ahead",
        }
    ),
    "b2b.evaluate_ranking_policy": Func(
        {"slates": SLATES, "scores": SLATES["base_score"].to_numpy(), "n_shown": 3, "eta": 1.0}
    ),
    "b2b.retailer_behaviour": Func({"orders": ORDERS}),
    # --- datasets: the ads and B2B simulators -----------------------------------------------
    "datasets.make_ad_traffic": Func(
        {
            "n_requests": 50,
            "n_ads": 10,
            "ads_per_request": 4,
            "position_ctrs": ALPHA * 2,
            "n_days": 3,
            "random_state": 0,
        }
    ),
    "datasets.make_credit_applications": Func({"n_applications": 50, "random_state": 0}),
    "datasets.consumer_demand_by_month": Func({}),
    "datasets.simulate_sell_through": Func(
        {"market": MARKET, "horizon_days": 30, "random_state": 0}
    ),
    "datasets.ranking_slates": Func(
        {
            "market": MARKET,
            "n_searches": 5,
            "ranker_noise": 1.2,
            "popularity_weight": 0.5,
            "new_retailer_days": 60,
            "order_month": 11,
            "random_state": 0,
        }
    ),
}
