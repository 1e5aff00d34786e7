r"""Training/serving skew and misleading aggregates: parity checks, bucketing, Simpson's paradox.

Skew is a feature that means one thing in training and another at serving: a stock level that
changed since the log was written, yesterday's counts served as today's, a default value or a
tokenizer that differs between the offline and the online code. The reliable check is a
*parity* test: compute the features of the same requests with both code paths and compare them
value by value. Coarse buckets (0, 1-10, more than 10) make a fast-moving count robust to lag.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlref._validation import (
    as_array,
    check_array_1d,
    check_dataframe,
    check_real,
    check_same_length,
)

__all__ = ["bucketize", "parity_check", "simpsons_paradox"]


def bucketize(x, *, edges=(0.0, 10.0)) -> np.ndarray:
    r"""Bucket numbers by right-closed edges: with the default ``(0, 10)``, 0 for
    :math:`x \le 0`, 1 for :math:`0 < x \le 10`, 2 for :math:`x > 10` (the source's 0, 1-10, 10+
    for counts).

    Examples
    --------
    >>> bucketize([0, 1, 7, 10, 11, 250]).tolist()
    [0, 1, 1, 1, 2, 2]
    """
    values = check_array_1d(x, "x")
    cuts = check_array_1d(edges, "edges")
    if np.any(np.diff(cuts) <= 0):
        raise ValueError(f"edges must be strictly increasing, got {cuts.tolist()}")
    return np.searchsorted(cuts, values, side="left").astype(np.int64)


def parity_check(offline, online, *, atol: float = 1e-9, rtol: float = 1e-6) -> pd.DataFrame:
    r"""Compare features computed by two code paths for the same requests, column by column.

    A value mismatches when :math:`|a - b| > \mathrm{atol} + \mathrm{rtol}\,|b|` (as
    ``numpy.isclose``; NaN equals NaN).

    Parameters
    ----------
    offline, online : pandas.DataFrame
        Same columns, same rows in the same order.

    Returns
    -------
    pandas.DataFrame
        Per column: ``mismatch_share``, ``max_abs_diff``, ``offline_mean``, ``online_mean``.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1.0, 2.0], "y": [0.0, 5.0]})
    >>> b = pd.DataFrame({"x": [1.0, 2.0], "y": [0.0, -999.0]})
    >>> parity_check(a, b)["mismatch_share"].tolist()
    [0.0, 0.5]
    """
    for name, frame in (("offline", offline), ("online", online)):
        check_dataframe(frame, name, hint="pass the features of at least one request")
        if frame.shape[1] == 0:
            raise ValueError(f"{name} has no columns; pass the features of at least one request")
    if list(offline.columns) != list(online.columns):
        raise ValueError(
            f"offline and online have different columns ({list(offline.columns)} vs "
            f"{list(online.columns)}); compute the same features with both paths"
        )
    check_same_length(offline=offline, online=online)
    atol = check_real(atol, "atol", low=0.0)
    rtol = check_real(rtol, "rtol", low=0.0)
    rows = {}
    for col in offline.columns:
        a = as_array(offline[col].to_numpy(dtype=np.float64), f"offline[{col!r}]", np.float64)
        b = as_array(online[col].to_numpy(dtype=np.float64), f"online[{col!r}]", np.float64)
        if np.isinf(a).any() or np.isinf(b).any():
            raise ValueError(f"column {col!r} holds infinite values; parity needs finite numbers")
        same = np.isclose(a, b, atol=atol, rtol=rtol, equal_nan=True)
        diff = np.abs(a - b)
        rows[col] = {
            "mismatch_share": float(np.mean(~same)),
            "max_abs_diff": float(np.nanmax(diff)) if np.isfinite(diff).any() else 0.0,
            "offline_mean": float(np.nanmean(a)) if not np.isnan(a).all() else np.nan,
            "online_mean": float(np.nanmean(b)) if not np.isnan(b).all() else np.nan,
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def simpsons_paradox(outcome, variant, slices) -> pd.DataFrame:
    r"""Mean outcome of variants A (0) and B (1) overall and per slice, and whether they disagree.

    Simpson's paradox: B is better in aggregate while worse in every slice (or the reverse),
    because B's traffic holds more of the slices where everybody does well. Each slice's
    difference is :math:`\bar y_{B,s} - \bar y_{A,s}`; the aggregate is
    :math:`\sum_s w_{B,s} \bar y_{B,s} - \sum_s w_{A,s} \bar y_{A,s}` with each variant's own
    slice shares :math:`w`.

    Returns
    -------
    pandas.DataFrame
        One row per slice and an ``"all"`` row: ``mean_a``, ``mean_b``, ``delta``, ``share_a``,
        ``share_b`` (slice share of each variant's traffic); ``attrs["paradox"]`` is True when
        the aggregate delta's sign differs from every slice's.

    Examples
    --------
    >>> y = [1, 1, 1, 0, 0, 0, 1, 0]
    >>> v = [0, 1, 1, 1, 0, 0, 0, 1]
    >>> s = ["easy", "easy", "easy", "hard", "hard", "hard", "easy", "hard"]
    >>> simpsons_paradox(y, v, s)["delta"].round(3).tolist()
    [0.0, 0.0, 0.167]
    """
    y = check_array_1d(outcome, "outcome")
    v = check_array_1d(variant, "variant", dtype=None)
    s = as_array(slices, "slices", None)
    if s.ndim != 1:
        raise ValueError(f"slices must be 1-D (one slice label per row), got shape {s.shape}")
    check_same_length(outcome=y, variant=v, slices=s)
    if not np.isin(v, (0, 1)).all() or np.unique(v).size < 2:
        raise ValueError("variant must be 0 (A) / 1 (B) with both present")
    frame = pd.DataFrame({"y": y, "v": v.astype(np.int64), "s": s})
    if frame["s"].isna().any():
        raise ValueError("slices holds missing labels; give every row a slice")
    means = frame.pivot_table(index="s", columns="v", values="y", aggfunc="mean", observed=True)
    counts = frame.pivot_table(index="s", columns="v", values="y", aggfunc="size", observed=True)
    if means.isna().any().any():
        empty = means.index[means.isna().any(axis=1)].tolist()
        raise ValueError(f"slice(s) {empty} have no traffic in one variant; merge or drop them")
    table = pd.DataFrame(
        {
            "mean_a": means[0],
            "mean_b": means[1],
            "share_a": counts[0] / counts[0].sum(),
            "share_b": counts[1] / counts[1].sum(),
        }
    )
    overall = frame.groupby("v")["y"].mean()
    table.loc["all"] = [overall[0], overall[1], 1.0, 1.0]
    table.insert(2, "delta", table["mean_b"] - table["mean_a"])
    table.index.name = "slice"
    slice_signs = np.sign(table["delta"].iloc[:-1].to_numpy())
    agg_sign = np.sign(table["delta"].iloc[-1])
    table.attrs["paradox"] = bool(agg_sign != 0 and np.all(slice_signs == -agg_sign))
    return table
