r"""Splitting logged data by time: fixed day ranges and expanding-window cross-validation.

The source splits 90 days of logs as train days 1-60, validation 61-75, test 76-90, and labels
them 80 % / 10 % / 10 %; by days they are 66.7 % / 16.7 % / 16.7 %, and by rows they depend on
traffic (:func:`day_split` reports both). Splitting by time instead of at random keeps the
future out of training: a random split lets a model learn from events that happen after the
ones it is tested on, which inflates offline metrics whenever features or labels drift.

:func:`time_series_folds` is the expanding-window cross-validation of
``sklearn.model_selection.TimeSeriesSplit``, with whole days as the unit: scikit-learn splits by
row position and can cut a day in two, putting the morning of a day in training and its
afternoon in test.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from mlref._validation import check_array_1d, check_positive_int, check_same_length

__all__ = ["day_split", "retraining_evaluation", "time_series_folds"]


def _check_days(day) -> np.ndarray:
    d = check_array_1d(day, "day")
    if np.any(d != np.round(d)):
        raise ValueError("day must hold whole day numbers (0, 1, 2, ...)")
    # Beyond 2**53 a float no longer holds every whole number: not a day count.
    if np.abs(d).max() > 2**53:
        raise ValueError(
            f"day holds {d[np.argmax(np.abs(d))]:g}, not a day number; pass whole days (e.g. "
            "days since the first log date), not timestamps"
        )
    return d.astype(np.int64)


def _check_day_number(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer day number, got {value!r}")
    return int(value)


def day_split(day, *, train_days: int = 60, valid_days: int = 15):
    """Masks of the source's time split: the first ``train_days`` days, the next
    ``valid_days``, and the rest, counted from the first day in ``day``.

    Returns
    -------
    train, valid, test : ndarray of bool
    shares : dict
        Share of rows in each part (what the source's percentages should describe).

    Examples
    --------
    >>> train, valid, test, shares = day_split(np.arange(90))
    >>> int(train.sum()), int(valid.sum()), int(test.sum())
    (60, 15, 15)
    >>> round(shares["train"], 3)
    0.667
    """
    d = _check_days(day)
    train_days = check_positive_int(train_days, "train_days")
    valid_days = check_positive_int(valid_days, "valid_days")
    first = d.min()
    train = d < first + train_days
    valid = ~train & (d < first + train_days + valid_days)
    test = ~train & ~valid
    for name, mask in (("train", train), ("valid", valid), ("test", test)):
        if not mask.any():
            raise ValueError(
                f"the {name} part is empty: the data spans {d.max() - first + 1} days; lower "
                "train_days or valid_days"
            )
    shares = {
        name: float(m.mean()) for name, m in (("train", train), ("valid", valid), ("test", test))
    }
    return train, valid, test, shares


def time_series_folds(day, *, n_splits: int = 5, gap: int = 0):
    """Expanding-window folds over whole days, like ``TimeSeriesSplit`` over days.

    The distinct days are cut into ``n_splits + 1`` consecutive blocks with
    scikit-learn's sizes (the first block takes the remainder); fold ``i`` trains on every day
    before block ``i + 1`` except the last ``gap`` days, and tests on block ``i + 1``.

    Parameters
    ----------
    day : array-like of int, shape (n_rows,)
    n_splits : int >= 2, default 5
    gap : int >= 0, default 0
        Days left out between training and test (e.g. the days a label needs to mature).

    Returns
    -------
    list of (train_index, test_index)
        Row indices, each in increasing order.

    Examples
    --------
    >>> [(tr.tolist(), te.tolist()) for tr, te in time_series_folds([0, 0, 1, 2, 3], n_splits=3)]
    [([0, 1], [2]), ([0, 1, 2], [3]), ([0, 1, 2, 3], [4])]
    """
    d = _check_days(day)
    if isinstance(n_splits, bool) or not isinstance(n_splits, numbers.Integral) or n_splits < 2:
        raise ValueError(f"n_splits must be an integer >= 2, got {n_splits!r}")
    if isinstance(gap, bool) or not isinstance(gap, numbers.Integral) or gap < 0:
        raise ValueError(f"gap must be an integer >= 0 (days), got {gap!r}")
    days = np.unique(d)
    if len(days) < n_splits + 1:
        raise ValueError(
            f"{len(days)} distinct days cannot make {n_splits} folds; lower n_splits to at most "
            f"{len(days) - 1}"
        )
    test_size = len(days) // (n_splits + 1)
    starts = len(days) - test_size * np.arange(n_splits, 0, -1)
    position = np.searchsorted(days, d)
    folds = []
    for start in starts:
        train = np.flatnonzero(position < start - gap)
        test = np.flatnonzero((position >= start) & (position < start + test_size))
        if train.size == 0:
            raise ValueError(f"gap={gap} leaves the first fold without training days; lower gap")
        folds.append((train, test))
    return folds


def retraining_evaluation(
    day, y, fit_predict, metric, *, start: int, end: int, every: int, window: int
) -> pd.DataFrame:
    """Replay a retraining schedule: every ``every`` days, refit on the previous ``window`` days
    and score each following day with the model of that moment.

    Parameters
    ----------
    day : array-like of int, shape (n_rows,)
    y : array-like of numbers, shape (n_rows,)
        Labels (passed through to ``fit_predict`` and ``metric``).
    fit_predict : callable ``(train_rows, test_rows) -> scores``
        Fits a model on the rows ``train_rows`` (integer indices) and returns scores for
        ``test_rows``; the caller's closure holds the features.
    metric : callable ``(y_true, scores) -> float``
    start, end : int
        Evaluate days ``start .. end - 1``; the first model is trained at ``start``.
    every : int
        Retraining period in days (1 = daily, 7 = weekly; ``end - start`` = never).
    window : int
        Days of history each model is trained on.

    Returns
    -------
    pandas.DataFrame
        One row per evaluated day: ``day``, ``model_age`` (days since its training data ended),
        ``trained_at``, ``score``.

    Examples
    --------
    >>> day = np.repeat(np.arange(10), 3)
    >>> y = day.astype(float)
    >>> mean_model = lambda tr, te: np.full(len(te), y[tr].mean())
    >>> err = lambda t, s: float(np.mean(np.abs(t - s)))
    >>> retraining_evaluation(day, y, mean_model, err, start=6, end=9, every=2, window=2)
    ... # doctest: +NORMALIZE_WHITESPACE
       day  model_age  trained_at  score
    0    6          0           6    1.5
    1    7          1           6    2.5
    2    8          0           8    1.5
    """
    d = _check_days(day)
    labels = check_array_1d(y, "y", dtype=None)
    check_same_length(day=d, y=labels)
    for name, function in (("fit_predict", fit_predict), ("metric", metric)):
        if not callable(function):
            raise TypeError(f"{name} must be a callable, got {type(function).__name__}")
    every = check_positive_int(every, "every")
    window = check_positive_int(window, "window")
    start = _check_day_number(start, "start")
    end = _check_day_number(end, "end")
    if end <= start:
        raise ValueError(f"end must be after start, got start={start} and end={end}")
    rows = []
    for trained_at in range(start, end, every):
        train = np.flatnonzero((d >= trained_at - window) & (d < trained_at))
        if train.size == 0:
            raise ValueError(
                f"no training rows in days {trained_at - window}..{trained_at - 1}; raise start"
            )
        test_days = range(trained_at, min(trained_at + every, end))
        test = np.flatnonzero((d >= test_days[0]) & (d <= test_days[-1]))
        scores = np.asarray(fit_predict(train, test))
        if scores.shape != test.shape:
            raise ValueError(
                f"fit_predict returned scores of shape {scores.shape} for {test.size} test rows; "
                "return one score per row of test_rows"
            )
        for t in test_days:
            on_day = d[test] == t
            if on_day.any():
                rows.append(
                    {
                        "day": t,
                        "model_age": t - trained_at,
                        "trained_at": trained_at,
                        "score": float(metric(labels[test][on_day], scores[on_day])),
                    }
                )
    return pd.DataFrame(rows)
