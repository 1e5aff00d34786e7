r"""Cold start for new items: exploration policies replayed on the marketplace simulator.

A ranker that scores products by their observed click-through rate gives a new product (no
history) the lowest score, never shows it, and so never learns that it is good: the cold-start
loop. The remedies the source lists, each a :func:`simulate_cold_start` policy:

- ``"history"``: the loop itself (rate :math:`c / (e + m)`, shrunk towards 0);
- ``"content"``: shrink towards the rate of established products of the same category and
  product type instead (content-based);
- ``"transfer"``: shrink towards the mean rate of the ``n_similar`` most similar established
  products by title embedding (transfer from similar items);
- ``"epsilon_greedy"``: the history ranking, and with probability :math:`\varepsilon` one
  random new product boosted into a slot (random boosting);
- ``"thompson"``: Thompson sampling on the new products (a bandit): each new product is
  ranked by a draw from its Beta posterior :math:`\mathrm{Beta}(m p_0 + c,\; m (1 - p_0) +
  e - c)` (:math:`p_0` the established products' rate), established ones by their posterior
  mean :math:`(c + m p_0)/(e + m)`.

Counts are position-debiased: a product shown at position :math:`k` earns :math:`e \mathrel{+}=
P(E = 1 \mid k)`, the simulator's known examination probability, so :math:`c / e` estimates
:math:`P(C = 1 \mid E = 1)`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from mlref._validation import (
    check_array_1d,
    check_option,
    check_positive_int,
    check_random_state,
    check_real,
    check_same_length,
)
from mlref.features import tfidf_matrix

__all__ = ["COLD_START_POLICIES", "ColdStartResult", "simulate_cold_start", "thompson_sample"]

#: Policies of :func:`simulate_cold_start`.
COLD_START_POLICIES = ("history", "content", "transfer", "epsilon_greedy", "thompson")


def thompson_sample(clicks, examinations, *, prior_a=1.0, prior_b=1.0, random_state=None):
    r"""One draw per arm from the Beta posterior of a click rate.

    .. math::

        \theta_i \sim \mathrm{Beta}(a_0 + c_i,\; b_0 + e_i - c_i).

    Parameters
    ----------
    clicks, examinations : array-like of float, same shape
        Clicks :math:`c_i` and (position-debiased) examinations :math:`e_i \ge c_i`.
    prior_a, prior_b : float > 0
        :math:`a_0, b_0`: prior clicks and non-clicks (a prior mean of :math:`a_0/(a_0+b_0)`).
    random_state : int, numpy.random.Generator or None

    Examples
    --------
    >>> draws = thompson_sample([50, 0], [100, 0], random_state=0)
    >>> draws.shape
    (2,)
    """
    c = check_array_1d(clicks, "clicks")
    e = check_array_1d(examinations, "examinations")
    check_same_length(clicks=c, examinations=e)
    if c.min() < 0:
        raise ValueError("clicks must be >= 0")
    if np.any(c > e + 1e-9):
        raise ValueError("clicks exceed examinations for some arm; examinations must be >= clicks")
    a = check_real(prior_a, "prior_a", low=0.0, low_inclusive=False)
    b = check_real(prior_b, "prior_b", low=0.0, low_inclusive=False)
    rng = check_random_state(random_state)
    return rng.beta(a + c, b + np.maximum(e - c, 0.0))


class ColdStartResult(NamedTuple):
    """What :func:`simulate_cold_start` measured.

    Attributes
    ----------
    daily : pandas.DataFrame
        Per simulated day: ``searches``, ``new_impressions`` (of new products),
        ``new_clicks``, ``clicks``, ``ndcg`` (mean NDCG@n_results on true relevance), ``gmv``
        (expected GMV of the day's pages).
    summary : dict
        Totals: ``new_impression_share``, ``new_clicks``, ``clicks``, ``ndcg``,
        ``new_relevant_share`` (share of new products' impressions with relevance >= 2),
        ``n_new_products`` (launched in the window), ``orders`` and ``new_orders`` (expected
        orders of the pages shown, of all / of new products), ``gmv`` and ``new_gmv`` (their
        expected GMV, dollars),
        ``searches``.
    """

    daily: pd.DataFrame
    summary: dict


def _established_rates(market, new_product, start_day):
    imp = market.impressions
    day = market.searches["day"].to_numpy()[imp["search_id"].to_numpy()]
    past = (day < start_day) & ~new_product[imp["product_id"].to_numpy()]
    n = len(market.products)
    pid = imp["product_id"].to_numpy()[past]
    exam = np.bincount(pid, imp["examination_prob"].to_numpy()[past], minlength=n)
    clicks = np.bincount(pid, imp["clicked"].to_numpy()[past].astype(float), minlength=n)
    return clicks, exam


def simulate_cold_start(
    market,
    *,
    policy: str,
    start_day: int = 60,
    epsilon: float = 0.1,
    boost_position: int = 3,
    n_results: int = 10,
    smoothing: float = 10.0,
    n_similar: int = 10,
    random_state=0,
):
    r"""Replay the searches from ``start_day`` on, ranking each query's category by ``policy``.

    New products: if the market was built with arrivals (``make_marketplace(...,
    new_brand_arrivals=...)``, a ``launch_day`` column in ``products``), those launching on or
    after ``start_day``: each enters the candidates on its launch day with no history, and the
    log before ``start_day`` is the history of everything launched earlier. Without arrivals,
    the products of the brands flagged ``is_new``, with their history erased as if they
    launched on ``start_day``. Every search ranks all launched products of its query's category
    (zero-result queries are skipped), shows the top ``n_results``, draws clicks from the
    simulator's click model :math:`P(C \mid k, r) = k^{-\eta}\alpha_r` on the true relevance,
    and updates the counts before the next search. Orders and GMV are the expected ones of the
    pages shown: :math:`\sum_k P(E \mid k)\,\alpha_r\,P(\text{order} \mid \text{click})`
    with the simulator's purchase model
    (:meth:`~mlref.datasets.Marketplace.purchase_given_click`, which depends on the retailer),
    free of the noise of the drawn clicks.

    Parameters
    ----------
    market : mlref.datasets.Marketplace
    policy : {"history", "content", "transfer", "epsilon_greedy", "thompson"}
    start_day : int, default=60
        First simulated day; the log before it is the history of established products.
    epsilon : float in [0, 1], default=0.1
        Share of searches in which ``"epsilon_greedy"`` boosts a random new product.
    boost_position : int, default=3
        Position the boosted product takes.
    n_results : int, default=10
    smoothing : float > 0, default=10.0
        :math:`m`: prior examinations behind a product's prior rate.
    n_similar : int, default=10
        Neighbours of ``"transfer"``.
    random_state : int, numpy.random.Generator or None, default=0

    Returns
    -------
    ColdStartResult
    """
    if not all(hasattr(market, a) for a in ("impressions", "searches", "products", "brands")):
        raise ValueError("market must be a Marketplace from mlref.datasets.make_marketplace")
    policy = check_option(policy, "policy", COLD_START_POLICIES)
    n_days = int(market.params["n_days"])
    start_day = check_positive_int(start_day, "start_day")
    if start_day >= n_days:
        raise ValueError(f"start_day must be below n_days={n_days}, got {start_day}")
    epsilon = check_real(epsilon, "epsilon", low=0.0, high=1.0)
    n_results = check_positive_int(n_results, "n_results")
    if n_results > len(market.propensities):
        raise ValueError(
            f"n_results must be at most {len(market.propensities)} (the simulator's positions)"
        )
    boost_position = check_positive_int(boost_position, "boost_position")
    if boost_position > n_results:
        raise ValueError(f"boost_position must be at most n_results={n_results}")
    m = check_real(smoothing, "smoothing", low=0.0, low_inclusive=False)
    n_similar = check_positive_int(n_similar, "n_similar")
    rng = check_random_state(random_state)

    products = market.products
    n_products = len(products)
    if "launch_day" in products:
        launch = products["launch_day"].to_numpy()
        new_product = launch >= start_day
    else:
        launch = None
        new_product = market.brands["is_new"].to_numpy()[products["brand_id"].to_numpy()]
    clicks, exam = _established_rates(market, new_product, start_day)
    old = ~new_product
    global_rate = clicks[old].sum() / max(exam[old].sum(), 1e-12)
    # Prior rate of each product under each policy.
    prior = np.zeros(n_products)
    if policy == "content":
        group = products["category"].astype(str) + "|" + products["product_type"].astype(str)
        g = pd.DataFrame({"g": group, "c": clicks * old, "e": exam * old}).groupby("g")
        rate = (g["c"].transform("sum") + m * global_rate) / (g["e"].transform("sum") + m)
        prior = rate.to_numpy()
    elif policy == "transfer":
        titles = products["title"].astype(str).tolist()
        emb = tfidf_matrix(titles)
        sim = (emb @ emb[np.flatnonzero(old)].T).toarray()
        sim[np.flatnonzero(old), np.arange(int(old.sum()))] = -np.inf  # not oneself
        k = min(n_similar, int(old.sum()) - 1)
        near = np.argpartition(-sim, k - 1, axis=1)[:, :k]
        old_ids = np.flatnonzero(old)[near]
        prior = (clicks[old_ids].sum(1) + m * global_rate) / (exam[old_ids].sum(1) + m)
    elif policy == "thompson":
        prior = np.full(n_products, global_rate)

    searches = market.searches
    q_cat = market.queries["target_category"]
    sim_rows = np.flatnonzero(searches["day"].to_numpy() >= start_day)
    s_query = searches["query_id"].to_numpy()[sim_rows]
    s_retailer = searches["retailer_id"].to_numpy()[sim_rows]
    s_day = searches["day"].to_numpy()[sim_rows]
    cat_codes = products["category"].cat.codes.to_numpy()
    by_category = {c: np.flatnonzero(cat_codes == c) for c in np.unique(cat_codes)}
    q_codes = pd.Categorical(q_cat, categories=products["category"].cat.categories).codes
    propensity = market.propensities.to_numpy()[:n_results]
    alpha = market.click_prob_given_relevance
    discount = 1.0 / np.log2(np.arange(2, n_results + 2))
    gains = 2.0 ** np.arange(4) - 1.0
    # True relevance of every (query, candidate) pair, one matrix per category.
    relevance_cache: dict[int, np.ndarray] = {}
    for code, cand in by_category.items():
        qs = np.unique(s_query[q_codes[s_query] == code])
        if qs.size:
            matrix = market.true_relevance(qs[:, None], cand[None, :])
            relevance_cache.update(zip(qs.tolist(), matrix, strict=True))
    u = rng.random((len(sim_rows), n_results))
    explore = rng.random(len(sim_rows)) < epsilon
    rows = []
    shown_pages = []
    for i, (q, d) in enumerate(zip(s_query, s_day, strict=True)):
        code = q_codes[q]
        if code < 0:
            continue
        cand = by_category.get(code)
        if cand is None or cand.size == 0:
            continue
        rel = relevance_cache[q]
        if launch is not None:
            launched = launch[cand] <= d
            cand, rel = cand[launched], rel[launched]
            if cand.size == 0:
                continue
        score = (clicks[cand] + m * prior[cand]) / (exam[cand] + m)
        if policy == "thompson":
            fresh = new_product[cand]
            a0 = global_rate * m
            score[fresh] = rng.beta(
                a0 + clicks[cand][fresh],
                m - a0 + np.maximum(exam[cand][fresh] - clicks[cand][fresh], 0.0),
            )
        top = np.argsort(-score, kind="stable")[:n_results]
        if policy == "epsilon_greedy" and explore[i]:
            fresh = np.setdiff1d(np.flatnonzero(new_product[cand]), top[: boost_position - 1])
            if fresh.size:
                pick = fresh[rng.integers(fresh.size)]
                rest = top[top != pick]
                top = np.insert(rest, boost_position - 1, pick)[:n_results]
        shown = cand[top]
        r = rel[top]
        clicked = u[i, : shown.size] < propensity[: shown.size] * alpha[r]
        exam[shown] += propensity[: shown.size]
        clicks[shown] += clicked
        ideal = np.sort(rel)[::-1][: shown.size]
        idcg = gains[ideal] @ discount[: shown.size]
        ndcg = gains[r] @ discount[: shown.size] / idcg if idcg > 0 else 1.0
        is_new = new_product[shown]
        shown_pages.append((i, shown, propensity[: shown.size] * alpha[r]))
        rows.append((d, int(is_new.sum()), int(clicked[is_new].sum()), int(clicked.sum()), ndcg,
                     int((is_new & (r >= 2)).sum())))  # fmt: skip
    log = pd.DataFrame(
        rows, columns=["day", "new_impressions", "new_clicks", "clicks", "ndcg", "new_relevant"]
    )
    sizes = np.array([page[1].size for page in shown_pages], dtype=np.int64)
    search_of = np.repeat(np.array([page[0] for page in shown_pages], dtype=np.int64), sizes)
    row_of = np.repeat(np.arange(len(shown_pages)), sizes)
    product_of = np.concatenate([page[1] for page in shown_pages]) if shown_pages else sizes
    click_of = np.concatenate([page[2] for page in shown_pages]) if shown_pages else sizes * 0.0
    order_prob, order_gmv = market.purchase_given_click(
        s_query[search_of], s_retailer[search_of], product_of
    )
    new_shown = new_product[product_of]
    expected_orders, expected_gmv = click_of * order_prob, click_of * order_gmv
    log["orders"] = np.bincount(row_of, expected_orders, minlength=len(log))
    log["gmv"] = np.bincount(row_of, expected_gmv, minlength=len(log))
    daily = log.groupby("day").agg(
        searches=("ndcg", "size"),
        new_impressions=("new_impressions", "sum"),
        new_clicks=("new_clicks", "sum"),
        clicks=("clicks", "sum"),
        ndcg=("ndcg", "mean"),
        gmv=("gmv", "sum"),
    )
    n_new = log["new_impressions"].sum()
    summary = {
        "new_impression_share": float(n_new / (len(log) * n_results)),
        "new_clicks": int(log["new_clicks"].sum()),
        "clicks": int(log["clicks"].sum()),
        "ndcg": float(log["ndcg"].mean()),
        "new_relevant_share": float(log["new_relevant"].sum() / max(n_new, 1)),
        "n_new_products": int(new_product.sum()),
        "orders": float(expected_orders.sum()),
        "new_orders": float(expected_orders[new_shown].sum()),
        "gmv": float(expected_gmv.sum()),
        "new_gmv": float(expected_gmv[new_shown].sum()),
        "searches": len(log),
    }
    return ColdStartResult(daily, summary)
