r"""Nearest-neighbour retrieval over embeddings: exact top-k and an inverted-file (IVF) index.

The first stage of a recommender or a semantic search engine scores a query embedding :math:`q`
against every item embedding :math:`v_i` and keeps the :math:`k` best by inner product
(cosine similarity when both are L2-normalised):

.. math::

    \operatorname{top}_k(q) = \operatorname*{arg\,max}_{S \subset V,\ |S| = k}
        \sum_{i \in S} q \cdot v_i .

Exact search costs :math:`O(n d)` per query. An IVF index (Jégou et al., 2011; faiss's
``IndexIVFFlat``) clusters the items into ``n_lists`` Voronoi cells with k-means and, per query,
scans only the ``n_probe`` cells whose centroids are nearest: about
:math:`O(n_\text{lists} d + n\, d\, n_\text{probe} / n_\text{lists})`, traded against recall.

Conventions: computations are in float32 (as faiss); ties are broken by the smaller item id;
``search`` returns ``(indices, scores)`` of shape ``(n_queries, k)``, best first, and pads with
``-1`` / ``-inf`` when fewer than ``k`` items were scanned.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from mlref._validation import (
    check_n_features,
    check_option,
    check_positive_int,
    check_random_state,
)
from mlref.features.text import top_k_rows
from mlref.serving._checks import as_float32
from mlref.serving.quantize import quantize_int8

__all__ = ["IVFIndex", "exact_top_k", "kmeans"]

_METRICS = ("ip", "cosine")
_ENCODINGS = ("flat", "sq8")
# Query blocks keep the (block, n_items) score matrix near this many cells (≈ 64 MB in float32).
_SCORE_CELLS = 2**24


def _as_vectors(x, name: str) -> np.ndarray:
    return as_float32(x, name)


def _normalize(x: np.ndarray, name: str) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    if (norms == 0).any():
        raise ValueError(
            f"{name} holds {int((norms == 0).sum())} all-zero row(s), which have no direction; "
            "drop them or use metric='ip'"
        )
    return x / norms


def _check_k(k, n_items: int) -> int:
    k = check_positive_int(k, "k")
    if k > n_items:
        raise ValueError(f"k={k} exceeds the number of indexed vectors ({n_items}); lower k")
    return k


def exact_top_k(queries, vectors, k: int, *, metric: str = "ip") -> tuple[np.ndarray, np.ndarray]:
    r"""Exact top-``k`` items of every query by inner product or cosine similarity.

    .. math::

        s_{qi} = q \cdot v_i \quad (\text{cosine: } \tfrac{q \cdot v_i}{\|q\| \|v_i\|}),
        \qquad \text{keep the } k \text{ largest } s_{qi} \text{ per query}.

    Parameters
    ----------
    queries : array-like of float of shape (n_queries, d)
    vectors : array-like of float of shape (n_items, d)
    k : int
        Neighbours per query, ``1 <= k <= n_items``.
    metric : {"ip", "cosine"}, default "ip"

    Returns
    -------
    indices : numpy.ndarray of int64 of shape (n_queries, k)
        Item ids, best first; ties broken by the smaller id.
    scores : numpy.ndarray of float32 of shape (n_queries, k)

    Raises
    ------
    ValueError
        If an input is not a finite 2-D array, the dimensions differ, ``k`` is out of range,
        ``metric`` is unknown, or (cosine) a row is all zeros.

    Notes
    -----
    Queries are scored in blocks with one BLAS matrix product each; the top ``k`` of a block is
    selected without sorting whole rows (:func:`mlref.features.text.top_k_rows`: block maxima
    bound the :math:`k`-th score, and only the entries above the bound are sorted), which is
    faster than ``numpy.argpartition`` on the full row and breaks ties deterministically.

    Examples
    --------
    >>> V = np.array([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]])
    >>> idx, s = exact_top_k([[1.0, 0.2]], V, 2)
    >>> idx.tolist(), s.astype(float).round(2).tolist()
    ([[0, 2]], [[1.0, 0.84]])
    """
    check_option(metric, "metric", _METRICS)
    Q = _as_vectors(queries, "queries")
    V = _as_vectors(vectors, "vectors")
    if Q.shape[1] != V.shape[1]:
        raise ValueError(
            f"queries have dimension {Q.shape[1]} but vectors have {V.shape[1]}; embed both with "
            "the same model"
        )
    k = _check_k(k, V.shape[0])
    if metric == "cosine":
        Q, V = _normalize(Q, "queries"), _normalize(V, "vectors")
    return _exact_search(Q, V, k)


def _exact_search(Q: np.ndarray, V: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    indices = np.empty((Q.shape[0], k), dtype=np.int64)
    scores = np.empty((Q.shape[0], k), dtype=np.float32)
    block = max(1, _SCORE_CELLS // V.shape[0])
    VT = np.ascontiguousarray(V.T)
    for start in range(0, Q.shape[0], block):
        rows = slice(start, start + block)
        indices[rows], scores[rows] = top_k_rows(Q[rows] @ VT, k)
    return indices, scores


def kmeans(
    x, n_clusters: int, *, n_iter: int = 20, random_state=None
) -> tuple[np.ndarray, np.ndarray]:
    r"""Lloyd's k-means with squared Euclidean distance, initialised on random distinct rows.

    .. math::

        \min_{c_1..c_K} \sum_i \min_j \|x_i - c_j\|^2 ,
        \qquad \|x - c\|^2 = \|x\|^2 - 2\, x \cdot c + \|c\|^2 .

    Parameters
    ----------
    x : array-like of float of shape (n_samples, d)
    n_clusters : int
        ``1 <= n_clusters <= n_samples``.
    n_iter : int, default 20
        Lloyd iterations (assignment, then mean); stops early when no assignment changes.
    random_state : int, numpy Generator or None
        Seed of the initial centroids (chosen among the rows, without replacement, as faiss).

    Returns
    -------
    centroids : numpy.ndarray of float32 of shape (n_clusters, d)
    labels : numpy.ndarray of int64 of shape (n_samples,)

    Notes
    -----
    A cluster that loses all its points is re-seeded by splitting the largest cluster (its
    centroid is copied with a small perturbation), as faiss does, so no list stays empty.

    Examples
    --------
    >>> x = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
    >>> c, labels = kmeans(x, 2, random_state=0)
    >>> sorted(np.bincount(labels).tolist())
    [2, 2]
    """
    X = _as_vectors(x, "x")
    n_clusters = check_positive_int(n_clusters, "n_clusters")
    n_iter = check_positive_int(n_iter, "n_iter")
    if n_clusters > X.shape[0]:
        raise ValueError(
            f"n_clusters={n_clusters} exceeds the number of samples ({X.shape[0]}); lower "
            "n_clusters or pass more vectors"
        )
    rng = check_random_state(random_state)
    centroids = X[rng.choice(X.shape[0], n_clusters, replace=False)].copy()
    labels = np.full(X.shape[0], -1, dtype=np.int64)
    for _ in range(n_iter):
        new_labels = _nearest_centroid(X, centroids)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
        counts = np.bincount(labels, minlength=n_clusters)
        members = sp.csr_matrix(
            (np.ones(X.shape[0]), (labels, np.arange(X.shape[0]))),
            shape=(n_clusters, X.shape[0]),
        )
        sums = members @ X.astype(np.float64)
        filled = counts > 0
        centroids[filled] = (sums[filled] / counts[filled, None]).astype(np.float32)
        for empty in np.flatnonzero(~filled):
            largest = int(np.argmax(counts))
            noise = rng.normal(scale=1e-3, size=X.shape[1]).astype(np.float32)
            centroids[empty] = centroids[largest] + noise
            centroids[largest] -= noise
            counts[largest] //= 2
            counts[empty] = counts[largest]
    return centroids, _nearest_centroid(X, centroids)


def _nearest_centroid(X: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Index of the nearest centroid (squared L2) of every row, in blocks."""
    half_norms = 0.5 * np.einsum("ij,ij->i", centroids, centroids)
    out = np.empty(X.shape[0], dtype=np.int64)
    block = max(1, _SCORE_CELLS // centroids.shape[0])
    for start in range(0, X.shape[0], block):
        rows = slice(start, start + block)
        out[rows] = np.argmax(X[rows] @ centroids.T - half_norms, axis=1)
    return out


class IVFIndex(BaseEstimator):
    r"""Inverted-file index for approximate maximum-inner-product (or cosine) search.

    ``fit`` trains a k-means coarse quantizer on a sample of the vectors and stores every vector
    in the list (cell) of its nearest centroid; ``search`` scores a query against all centroids,
    scans the ``n_probe`` nearest lists exactly and returns the best ``k`` items found:

    .. math::

        L(q) = \operatorname{top}_{n_\text{probe}}\big(q \cdot c_j - \tfrac12 \|c_j\|^2\big),
        \qquad \widehat{\operatorname{top}}_k(q) = \operatorname{top}_k
        \{\, q \cdot v_i : \operatorname{list}(i) \in L(q) \,\}.

    Parameters
    ----------
    n_lists : int, default 1024
        Number of cells. A common rule is about :math:`\sqrt{n}` to :math:`4\sqrt{n}`.
    n_probe : int, default 8
        Cells scanned per query, ``1 <= n_probe <= n_lists``. Can be changed after ``fit``
        (``set_params(n_probe=...)``) without refitting: one fit gives a whole recall–speed curve.
    metric : {"ip", "cosine"}, default "ip"
        Inner product, or cosine (vectors and queries are L2-normalised).
    encoding : {"flat", "sq8"}, default "flat"
        ``"flat"`` stores float32 vectors (faiss ``IndexIVFFlat``); ``"sq8"`` stores int8 codes
        with one scale per vector (:func:`mlref.serving.quantize.quantize_int8`), 3.8× less
        memory at d = 64, scores :math:`s_i\,(q \cdot c_i)`.
    n_train : int, default 50000
        Vectors sampled to train k-means (all of them if fewer); at least ``n_lists``.
    n_iter : int, default 20
        k-means iterations.
    random_state : int, numpy Generator or None, default None
        Seed of the training sample and the k-means initialisation.

    Attributes
    ----------
    centroids_ : numpy.ndarray of float32 of shape (n_lists, d)
    list_offsets_ : numpy.ndarray of int64 of shape (n_lists + 1,)
        List ``j`` holds stored rows ``list_offsets_[j]:list_offsets_[j + 1]``.
    ids_ : numpy.ndarray of int64 of shape (n_vectors,)
        Original id of every stored row (rows are grouped by list).
    codes_ : numpy.ndarray of shape (n_vectors, d)
        float32 vectors (``flat``) or int8 codes (``sq8``), grouped by list.
    scales_ : numpy.ndarray of float32 of shape (n_vectors,) or None
        Per-vector scales of ``sq8``.
    n_features_in_ : int

    Notes
    -----
    The search runs list by list, like faiss's: the query–list pairs are grouped by list, and
    each list is scored against all the queries that probe it with one matrix product, so the
    Python loop runs over lists, not queries. With ``n_probe = n_lists`` every item is scanned
    and the result equals :func:`exact_top_k`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> V = rng.normal(size=(1000, 8))
    >>> index = IVFIndex(n_lists=16, n_probe=16, random_state=0).fit(V)
    >>> idx, _ = index.search(V[:3], 5)
    >>> bool((idx == exact_top_k(V[:3], V, 5)[0]).all())
    True
    """

    def __init__(
        self,
        n_lists: int = 1024,
        *,
        n_probe: int = 8,
        metric: str = "ip",
        encoding: str = "flat",
        n_train: int = 50_000,
        n_iter: int = 20,
        random_state=None,
    ):
        self.n_lists = n_lists
        self.n_probe = n_probe
        self.metric = metric
        self.encoding = encoding
        self.n_train = n_train
        self.n_iter = n_iter
        self.random_state = random_state

    def fit(self, vectors, y=None):
        """Train the coarse quantizer on a sample of ``vectors`` and fill the lists.

        Raises
        ------
        ValueError
            If ``vectors`` is not a finite 2-D array, has fewer rows than ``n_lists`` or
            ``n_train``, or a parameter is invalid.
        """
        n_lists = check_positive_int(self.n_lists, "n_lists")
        check_positive_int(self.n_probe, "n_probe")
        check_option(self.metric, "metric", _METRICS)
        check_option(self.encoding, "encoding", _ENCODINGS)
        n_train = check_positive_int(self.n_train, "n_train")
        rng = check_random_state(self.random_state)
        V = _as_vectors(vectors, "vectors")
        if self.metric == "cosine":
            V = _normalize(V, "vectors")
        if n_lists > V.shape[0] or n_lists > n_train:
            raise ValueError(
                f"n_lists={n_lists} needs at least that many vectors and n_train; got "
                f"{V.shape[0]} vectors and n_train={n_train}: lower n_lists"
            )
        sample = V
        if V.shape[0] > n_train:
            sample = V[np.sort(rng.choice(V.shape[0], n_train, replace=False))]
        self.centroids_, _ = kmeans(sample, n_lists, n_iter=self.n_iter, random_state=rng)
        labels = _nearest_centroid(V, self.centroids_)
        order = np.argsort(labels, kind="stable")
        self.ids_ = order.astype(np.int64)
        self.list_offsets_ = np.concatenate(
            [[0], np.cumsum(np.bincount(labels, minlength=n_lists))]
        ).astype(np.int64)
        stored = V[order]
        if self.encoding == "sq8":
            self.codes_, self.scales_ = quantize_int8(stored)
        else:
            self.codes_, self.scales_ = np.ascontiguousarray(stored), None
        self.n_features_in_ = V.shape[1]
        return self

    @property
    def list_sizes_(self) -> np.ndarray:
        """Number of vectors in each list."""
        return np.diff(self.list_offsets_)

    def memory_bytes(self) -> int:
        """Bytes held by the stored vectors (codes, scales and ids), not counting centroids."""
        self._check_fitted()
        scales = 0 if self.scales_ is None else self.scales_.nbytes
        return int(self.codes_.nbytes + scales + self.ids_.nbytes)

    def _check_fitted(self) -> None:
        if not hasattr(self, "centroids_"):
            raise NotFittedError(
                "This IVFIndex is not fitted yet; call fit(vectors) before search or memory_bytes"
            )

    def search(self, queries, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Approximate top-``k`` of every query, scanning the ``n_probe`` nearest lists.

        Parameters
        ----------
        queries : array-like of float of shape (n_queries, d)
        k : int
            ``1 <= k <= n_vectors``.

        Returns
        -------
        indices : numpy.ndarray of int64 of shape (n_queries, k)
            Original ids, best first (ties: smaller id first); ``-1`` where the probed lists held
            fewer than ``k`` vectors.
        scores : numpy.ndarray of float32 of shape (n_queries, k)
            ``-inf`` in the padded slots.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        ValueError
            If ``queries`` is not a finite 2-D array of the fitted dimension, ``k`` is out of
            range, or ``n_probe`` exceeds ``n_lists``.
        """
        self._check_fitted()
        n_probe = check_positive_int(self.n_probe, "n_probe")
        n_lists = self.centroids_.shape[0]
        if n_probe > n_lists:
            raise ValueError(
                f"n_probe={n_probe} exceeds n_lists={n_lists}; use at most n_lists (which scans "
                "every list, i.e. exact search)"
            )
        Q = check_n_features(_as_vectors(queries, "queries"), self, "queries")
        k = _check_k(k, self.ids_.shape[0])
        if self.metric == "cosine":
            Q = _normalize(Q, "queries")
        # Blocks of queries bound the (block, n_probe, k) candidate arrays of the scan.
        block = max(1, _SCORE_CELLS // (n_probe * k))
        found = [
            self._scan(Q[first : first + block], self._probe(Q[first : first + block], n_probe), k)
            for first in range(0, Q.shape[0], block)
        ]
        return np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found])

    def _probe(self, Q: np.ndarray, n_probe: int) -> np.ndarray:
        coarse = Q @ self.centroids_.T - 0.5 * np.einsum(
            "ij,ij->i", self.centroids_, self.centroids_
        )
        if n_probe == coarse.shape[1]:
            return np.broadcast_to(np.arange(n_probe), coarse.shape)
        return np.argpartition(coarse, -n_probe, axis=1)[:, -n_probe:]

    def _scan(self, Q: np.ndarray, probes: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        n_queries, n_probe = probes.shape
        best_scores = np.full((n_queries, n_probe, k), -np.inf, dtype=np.float32)
        best_rows = np.full((n_queries, n_probe, k), -1, dtype=np.int64)
        flat = probes.ravel()
        order = np.argsort(flat, kind="stable")
        pair_query = order // n_probe
        pair_slot = order % n_probe
        bounds = np.searchsorted(flat[order], np.arange(self.centroids_.shape[0] + 1))
        for lst in np.flatnonzero(np.diff(bounds)):
            start, stop = self.list_offsets_[lst], self.list_offsets_[lst + 1]
            if stop == start:
                continue
            pairs = slice(bounds[lst], bounds[lst + 1])
            q_rows, slots = pair_query[pairs], pair_slot[pairs]
            scores = self._list_scores(Q[q_rows], start, stop)
            # Rows of a list are stored in increasing id order: the smaller row wins a tie.
            top, scores = top_k_rows(scores, k)
            keep = top.shape[1]
            best_scores[q_rows, slots, :keep] = scores
            best_rows[q_rows, slots, :keep] = top + start
        return self._merge(best_scores.reshape(n_queries, -1), best_rows.reshape(n_queries, -1), k)

    def _list_scores(self, Qsub: np.ndarray, start: int, stop: int) -> np.ndarray:
        codes = self.codes_[start:stop]
        if self.scales_ is None:
            return Qsub @ codes.T
        return (Qsub @ codes.T.astype(np.float32)) * self.scales_[start:stop]

    def _merge(self, scores: np.ndarray, rows: np.ndarray, k: int):
        ids = np.where(rows >= 0, self.ids_[np.maximum(rows, 0)], -1)
        # Best score first, then the smaller original id; padded slots (-inf) go last.
        tie_key = np.where(ids >= 0, ids, np.iinfo(np.int64).max)
        order = np.lexsort((tie_key, -scores), axis=1)[:, :k]
        return np.take_along_axis(ids, order, axis=1), np.take_along_axis(scores, order, axis=1)
