r"""Latency measured, not guessed: per-stage timings of a request path, percentiles, a budget.

A service answers each request by running stages in sequence (retrieve, fetch features, score,
hydrate). Users feel the tail, so budgets are written on percentiles: the :math:`p`-th
percentile :math:`t_p` of a stage's latency is the time within which :math:`p\,\%` of requests
finish it. Percentiles do not add up — the p99 of a sum is at most the sum of the stage p99s and
usually well below it — so the end-to-end percentile is measured on the per-request totals.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from mlref._validation import check_array_1d, check_dataframe, check_positive_int
from mlref.serving._checks import as_int64_1d

__all__ = [
    "SOURCE_BUDGET_MS",
    "budget_table",
    "latency_percentiles",
    "run_stages",
    "throughput_by_batch_size",
]

#: The source's p99 budget for a 200 ms search request, in milliseconds, per stage.
SOURCE_BUDGET_MS = {
    "retrieval": 50.0,
    "features": 30.0,
    "inference": 80.0,
    "hydration": 30.0,
    "network": 10.0,
}

_PERCENTILES = (50, 95, 99)


def latency_percentiles(durations_ms, percentiles: Sequence[float] = _PERCENTILES) -> pd.Series:
    """Percentiles of latencies (linear interpolation, as :func:`numpy.percentile`).

    Parameters
    ----------
    durations_ms : array-like of float of shape (n_requests,)
        Non-negative, finite latencies.
    percentiles : sequence of float, default (50, 95, 99)
        In [0, 100].

    Returns
    -------
    pandas.Series
        Indexed ``"p50"``, ``"p95"``, ``"p99"``, ...

    Raises
    ------
    ValueError
        If ``durations_ms`` is empty, holds NaN/inf or negative values, or a percentile is out of
        [0, 100].

    Examples
    --------
    >>> latency_percentiles(np.arange(1, 101)).tolist()
    [50.5, 95.05, 99.01]
    """
    values = check_array_1d(durations_ms, "durations_ms")
    if (values < 0).any():
        raise ValueError("durations_ms holds negative values; latencies are >= 0")
    qs = check_array_1d(percentiles, "percentiles")
    if ((qs < 0) | (qs > 100)).any():
        raise ValueError(f"percentiles must lie in [0, 100], got {qs.tolist()}")
    names = [f"p{q:g}" for q in qs]
    return pd.Series(np.percentile(values, qs), index=names, dtype=np.float64)


def run_stages(requests, stages: Sequence[tuple[str, Callable]]) -> tuple[list, pd.DataFrame]:
    """Serve each request through the stages in order, timing every stage of every request.

    Stage ``i`` receives the output of stage ``i - 1`` (the first receives the request).

    Parameters
    ----------
    requests : iterable
        One item per request.
    stages : sequence of (name, callable)
        Distinct stage names, in execution order.

    Returns
    -------
    outputs : list
        The last stage's output for each request.
    timings : pandas.DataFrame of shape (n_requests, n_stages + 1)
        Milliseconds per stage (``time.perf_counter``), and ``total``.

    Raises
    ------
    ValueError
        If there are no stages, names repeat or one is ``"total"``, or a stage is not callable,
        or there are no requests (or ``requests`` is a string, which would be served one
        character at a time).

    Examples
    --------
    >>> stages = [("double", lambda x: 2 * x), ("inc", lambda x: x + 1)]
    >>> outputs, timings = run_stages([1, 2], stages)
    >>> outputs, list(timings.columns)
    ([3, 5], ['double', 'inc', 'total'])
    """
    if isinstance(requests, str | bytes):
        raise ValueError(
            f"requests is a string ({requests[:20]!r}), which would be served one character at "
            "a time; pass a list of requests, e.g. [query]"
        )
    names = [name for name, _ in stages]
    if not names:
        raise ValueError("stages is empty; pass at least one (name, callable) pair")
    if len(set(names)) != len(names) or "total" in names:
        raise ValueError(f"stage names must be distinct and not 'total', got {names}")
    for name, fn in stages:
        if not callable(fn):
            raise ValueError(f"stage {name!r} is not callable; pass (name, function) pairs")
    outputs, rows = [], []
    clock = time.perf_counter
    for request in requests:
        value, row = request, []
        for _, fn in stages:
            start = clock()
            value = fn(value)
            row.append(clock() - start)
        outputs.append(value)
        rows.append(row)
    if not rows:
        raise ValueError("requests is empty; pass at least one request")
    timings = pd.DataFrame(np.array(rows) * 1e3, columns=names)
    timings["total"] = timings[names].sum(axis=1)
    return outputs, timings


def budget_table(timings_ms: pd.DataFrame, budget_ms: dict | None = None) -> pd.DataFrame:
    """p50 / p95 / p99 per stage and end to end, next to a budget (the source's by default).

    Parameters
    ----------
    timings_ms : pandas.DataFrame
        Milliseconds, one column per stage (and optionally ``total``), as from
        :func:`run_stages`.
    budget_ms : dict of str to float, optional
        p99 budget per stage; default :data:`SOURCE_BUDGET_MS`. Stages missing from the timings
        are listed with NaN measurements (e.g. the network, which an in-process run has not).

    Returns
    -------
    pandas.DataFrame
        Index: stages then ``total``; columns ``p50``, ``p95``, ``p99``, ``budget_p99``,
        ``share_of_p99_budget`` (measured p99 / budget p99).

    Examples
    --------
    >>> t = pd.DataFrame({"retrieval": [1.0, 2.0], "inference": [3.0, 5.0]})
    >>> budget_table(t).loc[["retrieval", "total"], ["p50", "budget_p99"]].round(1)
               p50  budget_p99
    retrieval  1.5        50.0
    total      5.5       200.0
    """
    check_dataframe(timings_ms, "timings_ms", hint="pass the timings of run_stages")
    budget = dict(SOURCE_BUDGET_MS if budget_ms is None else budget_ms)
    stages = [c for c in timings_ms.columns if c != "total"]
    if not stages:
        raise ValueError("timings_ms has no stage columns; pass the timings of run_stages")
    total = timings_ms["total"] if "total" in timings_ms else timings_ms[stages].sum(axis=1)
    rows = {name: latency_percentiles(timings_ms[name]) for name in stages}
    order = stages + [name for name in budget if name not in stages]
    table = pd.DataFrame(
        [rows.get(name, pd.Series(np.nan, index=["p50", "p95", "p99"])) for name in order],
        index=order,
    )
    table.loc["total"] = latency_percentiles(total)
    table["budget_p99"] = [budget.get(name, np.nan) for name in order] + [
        float(sum(budget.values()))
    ]
    table["share_of_p99_budget"] = table["p99"] / table["budget_p99"]
    return table


def throughput_by_batch_size(
    predict: Callable, X, batch_sizes, *, n_rows: int | None = None, repeats: int = 3
) -> pd.DataFrame:
    """Per-batch latency and throughput of ``predict`` for each batch size.

    ``n_rows`` rows (default all of ``X``) are scored in consecutive batches of each size; the
    best of ``repeats`` passes is kept (the least disturbed by other processes).

    Returns
    -------
    pandas.DataFrame
        Index ``batch_size``; columns ``batch_ms`` (time of one batch), ``us_per_row`` and
        ``rows_per_s``.

    Raises
    ------
    ValueError
        If ``predict`` is not callable, ``X`` is a string, ``batch_sizes`` is not a non-empty
        1-D array of integers, a batch size or ``repeats`` is < 1, or ``X`` has fewer rows than
        a batch.
    """
    if not callable(predict):
        raise ValueError(f"predict must be callable (a model's predict method), got {predict!r}")
    if isinstance(X, str | bytes):
        raise ValueError(f"X is a string ({X[:20]!r}); pass the rows to score")
    sizes = as_int64_1d(batch_sizes, "batch_sizes")
    repeats = check_positive_int(repeats, "repeats")
    n_total = len(X) if n_rows is None else check_positive_int(n_rows, "n_rows")
    if n_total > len(X):
        raise ValueError(f"n_rows={n_total} exceeds the {len(X)} rows of X")
    records = []
    for size in sizes.tolist():
        size = check_positive_int(size, "batch_sizes")
        if size > n_total:
            raise ValueError(f"batch size {size} exceeds the {n_total} rows scored; lower it")
        n_batches = n_total // size
        best = np.inf
        for _ in range(repeats):
            start = time.perf_counter()
            for b in range(n_batches):
                predict(X[b * size : (b + 1) * size])
            best = min(best, time.perf_counter() - start)
        per_batch = best / n_batches
        records.append((size, per_batch * 1e3, per_batch / size * 1e6, size / per_batch))
    return pd.DataFrame(
        records, columns=["batch_size", "batch_ms", "us_per_row", "rows_per_s"]
    ).set_index("batch_size")
