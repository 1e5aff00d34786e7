r"""B2B extensions of the marketplace simulator: sell-through, credit applications, ranking truth.

Three things a wholesale marketplace cares about that a consumer shop does not, simulated with
known ground truth on top of :func:`mlref.datasets.make_marketplace`'s public tables (or on their
own):

* :func:`simulate_sell_through` — what retailers sell *to their own customers* of what they
  stocked (sell-through), the signal behind reorders;
* :func:`make_credit_applications` — retailers asking for Net-60 terms (pay 60 days after
  delivery), with a true probability of default;
* :func:`ranking_slates` — every logged search with its full candidate list and the true
  probability that each candidate is clicked, ordered and later reordered, so that any ranking
  policy can be scored *in expectation* (:func:`mlref.b2b.evaluate_ranking_policy`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlref._validation import check_positive_int, check_random_state, check_real
from mlref.datasets.marketplace import (
    CATEGORIES,
    PRICE_TIERS,
    REGIONS,
    STORE_TYPES,
    Marketplace,
)

__all__ = [
    "consumer_demand_by_month",
    "make_credit_applications",
    "ranking_slates",
    "simulate_sell_through",
]

# Consumer demand index by category (rows, CATEGORIES order) and month (Jan..Dec), mean 1 per row:
# candles, decor and kitchen peak at the holidays, apparel in autumn, beauty and stationery around
# Valentine's and Mother's Day, food at the holidays, kids' goods at Christmas.
_SEASON = np.array(
    [
        [0.8, 0.8, 0.7, 0.7, 0.7, 0.6, 0.6, 0.7, 1.0, 1.3, 1.7, 2.4],
        [0.9, 1.4, 0.8, 0.8, 1.3, 0.8, 0.7, 0.7, 0.8, 0.9, 1.3, 1.6],
        [0.8, 0.8, 0.9, 1.0, 1.0, 0.8, 0.7, 0.8, 1.0, 1.2, 1.4, 1.6],
        [1.3, 1.2, 0.8, 0.8, 1.2, 0.8, 0.8, 1.3, 1.0, 0.8, 0.9, 1.1],
        [0.8, 1.3, 0.9, 0.9, 1.4, 0.9, 0.8, 0.8, 0.8, 0.9, 1.2, 1.5],
        [0.8, 0.9, 0.8, 0.8, 0.9, 0.9, 0.9, 0.8, 0.9, 1.0, 1.5, 1.8],
        [0.7, 0.7, 1.0, 1.1, 1.0, 0.8, 0.7, 0.9, 1.3, 1.4, 1.2, 1.2],
        [0.7, 0.7, 0.8, 0.8, 0.8, 0.8, 0.8, 0.9, 0.9, 1.0, 1.6, 2.2],
        [0.8, 0.8, 0.8, 0.9, 1.0, 0.8, 0.8, 0.8, 0.9, 1.1, 1.5, 1.8],
    ]
)
_SEASON = _SEASON / _SEASON.mean(axis=1, keepdims=True)
_LEAD_MONTHS = (3, 4, 5, 6)


def consumer_demand_by_month() -> pd.DataFrame:
    """Consumer demand index of each category by calendar month (mean 1 per category).

    What the *retailers' customers* buy, by month. Retailers order 3-6 months ahead of that
    demand (:func:`ranking_slates` with ``order_month``).

    Returns
    -------
    pandas.DataFrame
        Index: category; columns: months 1..12.
    """
    return pd.DataFrame(
        _SEASON.copy(), index=pd.Index(CATEGORIES, name="category"), columns=range(1, 13)
    )


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _check_market(market) -> Marketplace:
    if not isinstance(market, Marketplace):
        raise ValueError(
            f"market must be a Marketplace from make_marketplace, got {type(market).__name__}"
        )
    return market


def simulate_sell_through(market, *, horizon_days: int = 60, random_state=0) -> pd.DataFrame:
    r"""Units each order line sold to the retailer's own customers within ``horizon_days``.

    A stocked unit sells within the horizon with probability

    .. math::

        \pi = \sigma\big(-0.6 + 1.2\, \text{quality} - 0.5\,|\text{tier} - \text{level}|\big),

    product quality being the simulator's latent quality and the gap that between the
    retailer's price tier and the brand's price level (a premium candle does not sell in a
    budget shop); sold units are Binomial(quantity, :math:`\pi`).

    Parameters
    ----------
    market : Marketplace
    horizon_days : int, default 60
        Selling window after delivery (a Net-60 window by default).
    random_state : int, numpy.random.Generator or None, default 0

    Returns
    -------
    pandas.DataFrame
        ``market.orders`` with ``units_sold``, ``sell_through`` (units sold / quantity) and the
        truth ``sell_probability`` (:math:`\pi`).
    """
    market = _check_market(market)
    horizon = check_positive_int(horizon_days, "horizon_days")
    rng = check_random_state(random_state)
    orders = market.orders
    quality = market.product_quality.to_numpy()[orders["product_id"].to_numpy()]
    tier = market.retailers["price_tier"].cat.codes.to_numpy()[orders["retailer_id"].to_numpy()]
    level = market.brands["price_level"].cat.codes.to_numpy()[orders["brand_id"].to_numpy()]
    pi = _sigmoid(-0.6 + 1.2 * quality - 0.5 * np.abs(tier - level))
    pi = 1.0 - (1.0 - pi) ** (horizon / 60.0)  # same per-day hazard for other horizons
    qty = orders["quantity"].to_numpy()
    sold = rng.binomial(qty, pi)
    out = orders.copy()
    out["units_sold"] = sold.astype(np.int64)
    out["sell_through"] = np.where(qty > 0, sold / np.maximum(qty, 1), 0.0)
    out["sell_probability"] = pi
    return out


def make_credit_applications(*, n_applications: int = 20_000, random_state=0) -> pd.DataFrame:
    r"""Retailers applying for Net-60 terms, with their true probability of default.

    Features: ``store_type``, ``region``, ``price_tier`` (categorical), ``months_in_business``,
    ``credit_score`` (300-850), ``past_orders`` (orders on the marketplace so far),
    ``late_payments`` (past invoices paid late), ``has_website`` (0/1) and ``order_value`` (the
    order to be paid in 60 days, dollars: the exposure). The default probability is

    .. math::

        \text{PD} = \sigma\big(-2.4 - 0.012\,(\text{score} - 680)
            - 0.35 \log(1 + \text{months}/12) - 0.25 \log(1 + \text{orders})
            + 0.45\, \text{late} + 0.35 \log(\text{order} / 500) + s_\text{store}\big),

    with store-type offsets (online stores and toy stores riskier); about 5 % default.

    Returns
    -------
    pandas.DataFrame
        The features, ``true_pd`` and ``defaulted`` (0/1), one row per application.
    """
    n = check_positive_int(n_applications, "n_applications")
    rng = check_random_state(random_state)
    store = rng.choice(len(STORE_TYPES), n, p=[0.24, 0.22, 0.14, 0.10, 0.08, 0.14, 0.08])
    region = rng.integers(0, len(REGIONS), n)
    tier = rng.choice(3, n, p=[0.3, 0.5, 0.2])
    months = np.round(rng.gamma(1.5, 30.0, n)).astype(np.int64)
    score = np.clip(np.round(rng.normal(690, 60, n) + 0.2 * np.minimum(months, 120)), 300, 850)
    past_orders = rng.poisson(np.minimum(months, 60) / 6.0 + 0.5)
    late = rng.poisson(0.15 + 0.4 * _sigmoid(-(score - 640) / 30))
    website = (rng.random(n) < np.where(STORE_TYPES.index("online") == store, 1.0, 0.55)).astype(
        np.int64
    )
    order_value = np.round(
        rng.lognormal(np.log(500.0), 0.6, n) * np.array([0.7, 1.0, 1.6])[tier], 2
    )
    store_offset = np.array([0.0, -0.1, -0.1, 0.1, -0.2, 0.5, 0.3])[store]
    logit = (
        -2.4
        - 0.012 * (score - 680)
        - 0.35 * np.log1p(months / 12.0)
        - 0.25 * np.log1p(past_orders)
        + 0.45 * late
        + 0.35 * np.log(order_value / 500.0)
        + store_offset
    )
    pd_true = _sigmoid(logit)
    return pd.DataFrame(
        {
            "store_type": pd.Categorical.from_codes(store, STORE_TYPES),
            "region": pd.Categorical.from_codes(region, REGIONS),
            "price_tier": pd.Categorical.from_codes(tier, PRICE_TIERS, ordered=True),
            "months_in_business": months,
            "credit_score": score.astype(np.int64),
            "past_orders": past_orders.astype(np.int64),
            "late_payments": late.astype(np.int64),
            "has_website": website,
            "order_value": order_value,
            "true_pd": pd_true,
            "defaulted": (rng.random(n) < pd_true).astype(np.int64),
        }
    )


def ranking_slates(
    market,
    *,
    n_searches: int = 3000,
    ranker_noise: float = 1.2,
    popularity_weight: float = 0.5,
    new_retailer_days: int = 60,
    order_month=None,
    random_state=0,
) -> pd.DataFrame:
    r"""Logged searches with every retrieved candidate and the true response to showing it.

    For each of ``n_searches`` searches of ``market`` (the first ones with results), every
    candidate of its query (:meth:`Marketplace.judgments`) gets the production ranker's
    ``base_score`` (true relevance + ``ranker_noise`` x noise + ``popularity_weight`` x
    standardised log review count: new brands, with few reviews, are under-ranked) and the truth
    a policy is judged by:

    * ``click_given_exam`` :math:`= \alpha_r` of its relevance;
    * ``order_given_click`` :math:`= 0.5\, f_\text{rel} f_\text{tier} f_\text{region}
      \,[\text{in stock}]\, f_\text{returns}`, with the simulator's documented factors
      (:math:`f_\text{rel}` = 0.1, 0.4, 0.8, 1.0 by grade; :math:`f_\text{tier}` = 1, 0.6, 0.3
      by price-tier gap; :math:`f_\text{region}` = 1.25 in the same region) and
      :math:`f_\text{returns}` = 1.8 when a *new* retailer (signed up less than
      ``new_retailer_days`` before the search) buys from a brand with free returns (the risk of
      a first order is the retailer's), 1.05 for other retailers;
    * ``order_value``: expected wholesale dollars of an order, ``case_pack x 2.5 x price``
      capped by inventory;
    * ``reorder_prob`` :math:`= 0.2 + 0.5\,\sigma(1.5\,\text{quality})`: a first order's chance
      to be followed by a reorder (first-order success).

    **Seasonality.** With ``order_month`` (1-12) every search is placed in that month and
    ``order_given_click`` is multiplied by ``season_ahead``, the mean consumer demand index
    (:func:`consumer_demand_by_month`) of the product's category 3 to 6 months later: retailers
    buy for the season they will sell in. ``season_now`` (the index in the order month itself) is
    what a ranker that ignores lead times would use. Without ``order_month`` both are 1.

    Returns
    -------
    pandas.DataFrame
        One row per (search, candidate): ``search_id``, ``retailer_id``, ``product_id``,
        ``brand_id``, ``base_score``, ``true_relevance``, ``is_new_brand``, ``free_returns``,
        ``new_retailer``, ``in_stock``, ``tier_gap``, ``same_region``, ``season_now``,
        ``season_ahead`` and the truth columns.
    """
    market = _check_market(market)
    n_searches = check_positive_int(n_searches, "n_searches")
    noise = check_real(ranker_noise, "ranker_noise", low=0.0)
    pop_w = check_real(
        popularity_weight,
        "popularity_weight",
        low=0.0,
        hint=" (the strength of the ranker's popularity bias; 0 for none)",
    )
    new_days = check_positive_int(new_retailer_days, "new_retailer_days")
    if order_month is not None:
        month = check_positive_int(order_month, "order_month")
        if month > 12:
            raise ValueError(f"order_month must be a month 1..12 or None, got {order_month!r}")
    rng = check_random_state(random_state)
    searches = market.searches[market.searches["n_results"] > 0].head(n_searches)
    judg = market.judgments()
    slate = searches[["search_id", "retailer_id", "query_id", "timestamp"]].merge(
        judg, on="query_id", how="inner"
    )
    products, brands, retailers = market.products, market.brands, market.retailers
    p = slate["product_id"].to_numpy()
    b = products["brand_id"].to_numpy()[p]
    r = slate["retailer_id"].to_numpy()
    reviews = np.log1p(products["review_count"].to_numpy())
    pop_z = (reviews - reviews.mean()) / (reviews.std() + 1e-12)
    rel = slate["true_relevance"].to_numpy().astype(np.int64)
    tier_gap = np.abs(
        retailers["price_tier"].cat.codes.to_numpy()[r]
        - brands["price_level"].cat.codes.to_numpy()[b]
    )
    same_region = (
        retailers["region"].cat.codes.to_numpy()[r] == brands["region"].cat.codes.to_numpy()[b]
    )
    age_days = (
        slate["timestamp"].to_numpy() - retailers["signup_date"].to_numpy()[r]
    ) / np.timedelta64(1, "D")
    new_retailer = age_days < new_days
    free_returns = brands["free_returns"].to_numpy()[b]
    inventory = products["inventory"].to_numpy()[p]
    in_stock = inventory > 0
    f_returns = np.where(free_returns, np.where(new_retailer, 1.8, 1.05), 1.0)
    order_given_click = np.minimum(
        0.5
        * np.array([0.1, 0.4, 0.8, 1.0])[rel]
        * np.array([1.0, 0.6, 0.3])[tier_gap]
        * np.where(same_region, 1.25, 1.0)
        * in_stock
        * f_returns,
        1.0,
    )
    price = products["wholesale_price"].to_numpy()[p]
    units = np.minimum(products["case_pack"].to_numpy()[p] * 2.5, np.maximum(inventory, 0))
    quality = market.product_quality.to_numpy()[p]
    if order_month is None:
        season_now = season_ahead = np.ones(len(p))
    else:
        category = products["category"].cat.codes.to_numpy()[p]
        ahead = (month - 1 + np.array(_LEAD_MONTHS)) % 12
        season_now = _SEASON[category, month - 1]
        season_ahead = _SEASON[:, ahead].mean(axis=1)[category]
        order_given_click = np.minimum(order_given_click * season_ahead, 1.0)
    return pd.DataFrame(
        {
            "search_id": slate["search_id"].to_numpy(),
            "retailer_id": r,
            "product_id": p,
            "brand_id": b,
            "base_score": rel + noise * rng.standard_normal(len(p)) + pop_w * pop_z[p],
            "true_relevance": rel,
            "is_new_brand": brands["is_new"].to_numpy()[b],
            "free_returns": free_returns,
            "new_retailer": new_retailer,
            "in_stock": in_stock,
            "tier_gap": tier_gap,
            "same_region": same_region,
            "season_now": season_now,
            "season_ahead": season_ahead,
            "click_given_exam": market.click_prob_given_relevance[rel],
            "order_given_click": order_given_click,
            "order_value": np.round(units * price, 2),
            "reorder_prob": 0.2 + 0.5 * _sigmoid(1.5 * quality),
        }
    )
