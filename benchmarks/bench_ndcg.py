"""Time :func:`mlref.metrics.ranking.ndcg_at_k` against ``sklearn.metrics.ndcg_score``.

Run ``python benchmarks/bench_ndcg.py`` (``--repeats N``). NDCG@10, graded labels 0-4, scores a
noisy function of the label; mlref gets the flat layout (one row per (query, document) with a
query id), scikit-learn the equivalent dense matrices with gains ``2**label - 1`` so that both
compute the same exponential-gain, tie-averaged NDCG. Best of ``--repeats`` alternating rounds,
all sides in the same run, one BLAS thread; the values must agree to 1e-10.

mlref is timed twice: as installed (the compiled loop of ``mlref.metrics._ranking_kernels``,
Numba) and on its NumPy path (``mlref._compiled.numpy_only()``, what runs without Numba or with
``MLREF_NUMBA=0``); the goals apply to the first, the second is printed beside it. Numba compiles
the loop on the first call and caches the machine code on disk, so the timed calls exclude the
compilation; the script prints, once, the first call of this process (normally a cache load) and
a compilation from scratch (a subprocess with an empty ``NUMBA_CACHE_DIR``).

* Goal workload: 10,000 queries x 100 documents, **untied** scores, rows shuffled and query ids
  not contiguous (random ids spread over 0-1,000,000), against ``ndcg_score`` on the matrix.
* Ragged lists (1-200 documents, 10,000 queries, untied): scikit-learn needs equal-length
  lists, so its side is a loop of ``ndcg_score`` per query (a one-document query scores 1 if
  its document is relevant, else 0, which ``ndcg_score`` refuses to compute).
* For information (the favourable case of the first version of this script): scores rounded to
  one decimal, where scikit-learn's tie averaging is slow.

Goals (exit status 1 if missed), for the compiled path: >= 10x ``ndcg_score`` on the untied
matrix workload, >= 5x the per-query loop on ragged lists.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from _timing import best_times_interleaved, load_average, one_thread
from sklearn.metrics import ndcg_score

from mlref._compiled import compiled_enabled, numba, numpy_only
from mlref.metrics.ranking import ndcg_at_k

MATRIX_TARGET = 10.0
RAGGED_TARGET = 5.0
TOLERANCE = 1e-10
K = 10


def matrix_data(n_queries, n_docs, seed, decimals=None):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 5, size=(n_queries, n_docs))
    scores = labels + rng.normal(scale=2.0, size=labels.shape)
    if decimals is not None:
        scores = np.round(scores, decimals)
    ids = rng.choice(1_000_000, size=n_queries, replace=False)
    shuffle = rng.permutation(labels.size)
    flat = (labels.ravel()[shuffle], scores.ravel()[shuffle], np.repeat(ids, n_docs)[shuffle])
    return labels, scores, flat


def ragged_data(n_queries, seed):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 201, size=n_queries)
    group = np.repeat(rng.choice(1_000_000, size=n_queries, replace=False), sizes)
    labels = rng.integers(0, 5, size=sizes.sum())
    scores = labels + rng.normal(scale=2.0, size=sizes.sum())
    shuffle = rng.permutation(len(labels))
    return labels[shuffle], scores[shuffle], group[shuffle]


def per_query_sklearn(labels, scores, group):
    """Mean over queries of ``ndcg_score`` on each query's list."""
    order = np.argsort(group, kind="stable")
    labels, scores, group = labels[order], scores[order], group[order]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    values = []
    for start, stop in zip(starts, np.append(starts[1:], len(group)), strict=True):
        gains = 2.0 ** labels[start:stop] - 1
        if stop - start == 1:
            values.append(1.0 if gains[0] > 0 else 0.0)
        else:
            values.append(ndcg_score(gains[None, :], scores[None, start:stop], k=K))
    return float(np.mean(values))


FIRST_CALL = "ndcg_at_k([1, 0, 2], [0.3, 0.2, 0.1], 2, [5, 5, 7]); ndcg_at_k([1], [0.5], 1)"
COMPILE_FROM_SCRATCH = f"""
import time
from mlref.metrics.ranking import ndcg_at_k
start = time.perf_counter()
{FIRST_CALL}
print(time.perf_counter() - start)
"""


def first_call_seconds() -> float:
    """Seconds of this process's first call (compiles the loop or loads it from the cache)."""
    start = time.perf_counter()
    exec(FIRST_CALL)
    return time.perf_counter() - start


def compile_seconds() -> float:
    """Seconds of a first call that compiles the loop from scratch, in a fresh process."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = subprocess.run(
            [sys.executable, "-c", COMPILE_FROM_SCRATCH],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    return float(out.stdout.split()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    repeats = args.repeats
    failures = []
    if not compiled_enabled():
        failures.append("the compiled loop is off (Numba missing or MLREF_NUMBA=0)")
    first = first_call_seconds()
    scratch = compile_seconds() if compiled_enabled() else float("nan")
    print(f"NDCG@{K}, best of {repeats} ({load_average()})")
    version = numba.__version__ if numba is not None else "missing"
    print(
        f"compiled loop: {'on' if compiled_enabled() else 'OFF'} (numba {version}); first call "
        f"{first:.2f} s in this process (cache load), {scratch:.2f} s compiling from scratch; "
        "both excluded from the timings below"
    )
    print(
        f"{'workload':<46} {'sklearn s':>9} {'mlref s':>8} {'speed-up':>9} "
        f"{'NumPy s':>8} {'speed-up':>9} {'|diff|':>8}"
    )

    def numpy_path(run):
        def wrapped():
            with numpy_only():
                return run()

        return wrapped

    def row(name, sklearn_run, mlref_run, target):
        timings = best_times_interleaved(
            {"sklearn": sklearn_run, "mlref": mlref_run, "numpy": numpy_path(mlref_run)}, repeats
        )
        sklearn_seconds, expected = timings["sklearn"]
        seconds, value = timings["mlref"]
        numpy_seconds, numpy_value = timings["numpy"]
        ratio, numpy_ratio = sklearn_seconds / seconds, sklearn_seconds / numpy_seconds
        difference = max(abs(value - expected), abs(numpy_value - expected))
        goal = f"(goal >= {target:g}x)" if target else "(information)"
        print(
            f"{name:<46} {sklearn_seconds:>9.3f} {seconds:>8.3f} {ratio:>8.1f}x "
            f"{numpy_seconds:>8.3f} {numpy_ratio:>8.1f}x {difference:>8.1e} {goal}"
        )
        if difference > TOLERANCE:
            failures.append(f"{name}: values differ by {difference:.1e}")
        if target and ratio < target:
            failures.append(f"{name}: {ratio:.1f}x < {target:g}x")

    with one_thread():
        labels, scores, flat = matrix_data(args.queries, args.docs, seed=0)
        row(
            f"{args.queries:,} x {args.docs}, untied, shuffled, sparse ids",
            lambda: ndcg_score(2.0**labels - 1, scores, k=K),
            lambda: ndcg_at_k(*flat[:2], K, flat[2]),
            MATRIX_TARGET,
        )
        ragged = ragged_data(args.queries, seed=1)
        row(
            f"{args.queries:,} ragged lists (1-200), per-query loop",
            lambda: per_query_sklearn(*ragged),
            lambda: ndcg_at_k(*ragged[:2], K, ragged[2]),
            RAGGED_TARGET,
        )
        labels, scores, flat = matrix_data(args.queries, args.docs, seed=0, decimals=1)
        row(
            f"{args.queries:,} x {args.docs}, scores rounded to 0.1 (ties)",
            lambda: ndcg_score(2.0**labels - 1, scores, k=K),
            lambda: ndcg_at_k(*flat[:2], K, flat[2]),
            None,
        )
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
