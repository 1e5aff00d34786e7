"""Splitting interaction logs for recommender evaluation: each user's latest events are the test.

A *global* time cut (train before day d, test after) never lets a model see the future, but on
logs where most users are active for a few days it leaves few users with events on both sides.
The *per-user* temporal split keeps every user's last ``test_fraction`` of events (by time) for
testing: every user is evaluated on their own future, at the price that training may contain
other users' events that happened later than some test events (this flatters popularity-based
models most, since they see future popularity). Say which one you used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlref._validation import as_array, check_array_1d, check_real, check_same_length

__all__ = ["per_user_time_split"]


def per_user_time_split(user, timestamp, *, test_fraction: float = 0.2) -> np.ndarray:
    r"""Mark each user's latest events as test: a boolean mask aligned with the input rows.

    A user with :math:`n` events keeps the first :math:`\lceil (1 - f) n \rceil` (by timestamp,
    ties by input order) for training and the rest for testing, so every user keeps at least one
    training event and users with few events may have no test event.

    Parameters
    ----------
    user : array-like of shape (n_events,)
        User id of each event (any hashable values).
    timestamp : array-like of shape (n_events,)
        Time of each event (numbers or datetimes; only the order matters).
    test_fraction : float in [0, 1), default=0.2
        Share :math:`f` of each user's events to hold out.

    Returns
    -------
    numpy.ndarray of bool, shape (n_events,)
        True for test events.

    Examples
    --------
    >>> per_user_time_split(["a", "a", "a", "a", "a", "b"], [5, 1, 4, 2, 3, 9]).tolist()
    [True, False, False, False, False, False]
    """
    test_fraction = check_real(test_fraction, "test_fraction", low=0.0, high=1.0)
    if test_fraction >= 1.0:
        raise ValueError("test_fraction must be below 1; every user keeps a training event")
    user = as_array(user, "user", None)
    if user.ndim != 1 or user.size == 0:
        raise ValueError(f"user must be a non-empty 1-D array, got shape {user.shape}")
    timestamp = as_array(timestamp, "timestamp", None)
    if timestamp.ndim != 1:
        raise ValueError(f"timestamp must be 1-D, one time per event, got shape {timestamp.shape}")
    if np.issubdtype(timestamp.dtype, np.number):
        timestamp = check_array_1d(timestamp, "timestamp", dtype=None)
    check_same_length(user=user, timestamp=timestamp)
    if pd.isna(user).any() or pd.isna(timestamp).any():
        raise ValueError("user and timestamp must not hold missing values; drop those events")
    frame = pd.DataFrame({"user": user, "timestamp": timestamp, "row": np.arange(user.size)})
    frame = frame.sort_values(["user", "timestamp", "row"], kind="stable")
    rank = frame.groupby("user", sort=False).cumcount().to_numpy()
    size = frame.groupby("user", sort=False)["row"].transform("size").to_numpy()
    is_test = np.zeros(user.size, dtype=bool)
    is_test[frame["row"].to_numpy()] = rank >= np.ceil((1.0 - test_fraction) * size)
    return is_test
