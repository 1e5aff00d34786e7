"""Shared helpers of the gated benchmarks: best-of-N timing and one-thread execution.

The machine the course is developed on is shared, so a single timing says little: every figure
is the best of several repeats, and every goal is a *ratio* of two timings taken in the same run.
``one_thread()`` limits BLAS/OpenMP pools to one thread (Binder has one CPU); the reference
libraries also get ``n_jobs=1`` (or ``nthread``) where they have one.
"""

import os
import time

# For the pools started after this import (OpenMP of XGBoost/faiss, BLAS if not loaded yet);
# those already running are limited by ``one_thread()``.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

from threadpoolctl import threadpool_limits  # noqa: E402


def best_time(func, repeats: int):
    """Fastest of ``repeats`` calls of ``func()`` in seconds, and the last value it returned."""
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = func()
        times.append(time.perf_counter() - start)
    return min(times), value


def best_times_interleaved(funcs: dict, repeats: int):
    """Best time of each function over ``repeats`` rounds that call them in turn.

    Alternating the two sides spreads a busy spell of a shared machine over both, so their ratio
    moves less than when all of one side's repeats run before the other's. Returns
    ``{name: (seconds, last value)}``.
    """
    times = {name: [] for name in funcs}
    values = {}
    for _ in range(repeats):
        for name, func in funcs.items():
            start = time.perf_counter()
            values[name] = func()
            times[name].append(time.perf_counter() - start)
    return {name: (min(times[name]), values[name]) for name in funcs}


def one_thread():
    """Context manager: BLAS and OpenMP pools on one thread."""
    return threadpool_limits(limits=1)


def default_threads():
    """Context manager: the libraries' default thread pools (all cores)."""
    return threadpool_limits(limits=os.cpu_count())


def load_average() -> str:
    """The 1-minute load average with the core count, to print beside the timings."""
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
