r"""Feature builders for the marketplace simulator's search task: an LTR matrix ``X, y, qid``.

Every shown product of every search (a row of ``impressions``) becomes one row; the rows of a
search form one ranked list (``qid`` = ``search_id``). The columns follow the feature families of
the course's source (section 5A): query, document, query-document, user (the retailer) and
context features. Features computed from behaviour (query frequency, popularity, historical
click-through rates) are *point-in-time*: a row on day :math:`d` only sees events of days
:math:`< d`, exactly what a ranker serving on day :math:`d` could have known.

Historical CTR of a (query, product) pair, shrunk toward the product's CTR, itself shrunk toward
the global CTR (all counted over days :math:`< d`, :math:`m` pseudo-impressions):

.. math::

    \mathrm{CTR}_{qp}(d) = \frac{C_{qp}(d) + m\,\mathrm{CTR}_p(d)}{I_{qp}(d) + m}, \qquad
    \mathrm{CTR}_p(d) = \frac{C_p(d) + m\,\mathrm{CTR}(d)}{I_p(d) + m}, \qquad
    C_{qp}(d) = \sum_{d' < d} \text{clicks}_{qp}(d').

The split by time follows the source's section 6B: train on days 1-60, validate on 61-75, test on
76-90 (:func:`time_split`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp

from mlref._validation import (
    check_bool,
    check_dataframe,
    check_option,
    check_positive_int,
    check_real,
)
from mlref.features.text import BM25, tokenize_many

__all__ = ["FEATURE_GROUPS", "SearchFeatures", "build_search_features", "time_split"]

FEATURE_GROUPS = ("query", "document", "query_document", "user", "context")
_LABELS = ("relevance", "clicks")
_IMPRESSION_COLUMNS = ("search_id", "position", "product_id", "clicked")
_SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class SearchFeatures:
    """The LTR matrix of the search task, one row per shown product, grouped by search.

    Attributes
    ----------
    X : pandas.DataFrame of shape (n_rows, n_features)
        Named float64 feature columns, finite.
    y : numpy.ndarray of shape (n_rows,)
        Labels: true relevance 0-3 (``label="relevance"``) or clicks 0/1 (``label="clicks"``).
    qid : numpy.ndarray of shape (n_rows,)
        The ``search_id`` of each row; the rows of a search are contiguous and in logged order.
    day : numpy.ndarray of shape (n_rows,)
        Day of the search (0-based day of the window).
    feature_groups : dict of str to list of str
        Family name (``query``, ``document``, ``query_document``, ``user``, ``context``) to the
        names of its columns in ``X``.
    rows : pandas.DataFrame
        What identifies each row and what was logged, never features: ``search_id``,
        ``query_id``, ``product_id``, ``retailer_id``, ``position`` (the production ranker's
        1-based position, so ``-position`` scores the logged ranking), ``day``, ``clicked``.
    """

    X: pd.DataFrame
    y: np.ndarray
    qid: np.ndarray
    day: np.ndarray
    feature_groups: dict[str, list[str]]
    rows: pd.DataFrame

    def __len__(self) -> int:
        return len(self.y)

    def select(self, mask) -> SearchFeatures:
        """The rows where the boolean ``mask`` is true (keep whole searches to keep lists whole)."""
        mask = np.asarray(mask)
        if mask.dtype != bool or mask.shape != (len(self),):
            raise ValueError(
                f"mask must be a boolean array of shape ({len(self)},), got dtype {mask.dtype} "
                f"and shape {mask.shape}"
            )
        return SearchFeatures(
            X=self.X.loc[mask].reset_index(drop=True),
            y=self.y[mask],
            qid=self.qid[mask],
            day=self.day[mask],
            feature_groups={k: list(v) for k, v in self.feature_groups.items()},
            rows=self.rows.loc[mask].reset_index(drop=True),
        )


def build_search_features(
    market,
    *,
    impressions=None,
    label: str = "relevance",
    history_days: int | None = None,
    smoothing: float = 20.0,
    edit_distance: bool = True,
) -> SearchFeatures:
    r"""Build the LTR matrix of the simulator's search task.

    Parameters
    ----------
    market : mlref.datasets.marketplace.Marketplace
        From :func:`mlref.datasets.make_marketplace`; the catalogue, queries, retailers, searches
        and orders come from it.
    impressions : pandas.DataFrame, optional
        The impression log, both the rows to featurise and the history that behavioural features
        count; default ``market.impressions``. Needs ``search_id``, ``position``, ``product_id``,
        ``clicked`` (and ``true_relevance`` for ``label="relevance"``). Pass a modified copy for a
        counterfactual log, e.g. to check that future clicks do not leak.
    label : {"relevance", "clicks"}, default "relevance"
        ``y``: the simulator's ground-truth grade ``true_relevance`` (0-3), or the logged click.
    history_days : int or None, default None
        Behavioural features of a row on day :math:`d` count events of days
        :math:`[d - \text{history\_days}, d)`; ``None`` counts every earlier day.
    smoothing : float, default 20
        Pseudo-impressions :math:`m` that shrink historical CTRs toward their prior (see the
        module docstring); > 0.
    edit_distance : bool, default True
        Add ``title_edit_distance``, the Levenshtein distance between the query and the title,
        divided by the longer length (computed once per distinct pair, vectorised over pairs).

    Returns
    -------
    SearchFeatures
        ``X``, ``y``, ``qid`` (search ids), ``day``, ``feature_groups`` and ``rows``.

    Raises
    ------
    ValueError
        If ``label`` or ``history_days`` or ``smoothing`` is invalid, the impression log misses a
        column or holds search or product ids unknown to ``market``, or is empty.

    Notes
    -----
    Families and columns:

    - **query**: ``query_n_tokens``, ``query_n_chars``, one-hot intent
      (``intent_navigational``, ``intent_category``, ``intent_product``),
      ``query_log_past_searches`` (log1p of earlier searches of the query), ``query_past_ctr``.
    - **document**: one-hot ``category_*``, ``brand_id`` (a code), ``brand_price_level`` (0-2),
      ``brand_is_new``, ``log_price`` (wholesale), ``margin``, ``rating`` (0 when missing) with
      ``rating_missing``, ``log_reviews``, ``log_inventory``, ``in_stock``, ``low_stock``
      (1-5 units) and the point-in-time popularity ``product_log_past_impressions``,
      ``product_log_past_clicks``, ``product_log_past_orders`` (every order incl. reorders),
      ``product_past_ctr``. The catalogue holds no listing date, so there is no product age;
      ``brand_is_new`` stands in for it.
    - **query_document**: ``bm25_title`` (:class:`mlref.features.text.BM25` with the source's
      IDF, fitted on all titles), ``title_token_overlap`` (share of query tokens found in the
      title), ``title_contains_query``, ``category_match``, ``brand_match``,
      ``product_type_match``, ``attribute_match``, ``title_edit_distance`` and the point-in-time
      ``qd_log_past_impressions``, ``qd_log_past_clicks``, ``qd_past_ctr``.
    - **user**: one-hot ``store_*``, ``price_tier`` (0-2), ``tier_gap`` (|retailer tier - brand
      price level|), ``region_match`` (brand of the retailer's region), ``tenure_days`` (since
      sign-up) and ``retailer_log_past_searches``. Features constant within a search cannot
      reorder its list alone; they matter through interactions.
    - **context**: ``day_of_week`` (0 = Monday), ``hour`` (fractional), ``is_weekend``.

    The match features read the query's targets from ``market.queries`` (intent, category,
    brand, product type, attribute): a perfect query classifier, which a real system would have
    to predict. They are therefore optimistic, and close to how the simulator grades relevance.

    Point in time: history is aggregated per (key, day) and cumulated per key; a row on day
    :math:`d` reads the cumulative sum of the last day before :math:`d` with one binary search
    (and subtracts the sum before :math:`d - \text{history\_days}` for a window), so same-day
    events are never counted, whatever their time, and no Python loop runs over rows. Historical
    CTRs inherit the production ranker's position bias: a product it shows on top collects more
    clicks at equal relevance.

    Examples
    --------
    >>> from mlref.datasets import make_marketplace
    >>> market = make_marketplace(n_searches=300, random_state=0)
    >>> feats = build_search_features(market)
    >>> feats.X.shape[0] == len(market.impressions), sorted(feats.feature_groups)
    (True, ['context', 'document', 'query', 'query_document', 'user'])
    >>> first_day = feats.X[feats.day == 0]
    >>> float(first_day["qd_log_past_clicks"].max()), float(first_day["product_past_ctr"].max())
    (0.0, 0.0)
    """
    check_option(label, "label", _LABELS)
    if history_days is not None:
        history_days = check_positive_int(history_days, "history_days")
    m = check_real(smoothing, "smoothing", low=0, low_inclusive=False)
    log = market.impressions if impressions is None else impressions
    rows = _impression_rows(market, log, label)

    query_ids = rows["query_id"].to_numpy()
    product_ids = rows["product_id"].to_numpy()
    retailer_ids = rows["retailer_id"].to_numpy()
    day = rows["day"].to_numpy()
    edit_distance = check_bool(edit_distance, "edit_distance")
    history = _History(rows, market, history_days, m)

    columns: dict[str, np.ndarray] = {}
    groups: dict[str, list[str]] = {}

    def add(group: str, block: dict[str, np.ndarray]) -> None:
        columns.update(block)
        groups[group] = list(block)

    text = _TextIndex(market.queries["text"], market.products["title"])
    add("query", _query_features(market, history, text, query_ids, day, m))
    add("document", _document_features(market, history, product_ids))
    add(
        "query_document",
        _query_document_features(market, history, text, query_ids, product_ids, m, edit_distance),
    )
    add("user", _user_features(market, history, retailer_ids, product_ids, rows["timestamp"]))
    add("context", _context_features(rows["timestamp"]))

    X = pd.DataFrame({name: np.asarray(v, dtype=np.float64) for name, v in columns.items()})
    y_col = "true_relevance" if label == "relevance" else "clicked"
    return SearchFeatures(
        X=X,
        y=rows[y_col].to_numpy(dtype=np.float64),
        qid=rows["search_id"].to_numpy(),
        day=day,
        feature_groups=groups,
        rows=rows[
            ["search_id", "query_id", "product_id", "retailer_id", "position", "day", "clicked"]
        ].copy(),
    )


def time_split(
    features: SearchFeatures, *, train_days: int = 60, valid_days: int = 15
) -> tuple[SearchFeatures, SearchFeatures, SearchFeatures]:
    """Split by day: train on the first ``train_days``, validate on the next ``valid_days``, test
    on the rest (the source's section 6B: days 1-60, 61-75, 76-90).

    Parameters
    ----------
    features : SearchFeatures
    train_days, valid_days : int, default 60, 15
        Lengths of the first two periods, counted from day 0 of the window.

    Returns
    -------
    train, valid, test : SearchFeatures
        Whole searches only (a search happens on one day), in the original row order.

    Raises
    ------
    ValueError
        If a period would be empty.

    Examples
    --------
    >>> from mlref.datasets import make_marketplace
    >>> feats = build_search_features(make_marketplace(n_searches=2000, random_state=0))
    >>> train, valid, test = time_split(feats)
    >>> int(train.day.max()), int(valid.day.min()), int(valid.day.max()), int(test.day.min())
    (59, 60, 74, 75)
    """
    if not isinstance(features, SearchFeatures):
        raise ValueError(
            f"features must be a SearchFeatures from build_search_features, got "
            f"{type(features).__name__}"
        )
    train_days = check_positive_int(train_days, "train_days")
    valid_days = check_positive_int(valid_days, "valid_days")
    bounds = (0, train_days, train_days + valid_days, np.inf)
    parts = []
    for name, lo, hi in zip(("train", "valid", "test"), bounds[:-1], bounds[1:], strict=True):
        mask = (features.day >= lo) & (features.day < hi)
        if not mask.any():
            raise ValueError(
                f"the {name} period (days {lo} to {hi}) holds no rows; the data spans days "
                f"{features.day.min()}-{features.day.max()}: lower train_days or valid_days"
            )
        parts.append(features.select(mask))
    return parts[0], parts[1], parts[2]


# ----------------------------------------------------------------------------------------------
# Rows and point-in-time history


def _impression_rows(market, log, label: str) -> pd.DataFrame:
    needed = (
        (*_IMPRESSION_COLUMNS, "true_relevance") if label == "relevance" else _IMPRESSION_COLUMNS
    )
    check_dataframe(
        log, "impressions", columns=needed, hint="pass a table shaped like market.impressions"
    )
    searches = market.searches
    sid = log["search_id"].to_numpy()
    pid = log["product_id"].to_numpy()
    if sid.min() < 0 or sid.max() >= len(searches):
        raise ValueError("impressions holds search_id values that are not in market.searches")
    if pid.min() < 0 or pid.max() >= len(market.products):
        raise ValueError("impressions holds product_id values that are not in market.products")
    if log["clicked"].isna().any():
        raise ValueError("impressions['clicked'] holds missing values; fill them with 0 or 1")
    rows = pd.DataFrame(
        {
            "search_id": sid.astype(np.int64),
            "position": log["position"].to_numpy(dtype=np.int64),
            "product_id": pid.astype(np.int64),
            "clicked": log["clicked"].to_numpy(dtype=np.float64),
        }
    )
    if label == "relevance":
        rows["true_relevance"] = log["true_relevance"].to_numpy(dtype=np.float64)
    # Search ids equal row numbers of market.searches (see Marketplace).
    for col in ("query_id", "retailer_id", "day", "timestamp"):
        rows[col] = searches[col].to_numpy()[rows["search_id"].to_numpy()]
    return rows.sort_values(["search_id", "position"], kind="stable").reset_index(drop=True)


class _History:
    """Point-in-time sums of logged events before each row's day, per key."""

    def __init__(self, rows: pd.DataFrame, market, history_days: int | None, smoothing: float):
        self.window = history_days
        self.smoothing = smoothing
        self.day = rows["day"].to_numpy()
        self.rows = rows
        self.n_products = len(market.products)
        self.searches = market.searches
        self.orders = market.orders

    def sum_before(self, event_key, event_day, values, row_key) -> np.ndarray:
        """For each row, ``values`` summed over events with the row's key on days before its day.

        ``values`` is a (n_events, n_values) array; returns (n_rows, n_values).
        """
        event_key = np.asarray(event_key, dtype=np.int64)
        event_day = np.asarray(event_day, dtype=np.int64)
        values = np.asarray(values, dtype=np.float64).reshape(len(event_key), -1)
        span = int(max(event_day.max(initial=0), self.day.max()) + 2)
        code = event_key * span + event_day
        uniq, inverse = np.unique(code, return_inverse=True)
        daily = np.column_stack(
            [np.bincount(inverse, weights=v, minlength=len(uniq)) for v in values.T]
        )
        cumulative = np.cumsum(daily, axis=0)
        key_of = uniq // span
        # Cumulative sum before the key's first day: subtract it to restart the sums per key.
        first = np.r_[True, key_of[1:] != key_of[:-1]]
        start_offset = np.where(first[:, None], cumulative - daily, np.nan)
        start_offset = pd.DataFrame(start_offset).ffill().to_numpy()
        cumulative -= start_offset
        row_key = np.asarray(row_key, dtype=np.int64)

        def cumulative_before(day):
            at = np.searchsorted(uniq, row_key * span + np.maximum(day, 0), side="left") - 1
            valid = (at >= 0) & (key_of[np.maximum(at, 0)] == row_key)
            return np.where(valid[:, None], cumulative[np.maximum(at, 0)], 0.0)

        total = cumulative_before(self.day)
        if self.window is not None:
            total = total - cumulative_before(self.day - self.window)
        return total

    def impressions_before(self, event_key, row_key) -> tuple[np.ndarray, np.ndarray]:
        """(impressions, clicks) of the key before each row's day, from the impression log."""
        counts = np.column_stack([np.ones(len(self.rows)), self.rows["clicked"].to_numpy()])
        sums = self.sum_before(event_key, self.day, counts, row_key)
        return sums[:, 0], sums[:, 1]

    @cached_property
    def global_ctr(self) -> np.ndarray:
        """Clicks / impressions of all earlier days (0 before any impression)."""
        zeros = np.zeros(len(self.rows), np.int64)
        imps, clicks = self.impressions_before(zeros, zeros)
        return np.divide(clicks, imps, out=np.zeros_like(clicks), where=imps > 0)

    @cached_property
    def product_counts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(impressions, clicks, smoothed CTR) of each row's product before its day."""
        products = self.rows["product_id"].to_numpy()
        imps, clicks = self.impressions_before(products, products)
        return imps, clicks, _smoothed_ctr(clicks, imps, self.global_ctr, self.smoothing)


def _smoothed_ctr(clicks, impressions, prior, m):
    return (clicks + m * prior) / (impressions + m)


# ----------------------------------------------------------------------------------------------
# Text


class _TextIndex:
    """Tokens of queries and titles, their binary term matrices and a BM25 index of titles."""

    def __init__(self, query_text: pd.Series, titles: pd.Series):
        self.query_text = query_text.astype(str).str.lower().to_numpy(dtype=object)
        self.titles = titles.astype(str).str.lower().to_numpy(dtype=object)
        self.query_tokens = tokenize_many(list(self.query_text))
        self.title_tokens = tokenize_many(list(self.titles))
        self.bm25 = BM25().fit(self.title_tokens)
        vocabulary = pd.Index(
            pd.unique(np.concatenate([np.array(t, dtype=object) for t in self.title_tokens]))
        )
        self.queries_terms = _binary_terms(self.query_tokens, vocabulary)
        self.titles_terms = _binary_terms(self.title_tokens, vocabulary)

    def bm25_scores(self, query_ids, product_ids) -> np.ndarray:
        """BM25 of each row's query against its product's title, one batch over distinct queries."""
        distinct, inverse = np.unique(query_ids, return_inverse=True)
        scores = self.bm25.score_batch([self.query_tokens[q] for q in distinct])
        if sp.issparse(scores):
            return np.asarray(sp.csr_matrix(scores)[inverse, product_ids]).ravel()
        return np.asarray(scores)[inverse, product_ids]

    def token_overlap(self, query_ids, product_ids) -> np.ndarray:
        """Share of the query's distinct tokens that occur in the title (0 for an empty query)."""
        matched = (self.queries_terms @ self.titles_terms.T).tocsr()
        hits = np.asarray(matched[query_ids, product_ids]).ravel()
        # Query tokens outside the title vocabulary count as unmatched.
        n_tokens = np.array([len(set(t)) for t in self.query_tokens])[query_ids]
        return np.divide(hits, n_tokens, out=np.zeros(len(hits)), where=n_tokens > 0)


def _binary_terms(token_lists, vocabulary: pd.Index) -> sp.csr_matrix:
    lengths = np.array([len(t) for t in token_lists])
    flat = np.array([w for t in token_lists for w in t], dtype=object)
    cols = vocabulary.get_indexer(flat) if flat.size else np.empty(0, np.int64)
    rows = np.repeat(np.arange(len(token_lists)), lengths)
    keep = cols >= 0
    matrix = sp.csr_matrix(
        (np.ones(keep.sum()), (rows[keep], cols[keep])), shape=(len(token_lists), len(vocabulary))
    )
    matrix.data[:] = 1.0  # duplicates summed by the constructor: binary again
    return matrix


def _levenshtein_pairs(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    r"""Levenshtein distance of each pair of strings, one DP over all pairs at once.

    The strings are padded into code-point matrices and the DP runs over the characters of the
    left strings, one row of the DP table per step for all pairs together; each pair's answer is
    read at its own lengths. Within a row, the insertion chain
    :math:`D_{i,j} = \min(B_j, D_{i,j-1} + 1)` (``B`` the best of substitution and deletion)
    unrolls to :math:`D_{i,j} - j = \min(D_{i,0}, \min_{k \le j} (B_k - k))`, a cumulative
    minimum.
    """
    n = len(left)
    len_a = np.array([len(s) for s in left], dtype=np.int64)
    len_b = np.array([len(s) for s in right], dtype=np.int64)
    a = _code_points(left, len_a)
    b = _code_points(right, len_b)
    width = b.shape[1]
    columns = np.arange(width + 1)
    previous = np.broadcast_to(columns, (n, width + 1)).copy()
    result = np.where(len_a == 0, len_b, 0)
    for i in range(a.shape[1]):
        substitute = previous[:, :-1] + (a[:, i : i + 1] != b)
        best = np.minimum(substitute, previous[:, 1:] + 1)
        shifted = np.column_stack([np.full(n, i + 1), best - columns[1:]])
        current = np.minimum.accumulate(shifted, axis=1) + columns
        done = len_a == i + 1
        result[done] = current[done, len_b[done]]
        previous = current
    return result


def _code_points(strings: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    width = max(int(lengths.max(initial=0)), 1)
    out = np.full((len(strings), width), -1, dtype=np.int64)
    if lengths.sum():
        flat = np.frombuffer("".join(strings).encode("utf-32-le"), dtype=np.uint32)
        rows = np.repeat(np.arange(len(strings)), lengths)
        cols = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        out[rows, cols] = flat
    return out


# ----------------------------------------------------------------------------------------------
# Families


def _query_features(market, history, text, query_ids, day, m) -> dict[str, np.ndarray]:
    queries = market.queries
    intent = queries["intent"].astype(str).to_numpy()[query_ids]
    searches = history.searches
    past_searches = history.sum_before(
        searches["query_id"].to_numpy(), searches["day"].to_numpy(), np.ones(len(searches)),
        query_ids,
    )[:, 0]  # fmt: skip
    imps, clicks = history.impressions_before(history.rows["query_id"].to_numpy(), query_ids)
    return {
        "query_n_tokens": np.array([len(t) for t in text.query_tokens])[query_ids],
        "query_n_chars": np.array([len(t) for t in text.query_text])[query_ids],
        "intent_navigational": intent == "navigational",
        "intent_category": intent == "category",
        "intent_product": intent == "product",
        "query_log_past_searches": np.log1p(past_searches),
        "query_past_ctr": _smoothed_ctr(clicks, imps, history.global_ctr, m),
    }


def _document_features(market, history, product_ids) -> dict[str, np.ndarray]:
    products, brands = market.products, market.brands
    brand = products["brand_id"].to_numpy()[product_ids]
    category = products["category"].astype(str).to_numpy()[product_ids]
    rating = products["rating"].to_numpy()[product_ids]
    inventory = products["inventory"].to_numpy()[product_ids]
    orders = history.orders
    past_orders = history.sum_before(
        orders["product_id"].to_numpy(), orders["day"].to_numpy(), np.ones(len(orders)),
        product_ids,
    )[:, 0]  # fmt: skip
    imps, clicks, ctr = history.product_counts
    block = {
        f"category_{c}": category == c for c in products["category"].cat.categories.astype(str)
    }
    block |= {
        "brand_id": brand,
        "brand_price_level": brands["price_level"].cat.codes.to_numpy()[brand],
        "brand_is_new": brands["is_new"].to_numpy()[brand],
        "log_price": np.log(products["wholesale_price"].to_numpy()[product_ids]),
        "margin": brands["margin"].to_numpy()[brand],
        "rating": np.nan_to_num(rating, nan=0.0),
        "rating_missing": np.isnan(rating),
        "log_reviews": np.log1p(products["review_count"].to_numpy()[product_ids]),
        "log_inventory": np.log1p(inventory),
        "in_stock": inventory > 0,
        "low_stock": (inventory > 0) & (inventory <= 5),
        "product_log_past_impressions": np.log1p(imps),
        "product_log_past_clicks": np.log1p(clicks),
        "product_log_past_orders": np.log1p(past_orders),
        "product_past_ctr": ctr,
    }
    return block


def _same_category(left: pd.Series, right: pd.Series) -> np.ndarray:
    """Equality of two categorical columns by value; missing never matches."""
    a, b = left.astype(object).to_numpy(), right.astype(object).to_numpy()
    return pd.notna(a) & pd.notna(b) & (a == b)


def _query_document_features(
    market, history, text, query_ids, product_ids, m, edit_distance
) -> dict[str, np.ndarray]:
    pairs, pair_of_row = np.unique(
        np.column_stack([query_ids, product_ids]), axis=0, return_inverse=True
    )
    pair_of_row = pair_of_row.ravel()
    q = market.queries.iloc[query_ids].reset_index(drop=True)
    p = market.products.iloc[product_ids].reset_index(drop=True)
    block = {
        "bm25_title": text.bm25_scores(query_ids, product_ids),
        "title_token_overlap": text.token_overlap(query_ids, product_ids),
        "title_contains_query": _contains_pairs(text, pairs)[pair_of_row],
        "category_match": _same_category(q["target_category"], p["category"]),
        "brand_match": q["target_brand_id"].fillna(-1).to_numpy(dtype=np.int64)
        == p["brand_id"].to_numpy(),
        "product_type_match": _same_category(q["target_product_type"], p["product_type"]),
        "attribute_match": _same_category(q["target_attribute"], p["material"])
        | _same_category(q["target_attribute"], p["variant"]),
    }
    if edit_distance:
        left, right = text.query_text[pairs[:, 0]], text.titles[pairs[:, 1]]
        dist = _levenshtein_pairs(left, right)
        longest = np.maximum([len(s) for s in left], [len(s) for s in right])
        normalised = np.divide(dist, longest, out=np.zeros(len(dist)), where=longest > 0)
        block["title_edit_distance"] = normalised[pair_of_row]
    pair_key = query_ids.astype(np.int64) * history.n_products + product_ids
    rows_pair = (
        history.rows["query_id"].to_numpy(np.int64) * history.n_products
        + history.rows["product_id"].to_numpy()
    )
    imps, clicks = history.impressions_before(rows_pair, pair_key)
    product_ctr = history.product_counts[2]
    block |= {
        "qd_log_past_impressions": np.log1p(imps),
        "qd_log_past_clicks": np.log1p(clicks),
        "qd_past_ctr": _smoothed_ctr(clicks, imps, product_ctr, m),
    }
    return block


def _contains_pairs(text, pairs: np.ndarray) -> np.ndarray:
    """Whether the title contains the query as a phrase, for distinct (query, product) pairs."""
    return np.fromiter(
        (text.query_text[a] in text.titles[b] for a, b in pairs), dtype=bool, count=len(pairs)
    )


def _user_features(market, history, retailer_ids, product_ids, timestamp) -> dict[str, np.ndarray]:
    retailers, brands = market.retailers, market.brands
    store = retailers["store_type"].astype(str).to_numpy()[retailer_ids]
    tier = retailers["price_tier"].cat.codes.to_numpy()[retailer_ids]
    brand = market.products["brand_id"].to_numpy()[product_ids]
    searches = history.searches
    past = history.sum_before(
        searches["retailer_id"].to_numpy(), searches["day"].to_numpy(), np.ones(len(searches)),
        retailer_ids,
    )[:, 0]  # fmt: skip
    signup = retailers["signup_date"].to_numpy()[retailer_ids]
    tenure = (timestamp.to_numpy() - signup) / np.timedelta64(1, "D")
    block = {f"store_{s}": store == s for s in retailers["store_type"].cat.categories.astype(str)}
    block |= {
        "price_tier": tier,
        "tier_gap": np.abs(tier - brands["price_level"].cat.codes.to_numpy()[brand]),
        "region_match": retailers["region"].astype(str).to_numpy()[retailer_ids]
        == brands["region"].astype(str).to_numpy()[brand],
        "tenure_days": tenure,
        "retailer_log_past_searches": np.log1p(past),
    }
    return block


def _context_features(timestamp: pd.Series) -> dict[str, np.ndarray]:
    ts = pd.DatetimeIndex(timestamp)
    weekday = ts.day_of_week.to_numpy()
    return {
        "day_of_week": weekday,
        "hour": ts.hour.to_numpy() + ts.minute.to_numpy() / 60.0,
        "is_weekend": weekday >= 5,
    }
