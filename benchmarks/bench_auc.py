"""Time :func:`mlref.metrics.classification.auc_roc` against scikit-learn's ``roc_auc_score``.

Run ``python benchmarks/bench_auc.py``. On 10,000,000 scores with about 2 % positives it prints the
best of a few runs of each, for scores rounded to 4 decimals (many ties) and for untied scores,
checks that both give the same AUC to 1e-12, and exits with status 1 if ``auc_roc`` is less than
twice as fast as scikit-learn in either configuration. Target: ratio >= 2.
"""

import argparse
import sys
import time

import numpy as np
from sklearn.metrics import roc_auc_score

from mlref.metrics.classification import auc_roc

TARGET_RATIO = 2.0


def make_scores(n: int, *, decimals: int | None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Labels with ~2 % positives and float64 scores that separate them moderately."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.02).astype(np.int64)
    score = rng.normal(size=n) + 1.0 * y
    if decimals is not None:
        score = np.round(score, decimals)
    return y, score


def best_time(func, y, score, repeats: int) -> tuple[float, float]:
    """Fastest of ``repeats`` calls in seconds, and the value returned."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        value = func(y, score)
        times.append(time.perf_counter() - start)
    return min(times), float(value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000, help="number of scores")
    parser.add_argument("--repeats", type=int, default=3, help="runs per function")
    args = parser.parse_args()
    print(f"n = {args.n:,} scores, best of {args.repeats}")
    print(f"{'scores':<20} {'distinct':>10} {'auc_roc s':>10} {'sklearn s':>10} {'ratio':>6}  AUC")
    ok = True
    for name, decimals in (("rounded to 4 dp", 4), ("untied", None)):
        y, score = make_scores(args.n, decimals=decimals)
        ours, ours_value = best_time(auc_roc, y, score, args.repeats)
        theirs, sklearn_value = best_time(roc_auc_score, y, score, args.repeats)
        ratio = theirs / ours
        n_distinct = np.unique(score).size
        print(
            f"{name:<20} {n_distinct:>10,} {ours:>10.3f} {theirs:>10.3f} {ratio:>6.1f}  "
            f"{ours_value:.12f}"
        )
        if abs(ours_value - sklearn_value) > 1e-12:
            print(f"  MISMATCH: auc_roc {ours_value!r} vs roc_auc_score {sklearn_value!r}")
            ok = False
        if ratio < TARGET_RATIO:
            print(f"  TOO SLOW: ratio {ratio:.2f} < target {TARGET_RATIO}")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
