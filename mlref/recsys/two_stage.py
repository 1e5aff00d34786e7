r"""Two-stage recommendation: several retrievers propose candidates, one ranker orders them.

Stage 1 (*retrieval*) must be cheap per item and high in recall: each retriever (ALS, item–item
CF, popularity, a two-tower model, ...) returns its top :math:`N` per user, and the union is the
candidate set, about a thousand items. Stage 2 (*ranking*) can afford a richer model because it
scores only those candidates: it sees each candidate's rank in every retriever's list (a
retriever that did not propose it gives rank :math:`N + 1`), the retrievers' scores and user /
item features, and keeps the best :math:`K` (50). The end result cannot recall an item stage 1
missed, so Recall@1000 of stage 1 bounds what stage 2 can reach.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from mlref._validation import as_array, check_array_1d, check_positive_int
from mlref.metrics.retrieval import top_k_items
from mlref.recsys._base import check_user_items
from mlref.serving.retrieval import IVFIndex

__all__ = ["IVFRetriever", "build_candidates", "merge_candidates", "top_k_per_user"]


def merge_candidates(candidate_lists: dict, *, n_items: int) -> pd.DataFrame:
    """The union of several retrievers' top-N lists, one row per (user row, item).

    Parameters
    ----------
    candidate_lists : dict of str to array-like of int of shape (n_users, n_r)
        Each retriever's item ids per user row, best first (``-1`` = empty slot); every array
        has the same users in the same row order.
    n_items : int
        Number of items (ids are ``0..n_items-1``).

    Returns
    -------
    pandas.DataFrame
        Columns ``user_row``, ``item`` and ``rank_<name>`` per retriever (1 = its best;
        ``n_r + 1`` when the retriever did not propose the item), sorted by user row and item.

    Examples
    --------
    >>> merge_candidates({"a": [[3, 1]], "b": [[1, -1]]}, n_items=5).to_dict("list")
    {'user_row': [0, 0], 'item': [1, 3], 'rank_a': [2, 1], 'rank_b': [1, 3]}
    """
    n_items = check_positive_int(n_items, "n_items")
    if not isinstance(candidate_lists, dict) or not candidate_lists:
        raise ValueError("candidate_lists must be a non-empty dict {retriever name: id matrix}")
    arrays = {}
    for name, ids in candidate_lists.items():
        arr = as_array(ids, f"candidate_lists[{name!r}]", None)
        if arr.ndim != 2 or arr.dtype.kind not in "iu":
            raise ValueError(f"candidate_lists[{name!r}] must be a 2-D integer array of item ids")
        if arr.size and (arr.max() >= n_items or arr.min() < -1):
            raise ValueError(f"candidate_lists[{name!r}] holds ids outside 0..{n_items - 1} / -1")
        arrays[name] = arr.astype(np.int64)
    n_users = {a.shape[0] for a in arrays.values()}
    if len(n_users) != 1:
        raise ValueError(f"every retriever must list the same users; got row counts {n_users}")
    keyed = {}
    for name, arr in arrays.items():
        users = np.repeat(np.arange(arr.shape[0]), arr.shape[1])
        ranks = np.tile(np.arange(1, arr.shape[1] + 1), arr.shape[0])
        ok = arr.ravel() >= 0
        keyed[name] = (users[ok] * n_items + arr.ravel()[ok], ranks[ok], arr.shape[1])
    keys = np.unique(np.concatenate([k for k, _, _ in keyed.values()]))
    out = {"user_row": keys // n_items, "item": keys % n_items}
    for name, (k, ranks, width) in keyed.items():
        rank = np.full(keys.size, width + 1, dtype=np.int64)
        rank[np.searchsorted(keys, k)] = ranks
        out[f"rank_{name}"] = rank
    return pd.DataFrame(out)


def top_k_per_user(user_row, item, score, *, n_users: int, k: int) -> np.ndarray:
    """Each user's ``k`` highest-scoring items (ties: smaller item id first) as an id matrix.

    Parameters
    ----------
    user_row, item, score : array-like of shape (n_rows,)
        One scored candidate per row.
    n_users : int
        Rows of the output (users without candidates get only ``-1``).
    k : int

    Returns
    -------
    numpy.ndarray of int64 of shape (n_users, k)

    Examples
    --------
    >>> top_k_per_user([0, 0, 1], [5, 7, 2], [0.1, 0.9, 0.3], n_users=2, k=2).tolist()
    [[7, 5], [2, -1]]
    """
    k = check_positive_int(k, "k")
    n_users = check_positive_int(n_users, "n_users")
    user_row = check_array_1d(user_row, "user_row", dtype=np.int64)
    item = check_array_1d(item, "item", dtype=np.int64)
    score = check_array_1d(score, "score")
    if not user_row.size == item.size == score.size:
        raise ValueError("user_row, item and score must have the same length")
    if user_row.min() < 0 or user_row.max() >= n_users:
        raise ValueError(f"user_row must lie in 0..{n_users - 1}")
    if item.min() < 0:
        raise ValueError("item holds a negative id; item ids are 0..n_items-1 (-1 marks padding)")
    order = np.lexsort((item, -score, user_row))
    u, i = user_row[order], item[order]
    position = np.arange(u.size) - np.searchsorted(u, u, side="left")
    keep = position < k
    out = np.full((n_users, k), -1, dtype=np.int64)
    out[u[keep], position[keep]] = i[keep]
    return out


class IVFRetriever(BaseEstimator):
    r"""A two-tower model served through an IVF index: approximate top-N candidates per user.

    ``fit(model)`` indexes the item tower's embeddings of every item in an
    :class:`mlref.serving.IVFIndex` (inner product); ``retrieve`` embeds the users with the user
    tower and searches the index, so stage 1 never scores the whole catalogue. Because the
    model's score is :math:`\langle f(u), g(j) \rangle / \tau`, the inner-product order is
    the model's order; with ``n_probe = n_lists`` the lists equal the model's exact top-N.

    Parameters
    ----------
    n_lists : int, default 128
        IVF cells (about :math:`\sqrt{n_\text{items}}` to :math:`4\sqrt{n_\text{items}}`).
    n_probe : int, default 8
        Cells scanned per user.
    random_state : int, numpy Generator or None
        Seed of the index's k-means.

    Attributes
    ----------
    model_ : fitted two-tower model (``user_embeddings``, ``item_embeddings``, ``score_items``)
    index_ : mlref.serving.IVFIndex
    n_items_ : int

    Examples
    --------
    >>> from mlref.models import TwoTowerModel
    >>> tt = TwoTowerModel(embedding_dim=4, id_embedding_dim=4, hidden_layer_sizes=(),
    ...                    n_epochs=2, random_state=0).fit([0, 0, 1, 2], [1, 2, 0, 3], n_items=6)
    >>> ivf = IVFRetriever(n_lists=2, n_probe=2, random_state=0).fit(tt)
    >>> exact = tt.recommend([0, 1], k=3, exclude=None)
    >>> bool((ivf.retrieve([0, 1], 3) == exact).all())  # every cell probed: exact
    True
    """

    _BLOCK_ENTRIES = 2_000_000

    def __init__(self, n_lists: int = 128, *, n_probe: int = 8, random_state=None) -> None:
        self.n_lists = n_lists
        self.n_probe = n_probe
        self.random_state = random_state

    def fit(self, model) -> IVFRetriever:
        """Index ``model``'s item embeddings (a fitted :class:`mlref.models.TwoTowerModel`)."""
        for method in ("user_embeddings", "item_embeddings", "score_items"):
            if not callable(getattr(model, method, None)):
                raise ValueError(
                    f"model must be a fitted two-tower model with {method}(); got "
                    f"{type(model).__name__}"
                )
        items = model.item_embeddings()
        self.index_ = IVFIndex(
            self.n_lists, n_probe=self.n_probe, metric="ip", random_state=self.random_state
        ).fit(items)
        self.model_ = model
        self.n_items_ = items.shape[0]
        return self

    def score_items(self, users=None) -> np.ndarray:
        """The model's exact scores of every item, (len(users), n_items) (ranker features)."""
        check_is_fitted(self, "index_")
        return self.model_.score_items(users)

    def retrieve(self, users, n: int, *, exclude=None) -> np.ndarray:
        """Approximate top ``n`` items per user, best first, skipping ``exclude``.

        Parameters
        ----------
        users : array-like of int
        n : int
            Items per user.
        exclude : scipy.sparse matrix of shape (len(users), n_items), optional
            Non-zero where an item must not be returned (e.g. the user's training items). The
            index is searched for ``n`` plus the largest row count of ``exclude``.

        Returns
        -------
        numpy.ndarray of int64 of shape (len(users), n)
            ``-1`` pads a row when the probed cells held too few items.
        """
        check_is_fitted(self, "index_")
        n = check_positive_int(n, "n")
        if n > self.n_items_:
            raise ValueError(f"n={n} exceeds the number of items ({self.n_items_}); lower n")
        self.index_.set_params(n_probe=self.n_probe)
        queries = self.model_.user_embeddings(users)
        skip = None
        if exclude is not None:
            if not sp.issparse(exclude) or exclude.shape != (queries.shape[0], self.n_items_):
                raise ValueError(
                    f"exclude must be a scipy.sparse matrix of shape (len(users), n_items) = "
                    f"{(queries.shape[0], self.n_items_)}"
                )
            skip = sp.csr_matrix(exclude)
            skip.eliminate_zeros()
        out = np.full((queries.shape[0], n), -1, dtype=np.int64)
        # Each block of users asks the index for n plus the block's largest number of excluded
        # items, so one heavy user does not raise k (and the (users, n_probe, k) work) for all.
        per_row = np.zeros(queries.shape[0], np.int64) if skip is None else np.diff(skip.indptr)
        block = max(1, self._BLOCK_ENTRIES // (self.n_probe * (n + int(per_row.max()))))
        for first in range(0, queries.shape[0], block):
            rows = slice(first, first + block)
            k = min(n + int(per_row[rows].max()), self.n_items_)
            ids, _ = self.index_.search(queries[rows], k)
            if skip is not None:
                r = np.repeat(np.arange(first, first + ids.shape[0]), ids.shape[1])
                flat = ids.ravel()
                ok = flat >= 0
                hit = np.zeros(flat.size, bool)
                hit[ok] = np.asarray(skip[r[ok], flat[ok]]).ravel() != 0
                ids = np.where(hit.reshape(ids.shape), -1, ids)
            # Keep each row's first n valid ids, in order.
            valid = ids >= 0
            position = np.cumsum(valid, axis=1) - 1
            keep = valid & (position < n)
            out[first + np.nonzero(keep)[0], position[keep]] = ids[keep]
        return out


def build_candidates(retrievers: dict, users, *, n_per_retriever: int, seen, train) -> pd.DataFrame:
    """Stage 1 for ``users``: merge every retriever's top-N and describe each candidate.

    Parameters
    ----------
    retrievers : dict of str to fitted model
        Models with ``score_items(users)`` (every :mod:`mlref.recsys` model,
        :class:`mlref.models.PopularityRecommender`, ...); each proposes its top N by score
        (ties: smaller item id), as its ``recommend`` would. A model with a
        ``retrieve(users, n, exclude=...)`` method (:class:`IVFRetriever`) proposes its own
        lists instead (approximate search); its ``score_items`` still gives the features.
    users : array-like of int
        User positions; row ``r`` of the output's ``user_row`` is ``users[r]``.
    n_per_retriever : int
        :math:`N`, candidates taken from each retriever.
    seen : scipy.sparse matrix of shape (len(users), n_items)
        Items never to propose (e.g. everything the user rated in training).
    train : scipy.sparse matrix of shape (n_users, n_items)
        Training ratings, for the count features.

    Returns
    -------
    pandas.DataFrame
        ``user_row``, ``user``, ``item``, ``rank_<name>`` and ``score_<name>`` per retriever,
        ``item_log_count`` (log 1 + training ratings of the item), ``item_mean_rating`` and
        ``user_log_count`` (log 1 + the user's training ratings).
    """
    if not isinstance(retrievers, dict) or not retrievers:
        raise ValueError("retrievers must be a non-empty dict {name: fitted recommender}")
    for name, model in retrievers.items():
        if not callable(getattr(model, "score_items", None)):
            raise ValueError(
                f"retrievers[{name!r}] has no score_items(users) method; pass fitted models"
            )
    n_per_retriever = check_positive_int(n_per_retriever, "n_per_retriever")
    users = check_array_1d(users, "users", dtype=np.int64)
    train = check_user_items(train, "train")
    n_items = train.shape[1]
    if users.min() < 0 or users.max() >= train.shape[0]:
        raise ValueError(f"users must lie in 0..{train.shape[0] - 1}, the rows of train")
    if not sp.issparse(seen) or seen.shape != (users.size, n_items):
        raise ValueError(
            f"seen must be a scipy.sparse matrix of shape (len(users), train's n_items) = "
            f"{(users.size, n_items)}, got {getattr(seen, 'shape', type(seen).__name__)}"
        )
    scores = {name: model.score_items(users) for name, model in retrievers.items()}
    for name, score in scores.items():
        if np.shape(score) != (users.size, n_items):
            raise ValueError(
                f"retrievers[{name!r}] scores shape {np.shape(score)}, expected "
                f"{(users.size, n_items)}: fit every retriever on train's items"
            )
    lists = {}
    for name, score in scores.items():
        model = retrievers[name]
        if callable(getattr(model, "retrieve", None)):
            lists[name] = model.retrieve(users, n_per_retriever, exclude=seen)
        else:
            lists[name] = top_k_items(score, n_per_retriever, exclude=seen)
    frame = merge_candidates(lists, n_items=n_items)
    rows, items = frame["user_row"].to_numpy(), frame["item"].to_numpy()
    for name, score in scores.items():
        frame[f"score_{name}"] = score[rows, items]
    frame.insert(1, "user", users[rows])
    counts = np.diff(train.tocsc().indptr)
    sums = np.asarray(train.sum(axis=0)).ravel()
    frame["item_log_count"] = np.log1p(counts[items])
    mean = np.divide(sums, counts, out=np.zeros(n_items), where=counts > 0)
    frame["item_mean_rating"] = mean[items]
    frame["user_log_count"] = np.log1p(np.diff(train.tocsr().indptr))[users[rows]]
    return frame
