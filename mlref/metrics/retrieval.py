r"""Retrieval metrics: top-k item lists per user and their recall and hit rate.

A retrieval model (two-tower, popularity, ...) scores every item for every user; the first stage
of a recommender keeps the ``k`` best per user, and is judged by how many of the items the user
went on to interact with (the held-out *relevant* items) made it into those ``k``.

Conventions
-----------
* **Layout.** Recommendations are a dense integer matrix ``recommended`` of shape
  ``(n_users, >= k)``: row ``u`` lists item ids, best first. The slot value ``-1`` means "no
  item" (a user with fewer than ``k`` candidates left after exclusions). Relevant items are a
  binary *indicator* matrix ``relevant`` of shape ``(n_users, n_items)``, sparse (``scipy.sparse``)
  or dense, with 1 where item ``i`` is relevant to user ``u``: the same layout as the ``exclude``
  matrix of already-seen items, so one ``scipy.sparse.csr_matrix((ones, (user, item)))`` builds
  either from an interaction log.
* **Users without a relevant item** have recall 0/0: they are left out of the mean (and get NaN
  with ``per_user=True``).
* **Ties.** :func:`top_k_items` breaks tied scores by the smaller item id, so its output never
  depends on anything but the scores; the recall of a given list does not involve scores at all.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from mlref._validation import as_array, check_bool, check_option, check_positive_int

__all__ = ["hit_rate_at_k", "recall_at_k", "top_k_items"]

_NORMALIZE = ("relevant", "min")
# top_k_items works on blocks of rows of at most this many cells, to bound its temporaries.
_BLOCK_CELLS = 2**22


def _check_recommended(recommended, k: int) -> np.ndarray:
    arr = as_array(recommended, "recommended", None)
    if arr.ndim != 2:
        raise ValueError(
            f"recommended must be 2-D (n_users, n_slots) item ids, got shape {arr.shape}; pass "
            "one row of ranked item ids per user"
        )
    if arr.shape[0] == 0:
        raise ValueError("recommended has no rows; pass at least one user")
    if arr.dtype.kind not in "iu":
        raise ValueError(f"recommended must hold integer item ids, got dtype {arr.dtype}")
    if arr.shape[1] < k:
        raise ValueError(
            f"recommended has {arr.shape[1]} items per user but k={k}; pass at least k columns "
            "(e.g. top_k_items(scores, k)) or lower k"
        )
    top = arr[:, :k].astype(np.int64)
    if (top < -1).any():
        raise ValueError("recommended holds negative item ids other than -1 (the 'no item' slot)")
    ordered = np.sort(top, axis=1)
    if ((ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] >= 0)).any():
        raise ValueError(
            "recommended repeats an item within a user's top k; a ranked list holds each item once"
        )
    return top


def _check_relevant(relevant, n_users: int) -> sp.csr_matrix:
    if sp.issparse(relevant):
        matrix = sp.csr_matrix(relevant, dtype=np.float64, copy=True)
    else:
        dense = np.asarray(relevant)
        if dense.ndim != 2:
            raise ValueError(
                f"relevant must be a 2-D (n_users, n_items) indicator matrix, got shape "
                f"{dense.shape}; build one with scipy.sparse.csr_matrix((ones, (users, items)))"
            )
        if dense.dtype.kind not in "biuf":
            raise ValueError(f"relevant must hold 0/1 values, got dtype {dense.dtype}")
        matrix = sp.csr_matrix(dense.astype(np.float64))
    if matrix.shape[0] != n_users:
        raise ValueError(
            f"relevant has {matrix.shape[0]} rows but recommended has {n_users}; pass one row "
            "per user in the same order"
        )
    matrix.sum_duplicates()
    if not np.isin(matrix.data, (0.0, 1.0)).all():
        raise ValueError(
            "relevant must be a 0/1 indicator (1 = relevant); got other values, e.g. ratings: "
            "threshold them first, e.g. (ratings >= 4)"
        )
    matrix.eliminate_zeros()
    matrix.sort_indices()
    return matrix


def _hits(recommended, relevant, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-user count of relevant items in the top ``k``, and of relevant items overall."""
    k = check_positive_int(k, "k")
    top = _check_recommended(recommended, k)
    matrix = _check_relevant(relevant, top.shape[0])
    n_items = matrix.shape[1]
    if top.max() >= n_items:
        raise ValueError(
            f"recommended holds item id {top.max()} but relevant has only {n_items} columns; "
            "give relevant one column per item id"
        )
    # CSR rows are sorted and each row's columns too: user * n_items + item is globally sorted.
    users = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
    keys = users * n_items + matrix.indices
    query = np.arange(top.shape[0], dtype=np.int64)[:, None] * n_items + top
    pos = np.minimum(np.searchsorted(keys, query), max(keys.size - 1, 0))
    found = (keys[pos] == query) & (top >= 0) if keys.size else np.zeros(top.shape, bool)
    return found.sum(axis=1), np.diff(matrix.indptr)


def _mean_over_users(values: np.ndarray, n_relevant: np.ndarray, per_user: bool, name: str):
    per_user = check_bool(per_user, "per_user")
    has_relevant = n_relevant > 0
    if not has_relevant.any():
        raise ValueError(
            f"no user has a relevant item, so {name} is 0/0 for every user; check that "
            "relevant is not empty (e.g. the test period holds interactions)"
        )
    values = np.where(has_relevant, values, np.nan)
    return values if per_user else float(np.mean(values[has_relevant]))


def recall_at_k(recommended, relevant, *, k: int, normalize: str = "relevant", per_user=False):
    r"""Share of each user's relevant items found in their top ``k``, averaged over users.

    .. math::

        \mathrm{Recall@}K = \frac{1}{|U^+|} \sum_{u \in U^+}
            \frac{|\mathrm{top}_K(u) \cap \mathrm{Rel}(u)|}{|\mathrm{Rel}(u)|},
        \qquad U^+ = \{u : |\mathrm{Rel}(u)| \ge 1\}.

    Parameters
    ----------
    recommended : array-like of int of shape (n_users, n_slots)
        Item ids per user, best first, ``n_slots >= k``; ``-1`` marks an empty slot. An item
        may appear once per user in the top ``k``.
    relevant : scipy.sparse matrix or array-like of shape (n_users, n_items)
        0/1 indicator of each user's held-out relevant items (row ``u`` for the user of
        ``recommended[u]``).
    k : int
        Cut-off, >= 1.
    normalize : {"relevant", "min"}, default "relevant"
        Denominator: :math:`|\mathrm{Rel}(u)|` (the definition above), or
        :math:`\min(K, |\mathrm{Rel}(u)|)` (see Notes).
    per_user : bool, default False
        Return the per-user values (NaN for users without a relevant item) instead of the mean.

    Returns
    -------
    float or numpy.ndarray of shape (n_users,)

    Raises
    ------
    ValueError
        If ``k`` < 1 or exceeds the number of columns of ``recommended``, an item id is out of
        range or repeated within a top ``k``, ``relevant`` is not a 0/1 matrix with one row per
        user, or no user has a relevant item.

    Notes
    -----
    Users without a relevant item are left out of the mean, never counted as 0 (which would
    make the metric depend on how many inactive users the test set holds).

    Papers disagree on the denominator. Dividing by :math:`|\mathrm{Rel}(u)|` (the usual
    definition) caps a user with more than :math:`K` relevant items below 1 even for a perfect
    list. Dividing by
    :math:`\min(K, |\mathrm{Rel}(u)|)` (e.g. Liang et al. 2018, "Variational autoencoders for
    collaborative filtering") makes a perfect list score 1 for every user; it is then a
    precision for heavy users and a recall for light ones. State which one a figure uses.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> relevant = sp.csr_matrix([[0, 1, 0, 1, 1], [1, 0, 0, 0, 0]])
    >>> recall_at_k([[1, 0], [2, 3]], relevant, k=2)  # user 0: 1 of 3; user 1: 0 of 1
    0.16666666666666666
    >>> recall_at_k([[1, 3], [2, 3]], relevant, k=2, normalize="min")  # 2 / min(2, 3) and 0 / 1
    0.5
    """
    check_option(normalize, "normalize", _NORMALIZE)
    hits, n_relevant = _hits(recommended, relevant, k)
    denominator = n_relevant if normalize == "relevant" else np.minimum(n_relevant, k)
    recall = hits / np.maximum(denominator, 1)
    return _mean_over_users(recall, n_relevant, per_user, f"recall@{k}")


def hit_rate_at_k(recommended, relevant, *, k: int, per_user: bool = False):
    r"""Share of users with at least one relevant item in their top ``k``.

    .. math::

        \mathrm{HR@}K = \frac{1}{|U^+|} \sum_{u \in U^+}
            \big[\,|\mathrm{top}_K(u) \cap \mathrm{Rel}(u)| \ge 1\,\big].

    Parameters and conventions are those of :func:`recall_at_k`. With one held-out item per
    user (leave-one-out), hit rate and recall coincide.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> relevant = sp.csr_matrix([[0, 1, 0, 1, 1], [1, 0, 0, 0, 0]])
    >>> hit_rate_at_k([[1, 0], [2, 3]], relevant, k=2)
    0.5
    """
    hits, n_relevant = _hits(recommended, relevant, k)
    return _mean_over_users((hits > 0).astype(np.float64), n_relevant, per_user, f"hit rate@{k}")


def _check_scores(scores) -> np.ndarray:
    try:
        arr = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"scores must be a 2-D array of numbers; got {type(scores).__name__}"
        ) from exc
    if arr.ndim != 2:
        raise ValueError(
            f"scores must be 2-D (n_users, n_items), got shape {arr.shape}; reshape a single "
            "user's scores with scores.reshape(1, -1)"
        )
    if arr.size == 0:
        raise ValueError(f"scores is empty (shape {arr.shape}); pass at least one user and item")
    if not np.isfinite(arr).all():
        raise ValueError(
            "scores holds NaN or infinite values; use exclude= to remove items, not -inf"
        )
    return arr


def _check_exclude(exclude, shape: tuple[int, int]) -> sp.csr_matrix:
    matrix = sp.csr_matrix(exclude) if sp.issparse(exclude) else None
    if matrix is None:
        dense = np.asarray(exclude)
        if dense.ndim != 2 or dense.dtype.kind not in "biuf":
            raise ValueError(
                f"exclude must be a 2-D 0/1 matrix (n_users, n_items), got shape {dense.shape} "
                f"and dtype {dense.dtype}"
            )
        matrix = sp.csr_matrix(dense)
    if matrix.shape != shape:
        raise ValueError(
            f"exclude must have the shape of scores {shape}, got {matrix.shape}; pass one row per "
            "user and one column per item"
        )
    matrix.eliminate_zeros()
    return matrix


def top_k_items(scores, k: int, *, exclude=None) -> np.ndarray:
    r"""Ids of the ``k`` highest-scored items of each row, best first.

    Parameters
    ----------
    scores : array-like of float of shape (n_users, n_items)
        Finite scores; higher is better.
    k : int
        Items per row, ``1 <= k <= n_items``.
    exclude : scipy.sparse matrix or array-like of shape (n_users, n_items), optional
        Non-zero where an item must not be recommended to the user (typically the items seen in
        training).

    Returns
    -------
    numpy.ndarray of int64 of shape (n_users, k)
        Item ids, best first. A row with fewer than ``k`` items left after exclusion is padded
        with ``-1``.

    Notes
    -----
    Per row, the :math:`k`-th largest score :math:`t` is found by
    :func:`numpy.partition` (introselect, :math:`O(n_\text{items})`, the selection behind
    ``argpartition``). Every item scoring above :math:`t` is kept, and the slots left are filled
    by the items scoring exactly :math:`t` in increasing id order; only these :math:`k` are then
    sorted, by decreasing score and increasing id. So ties are broken by the smaller id, and the
    output equals a full stable sort of the row, at the cost of a partial one:
    :math:`O(n_\text{items} + k \log k)` per row instead of :math:`O(n_\text{items} \log
    n_\text{items})`. (``numpy.argpartition`` alone splits a tie at the boundary arbitrarily.)
    Rows are processed in blocks to bound the temporary arrays.

    Examples
    --------
    >>> top_k_items([[0.1, 0.9, 0.5, 0.9]], 3).tolist()  # tie 0.9: smaller id first
    [[1, 3, 2]]
    >>> import scipy.sparse as sp
    >>> top_k_items([[0.1, 0.9, 0.5, 0.9]], 3, exclude=sp.csr_matrix([[0, 1, 0, 0]])).tolist()
    [[3, 2, 0]]
    >>> top_k_items([[0.1, 0.9]], 2, exclude=[[0, 1]]).tolist()  # one item left
    [[0, -1]]
    """
    arr = _check_scores(scores)
    n_users, n_items = arr.shape
    k = check_positive_int(k, "k")
    if k > n_items:
        raise ValueError(f"k={k} exceeds the number of items ({n_items}); lower k")
    excluded = None if exclude is None else _check_exclude(exclude, arr.shape)
    out = np.empty((n_users, k), dtype=np.int64)
    block = max(1, _BLOCK_CELLS // n_items)
    for start in range(0, n_users, block):
        rows = slice(start, min(start + block, n_users))
        chunk = arr[rows].copy()
        allowed = np.ones(chunk.shape, bool)
        if excluded is not None:
            allowed = ~excluded[rows].toarray().astype(bool)
            chunk[~allowed] = -np.inf
        out[rows] = _top_k_block(chunk, allowed, k)
    return out


def _top_k_block(chunk: np.ndarray, allowed: np.ndarray, k: int) -> np.ndarray:
    n = chunk.shape[0]
    threshold = -np.partition(-chunk, k - 1, axis=1)[:, k - 1 : k]
    above = chunk > threshold
    at = chunk == threshold
    slots_left = k - above.sum(axis=1, keepdims=True)
    keep = above | (at & (np.cumsum(at, axis=1) <= slots_left))
    ids = np.nonzero(keep)[1].reshape(n, k)
    picked = np.take_along_axis(chunk, ids, axis=1)
    order = np.argsort(-picked, axis=1, kind="stable")
    ids = np.take_along_axis(ids, order, axis=1)
    return np.where(np.take_along_axis(allowed, ids, axis=1), ids, -1)
