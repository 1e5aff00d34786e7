r"""A two-stage search service over the simulator's catalogue, built from the course's pieces.

Request path, one query at a time, each stage a method so that it can be timed on its own:

1. **retrieve** — BM25 over the product text (title, brand name, category) keeps the
   ``n_candidates`` best products: cheap, sparse, recall-oriented.
2. **fetch features** — a feature store lookup: precomputed per-product rows (price, rating,
   reviews, stock, brand) gathered for the candidates, plus query–product match features
   computed on the fly (BM25 score, category / brand / product-type / attribute match, token
   overlap).
3. **score** — a gradient-boosted ranker (XGBoost ``rank:ndcg`` by default) scores the
   candidates; the best ``n_results`` are kept.
4. **hydrate** — the result page: titles, prices and brand names of the kept products.

The ranker is trained on graded relevance from the simulator's ground truth
(:meth:`~mlref.datasets.marketplace.Marketplace.true_relevance`) for the BM25 candidates of the
training queries plus random catalogue products (so that it also knows products BM25 missed,
which :meth:`SearchService.rank_full_catalogue` scores).

The match features read the query's targets (category, brand, product type, attribute) from
``market.queries``, as :func:`mlref.features.build_search_features` does: a perfect query
classifier, optimistic compared with a real system.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError

from mlref._validation import (
    check_array_2d,
    check_n_features,
    check_positive_int,
    check_random_state,
    check_same_length,
)
from mlref.features.text import BM25, tokenize_many
from mlref.ltr.xgboost_ranker import fit_xgboost_ranker
from mlref.serving._checks import as_float32, as_int64_1d

__all__ = ["FEATURE_NAMES", "SearchService", "ndcg_of_lists"]

_DOCUMENT_FEATURES = (
    "log_price",
    "rating",
    "rating_missing",
    "log_reviews",
    "log_inventory",
    "in_stock",
    "brand_price_level",
    "brand_is_new",
    "margin",
)
_MATCH_FEATURES = (
    "bm25",
    "category_match",
    "brand_match",
    "product_type_match",
    "attribute_match",
    "title_token_overlap",
)
#: Column names of the matrix :meth:`SearchService.fetch_features` returns.
FEATURE_NAMES = _MATCH_FEATURES + _DOCUMENT_FEATURES


def ndcg_of_lists(market, query_ids, lists, *, k: int = 10) -> np.ndarray:
    r"""NDCG@k of ranked product lists against the true relevance of the *whole* catalogue.

    .. math::

        \mathrm{NDCG@}k = \frac{\sum_{i=1}^{k} (2^{r_i} - 1) / \log_2(i + 1)}
        {\sum_{i=1}^{k} (2^{r^*_i} - 1) / \log_2(i + 1)},

    with :math:`r_i` the true grade of the :math:`i`-th listed product and :math:`r^*` the grades
    of all catalogue products sorted decreasingly: a list that misses a relevant product that
    retrieval never saw is penalised (which NDCG over the retrieved rows alone would hide).

    Parameters
    ----------
    market : Marketplace
    query_ids : array-like of int of shape (n_queries,)
    lists : array-like of int of shape (n_queries, >= k)
        Product ids, best first; ``-1`` for an empty slot (gain 0).
    k : int, default 10

    Returns
    -------
    numpy.ndarray of shape (n_queries,)
        NaN for a query with no relevant product in the catalogue.

    Raises
    ------
    ValueError
        If ``lists`` is not a 2-D array of product ids (or ``-1``) with one row per query and at
        least ``k`` columns, or an id is out of range.
    """
    k = check_positive_int(k, "k")
    q = as_int64_1d(query_ids, "query_ids")
    listed = check_array_2d(lists, "lists")
    check_same_length(query_ids=q, lists=listed)
    n_products = len(market.products)
    if (listed != np.round(listed)).any() or (listed < -1).any() or (listed >= n_products).any():
        raise ValueError(
            f"lists must hold product ids in [0, {n_products}) or -1 for an empty slot; pass "
            "the ids the ranker returned"
        )
    if listed.shape[1] < k:
        raise ValueError(
            f"lists has {listed.shape[1]} columns, fewer than k={k}; pass at least k products "
            "per query or lower k"
        )
    top = listed[:, :k].astype(np.int64)
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    grades = market.true_relevance(q[:, None], np.maximum(top, 0)).astype(np.float64)
    dcg = ((2.0**grades - 1) * (top >= 0)) @ discount
    all_products = np.arange(len(market.products))
    ideal_grades = -np.sort(-market.true_relevance(q[:, None], all_products[None, :]), axis=1)
    idcg = (2.0 ** ideal_grades[:, :k].astype(np.float64) - 1) @ discount
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(idcg > 0, dcg / idcg, np.nan)


class SearchService:
    """Retrieve → fetch features → score → hydrate over a :class:`Marketplace` catalogue.

    Parameters
    ----------
    market : Marketplace
        From :func:`mlref.datasets.make_marketplace`.
    n_candidates : int, default 100
        Products kept by retrieval.
    n_results : int, default 10
        Products on the result page.
    n_random_negatives : int, default 100
        Random catalogue products added to each training query's candidates.
    random_state : int, numpy Generator or None, default 0
        Seed of the random negatives (the ranker itself is seeded by its parameters).

    Attributes
    ----------
    bm25_ : BM25
    ranker_ : xgboost.XGBRanker
    n_features_in_ : int
        ``len(FEATURE_NAMES)``, the columns :meth:`score` expects.
    document_features_ : numpy.ndarray of float32 of shape (n_products, 9)
        The feature store's per-product rows.

    Examples
    --------
    >>> from mlref.datasets import make_marketplace
    >>> market = make_marketplace(n_searches=200, random_state=0)
    >>> service = SearchService(market).fit(np.arange(100), n_estimators=10)
    >>> page = service.serve(3)
    >>> list(page.columns), len(page)
    (['product_id', 'title', 'brand_name', 'wholesale_price', 'score'], 10)
    """

    def __init__(
        self,
        market,
        *,
        n_candidates: int = 100,
        n_results: int = 10,
        n_random_negatives: int = 100,
        random_state=0,
    ):
        self.market = market
        self.n_candidates = n_candidates
        self.n_results = n_results
        self.n_random_negatives = n_random_negatives
        self.random_state = random_state

    # ----- offline: index, feature store, ranker -----------------------------------------
    def _build_index(self) -> None:
        m = self.market
        products = m.products
        brands = m.brands.set_index("brand_id").loc[products["brand_id"]]
        text = (
            products["title"]
            + " "
            + brands["brand_name"].to_numpy()
            + " "
            + products["category"].str.replace("_", " ")
        )
        self.bm25_ = BM25().fit(list(text))
        self._query_tokens = tokenize_many(m.queries["text"])
        title_tokens = tokenize_many(products["title"])
        self._title_vocabulary = {
            t: i for i, t in enumerate(sorted({t for ts in title_tokens for t in ts}))
        }
        rows = np.repeat(np.arange(len(title_tokens)), [len(ts) for ts in title_tokens])
        cols = [self._title_vocabulary[t] for ts in title_tokens for t in ts]
        # Binary product x term matrix: a request reads the rows of its candidates.
        self._title_terms = sp.csr_matrix(
            (np.ones(len(cols)), (rows, cols)),
            shape=(len(title_tokens), len(self._title_vocabulary)),
        )
        self._title_terms.data[:] = 1.0  # a term repeated in a title counts once
        rating = products["rating"].to_numpy(dtype=np.float64)
        level = pd.Series(brands["price_level"].to_numpy()).map(
            {"budget": 0.0, "mid": 1.0, "premium": 2.0}
        )
        self.document_features_ = np.column_stack(
            [
                np.log(products["wholesale_price"].to_numpy(dtype=np.float64)),
                np.nan_to_num(rating),
                np.isnan(rating),
                np.log1p(products["review_count"].to_numpy(dtype=np.float64)),
                np.log1p(products["inventory"].to_numpy(dtype=np.float64)),
                products["inventory"].to_numpy() > 0,
                level.to_numpy(dtype=np.float64),
                brands["is_new"].to_numpy(),
                brands["margin"].to_numpy(dtype=np.float64),
            ]
        ).astype(np.float32)
        queries = m.queries
        self._q_category = queries["target_category"].astype(object).to_numpy()
        self._q_brand = queries["target_brand_id"].fillna(-1).to_numpy(dtype=np.int64)
        self._q_type = queries["target_product_type"].astype(object).to_numpy()
        self._q_attribute = queries["target_attribute"].astype(object).to_numpy()
        self._p_category = products["category"].astype(object).to_numpy()
        self._p_brand = products["brand_id"].to_numpy(dtype=np.int64)
        self._p_type = products["product_type"].astype(object).to_numpy()
        self._p_material = products["material"].astype(object).to_numpy()
        self._p_variant = products["variant"].astype(object).to_numpy()
        self._hydration = pd.DataFrame(
            {
                "product_id": products["product_id"].to_numpy(),
                "title": products["title"].to_numpy(),
                "brand_name": brands["brand_name"].to_numpy(),
                "wholesale_price": products["wholesale_price"].to_numpy(),
            }
        )

    def _check_query(self, query_id) -> int:
        if not hasattr(self, "bm25_"):
            raise NotFittedError(
                "This SearchService is not fitted yet; call fit(train_query_ids) first"
            )
        n = len(self.market.queries)
        if isinstance(query_id, bool) or not isinstance(query_id, int | np.integer):
            raise ValueError(f"query_id must be an int in [0, {n}), got {query_id!r}")
        if not 0 <= query_id < n:
            raise ValueError(f"query_id must be in [0, {n}), got {query_id}")
        return int(query_id)

    def fit(self, train_query_ids, **ranker_params):
        """Train the ranker on the training queries' candidates.

        ``**ranker_params`` go to :func:`mlref.ltr.fit_xgboost_ranker`; the defaults are 100
        trees and ``ndcg_at=10`` (LambdaMART pairs truncated at the top 10, the metric's cut-off;
        keeping every pair of the 200-row lists costs 3× the training time for +0.005 NDCG@10).

        Raises
        ------
        ValueError
            If a query id is out of range or the list is empty.
        """
        check_positive_int(self.n_candidates, "n_candidates")
        check_positive_int(self.n_results, "n_results")
        check_positive_int(self.n_random_negatives, "n_random_negatives")
        if self.n_results > self.n_candidates:
            raise ValueError(
                f"n_results={self.n_results} exceeds n_candidates={self.n_candidates}; retrieve "
                "at least as many products as the page shows"
            )
        self._build_index()
        q_ids = as_int64_1d(train_query_ids, "train_query_ids")
        for q in np.unique(q_ids):
            self._check_query(int(q))
        rng = check_random_state(self.random_state)
        n_products = len(self.market.products)
        X, y, group = [], [], []
        for q in q_ids:
            candidates, bm25 = self.retrieve(int(q))
            extra = rng.choice(n_products, self.n_random_negatives, replace=False)
            extra = np.setdiff1d(extra, candidates)
            products = np.concatenate([candidates, extra])
            scores = np.concatenate([bm25, self.bm25_.score(self._query_tokens[q])[extra]])
            X.append(self.fetch_features(int(q), (products, scores)))
            y.append(self.market.true_relevance(int(q), products))
            group.append(np.full(products.size, q))
        params = {"n_estimators": 100, "ndcg_at": 10, **ranker_params}
        self.ranker_ = fit_xgboost_ranker(
            np.vstack(X), np.concatenate(y), np.concatenate(group), **params
        )
        self.n_trees_ = params["n_estimators"]
        self.n_features_in_ = len(FEATURE_NAMES)
        return self

    # ----- online: the four stages ---------------------------------------------------------
    def retrieve(self, query_id) -> tuple[np.ndarray, np.ndarray]:
        """BM25 top ``n_candidates`` products of a query: ``(product_ids, bm25_scores)``."""
        q = self._check_query(query_id)
        ids, scores = self.bm25_.search(self._query_tokens[q], k=self.n_candidates)
        return ids.astype(np.int64), scores

    def fetch_features(self, query_id, candidates) -> np.ndarray:
        """Feature rows (:data:`FEATURE_NAMES`) of ``candidates = (product_ids, bm25_scores)``."""
        q = self._check_query(query_id)
        p, bm25 = candidates
        attribute = self._q_attribute[q]
        tokens = set(self._query_tokens[q])
        in_query = np.zeros(len(self._title_vocabulary))
        in_query[[self._title_vocabulary[t] for t in tokens if t in self._title_vocabulary]] = 1.0
        overlap = (self._title_terms[p] @ in_query) / max(len(tokens), 1)
        match = np.column_stack(
            [
                bm25,
                self._p_category[p] == self._q_category[q],
                self._p_brand[p] == self._q_brand[q],
                self._p_type[p] == self._q_type[q],
                (self._p_material[p] == attribute) | (self._p_variant[p] == attribute),
                overlap,
            ]
        ).astype(np.float32)
        return np.hstack([match, self.document_features_[p]])

    def score(self, features) -> np.ndarray:
        """Ranker scores of feature rows (all trees).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        ValueError
            If ``features`` is not a finite 2-D array with the :data:`FEATURE_NAMES` columns.
        """
        if not hasattr(self, "ranker_"):
            raise NotFittedError(
                "This SearchService is not fitted yet; call fit(train_query_ids) first"
            )
        X = check_n_features(as_float32(features, "features"), self, "features")
        return self.ranker_.predict(X)

    def top_results(self, product_ids, scores) -> tuple[np.ndarray, np.ndarray]:
        """The best ``n_results`` (score descending, smaller id first on ties)."""
        order = np.lexsort((product_ids, -scores))[: self.n_results]
        return product_ids[order], scores[order]

    def hydrate(self, product_ids, scores) -> pd.DataFrame:
        """The result page: id, title, brand name, price and score of each product."""
        page = self._hydration.iloc[product_ids].reset_index(drop=True)
        page["score"] = scores
        return page

    def serve(self, query_id) -> pd.DataFrame:
        """All four stages for one query."""
        candidates = self.retrieve(query_id)
        scores = self.score(self.fetch_features(query_id, candidates))
        return self.hydrate(*self.top_results(candidates[0], scores))

    def stages(self):
        """``(name, callable)`` pairs for :func:`mlref.serving.run_stages`, request = query id.

        Names follow the source's budget: ``retrieval``, ``features``, ``inference``,
        ``hydration``.
        """

        def retrieval(q):
            return q, self.retrieve(q)

        def features(state):
            q, candidates = state
            return candidates[0], self.fetch_features(q, candidates)

        def inference(state):
            products, X = state
            return self.top_results(products, self.score(X))

        def hydration(state):
            return self.hydrate(*state)

        return [
            ("retrieval", retrieval),
            ("features", features),
            ("inference", inference),
            ("hydration", hydration),
        ]

    def rank_full_catalogue(self, query_id) -> np.ndarray:
        """Top ``n_results`` product ids when the ranker scores every catalogue product."""
        q = self._check_query(query_id)
        products = np.arange(len(self.market.products))
        bm25 = self.bm25_.score(self._query_tokens[q])
        scores = self.score(self.fetch_features(q, (products, bm25)))
        return self.top_results(products, scores)[0]
