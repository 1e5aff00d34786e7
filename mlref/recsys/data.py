"""From a ratings log to the matrices a recommender is trained and judged on.

A rating of at least ``threshold`` (4 stars by default) is an implicit *positive*; lower ratings
still count as *seen*, so no model is credited for recommending a film the user already rated.
Two time-based splits:

* ``"per_user"``: each user's last ``test_fraction`` of ratings (by time) is the test set
  (:func:`mlref.datasets.per_user_time_split`). Every user is judged on their own future, but
  training holds other users' later ratings, which flatters popularity most.
* ``"global"``: every rating at or after ``cut`` is test. Nothing from the future leaks, but on
  MovieLens, where most users rate for a few days only, few users have ratings on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from mlref._validation import as_array, check_dataframe, check_option, check_real
from mlref.datasets.splits import per_user_time_split

__all__ = ["RatingsSplit", "split_ratings"]


@dataclass(frozen=True)
class RatingsSplit:
    """Training and test matrices of one split; rows are users, columns items (positions).

    Attributes
    ----------
    train_ratings, test_ratings : scipy.sparse.csr_matrix
        Explicit ratings (every rating of the period).
    train_positives, test_positives : scipy.sparse.csr_matrix
        1 where the rating is at least the threshold.
    user_ids, item_ids : numpy.ndarray
        Raw id of each row / column.
    test_mask : numpy.ndarray of bool
        True for the rows of the ratings log that went to test.
    """

    train_ratings: sp.csr_matrix = field(repr=False)
    test_ratings: sp.csr_matrix = field(repr=False)
    train_positives: sp.csr_matrix = field(repr=False)
    test_positives: sp.csr_matrix = field(repr=False)
    user_ids: np.ndarray = field(repr=False)
    item_ids: np.ndarray = field(repr=False)
    test_mask: np.ndarray = field(repr=False)

    @property
    def evaluable_users(self) -> np.ndarray:
        """Users with at least one training positive and one test positive."""
        has_train = np.diff(self.train_positives.indptr) > 0
        has_test = np.diff(self.test_positives.indptr) > 0
        return np.flatnonzero(has_train & has_test)

    def __repr__(self) -> str:
        return (
            f"RatingsSplit({self.train_ratings.shape[0]:,} users x {self.train_ratings.shape[1]:,}"
            f" items; train {self.train_ratings.nnz:,} ratings / {self.train_positives.nnz:,} "
            f"positives; test {self.test_ratings.nnz:,} / {self.test_positives.nnz:,})"
        )


def split_ratings(
    ratings: pd.DataFrame,
    *,
    split: str = "per_user",
    test_fraction: float = 0.2,
    cut=None,
    threshold: float = 4.0,
    user_col: str = "userId",
    item_col: str = "movieId",
    rating_col: str = "rating",
    time_col: str = "timestamp",
    user_ids=None,
    item_ids=None,
) -> RatingsSplit:
    """Split a ratings log by time into training and test user × item matrices.

    Parameters
    ----------
    ratings : pandas.DataFrame
        One row per rating (e.g. ``fetch_movielens_small().ratings``).
    split : {"per_user", "global"}, default "per_user"
        See the module docstring.
    test_fraction : float, default 0.2
        Share of each user's latest ratings held out (``"per_user"``).
    cut : scalar comparable with ``ratings[time_col]``
        First test time (``"global"``; required there).
    threshold : float, default 4.0
        Smallest rating that counts as a positive.
    user_col, item_col, rating_col, time_col : str
        Column names.
    user_ids, item_ids : array-like, optional
        The raw ids of the rows / columns, to keep the id space of another split (e.g. an inner
        split of a training period); default the sorted ids present in ``ratings``.

    Returns
    -------
    RatingsSplit

    Examples
    --------
    >>> log = pd.DataFrame({"userId": [1, 1, 1, 2, 2], "movieId": [10, 20, 30, 10, 30],
    ...                     "rating": [5.0, 3.0, 4.0, 4.5, 2.0], "timestamp": [1, 2, 3, 1, 2]})
    >>> s = split_ratings(log, test_fraction=0.4)
    >>> s.train_positives.toarray().tolist(), s.test_positives.toarray().tolist()
    ([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]], [[0.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    """
    check_option(split, "split", ("per_user", "global"))
    threshold = check_real(threshold, "threshold")
    check_dataframe(
        ratings, "ratings", columns=(user_col, item_col, rating_col, time_col),
        hint="pass one row per rating, its columns named with *_col=",
    )  # fmt: skip
    values = ratings[rating_col].to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValueError(f"{rating_col} holds NaN or infinite ratings; drop them first")
    user, user_ids = _positions(ratings[user_col], user_ids, "user_ids")
    item, item_ids = _positions(ratings[item_col], item_ids, "item_ids")
    times = ratings[time_col].to_numpy()
    if split == "per_user":
        is_test = per_user_time_split(user, times, test_fraction=test_fraction)
    else:
        if cut is None:
            raise ValueError('split="global" needs cut=, the first test time')
        is_test = times >= cut
    shape = (len(user_ids), len(item_ids))

    def matrix(mask, data):
        out = sp.csr_matrix((data[mask], (user[mask], item[mask])), shape=shape)
        out.sort_indices()
        return out

    positive = (values >= threshold).astype(np.float64)
    return RatingsSplit(
        train_ratings=matrix(~is_test, values),
        test_ratings=matrix(is_test, values),
        train_positives=matrix(~is_test & (positive > 0), positive),
        test_positives=matrix(is_test & (positive > 0), positive),
        user_ids=np.asarray(user_ids),
        item_ids=np.asarray(item_ids),
        test_mask=np.asarray(is_test),
    )


def _positions(column: pd.Series, universe, name: str):
    if universe is None:
        return pd.factorize(column, sort=True)
    ids = as_array(universe, name, None)
    if ids.ndim != 1 or ids.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D array of raw ids (one per matrix row or column), "
            f"got shape {ids.shape}"
        )
    universe = pd.Index(ids)
    if not universe.is_unique:
        raise ValueError(f"{name} repeats ids, e.g. {universe[universe.duplicated()][0]}")
    positions = universe.get_indexer(column)
    if (positions < 0).any():
        example = column[positions < 0].iloc[0]
        raise ValueError(f"ratings holds ids missing from {name}, e.g. {example}")
    return positions, universe.to_numpy()
