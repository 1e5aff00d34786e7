r"""Quality of top-k recommendation lists against held-out items: NDCG@K, and a one-call report.

Binary relevance (an item is relevant to a user when it is in the user's test interactions):

.. math::

    \mathrm{DCG@}K(u) = \sum_{r=1}^{K} \frac{[\mathrm{item}_r \in \mathrm{Rel}(u)]}{\log_2(r + 1)},
    \qquad
    \mathrm{NDCG@}K(u) = \frac{\mathrm{DCG@}K(u)}{\sum_{r=1}^{\min(K, |\mathrm{Rel}(u)|)}
        1 / \log_2(r + 1)},

averaged over users with at least one relevant item (as :func:`mlref.metrics.recall_at_k`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from mlref._validation import as_array, check_bool, check_positive_int
from mlref.metrics.retrieval import _check_recommended, _check_relevant, recall_at_k

__all__ = ["evaluate_recommendations", "list_ndcg_at_k"]


def list_ndcg_at_k(recommended, relevant, *, k: int, per_user: bool = False):
    r"""NDCG@K of ranked item lists with binary relevance (formula in the module docstring).

    Parameters
    ----------
    recommended : array-like of int of shape (n_users, >= k)
        Item ids per user, best first; ``-1`` marks an empty slot.
    relevant : scipy.sparse matrix or array-like of shape (n_users, n_items)
        0/1 indicator of each user's held-out items.
    k : int
        Cut-off, >= 1.
    per_user : bool, default False
        Return per-user values (NaN for users without a relevant item).

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> relevant = sp.csr_matrix([[0, 1, 0, 1], [1, 0, 0, 0]])
    >>> round(list_ndcg_at_k([[1, 0], [2, 3]], relevant, k=2), 4)  # (1 / 1.6309) / 2 users
    0.3066
    """
    k = check_positive_int(k, "k")
    per_user = check_bool(per_user, "per_user")
    top = _check_recommended(recommended, k)
    matrix = _check_relevant(_as_relevant(relevant), top.shape[0])
    if top.max() >= matrix.shape[1]:
        raise ValueError(
            f"recommended holds item id {top.max()} but relevant has {matrix.shape[1]} columns"
        )
    safe = np.where(top >= 0, top, 0)
    hit = np.asarray(matrix[np.arange(top.shape[0])[:, None], safe].todense()) > 0
    hit &= top >= 0
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = hit @ discount
    n_relevant = np.diff(matrix.indptr)
    ideal = np.concatenate([[0.0], np.cumsum(discount)])[np.minimum(n_relevant, k)]
    values = np.divide(dcg, ideal, out=np.full(dcg.shape, np.nan), where=n_relevant > 0)
    if not (n_relevant > 0).any():
        raise ValueError("no user has a relevant item, so NDCG is 0/0 for every user")
    return values if per_user else float(np.nanmean(values))


def evaluate_recommendations(recommended, relevant, *, ks=(10, 50)) -> pd.Series:
    """Recall@K and NDCG@K for each K in ``ks``, as one labelled Series.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> evaluate_recommendations([[1, 0]], sp.csr_matrix([[0, 1]]), ks=(1,)).tolist()
    [1.0, 1.0]
    """
    if isinstance(ks, str) or np.ndim(ks) != 1 or len(ks) == 0:
        raise ValueError(f"ks must be a non-empty sequence of cut-offs, e.g. (10, 50); got {ks!r}")
    ks = [check_positive_int(k, "ks") for k in ks]
    relevant = _as_relevant(relevant)
    out = {}
    for k in ks:
        out[f"recall@{k}"] = recall_at_k(recommended, relevant, k=k)
        out[f"ndcg@{k}"] = list_ndcg_at_k(recommended, relevant, k=k)
    return pd.Series(out)


def _as_relevant(relevant):
    """``relevant`` as a sparse matrix or a rectangular array (a ragged list named as such)."""
    return relevant if sp.issparse(relevant) else as_array(relevant, "relevant", None)
