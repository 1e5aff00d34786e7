r"""Ranking policies of a wholesale marketplace, scored in expectation on the simulator's truth.

The production ranker scores a candidate by its estimated relevance; a marketplace adds terms
for what relevance alone misses (source section 9D):

.. math::

    \text{score} = \text{base} + \beta\,[\text{new brand}]
        + \gamma\,[\text{free returns}]\,[\text{new retailer}]
        + \lambda\,\big(0.5\,[\text{same region}] - |\text{tier} - \text{level}|\big)
        + \delta \log(\text{season index})
        - \infty\,[\text{out of stock}]_{\text{inventory-aware}}

* :math:`\beta`, an **exploration bonus** for new brands, counters the popularity bias that
  hides brands without reviews (discovery vs reliability);
* :math:`\gamma` **boosts free-returns brands for new retailers**, whose first order is a risk;
* :math:`\lambda` **personalizes** by geography and price point;
* **inventory-aware** ranking puts products that cannot ship last;
* :math:`\delta` weighs **seasonality**: the consumer demand index of the product's category,
  either in the month of the order (``season="now"``) or in the months the retailer will sell
  in, 3-6 months later (``season="ahead"``).

:func:`evaluate_ranking_policy` shows the top ``n_shown`` of each search by score and returns
expected GMV, new-brand exposure and first-order success under the true click and order
probabilities of :func:`mlref.datasets.b2b.ranking_slates`: no sampling noise, so two policies
are compared exactly on the same searches.
"""

from __future__ import annotations

import numpy as np

from mlref._validation import (
    as_array,
    check_array_1d,
    check_bool,
    check_dataframe,
    check_option,
    check_positive_int,
    check_real,
)

__all__ = ["evaluate_ranking_policy", "policy_scores"]

_SLATE_COLUMNS = (
    "search_id",
    "base_score",
    "is_new_brand",
    "free_returns",
    "new_retailer",
    "in_stock",
    "tier_gap",
    "same_region",
    "click_given_exam",
    "order_given_click",
    "order_value",
    "reorder_prob",
)


# The columns policy_scores reads (in_stock only when inventory-aware, but checked always).
_POLICY_COLUMNS = (
    "base_score",
    "is_new_brand",
    "free_returns",
    "new_retailer",
    "in_stock",
    "tier_gap",
    "same_region",
)


def _check_slates(slates) -> None:
    check_dataframe(
        slates, "slates", columns=_SLATE_COLUMNS, hint="build it with ranking_slates(market)"
    )


def policy_scores(
    slates,
    *,
    exploration_bonus: float = 0.0,
    returns_boost: float = 0.0,
    personalization: float = 0.0,
    inventory_aware: bool = False,
    seasonality: float = 0.0,
    season: str = "ahead",
) -> np.ndarray:
    r"""Scores of the policy above for every row of ``slates`` (higher is shown first).

    Parameters
    ----------
    slates : pandas.DataFrame
        From :func:`mlref.datasets.b2b.ranking_slates`.
    exploration_bonus, returns_boost, personalization, seasonality : float, default 0
        :math:`\beta, \gamma, \lambda, \delta`, each >= 0 (a term pushes in the direction
        it is named for; 0 switches it off).
    inventory_aware : bool, default False
        Put out-of-stock products last.
    season : {"ahead", "now"}, default "ahead"
        Which season index the seasonality term reads.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"base_score": [1.0, 0.8], "is_new_brand": [False, True],
    ...     "free_returns": [False, False], "new_retailer": [False, False],
    ...     "in_stock": [True, True], "tier_gap": [0, 0], "same_region": [False, False]})
    >>> policy_scores(rows, exploration_bonus=0.5).tolist()
    [1.0, 1.3]
    """
    check_dataframe(
        slates, "slates", columns=_POLICY_COLUMNS, allow_empty=True,
        hint="build it with ranking_slates(market)",
    )  # fmt: skip
    hint = " (a weight of the policy; 0 switches the term off)"
    beta = check_real(exploration_bonus, "exploration_bonus", low=0.0, hint=hint)
    gamma = check_real(returns_boost, "returns_boost", low=0.0, hint=hint)
    lam = check_real(personalization, "personalization", low=0.0, hint=hint)
    aware = check_bool(inventory_aware, "inventory_aware")
    delta = check_real(seasonality, "seasonality", low=0.0, hint=hint)
    column = "season_" + check_option(season, "season", ("now", "ahead"))
    base = check_array_1d(slates["base_score"].to_numpy(np.float64), "slates['base_score']")
    score = (
        base
        + beta * slates["is_new_brand"].to_numpy(np.float64)
        + gamma * (slates["free_returns"].to_numpy(bool) & slates["new_retailer"].to_numpy(bool))
        + lam * (0.5 * slates["same_region"].to_numpy(np.float64) - slates["tier_gap"].to_numpy())
    )
    if delta:
        if column not in slates.columns:
            raise ValueError(f"slates lacks {column!r}; build it with ranking_slates(market)")
        score = score + delta * np.log(slates[column].to_numpy(np.float64))
    if aware:
        score = np.where(slates["in_stock"].to_numpy(bool), score, -np.inf)
    return score


def evaluate_ranking_policy(slates, scores, *, n_shown: int = 10, eta: float = 1.0) -> dict:
    r"""Expected outcomes of showing each search's top ``n_shown`` candidates by ``scores``.

    A candidate at position :math:`k` is examined with probability :math:`k^{-\eta}`, clicked
    with ``click_given_exam`` and ordered with ``order_given_click``; an order is worth
    ``order_value`` and leads to a reorder with ``reorder_prob``. Ties in ``scores`` are broken
    by row order.

    Returns
    -------
    dict
        ``gmv_per_search`` (expected first-order dollars), ``orders_per_search``,
        ``new_brand_exposure`` (share of examinations on new brands),
        ``first_order_success`` (expected reorders per order), the same for new retailers
        (``first_order_success_new_retailers``, ``orders_per_new_retailer_search``) and
        ``out_of_stock_clicks`` (expected clicks on products that cannot ship, per search).
    """
    _check_slates(slates)
    s = as_array(scores, "scores", np.float64)
    s = check_array_1d(np.where(np.isneginf(s), -1e300, s), "scores")
    if s.size != len(slates):
        raise ValueError(f"scores has {s.size} values for {len(slates)} slate rows")
    k = check_positive_int(n_shown, "n_shown")
    eta = check_real(eta, "eta", low=0.0)
    search = slates["search_id"].to_numpy()
    order = np.lexsort((np.arange(s.size), -s, search))
    sorted_search = search[order]
    starts = np.flatnonzero(np.r_[True, sorted_search[1:] != sorted_search[:-1]])
    group_start = np.repeat(starts, np.diff(np.r_[starts, s.size]))
    position = np.empty(s.size, np.int64)
    position[order] = np.arange(s.size) - group_start + 1
    exam = np.where(position <= k, position.astype(np.float64) ** -eta, 0.0)
    click = exam * slates["click_given_exam"].to_numpy()
    orders = click * slates["order_given_click"].to_numpy()
    gmv = orders * slates["order_value"].to_numpy()
    reorders = orders * slates["reorder_prob"].to_numpy()
    new_retailer = slates["new_retailer"].to_numpy(bool)
    n_searches = starts.size
    n_new = np.unique(search[new_retailer]).size
    new_orders = orders[new_retailer].sum()
    return {
        "gmv_per_search": float(gmv.sum() / n_searches),
        "orders_per_search": float(orders.sum() / n_searches),
        "new_brand_exposure": float(exam[slates["is_new_brand"].to_numpy(bool)].sum() / exam.sum()),
        "first_order_success": float(reorders.sum() / orders.sum()),
        "first_order_success_new_retailers": float(reorders[new_retailer].sum() / new_orders)
        if new_orders > 0
        else float("nan"),
        "orders_per_new_retailer_search": float(new_orders / n_new) if n_new else float("nan"),
        "out_of_stock_clicks": float(click[~slates["in_stock"].to_numpy(bool)].sum() / n_searches),
    }
