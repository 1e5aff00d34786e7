r"""Simulated sponsored-product ads on the wholesale marketplace, with known true CTR and CVR.

Brands advertise products in search results. Each ad request (a retailer's search) retrieves a
few candidate ads; a logging policy shows some of them in the ad slots in *random* order (an
exploration bucket, so position effects are unconfounded); clicks and conversions follow the
separable model

.. math::

    P(\text{click} \mid \text{slot } k) = \alpha_k\, c(x, a), \qquad
    P(\text{conversion} \mid \text{click}) = m(x, a),

with true rates :math:`c` and :math:`m` that depend on the retailer's store type, region and
price tier, the query's category, the hour, and the ad (its category, price level, appeal and
whether the brand is new), *including interactions* (store type x ad category, price tier x
price level), which is what field models such as DeepFM are for. Every ad bids per conversion
(CPA bid, dollars): its value of a click is :math:`m \times b_\text{CPA}`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlref._validation import check_array_1d, check_positive_int, check_random_state
from mlref.datasets.marketplace import CATEGORIES, REGIONS, STORE_TYPES

__all__ = ["AD_FIELDS", "AdTraffic", "make_ad_traffic"]

#: Fields a click model reads (all categorical).
AD_FIELDS = (
    "store_type",
    "region",
    "price_tier",
    "query_category",
    "hour",
    "ad_id",
    "ad_category",
    "ad_price_level",
    "ad_is_new",
)


@dataclass(frozen=True, repr=False)
class AdTraffic:
    r"""Ad requests, their candidate ads with the true rates, and the logged impressions.

    Attributes
    ----------
    ads : pandas.DataFrame
        ``ad_id``, ``brand_id``, ``ad_category``, ``ad_price_level`` (0 budget, 1 mid,
        2 premium), ``ad_is_new`` (0/1), ``cpa_bid`` (dollars per conversion).
    candidates : pandas.DataFrame
        One row per (request, candidate ad), ``ads_per_request`` rows per request in request
        order: ``request_id``, ``day``, the request's ``store_type``, ``region``, ``price_tier``
        (codes), ``query_category``, ``hour``, the ad's columns, and the truth ``true_ctr``
        (click probability in the top slot, :math:`c`) and ``true_cvr`` (:math:`m`).
    impressions : pandas.DataFrame
        The logged impressions: the candidates shown, with ``position`` (1-based slot),
        ``clicked`` and ``converted`` (0/1; a conversion implies a click).
    position_ctrs : numpy.ndarray
        :math:`\alpha_k` of the slots.
    fields : tuple of str
        Categorical columns a click model reads (:data:`AD_FIELDS`).
    """

    ads: pd.DataFrame
    candidates: pd.DataFrame
    impressions: pd.DataFrame
    position_ctrs: np.ndarray
    fields: tuple

    def __repr__(self) -> str:
        return (
            f"AdTraffic(ads={len(self.ads):,}, candidates={len(self.candidates):,}, "
            f"impressions={len(self.impressions):,})"
        )


def make_ad_traffic(
    *,
    n_requests: int = 40_000,
    n_ads: int = 200,
    ads_per_request: int = 6,
    position_ctrs=(1.0, 0.65, 0.45, 0.3),
    n_days: int = 30,
    random_state=0,
) -> AdTraffic:
    r"""Simulate ad requests on the marketplace with known true click and conversion rates.

    Parameters
    ----------
    n_requests : int, default 40000
        Ad requests (searches with ads).
    n_ads : int, default 200
        Ads (one per advertising brand).
    ads_per_request : int, default 6
        Candidate ads per request; at least the number of slots.
    position_ctrs : sequence of float, default (1.0, 0.65, 0.45, 0.3)
        :math:`\alpha_k`, positive and non-increasing; one per ad slot.
    n_days : int, default 30
        Days covered; requests are spread uniformly (use ``day`` for a time split).
    random_state : int, numpy.random.Generator or None, default 0

    Returns
    -------
    AdTraffic

    Notes
    -----
    True top-slot CTR (logit scale, :math:`\sigma` the sigmoid):

    .. math::

        c = \sigma\big(-3.4 + a_\text{ad} + 1.0\,[\text{query cat} = \text{ad cat}]
            + A_{\text{store}, \text{ad cat}} - 0.35\,|\text{tier} - \text{level}|
            + 0.15\,[\text{9h--17h}] - 0.3\,\text{new}\big)

    with ad appeal :math:`a \sim \mathcal N(0, 0.5^2)` and a store x category affinity
    :math:`A \sim \mathcal N(0, 0.6^2)` drawn per seed. CVR:

    .. math::

        m = \sigma\big(-2.0 + 0.5\, a'_\text{ad} - 0.7\,|\text{tier} - \text{level}|
            + 0.3\,[\text{same region}] + 0.5 A_{\text{store}, \text{ad cat}}\big)

    with an independent conversion appeal :math:`a'`. CPA bids are log-normal around $25,
    higher for premium brands. Top-slot CTRs average about 3 %, CVRs about 9 %.

    Examples
    --------
    >>> t = make_ad_traffic(n_requests=1000, random_state=0)
    >>> len(t.candidates), len(t.impressions)
    (6000, 4000)
    """
    n_requests = check_positive_int(n_requests, "n_requests")
    n_ads = check_positive_int(n_ads, "n_ads")
    k = check_positive_int(ads_per_request, "ads_per_request")
    n_days = check_positive_int(n_days, "n_days")
    alpha = check_array_1d(position_ctrs, "position_ctrs")
    if alpha.min() <= 0 or alpha.max() > 1 or np.any(np.diff(alpha) > 0):
        raise ValueError(
            f"position_ctrs must be in (0, 1] and non-increasing, got {np.round(alpha, 4).tolist()}"
        )
    if alpha.size > k:
        raise ValueError(
            f"ads_per_request ({k}) must be at least the number of slots ({alpha.size}); "
            "raise ads_per_request or pass fewer position_ctrs"
        )
    if n_ads < k:
        raise ValueError(f"n_ads must be at least ads_per_request ({k}), got {n_ads}")
    rng = check_random_state(random_state)
    n_cat, n_store = len(CATEGORIES), len(STORE_TYPES)

    ad_category = rng.integers(0, n_cat, n_ads)
    ad_level = rng.choice(3, n_ads, p=[0.3, 0.45, 0.25])
    ad_region = rng.integers(0, len(REGIONS), n_ads)
    ad_new = (rng.random(n_ads) < 0.2).astype(np.int64)
    appeal = rng.normal(0.0, 0.5, n_ads)
    conv_appeal = rng.normal(0.0, 1.0, n_ads)
    cpa_bid = np.round(
        rng.lognormal(np.log(25.0), 0.5, n_ads) * np.array([0.7, 1.0, 1.5])[ad_level], 2
    )
    affinity = rng.normal(0.0, 0.6, (n_store, n_cat))
    ads = pd.DataFrame(
        {
            "ad_id": np.arange(n_ads, dtype=np.int64),
            "brand_id": rng.permutation(n_ads).astype(np.int64),
            "ad_category": ad_category,
            "ad_price_level": ad_level,
            "ad_is_new": ad_new,
            "cpa_bid": cpa_bid,
        }
    )

    store = rng.integers(0, n_store, n_requests)
    region = rng.integers(0, len(REGIONS), n_requests)
    tier = rng.choice(3, n_requests, p=[0.3, 0.5, 0.2])
    query_cat = rng.integers(0, n_cat, n_requests)
    hour = np.clip(np.round(rng.normal(12.5, 3.0, n_requests)), 0, 23).astype(np.int64)
    day = np.sort(rng.integers(0, n_days, n_requests))

    # Candidates, without repeats: weighted sampling (Gumbel top-k), an ad of the query's
    # category 15 times as likely as another, so about two thirds match the category.
    cand = np.empty((n_requests, k), dtype=np.int64)
    for lo in range(0, n_requests, 4096):
        qc = query_cat[lo : lo + 4096]
        keys = np.log(15.0) * (qc[:, None] == ad_category[None, :]) + rng.gumbel(
            size=(qc.size, n_ads)
        )
        cand[lo : lo + 4096] = np.argpartition(-keys, k - 1, axis=1)[:, :k]

    rq = np.repeat(np.arange(n_requests), k)
    a = cand.ravel()
    gap = np.abs(tier[rq] - ad_level[a])
    ctr_logit = (
        -3.4
        + appeal[a]
        + 1.0 * (query_cat[rq] == ad_category[a])
        + affinity[store[rq], ad_category[a]]
        - 0.35 * gap
        + 0.15 * ((hour[rq] >= 9) & (hour[rq] <= 17))
        - 0.3 * ad_new[a]
    )
    cvr_logit = (
        -2.0
        + 0.5 * conv_appeal[a]
        - 0.7 * gap
        + 0.3 * (region[rq] == ad_region[a])
        + 0.5 * affinity[store[rq], ad_category[a]]
    )
    true_ctr = 1.0 / (1.0 + np.exp(-ctr_logit))
    true_cvr = 1.0 / (1.0 + np.exp(-cvr_logit))
    candidates = pd.DataFrame(
        {
            "request_id": rq.astype(np.int64),
            "day": day[rq],
            "store_type": store[rq],
            "region": region[rq],
            "price_tier": tier[rq],
            "query_category": query_cat[rq],
            "hour": hour[rq],
            "ad_id": a.astype(np.int64),
            "ad_category": ad_category[a],
            "ad_price_level": ad_level[a],
            "ad_is_new": ad_new[a],
            "cpa_bid": cpa_bid[a],
            "true_ctr": true_ctr,
            "true_cvr": true_cvr,
        }
    )

    # Logging policy: a random permutation of the candidates fills the slots.
    n_slots = alpha.size
    slot_of = np.argsort(rng.random((n_requests, k)), axis=1)  # candidate j gets rank slot_of
    shown = slot_of < n_slots
    rows = np.flatnonzero(shown.ravel())
    position = slot_of.ravel()[rows] + 1
    click = rng.random(rows.size) < alpha[position - 1] * true_ctr[rows]
    convert = click & (rng.random(rows.size) < true_cvr[rows])
    impressions = candidates.iloc[rows].reset_index(drop=True)
    impressions.insert(impressions.columns.get_loc("ad_id"), "position", position)
    impressions["clicked"] = click.astype(np.int8)
    impressions["converted"] = convert.astype(np.int8)
    return AdTraffic(
        ads=ads,
        candidates=candidates,
        impressions=impressions,
        position_ctrs=alpha,
        fields=AD_FIELDS,
    )
