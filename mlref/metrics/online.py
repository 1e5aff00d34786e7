r"""Online metrics computed from an event log: engagement, business and quality (section 2C).

Offline metrics (NDCG, AUC) score a model on labelled data; online metrics score the live system
on what users did. The source lists three families:

=============  ==========================================================================
engagement     CTR (clicks / impressions), conversion rate (purchases / clicks),
               add-to-cart rate (carts / clicks)
business       GMV (gross merchandise value), revenue per search, ARPU
quality        zero-result rate, refinement rate, bounce rate
=============  ==========================================================================

Every function here reads the tables of :func:`mlref.datasets.make_marketplace` (or any log with
the same columns): ``searches`` (one row per search request), ``impressions`` (one row per
product shown, with ``clicked``, ``added_to_cart`` and ``ordered`` flags) and ``orders`` (one row
per ordered product, with ``order_value`` in dollars and the ``search_id`` it came from, missing
for reorders). :func:`online_metrics` computes all of them at once, overall or per segment (day,
query segment, A/B arm...).

Conventions
-----------
* **Purchases** in the conversion rate are clicked impressions that ended in an order (the
  ``ordered`` flag), so conversion is per click and at most 1; a reorder is not a conversion of
  any click.
* **Revenue** is order value (GMV, what retailers pay). A marketplace's own revenue is GMV times
  its take rate; multiply by it if that is what you need.
* **GMV counts reorders** by default: in a B2B wholesale marketplace GMV is king (source, section
  9D) and reorders are GMV like any other order. ``attribution="search"`` keeps only orders with
  a ``search_id``.
* **Revenue per search counts search-attributed orders only** by default: reorders do not come
  from a search, and counting them would credit search with revenue it did not generate (and add
  noise to an A/B test of rankers). ``attribution="all"`` gives total GMV per search.
* **ARPU** is GMV (reorders included by default) per *active retailer*: one that searched or
  ordered in the period (or segment).
* **Refinement** and **bounce** are proxies, since the log has no sessions or page views: see
  :func:`refinement_rate` and :func:`bounce_rate`.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from mlref._validation import (
    check_array_1d,
    check_binary,
    check_bool,
    check_dataframe,
    check_option,
)

__all__ = [
    "add_to_cart_rate",
    "average_revenue_per_user",
    "bounce_rate",
    "click_through_rate",
    "conversion_rate",
    "gross_merchandise_value",
    "online_metrics",
    "refinement_rate",
    "revenue_per_search",
    "zero_result_rate",
]

_ATTRIBUTIONS = ("all", "search")
_SOURCE = "the table of mlref.datasets.make_marketplace() of the same name"


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------


def _check_table(df, table: str, columns, *, allow_empty: bool = False, nullable=()) -> None:
    check_dataframe(
        df, table, columns=columns, allow_empty=allow_empty,
        hint=f"pass a log with the columns of {_SOURCE}",
    )  # fmt: skip
    null_columns = [c for c in columns if c not in nullable and df[c].isna().any()]
    if null_columns:
        raise ValueError(
            f"{table} has missing values in column(s) {', '.join(map(repr, null_columns))}; "
            "drop or fill those rows first"
        )


def _flag(df, table: str, column: str) -> np.ndarray:
    return check_binary(df[column].to_numpy(), f"{table}.{column}")


def _check_funnel(impressions) -> None:
    """Cart and purchase flags only on clicked impressions, so every rate stays in [0, 1]."""
    clicked = _flag(impressions, "impressions", "clicked")
    for column in ("added_to_cart", "ordered"):
        if column in impressions.columns:
            bad = int((_flag(impressions, "impressions", column) > clicked).sum())
            if bad:
                raise ValueError(
                    f"impressions has {bad} row(s) with {column}=1 but clicked=0; a cart or "
                    "purchase must follow a click on the impression"
                )


def _check_order_values(orders) -> np.ndarray:
    values = check_array_1d(
        orders["order_value"].to_numpy(), "orders.order_value", allow_empty=True
    )
    if values.size and values.min() < 0:
        raise ValueError(
            f"orders.order_value holds negative values (min {values.min():.2f}); GMV sums gross "
            "order values, drop refunds or record them elsewhere"
        )
    return values


def _check_n_results(searches) -> np.ndarray:
    n_results = check_array_1d(
        searches["n_results"].to_numpy(), "searches.n_results", dtype=np.int64
    )
    if n_results.min() < 0:
        raise ValueError("searches.n_results must be >= 0 (the number of products shown)")
    return n_results


def _check_unique_search_ids(searches) -> None:
    duplicated = searches["search_id"].duplicated()
    if duplicated.any():
        raise ValueError(
            f"searches.search_id must identify one search per row; {int(duplicated.sum())} "
            "id(s) repeat"
        )


def _check_links(child, table: str, searches) -> None:
    """Every non-missing ``child.search_id`` must be a search of ``searches``."""
    linked = child["search_id"].dropna()
    unknown = ~linked.isin(searches["search_id"])
    if unknown.any():
        raise ValueError(
            f"{table} has {int(unknown.sum())} row(s) whose search_id is not in searches; "
            "filter both tables the same way (same period, same segment)"
        )


def _timestamps(searches) -> np.ndarray:
    stamps = searches["timestamp"]
    if not pd.api.types.is_datetime64_any_dtype(stamps):
        raise ValueError(
            f"searches.timestamp must hold datetimes, got dtype {stamps.dtype}; convert it with "
            "pd.to_datetime"
        )
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps.to_numpy()


def _check_window(window) -> np.timedelta64:
    if isinstance(window, numbers.Number) and not isinstance(window, np.timedelta64):
        raise ValueError(
            f"window must be a duration such as '5min' or pd.Timedelta(minutes=5), got {window!r}"
        )
    try:
        duration = pd.Timedelta(window)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"window must be a duration such as '5min' or pd.Timedelta(minutes=5), got {window!r}"
        ) from exc
    if duration is pd.NaT or duration <= pd.Timedelta(0):
        raise ValueError(f"window must be a positive duration, got {window!r}")
    return duration.to_timedelta64()


def _ratio(numerator: float, denominator: float, metric: str, why: str) -> float:
    if denominator == 0:
        raise ValueError(f"{metric} is undefined: {why}")
    return float(numerator / denominator)


def _attributed(orders, attribution: str) -> pd.DataFrame:
    check_option(attribution, "attribution", _ATTRIBUTIONS)
    if attribution == "all":
        return orders
    _check_table(orders, "orders", ["search_id"], allow_empty=True, nullable=["search_id"])
    return orders[orders["search_id"].notna()]


# --------------------------------------------------------------------------------------------
# Engagement
# --------------------------------------------------------------------------------------------


def click_through_rate(impressions: pd.DataFrame) -> float:
    r"""Click-through rate: the share of shown products that were clicked.

    .. math::

        \mathrm{CTR} = \frac{\#\text{clicks}}{\#\text{impressions}}

    Parameters
    ----------
    impressions : pandas.DataFrame
        One row per shown product, with a 0/1 ``clicked`` column.

    Returns
    -------
    float
        CTR in [0, 1].

    Raises
    ------
    ValueError
        If ``impressions`` is empty, lacks ``clicked``, or ``clicked`` is not 0/1.

    Notes
    -----
    CTR per impression depends on how many results are shown: a page of 20 results has a lower
    CTR than a page of 5 even if users click just as often. Compare CTRs at equal page sizes, or
    use the per-search view (one minus :func:`bounce_rate`).

    Examples
    --------
    >>> impressions = pd.DataFrame({"clicked": [1, 0, 0, 1, 0]})
    >>> click_through_rate(impressions)
    0.4
    """
    _check_table(impressions, "impressions", ["clicked"])
    return float(_flag(impressions, "impressions", "clicked").mean())


def conversion_rate(impressions: pd.DataFrame) -> float:
    r"""Conversion rate: the share of clicks that ended in a purchase.

    .. math::

        \text{conversion rate} = \frac{\#\text{purchases}}{\#\text{clicks}}

    A purchase is a clicked impression whose product was then ordered (``ordered`` = 1).

    Parameters
    ----------
    impressions : pandas.DataFrame
        With 0/1 ``clicked`` and ``ordered`` columns; ``ordered`` = 1 only where ``clicked`` = 1.

    Returns
    -------
    float
        In [0, 1].

    Raises
    ------
    ValueError
        If a column is missing, a flag is not 0/1, an order has no click, or there are no clicks.

    Notes
    -----
    The source defines conversion as purchases / clicks. Other common denominators are searches
    ("search conversion": orders per search) and sessions; they answer different questions, so
    state which one an A/B test reports. The count is of ordered products, not of units or
    dollars (see :func:`revenue_per_search` for dollars).

    Examples
    --------
    >>> impressions = pd.DataFrame({"clicked": [1, 1, 1, 1, 0], "ordered": [1, 0, 0, 0, 0]})
    >>> conversion_rate(impressions)
    0.25
    """
    _check_table(impressions, "impressions", ["clicked", "ordered"])
    _check_funnel(impressions)
    return _ratio(
        impressions["ordered"].sum(),
        impressions["clicked"].sum(),
        "conversion rate",
        "no impression was clicked",
    )


def add_to_cart_rate(impressions: pd.DataFrame) -> float:
    r"""Add-to-cart rate: the share of clicks followed by adding the product to the cart.

    .. math::

        \text{add-to-cart rate} = \frac{\#\text{add-to-carts}}{\#\text{clicks}}

    Parameters
    ----------
    impressions : pandas.DataFrame
        With 0/1 ``clicked`` and ``added_to_cart`` columns.

    Returns
    -------
    float
        In [0, 1].

    Raises
    ------
    ValueError
        If a column is missing, a flag is not 0/1, a cart has no click, or there are no clicks.

    Examples
    --------
    >>> impressions = pd.DataFrame({"clicked": [1, 1, 0, 1], "added_to_cart": [1, 0, 0, 1]})
    >>> round(add_to_cart_rate(impressions), 4)
    0.6667
    """
    _check_table(impressions, "impressions", ["clicked", "added_to_cart"])
    _check_funnel(impressions)
    return _ratio(
        impressions["added_to_cart"].sum(),
        impressions["clicked"].sum(),
        "add-to-cart rate",
        "no impression was clicked",
    )


# --------------------------------------------------------------------------------------------
# Business
# --------------------------------------------------------------------------------------------


def gross_merchandise_value(orders: pd.DataFrame, *, attribution: str = "all") -> float:
    r"""Gross merchandise value: the total value of the orders placed.

    .. math::

        \mathrm{GMV} = \sum_{o \in \text{orders}} \text{value}_o

    Parameters
    ----------
    orders : pandas.DataFrame
        One row per ordered product, with a non-negative ``order_value`` (dollars); also
        ``search_id`` (missing for orders not placed from a search) if ``attribution="search"``.
        May be empty (GMV 0).
    attribution : {"all", "search"}, default="all"
        ``"all"`` counts every order, reorders included; ``"search"`` only orders placed from a
        search (non-missing ``search_id``).

    Returns
    -------
    float
        GMV in dollars.

    Raises
    ------
    ValueError
        If a column is missing or holds missing or negative values.

    Notes
    -----
    Reorders count by default: in a B2B wholesale marketplace retailers reorder their
    bestsellers, reorders are most of the lifetime value, and the source's B2B section calls GMV
    "king". Use ``attribution="search"`` for the part that search generated directly.

    Examples
    --------
    >>> orders = pd.DataFrame(
    ...     {"order_value": [100.0, 250.0, 50.0], "search_id": pd.array([7, None, 9], "Int64")}
    ... )
    >>> gross_merchandise_value(orders), gross_merchandise_value(orders, attribution="search")
    (400.0, 150.0)
    """
    _check_table(orders, "orders", ["order_value"], allow_empty=True)
    counted = _attributed(orders, attribution)
    return float(_check_order_values(counted).sum())


def revenue_per_search(
    searches: pd.DataFrame, orders: pd.DataFrame, *, attribution: str = "search"
) -> float:
    r"""Revenue per search: order value divided by the number of searches.

    .. math::

        \mathrm{RPS} = \frac{\sum_{o \in \text{orders}} \text{value}_o}{\#\text{searches}}

    Parameters
    ----------
    searches : pandas.DataFrame
        One row per search request (with ``search_id``).
    orders : pandas.DataFrame
        With ``order_value`` and ``search_id`` (missing for orders not placed from a search). It
        must cover the same period (or segment) as ``searches``. May be empty.
    attribution : {"search", "all"}, default="search"
        ``"search"`` counts only orders placed from a search; ``"all"`` counts every order.

    Returns
    -------
    float
        Dollars per search.

    Raises
    ------
    ValueError
        If a table is malformed, ``searches`` is empty, or (``attribution="search"``) an order
        points to a search that is not in ``searches``.

    Notes
    -----
    Search-attributed revenue is the default: reorders are not caused by today's searches, and
    counting them would credit search (or one arm of an A/B test) with revenue it did not
    generate.

    Examples
    --------
    >>> searches = pd.DataFrame({"search_id": [1, 2, 3, 4]})
    >>> orders = pd.DataFrame(
    ...     {"order_value": [100.0, 60.0], "search_id": pd.array([2, None], dtype="Int64")}
    ... )
    >>> revenue_per_search(searches, orders)
    25.0
    >>> revenue_per_search(searches, orders, attribution="all")
    40.0
    """
    _check_table(searches, "searches", ["search_id"])
    _check_table(
        orders, "orders", ["order_value", "search_id"], allow_empty=True, nullable=["search_id"]
    )
    _check_unique_search_ids(searches)
    counted = _attributed(orders, attribution)
    if attribution == "search":
        _check_links(counted, "orders", searches)
    return float(_check_order_values(counted).sum() / len(searches))


def average_revenue_per_user(
    searches: pd.DataFrame, orders: pd.DataFrame, *, attribution: str = "all"
) -> float:
    r"""ARPU: order value per active retailer.

    .. math::

        \mathrm{ARPU} = \frac{\sum_{o \in \text{orders}} \text{value}_o}
        {\#\{\text{retailers who searched or ordered}\}}

    Parameters
    ----------
    searches : pandas.DataFrame
        With ``retailer_id``.
    orders : pandas.DataFrame
        With ``retailer_id``, ``order_value`` (and ``search_id`` if ``attribution="search"``),
        covering the same period as ``searches``. May be empty.
    attribution : {"all", "search"}, default="all"
        Which orders count as revenue (see :func:`gross_merchandise_value`). Active retailers are
        the same either way.

    Returns
    -------
    float
        Dollars per active retailer.

    Raises
    ------
    ValueError
        If a table is malformed or ``searches`` is empty.

    Notes
    -----
    A "user" is a retailer (the buyer in a B2B marketplace), and an *active* one did something in
    the period: searched or placed any order, reorders included. Retailers who signed up but did
    nothing are not counted; they would dilute ARPU with people the product never reached. ARPU
    is not additive over segments: a retailer active on two days is one user in the week.

    Examples
    --------
    >>> searches = pd.DataFrame({"retailer_id": [1, 1, 2]})
    >>> orders = pd.DataFrame({"retailer_id": [1, 3], "order_value": [90.0, 30.0]})
    >>> average_revenue_per_user(searches, orders)
    40.0
    """
    _check_table(searches, "searches", ["retailer_id"])
    _check_table(orders, "orders", ["retailer_id", "order_value"], allow_empty=True)
    counted = _attributed(orders, attribution)
    revenue = _check_order_values(counted).sum()
    active = pd.concat([searches["retailer_id"], orders["retailer_id"]]).nunique()
    return float(revenue / active)


# --------------------------------------------------------------------------------------------
# Quality
# --------------------------------------------------------------------------------------------


def zero_result_rate(searches: pd.DataFrame) -> float:
    r"""Zero-result rate: the share of searches that showed no results.

    .. math::

        \text{zero-result rate} = \frac{\#\{\text{searches with } n_\text{results} = 0\}}
        {\#\text{searches}}

    Parameters
    ----------
    searches : pandas.DataFrame
        With ``n_results``, the number of products shown (integer >= 0).

    Returns
    -------
    float
        In [0, 1]. The source's alert threshold is 10% (section 8).

    Raises
    ------
    ValueError
        If ``searches`` is empty, lacks ``n_results``, or it holds negative or fractional values.

    Examples
    --------
    >>> zero_result_rate(pd.DataFrame({"n_results": [20, 0, 5, 20]}))
    0.25
    """
    _check_table(searches, "searches", ["n_results"])
    return float((_check_n_results(searches) == 0).mean())


def _refined(searches: pd.DataFrame, window: np.timedelta64) -> np.ndarray:
    """Per search (in row order): followed by a different query of its retailer within window."""
    stamps = _timestamps(searches)
    retailer = pd.factorize(searches["retailer_id"])[0]
    query = pd.factorize(searches["query_id"])[0]
    order = np.lexsort((stamps, retailer))  # by retailer, then time; ties keep row order
    retailer, query, stamps = retailer[order], query[order], stamps[order]
    n = len(order)
    # First row of each run of consecutive searches with the same retailer and query.
    run_starts = np.flatnonzero(
        np.r_[True, (retailer[1:] != retailer[:-1]) | (query[1:] != query[:-1])]
    )
    # The next run after each row: the retailer's first later search with another query.
    following = np.append(run_starts, n)[np.searchsorted(run_starts, np.arange(n), side="right")]
    has_next = following < n
    nxt = np.where(has_next, following, 0)
    refined_sorted = has_next & (retailer[nxt] == retailer) & (stamps[nxt] - stamps <= window)
    refined = np.empty(n, dtype=bool)
    refined[order] = refined_sorted
    return refined


def refinement_rate(searches: pd.DataFrame, *, window="5min") -> float:
    r"""Refinement rate: the share of searches the retailer soon followed with a different query.

    .. math::

        \text{refinement rate} = \frac{\#\{s : \exists s' \text{ by the same retailer},\;
        0 \le t_{s'} - t_s \le \text{window},\; s' \text{ after } s,\; q_{s'} \ne q_s\}}
        {\#\text{searches}}

    Parameters
    ----------
    searches : pandas.DataFrame
        With ``retailer_id``, ``query_id`` and datetime ``timestamp``.
    window : str, datetime.timedelta or pandas.Timedelta, default="5min"
        How soon the next query must come to count as a refinement.

    Returns
    -------
    float
        In [0, 1]. High values mean users often did not find what they wanted at first.

    Raises
    ------
    ValueError
        If ``searches`` is empty, misses a column, has non-datetime timestamps, or ``window``
        is not a positive duration.

    Notes
    -----
    The source defines refinement as "% users who refine query". Logs have no explicit
    refinement event, so this is a proxy: a search counts as refined when the same retailer
    issues a *different* query within ``window`` after it (repeating the same query, e.g. to
    page, is not a refinement, but a different query after such a repeat is). The proxy cannot
    tell a reformulation from a new task started soon after (it overcounts busy retailers) and
    misses refinements slower than the window; report the window with the number. Searches at
    equal timestamps are ordered as in the table.

    Examples
    --------
    >>> t = pd.to_datetime(["2026-01-01 09:00", "2026-01-01 09:02", "2026-01-01 10:00"])
    >>> searches = pd.DataFrame({"retailer_id": [1, 1, 1], "query_id": [5, 6, 7], "timestamp": t})
    >>> round(refinement_rate(searches), 4), refinement_rate(searches, window="1h")
    (0.3333, 0.6666666666666666)
    """
    _check_table(searches, "searches", ["retailer_id", "query_id", "timestamp"])
    return float(_refined(searches, _check_window(window)).mean())


def _search_clicked(searches: pd.DataFrame, impressions: pd.DataFrame) -> np.ndarray:
    """Per search (in row order): whether any of its impressions was clicked."""
    clicks = pd.Series(_flag(impressions, "impressions", "clicked"), index=impressions.index)
    per_search = clicks.groupby(impressions["search_id"]).max()
    return per_search.reindex(searches["search_id"], fill_value=0).to_numpy() > 0


def bounce_rate(
    searches: pd.DataFrame, impressions: pd.DataFrame, *, exclude_zero_result: bool = False
) -> float:
    r"""Bounce rate: the share of searches whose results got no click.

    .. math::

        \text{bounce rate} = \frac{\#\{\text{searches with no clicked impression}\}}
        {\#\text{searches}}

    Parameters
    ----------
    searches : pandas.DataFrame
        With ``search_id`` (unique), and ``n_results`` if ``exclude_zero_result``.
    impressions : pandas.DataFrame
        With ``search_id`` (each one a search of ``searches``) and 0/1 ``clicked``.
    exclude_zero_result : bool, default=False
        Leave zero-result searches out of numerator and denominator, so the rate measures the
        results shown rather than also the catalogue's coverage (see :func:`zero_result_rate`).

    Returns
    -------
    float
        In [0, 1].

    Raises
    ------
    ValueError
        If a table is malformed, ``search_id`` repeats in ``searches`` or is unknown to it, or
        no search is left to count.

    Notes
    -----
    The source defines bounce rate as single-page sessions, but the log has neither sessions nor
    page views. The proxy treats a search result page as the page and a click as going deeper:
    a search with no click is a bounce (the same as search abandonment). It is one minus the
    per-search CTR, and it counts zero-result searches as bounces unless
    ``exclude_zero_result``.

    Examples
    --------
    >>> searches = pd.DataFrame({"search_id": [1, 2, 3, 4], "n_results": [2, 2, 1, 0]})
    >>> impressions = pd.DataFrame(
    ...     {"search_id": [1, 1, 2, 2, 3], "clicked": [0, 1, 0, 0, 0]}
    ... )
    >>> bounce_rate(searches, impressions)
    0.75
    >>> round(bounce_rate(searches, impressions, exclude_zero_result=True), 4)
    0.6667
    """
    exclude_zero_result = check_bool(exclude_zero_result, "exclude_zero_result")
    columns = ["search_id", "n_results"] if exclude_zero_result else ["search_id"]
    _check_table(searches, "searches", columns)
    _check_table(impressions, "impressions", ["search_id", "clicked"])
    _check_unique_search_ids(searches)
    _check_links(impressions, "impressions", searches)
    bounced = ~_search_clicked(searches, impressions)
    if exclude_zero_result:
        bounced = bounced[_check_n_results(searches) > 0]
    return _ratio(bounced.sum(), bounced.size, "bounce rate", "every search had zero results")


# --------------------------------------------------------------------------------------------
# All metrics, per segment
# --------------------------------------------------------------------------------------------

_SEARCH_COLUMNS = ["search_id", "retailer_id", "query_id", "timestamp", "n_results"]
_IMPRESSION_COLUMNS = ["search_id", "clicked", "added_to_cart", "ordered"]
_ORDER_COLUMNS = ["retailer_id", "order_value", "search_id"]


_COUNT_COLUMNS = [
    "n_searches",
    "n_zero_result",
    "n_refined",
    "n_bounced",
    "n_impressions",
    "n_clicks",
    "n_add_to_carts",
    "n_purchases",
    "n_orders",
    "n_active_retailers",
]
_DOLLARS = {"gmv": np.float64, "search_gmv": np.float64}
_OUTPUT_COLUMNS = [
    *_COUNT_COLUMNS,
    *_DOLLARS,
    "ctr",
    "conversion_rate",
    "add_to_cart_rate",
    "revenue_per_search",
    "arpu",
    "zero_result_rate",
    "refinement_rate",
    "bounce_rate",
]


def _by_columns(by) -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        keys = [by]
    elif isinstance(by, list | tuple):
        keys = list(by)
    else:
        keys = []
    if not keys or not all(isinstance(k, str) for k in keys) or len(set(keys)) < len(keys):
        raise ValueError(
            f"by must be None, a column name or a list of distinct column names, got {by!r}"
        )
    clashes = [k for k in keys if k in _OUTPUT_COLUMNS or k == "_all"]
    if clashes:
        raise ValueError(
            f"by column(s) {', '.join(map(repr, clashes))} would clash with an output column; "
            "rename them first"
        )
    return keys


def _lookup_segments(table: pd.DataFrame, segment_of_search: pd.DataFrame) -> pd.DataFrame:
    """The segment of each row of ``table``: that of its search (missing if it has none)."""
    return pd.DataFrame(
        {k: table["search_id"].map(segment_of_search[k]) for k in segment_of_search.columns},
        index=table.index,
    )


def _grouped(values, segments: pd.DataFrame):
    return values.groupby([segments[k] for k in segments.columns], sort=True, observed=True)


def _safe_divide(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """Elementwise ratio, NaN where the denominator is 0 (the rate is undefined there)."""
    return numerator / denominator.where(denominator > 0)


def online_metrics(
    searches: pd.DataFrame,
    impressions: pd.DataFrame,
    orders: pd.DataFrame,
    *,
    by=None,
    refinement_window="5min",
) -> pd.DataFrame:
    r"""Every online metric of the module, overall or per segment, as one tidy table.

    Parameters
    ----------
    searches : pandas.DataFrame
        ``search_id`` (unique), ``retailer_id``, ``query_id``, datetime ``timestamp``,
        ``n_results``, plus the ``by`` column(s).
    impressions : pandas.DataFrame
        ``search_id`` (each one in ``searches``) and 0/1 ``clicked``, ``added_to_cart``,
        ``ordered``.
    orders : pandas.DataFrame
        ``retailer_id``, ``order_value``, ``search_id`` (missing for reorders). May be empty.
    by : str, list of str or None, default=None
        Segment column(s) of ``searches``, e.g. ``"day"``, a query ``"segment"`` or an A/B
        ``"arm"`` merged onto ``searches``. ``None`` gives one row for the whole log.
    refinement_window : str or timedelta, default="5min"
        The ``window`` of :func:`refinement_rate`.

    Returns
    -------
    pandas.DataFrame
        One row per segment (sorted), with the ``by`` columns, then the counts ``n_searches``,
        ``n_zero_result``, ``n_refined``, ``n_bounced``, ``n_impressions``, ``n_clicks``,
        ``n_add_to_carts``, ``n_purchases``, ``n_orders``, ``n_active_retailers``, the dollar
        totals ``gmv`` (all orders) and ``search_gmv`` (search-attributed orders), and the
        metrics ``ctr``, ``conversion_rate``, ``add_to_cart_rate``, ``revenue_per_search``
        (search-attributed), ``arpu`` (all orders), ``zero_result_rate``, ``refinement_rate``
        and ``bounce_rate`` (zero-result searches included). A rate is NaN in a segment where its
        denominator is 0.

    Raises
    ------
    ValueError
        If a table misses a column or is malformed (see the single-metric functions), ``by`` is
        not a column of ``searches`` or has missing values, or the segment of some orders
        cannot be found (below).

    Notes
    -----
    **Assigning rows to segments.** A search's segment is its ``by`` value; an impression
    belongs to its search's segment. An order uses its own ``by`` column(s) when ``orders`` has
    them (by ``"day"``, an order counts on the day it was placed), otherwise its search's
    segment through ``search_id``; reorders have no search, so segmenting by a column that
    ``orders`` lacks raises unless you merge it onto ``orders`` first (e.g. an A/B arm assigned
    per retailer: ``orders.merge(arms, on="retailer_id")``).

    **Recomposing totals.** Every rate is a ratio of two count columns, so the overall value is
    the denominator-weighted mean of the segments' values (CTR weighted by ``n_impressions``,
    conversion by ``n_clicks``, zero-result, refinement and bounce rates by ``n_searches``). ARPU
    is the exception: a retailer active in two segments counts once overall, so
    ``n_active_retailers`` does not add up. Refinement is decided on the whole log, so a search
    refined just after midnight counts for the day it was issued.

    Examples
    --------
    >>> from mlref.datasets import make_marketplace
    >>> m = make_marketplace(n_searches=300, random_state=0)
    >>> table = online_metrics(m.searches, m.impressions, m.orders)
    >>> table[["n_searches", "n_clicks", "ctr", "bounce_rate"]].round(4).to_dict("records")
    [{'n_searches': 300, 'n_clicks': 473, 'ctr': 0.0804, 'bounce_rate': 0.1967}]
    >>> online_metrics(m.searches, m.impressions, m.orders, by="day").shape
    (85, 21)
    """
    keys = _by_columns(by)
    _check_table(searches, "searches", _SEARCH_COLUMNS + keys)
    _check_table(impressions, "impressions", _IMPRESSION_COLUMNS)
    _check_table(orders, "orders", _ORDER_COLUMNS, allow_empty=True, nullable=["search_id"])
    _check_unique_search_ids(searches)
    _check_links(impressions, "impressions", searches)
    _check_links(orders, "orders", searches)
    _check_funnel(impressions)
    window = _check_window(refinement_window)
    order_values = _check_order_values(orders)

    # Segment of every row of each table (a constant one when by is None).
    constant = pd.DataFrame({"_all": 0}, index=searches.index)
    search_segments = searches[keys] if keys else constant
    segment_of_search = search_segments.set_axis(searches["search_id"].to_numpy())
    impression_segments = _lookup_segments(impressions, segment_of_search)
    if all(k in orders.columns for k in keys):
        order_segments = orders[keys] if keys else pd.DataFrame({"_all": 0}, index=orders.index)
    else:
        order_segments = _lookup_segments(orders, segment_of_search)
    unassigned = order_segments.isna().any(axis=1)
    if unassigned.any():
        raise ValueError(
            f"orders has {int(unassigned.sum())} order(s) whose {by!r} is missing or cannot be "
            "looked up in searches (reorders have no search_id); add the column(s) to orders "
            "first (e.g. orders.merge(...) on retailer_id)"
        )

    # Every count is a sum of per-row indicators (or dollars) within a segment.
    per_search = pd.DataFrame(
        {
            "n_searches": 1,
            "n_zero_result": _check_n_results(searches) == 0,
            "n_refined": _refined(searches, window),
            "n_bounced": ~_search_clicked(searches, impressions),
        },
        index=searches.index,
    )
    per_impression = pd.DataFrame(
        {
            "n_impressions": 1,
            "n_clicks": impressions["clicked"].to_numpy(),
            "n_add_to_carts": impressions["added_to_cart"].to_numpy(),
            "n_purchases": impressions["ordered"].to_numpy(),
        },
        index=impressions.index,
    )
    per_order = pd.DataFrame(
        {
            "n_orders": 1,
            "gmv": order_values,
            "search_gmv": np.where(orders["search_id"].notna(), order_values, 0.0),
        },
        index=orders.index,
    )
    segments = pd.concat([search_segments, order_segments], ignore_index=True)
    retailers = pd.concat([searches["retailer_id"], orders["retailer_id"]], ignore_index=True)
    counts = pd.concat(
        [
            _grouped(per_search, search_segments).sum(),
            _grouped(per_impression, impression_segments).sum(),
            _grouped(per_order, order_segments).sum(),
            _grouped(retailers, segments).nunique().rename("n_active_retailers"),
        ],
        axis=1,
    )
    counts = counts.fillna(0).astype({**dict.fromkeys(_COUNT_COLUMNS, np.int64), **_DOLLARS})
    counts = counts[[*_COUNT_COLUMNS, *_DOLLARS]]
    table = counts.assign(
        ctr=_safe_divide(counts["n_clicks"], counts["n_impressions"]),
        conversion_rate=_safe_divide(counts["n_purchases"], counts["n_clicks"]),
        add_to_cart_rate=_safe_divide(counts["n_add_to_carts"], counts["n_clicks"]),
        revenue_per_search=_safe_divide(counts["search_gmv"], counts["n_searches"]),
        arpu=_safe_divide(counts["gmv"], counts["n_active_retailers"]),
        zero_result_rate=_safe_divide(counts["n_zero_result"], counts["n_searches"]),
        refinement_rate=_safe_divide(counts["n_refined"], counts["n_searches"]),
        bounce_rate=_safe_divide(counts["n_bounced"], counts["n_searches"]),
    )
    table = table.sort_index().reset_index()
    return table.drop(columns="_all") if not keys else table
