r"""Historical click-through rates computed point-in-time: each row sees only earlier rows.

A feature such as "this user's CTR on this ad" is the strongest signal a click model has and the
easiest to leak: computed over the whole log, a row's own click is inside its feature. Here the
impressions and clicks of a key (a user, an ad, a user × ad pair...) are counted over the rows
*strictly before* the row's time, so the value is what a serving system would have read from its
counters at that moment.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlref._validation import (
    as_array,
    check_array_1d,
    check_binary,
    check_real,
    check_same_length,
)

__all__ = ["point_in_time_ctr"]


def _key_codes(keys, n_rows_name: str = "keys") -> np.ndarray:
    """One integer per row, equal for rows with equal keys (one column or several)."""
    if isinstance(keys, pd.Series):
        frame = keys.to_frame()
    elif isinstance(keys, pd.DataFrame):
        frame = keys
    else:
        arr = as_array(keys, n_rows_name, object)
        if arr.ndim not in (1, 2):
            raise ValueError(
                f"{n_rows_name} must be 1-D (one key per row) or 2-D (one column per key part), "
                f"got shape {arr.shape}"
            )
        frame = pd.DataFrame(arr.reshape(arr.shape[0], -1) if arr.ndim == 2 else {"k": arr})
    if frame.shape[1] == 0:
        raise ValueError(f"{n_rows_name} has no columns; pass at least one key column")
    if len(frame) == 0:
        raise ValueError(f"{n_rows_name} is empty; pass at least one row")
    missing = int(frame.isna().to_numpy().sum())
    if missing:
        raise ValueError(
            f"{n_rows_name} holds {missing} missing value(s); fill them with an explicit "
            "category (e.g. 'unknown') first"
        )
    for column in frame.columns:
        values = frame[column]
        if values.dtype.kind == "f" and not np.isfinite(values.to_numpy()).all():
            raise ValueError(f"{n_rows_name} holds an infinite value; pass finite keys")
    grouped = frame.groupby(list(frame.columns), sort=False, observed=True, dropna=False)
    return grouped.ngroup().to_numpy(dtype=np.int64)


def point_in_time_ctr(
    keys,
    clicks,
    times=None,
    *,
    prior_ctr: float,
    smoothing: float = 20.0,
) -> pd.DataFrame:
    r"""Impressions, clicks and smoothed CTR of each row's key over strictly earlier rows.

    Parameters
    ----------
    keys : array-like of shape (n_rows,) or (n_rows, n_parts), or pandas DataFrame/Series
        The entity each row belongs to; several columns form one composite key (e.g. user and
        ad for a user × ad CTR). Any hashable values; no missing ones.
    clicks : array-like of shape (n_rows,)
        0/1 labels of the rows.
    times : array-like of shape (n_rows,), optional
        When each row happened (any increasing number: seconds, hours, a row counter). Rows at
        the same time do not see each other. Default: the row order, each row its own time.
    prior_ctr : float
        The CTR a key with no history gets, in [0, 1]; take it from data before the rows (e.g.
        the training period's mean), not from the rows themselves.
    smoothing : float, default 20.0
        :math:`m \ge 0`, the prior's weight in pseudo-impressions.

    Returns
    -------
    pandas.DataFrame
        One row per input row, in input order: ``past_impressions`` and ``past_clicks``
        (int64) and ``ctr`` (float64).

    Notes
    -----
    For row :math:`i` with key :math:`k_i` at time :math:`t_i`,

    .. math::

        n_i = \#\{j : k_j = k_i,\ t_j < t_i\}, \qquad
        c_i = \sum_{j : k_j = k_i,\ t_j < t_i} y_j, \qquad
        \widehat{\mathrm{CTR}}_i = \frac{c_i + m\,p_0}{n_i + m},

    which is :math:`p_0` for a key seen for the first time. Counting :math:`t_j \le t_i`
    instead would put a row's own click into its feature: the leak this function exists to
    avoid. Cost :math:`O(n \log n)` (one sort).

    Examples
    --------
    >>> point_in_time_ctr(["a", "a", "b", "a"], [1, 0, 1, 1], prior_ctr=0.5, smoothing=2.0)
       past_impressions  past_clicks       ctr
    0                 0            0  0.500000
    1                 1            1  0.666667
    2                 0            0  0.500000
    3                 2            1  0.500000
    """
    y = check_binary(clicks, "clicks")
    codes = _key_codes(keys, "keys")
    n = check_same_length(keys=codes, clicks=y)
    if times is None:
        t = np.arange(n, dtype=np.float64)
    else:
        t = check_array_1d(times, "times")
        check_same_length(clicks=y, times=t)
    p0 = check_real(prior_ctr, "prior_ctr", low=0.0, high=1.0)
    m = check_real(smoothing, "smoothing", low=0.0)

    order = np.lexsort((t, codes))
    k_sorted, t_sorted, y_sorted = codes[order], t[order], y[order]
    new_key = np.r_[True, k_sorted[1:] != k_sorted[:-1]]
    new_block = new_key | np.r_[True, t_sorted[1:] != t_sorted[:-1]]
    block_starts = np.flatnonzero(new_block)
    block_size = np.diff(np.r_[block_starts, n])
    block_clicks = np.add.reduceat(y_sorted, block_starts)
    # Exclusive running totals over the blocks (same key, same time), restarted at each key.
    before_imps = np.cumsum(block_size) - block_size
    before_clicks = np.cumsum(block_clicks) - block_clicks
    key_of_block = np.cumsum(new_key[block_starts]) - 1
    first_block_of_key = np.flatnonzero(new_key[block_starts])
    past_imps_block = before_imps - before_imps[first_block_of_key][key_of_block]
    past_clicks_block = before_clicks - before_clicks[first_block_of_key][key_of_block]

    block_of_sorted_row = np.cumsum(new_block) - 1
    past_imps = np.empty(n, dtype=np.int64)
    past_clicks = np.empty(n, dtype=np.int64)
    past_imps[order] = past_imps_block[block_of_sorted_row]
    past_clicks[order] = past_clicks_block[block_of_sorted_row]
    denominator = past_imps + m
    with np.errstate(invalid="ignore", divide="ignore"):
        ctr = np.where(denominator > 0, (past_clicks + m * p0) / denominator, p0)
    return pd.DataFrame({"past_impressions": past_imps, "past_clicks": past_clicks, "ctr": ctr})
