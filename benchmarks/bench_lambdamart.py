"""Compare :class:`mlref.ltr.lambdamart.LambdaMART` with XGBoost ``rank:ndcg``: quality and time.

Run ``python benchmarks/bench_lambdamart.py`` (``--repeats N``, ``--yahoo-seeds 0`` to skip the
Yahoo part). Both rankers use the source's configuration (100 trees, depth 6, eta 0.1, subsample
0.8, 256 histogram bins) and the same objective options (see
:func:`mlref.ltr.xgboost_ranker.xgboost_ranker`); XGBoost runs on one thread (``n_jobs=1``),
BLAS pools are limited to one thread, and each fit's time is the best of ``--repeats`` rounds
that alternate the two libraries (same run). XGBoost's time at its default threads is printed too.
mlref runs its compiled loops (:mod:`mlref._compiled`, Numba; loaded or compiled before timing);
one fold-1 fit of its NumPy path (``MLREF_NUMBA=0``) is printed for readers without Numba.

* MQ2008, folds 1-5: train on the fold's train split, evaluate on its test split: NDCG@1/3/5/10
  and MAP (``mlref.metrics``; queries without a relevant document count 0), and the training time
  of each library, measured in the same run.
* Yahoo LTR sample, train -> test, averaged over 10 seeds (its test split has 50 queries,
  so one subsample draw moves NDCG@10 by about 0.01 on its own); then once more without row
  subsampling, where nothing random is left and the two models should agree.

Targets (exit status 1 if one fails): mean NDCG@10 within 0.005 of XGBoost on MQ2008 (0.01 on
the 50-query Yahoo sample), and mlref's total training time on MQ2008 at most 1.5x XGBoost's.
"""

import argparse
import sys

import numpy as np
from _timing import best_time, best_times_interleaved, load_average, one_thread

from mlref._compiled import compiled_enabled, numpy_only
from mlref.datasets import MQ2008_FOLDS, fetch_mq2008, fetch_yahoo_ltr_sample
from mlref.ltr.lambdamart import LambdaMART
from mlref.ltr.xgboost_ranker import fit_xgboost_ranker
from mlref.metrics.ranking import map_at_k, ndcg_at_k

NDCG_TOLERANCE = 0.005
YAHOO_NDCG_TOLERANCE = 0.01
TIME_RATIO_TARGET = 1.5
CUTOFFS = (1, 3, 5, 10)
COLUMNS = [f"NDCG@{k}" for k in CUTOFFS] + ["MAP"]


def evaluate(y, score, qid) -> list[float]:
    """NDCG@1/3/5/10 and MAP (average precision over each full list, labels > 0 relevant)."""
    longest = int(np.unique(qid, return_counts=True)[1].max())
    ndcg = [ndcg_at_k(y, score, k, qid) for k in CUTOFFS]
    return [*ndcg, map_at_k(y, score, longest, qid)]


def fit_both(train, test, *, seed: int, ndcg_at, subsample=0.8, repeats=1):
    """Fit both rankers on ``train``; return {library: (metrics on test, training seconds)}."""
    X, y, qid = train
    params = {"random_state": seed, "ndcg_at": ndcg_at, "subsample": subsample}
    fits = {
        "mlref": lambda: LambdaMART(**params).fit(X, y, qid),
        "xgboost": lambda: fit_xgboost_ranker(X, y, qid, **params),
    }
    with one_thread():
        timed = best_times_interleaved(fits, repeats)
    return {
        name: (evaluate(test[1], model.predict(test[0]), test[2]), seconds)
        for name, (seconds, model) in timed.items()
    }


def print_row(label: str, metrics, seconds) -> None:
    cells = " ".join(f"{m:>8.4f}" for m in metrics)
    print(f"{label:<22} {cells} {seconds:>9.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, nargs="+", default=list(MQ2008_FOLDS))
    parser.add_argument("--yahoo-seeds", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3, help="timing: best of N fits")
    parser.add_argument(
        "--ndcg-at", type=int, default=None, help="pair truncation (default: all pairs)"
    )
    args = parser.parse_args()
    failures = []

    header = f"{'run':<22} " + " ".join(f"{c:>8}" for c in COLUMNS) + f" {'train s':>9}"
    print(f"MQ2008, train -> test per fold, seed 0, ndcg_at={args.ndcg_at} ({load_average()})")
    print(f"compiled loops (Numba): {compiled_enabled()}; compile time excluded (cached on disk)")
    LambdaMART(n_estimators=2).fit(*fetch_mq2008(fold=1, subset="train"))  # load the kernels
    print(header)
    per_library = {"mlref": [], "xgboost": []}
    for fold in args.folds:
        train = fetch_mq2008(fold=fold, subset="train")
        test = fetch_mq2008(fold=fold, subset="test")
        results = fit_both(train, test, seed=0, ndcg_at=args.ndcg_at, repeats=args.repeats)
        for name, (metrics, seconds) in results.items():
            per_library[name].append((metrics, seconds))
            print_row(f"fold {fold} {name}", metrics, seconds)
    means = {}
    for name, rows in per_library.items():
        means[name] = np.mean([m for m, _ in rows], axis=0)
        total_seconds = sum(s for _, s in rows)
        print_row(f"mean {name}", means[name], total_seconds / len(rows))
    difference = means["mlref"] - means["xgboost"]
    print_row("mean mlref - xgboost", difference, np.nan)
    ratio = sum(s for _, s in per_library["mlref"]) / sum(s for _, s in per_library["xgboost"])
    ndcg10 = difference[COLUMNS.index("NDCG@10")]
    print(
        f"MQ2008: mean NDCG@10 difference {ndcg10:+.4f} (target |.| <= {NDCG_TOLERANCE}); "
        f"training time mlref / xgboost = {ratio:.2f}x (target <= {TIME_RATIO_TARGET:g}x)"
    )
    if abs(ndcg10) > NDCG_TOLERANCE:
        failures.append(f"MQ2008 NDCG@10 differs by {ndcg10:+.4f}")
    if ratio > TIME_RATIO_TARGET:
        failures.append(f"MQ2008 training time ratio {ratio:.2f}x")
    X, y, qid = fetch_mq2008(fold=1, subset="train")
    default_seconds, _ = best_time(lambda: fit_xgboost_ranker(X, y, qid, n_jobs=None), 2)
    print(f"XGBoost at its default threads, fold 1: {default_seconds:.2f} s")
    if args.folds and args.folds[0] == 1:
        with one_thread(), numpy_only():
            numpy_seconds, _ = best_time(
                lambda: LambdaMART(random_state=0, ndcg_at=args.ndcg_at).fit(X, y, qid), 1
            )
        print(
            f"mlref's NumPy path (MLREF_NUMBA=0), fold 1: {numpy_seconds:.2f} s = "
            f"{numpy_seconds / per_library['xgboost'][0][1]:.2f}x XGBoost (one fit, not gated)"
        )
    if args.yahoo_seeds == 0:
        return report(failures)

    print(f"\nYahoo LTR sample, train -> test, mean over seeds 0-{args.yahoo_seeds - 1}")
    print(header)
    train, test = fetch_yahoo_ltr_sample(subset="train"), fetch_yahoo_ltr_sample(subset="test")
    runs = [
        fit_both(train, test, seed=seed, ndcg_at=args.ndcg_at) for seed in range(args.yahoo_seeds)
    ]
    yahoo = {}
    for name in ("mlref", "xgboost"):
        yahoo[name] = np.mean([run[name][0] for run in runs], axis=0)
        print_row(f"mean {name}", yahoo[name], np.mean([run[name][1] for run in runs]))
    yahoo_difference = yahoo["mlref"] - yahoo["xgboost"]
    print_row("mean mlref - xgboost", yahoo_difference, np.nan)
    yahoo_ndcg10 = yahoo_difference[COLUMNS.index("NDCG@10")]
    spread = np.std([run["xgboost"][0][COLUMNS.index("NDCG@10")] for run in runs])
    print(
        f"Yahoo: mean NDCG@10 difference {yahoo_ndcg10:+.4f} (target |.| <= "
        f"{YAHOO_NDCG_TOLERANCE}); "
        f"XGBoost's own NDCG@10 standard deviation across seeds: {spread:.4f}"
    )
    if abs(yahoo_ndcg10) > YAHOO_NDCG_TOLERANCE:
        failures.append(f"Yahoo NDCG@10 differs by {yahoo_ndcg10:+.4f}")

    # Every Yahoo feature has <= 256 distinct values, so both libraries cut at the same values;
    # without row subsampling nothing random is left and the two models should coincide.
    print("\nYahoo LTR sample, subsample=1 (no random draws)")
    print(header)
    exact = fit_both(train, test, seed=0, ndcg_at=args.ndcg_at, subsample=1.0)
    for name, (metrics, seconds) in exact.items():
        print_row(name, metrics, seconds)
    print_row("mlref - xgboost", np.subtract(exact["mlref"][0], exact["xgboost"][0]), np.nan)

    return report(failures)


def report(failures) -> int:
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print("all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
