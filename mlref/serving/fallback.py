r"""Keep serving when a part fails: the fallbacks of a ranking service, exercised for real.

A request goes through three dependencies, and each has a failure the service must survive:

========================  =================================================  ==================
dependency                failure                                            fallback
========================  =================================================  ==================
candidate retrieval       raises, or returns no (or too few) candidates      popular items
online feature store      raises, or returns a malformed vector              the user's last
                                                                             good features
                                                                             (cache), else the
                                                                             default vector
ranking model             raises, returns bad scores, or misses its          a cheap fallback
                          deadline (``timeout_ms``)                          ranker
========================  =================================================  ==================

The dependencies are injected as plain callables, so a real feature store (anything with a
``user -> vector`` lookup), an ANN index or a model server plug in unchanged. The model runs
in a worker thread and the request stops waiting for it after ``timeout_ms``: a hung model
costs one request its deadline, not the service its availability.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections import Counter
from typing import NamedTuple

import numpy as np

from mlref._validation import (
    as_array,
    check_array_1d,
    check_bool,
    check_positive_int,
    check_real,
)
from mlref.serving.cache import LRUCache

__all__ = ["ResilientRanker", "ServedList"]


class ServedList(NamedTuple):
    """One served request of :class:`ResilientRanker`.

    Attributes
    ----------
    items : numpy.ndarray of int64
        The ranked item ids, best first (at most ``k``).
    scores : numpy.ndarray of float64
        Their scores under the ranker that ordered them (NaN when neither ranker answered).
    ranker : str
        ``"model"``, ``"fallback"`` or ``"candidate_order"`` (both rankers failed).
    features : str
        ``"online"``, ``"cached"`` or ``"default"``.
    candidates : str
        ``"retrieval"``, ``"retrieval+popular"`` (padded to ``k``) or ``"popular"``.
    reason : str
        Why the service left the normal path (``""`` when it did not), e.g. ``"model timeout"``.
    latency_ms : float
        Wall time of the request.
    """

    items: np.ndarray
    scores: np.ndarray
    ranker: str
    features: str
    candidates: str
    reason: str
    latency_ms: float


def _check_callable(value, name: str, signature: str):
    if not callable(value):
        raise TypeError(f"{name} must be a function {signature}, got {value!r}")
    return value


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class ResilientRanker:
    r"""Serve top-k lists through retrieval, feature and model failures, with a fallback for each.

    Parameters
    ----------
    retrieve : callable
        ``retrieve(user) -> item ids`` (1-D integers): the candidate generator.
    user_features : callable
        ``user_features(user) -> 1-D float array`` of length ``len(default_features)``: the
        online feature store lookup.
    rank : callable
        ``rank(user, features, items) -> scores``, one finite score per item: the main model
        (``features`` is the user's vector from the store, the cache or the default).
    fallback_rank : callable
        ``fallback_rank(user, items) -> scores``: a cheap ranker that needs no features
        (popularity, a dot product of precomputed embeddings).
    popular_items : array-like of int
        Item ids, most popular first: candidates when retrieval fails, padding when it returns
        fewer than ``k``.
    default_features : array-like of float
        Features used for a user the store cannot serve and the cache has never seen (e.g. the
        training means).
    timeout_ms : float, default 50.0
        Deadline of the model call; > 0.
    feature_cache_size : int, default 10000
        Users whose last good features are kept (least recently used evicted).
    max_workers : int, default 2
        Threads running model calls. A model that hangs holds one; when all are held, later
        calls wait in the queue and miss their deadline too (the service still answers).

    Attributes
    ----------
    counts_ : collections.Counter
        ``("ranker", "model")``, ``("features", "cached")``, ``("candidates", "popular")``...:
        how many requests took each path.
    feature_cache_ : LRUCache
        The last good feature vector per user.

    Notes
    -----
    The order of checks per request: candidates (retrieval, else padded/replaced by popular
    items, excluding duplicates), then features (online, else cache, else default; a vector of
    the wrong length or with NaN counts as a failure), then the model under its deadline (else
    the fallback ranker, else the candidate order). Ties in scores keep the candidate order.
    Use as a context manager, or call :meth:`close`, to release the worker threads.

    Examples
    --------
    >>> ranker = ResilientRanker(
    ...     retrieve=lambda user: [3, 1, 2],
    ...     user_features=lambda user: np.array([1.0, 0.0]),
    ...     rank=lambda user, features, items: -np.asarray(items, float),
    ...     fallback_rank=lambda user, items: np.zeros(len(items)),
    ...     popular_items=[1, 2, 3, 4],
    ...     default_features=[0.0, 0.0],
    ... )
    >>> served = ranker.serve(7, k=4)
    >>> served.items.tolist(), served.ranker, served.candidates
    ([1, 2, 3, 4], 'model', 'retrieval+popular')
    >>> ranker.close()
    """

    def __init__(
        self,
        *,
        retrieve,
        user_features,
        rank,
        fallback_rank,
        popular_items,
        default_features,
        timeout_ms: float = 50.0,
        feature_cache_size: int = 10_000,
        max_workers: int = 2,
    ):
        self.retrieve = _check_callable(retrieve, "retrieve", "retrieve(user) -> item ids")
        self.user_features = _check_callable(
            user_features, "user_features", "user_features(user) -> 1-D array"
        )
        self.rank = _check_callable(rank, "rank", "rank(user, features, items) -> scores")
        self.fallback_rank = _check_callable(
            fallback_rank, "fallback_rank", "fallback_rank(user, items) -> scores"
        )
        self.popular_items = check_array_1d(popular_items, "popular_items", dtype=np.int64)
        if np.unique(self.popular_items).size != self.popular_items.size:
            raise ValueError("popular_items holds repeated ids; pass each item once")
        self.default_features = check_array_1d(default_features, "default_features")
        self.timeout_ms = check_real(timeout_ms, "timeout_ms", low=0.0, low_inclusive=False)
        self.feature_cache_size = check_positive_int(feature_cache_size, "feature_cache_size")
        self.max_workers = check_positive_int(max_workers, "max_workers")
        self.counts_ = Counter()
        self.feature_cache_ = LRUCache(self.feature_cache_size)
        self._pool = None

    # ----- the three dependencies, each with its fallback ------------------------------------
    def _candidates(self, user, k: int) -> tuple[np.ndarray, str, str]:
        reason = ""
        try:
            items = as_array(self.retrieve(user), "retrieve(user)", None)
            if items.ndim != 1 or (items.size and items.dtype.kind not in "iu"):
                raise ValueError(f"retrieve returned shape {items.shape}, dtype {items.dtype}")
            items = items.astype(np.int64)
            _, first = np.unique(items, return_index=True)
            items = items[np.sort(first)]  # drop repeats, keep the retrieval order
        except Exception as exc:
            items, reason = np.empty(0, dtype=np.int64), f"retrieval failed ({_describe(exc)})"
        if items.size >= k:
            return items, "retrieval", reason
        if items.size == 0 and not reason:
            reason = "no candidates"
        padding = self.popular_items[~np.isin(self.popular_items, items)][: k - items.size]
        source = "popular" if items.size == 0 else "retrieval+popular"
        return np.concatenate([items, padding]), source, reason

    def _features(self, user) -> tuple[np.ndarray, str, str]:
        try:
            vector = np.asarray(self.user_features(user), dtype=np.float64)
            if vector.shape != self.default_features.shape or not np.isfinite(vector).all():
                raise ValueError(
                    f"feature store returned shape {vector.shape} or non-finite values, expected "
                    f"{self.default_features.shape[0]} finite features"
                )
        except Exception as exc:
            reason = f"feature store failed ({_describe(exc)})"
            cached = self.feature_cache_.get(user)
            if cached is not None:
                return cached, "cached", reason
            return self.default_features, "default", reason
        self.feature_cache_.put(user, vector)
        return vector, "online", ""

    def _scores(self, values, n_items: int, who: str) -> np.ndarray:
        scores = np.asarray(values, dtype=np.float64)
        if scores.shape != (n_items,) or not np.isfinite(scores).all():
            raise ValueError(f"{who} returned shape {scores.shape} or non-finite scores")
        return scores

    def _model_scores(self, user, features: np.ndarray, items: np.ndarray) -> np.ndarray:
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=self.max_workers, thread_name_prefix="mlref-model"
            )
        future = self._pool.submit(self.rank, user, features, items)
        try:
            values = future.result(timeout=self.timeout_ms / 1000.0)
        except concurrent.futures.TimeoutError:
            future.cancel()  # drops it if still queued; a running call finishes on its own
            raise TimeoutError(f"model timeout (> {self.timeout_ms:g} ms)") from None
        return self._scores(values, items.size, "rank")

    # ----- the request ------------------------------------------------------------------------
    def serve(self, user, *, k: int = 10) -> ServedList:
        """Rank the top ``k`` items for ``user``, falling back wherever a dependency fails.

        Parameters
        ----------
        user : hashable
            The user id handed to ``retrieve``, ``user_features`` and ``fallback_rank``.
        k : int, default 10
            Length of the list.

        Returns
        -------
        ServedList
        """
        k = check_positive_int(k, "k")
        start = time.perf_counter()
        items, candidate_source, reasons = self._candidates(user, k)
        features, feature_source, feature_reason = self._features(user)
        reasons = [r for r in (reasons, feature_reason) if r]
        ranker = "model"
        try:
            scores = self._model_scores(user, features, items)
        except Exception as exc:
            reasons.append(
                str(exc) if isinstance(exc, TimeoutError) else f"model failed ({_describe(exc)})"
            )
            ranker = "fallback"
            try:
                scores = self._scores(self.fallback_rank(user, items), items.size, "fallback_rank")
            except Exception as fallback_exc:
                reasons.append(f"fallback ranker failed ({_describe(fallback_exc)})")
                ranker = "candidate_order"
                scores = -np.arange(items.size, dtype=np.float64)
        top = np.argsort(-scores, kind="stable")[:k]
        for kind, value in (
            ("ranker", ranker),
            ("features", feature_source),
            ("candidates", candidate_source),
        ):
            self.counts_[(kind, value)] += 1
        self.counts_[("requests", "all")] += 1
        return ServedList(
            items=items[top],
            scores=scores[top] if ranker != "candidate_order" else np.full(top.size, np.nan),
            ranker=ranker,
            features=feature_source,
            candidates=candidate_source,
            reason="; ".join(reasons),
            latency_ms=1000.0 * (time.perf_counter() - start),
        )

    def close(self, *, wait: bool = False) -> None:
        """Stop the worker threads; queued model calls are cancelled.

        Parameters
        ----------
        wait : bool, default False
            Also wait for a model call still running (one that missed its deadline) to return;
            otherwise it finishes in the background.
        """
        wait = check_bool(wait, "wait")
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
            self._pool = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ResilientRanker(timeout_ms={self.timeout_ms:g}, requests={self.counts_.total()})"
