"""Time mlref's random forest (exact and histogram splits) against scikit-learn's on click rows.

Run ``python benchmarks/bench_random_forest.py`` (``--repeats N``, ``--exact-trees N``). Task:
the simulator's click prediction (``make_marketplace(random_state=0)``,
``build_search_features``, ``time_split``), 15,000 rows drawn from the 60 training days (seed 0,
as notebook 04a and ``bench_ensembles.py``), tested on the 64,720 rows of days 75-89. Both
libraries: 100 trees, ``min_samples_leaf=20``, ``max_features="sqrt"`` (7 of 57 features per
node), bootstrap, ``random_state=0``; scikit-learn with ``n_jobs=1`` (then all cores, for
information). mlref's ``splitter="histogram"`` (256 bins) and scikit-learn alternate over
``--repeats`` rounds (best time of each); the exact splitter is timed once (``--exact-trees``
trees, scaled to 100). Printed: fit seconds, ratio to scikit-learn, test AUC and accuracy.

Unfavourable workloads beside it, not gated: fully grown trees (``min_samples_leaf=1``: about
ten times more nodes, most of them small) and all 57 features at every node (bagged trees:
every node's histograms span all features).

Goal (exit status 1 if missed): the histogram forest fits in at most 3x scikit-learn's
one-thread time, with test AUC and accuracy within 0.01 of scikit-learn's.
"""

import argparse
import sys
import time

import numpy as np
from _timing import best_times_interleaved, default_threads, load_average, one_thread
from sklearn.ensemble import RandomForestClassifier as SklearnForest

from mlref.datasets import make_marketplace
from mlref.features.search_task import build_search_features, time_split
from mlref.metrics import accuracy, auc_roc
from mlref.models import RandomForestClassifier

TARGET_RATIO = 3.0
QUALITY_TOLERANCE = 0.01
N_TRAIN = 15_000


def click_task():
    features = build_search_features(make_marketplace(random_state=0), label="clicks")
    train, _, test = time_split(features)
    rng = np.random.default_rng(0)
    rows = np.sort(rng.choice(len(train), size=N_TRAIN, replace=False))
    X = train.X.to_numpy().astype(np.float64)[rows]
    return X, train.y[rows].astype(np.int64), test.X.to_numpy().astype(np.float64), test.y


def quality(model, X_test, y_test):
    p = model.predict_proba(X_test)[:, 1]
    return auc_roc(y_test, p), accuracy(y_test, (p > 0.5).astype(int))


def compare(name, settings, X, y, X_test, y_test, repeats):
    """Histogram forest vs scikit-learn, one thread, alternating; returns the row of the table."""
    ours = RandomForestClassifier(splitter="histogram", **settings)
    theirs = SklearnForest(n_jobs=1, **settings)
    timed = best_times_interleaved(
        {"ours": lambda: ours.fit(X, y), "sklearn": lambda: theirs.fit(X, y)}, repeats
    )
    (t_ours, _), (t_sk, _) = timed["ours"], timed["sklearn"]
    (auc_ours, acc_ours), (auc_sk, acc_sk) = (
        quality(ours, X_test, y_test),
        quality(theirs, X_test, y_test),
    )
    nodes = np.mean([tree.node_count for tree in ours.estimators_])
    print(
        f"{name:<52} {t_ours:8.2f} {t_sk:8.2f} {t_ours / t_sk:6.2f}x   AUC {auc_ours:.4f} vs "
        f"{auc_sk:.4f}   accuracy {acc_ours:.4f} vs {acc_sk:.4f}   {nodes:.0f} nodes/tree"
    )
    return t_ours / t_sk, auc_ours - auc_sk, acc_ours - acc_sk, t_sk


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--exact-trees", type=int, default=100)
    parser.add_argument("--skip-unfavourable", action="store_true")
    args = parser.parse_args()
    X, y, X_test, y_test = click_task()
    main_settings = {
        "n_estimators": 100,
        "min_samples_leaf": 20,
        "max_features": "sqrt",
        "random_state": 0,
    }
    print(f"{N_TRAIN:,} training rows x {X.shape[1]} features, {len(y_test):,} test rows")
    print(
        f"{'workload (histogram forest vs scikit-learn)':<52} {'mlref s':>8} {'sklearn':>8} ratio"
    )
    with one_thread():
        print(f"[{load_average()}]")
        ratio, d_auc, d_acc, t_sk = compare(
            "100 trees, leaf 20, sqrt features (goal)",
            main_settings,
            X,
            y,
            X_test,
            y_test,
            args.repeats,
        )
        if args.exact_trees > 0:
            exact = RandomForestClassifier(**{**main_settings, "n_estimators": args.exact_trees})
            start = time.perf_counter()
            exact.fit(X, y)
            t_exact = (time.perf_counter() - start) * 100 / args.exact_trees
            auc_exact, acc_exact = quality(exact, X_test, y_test)
            print(
                f"{'  same, splitter=exact (per 100 trees)':<52} {t_exact:8.2f} {t_sk:8.2f} "
                f"{t_exact / t_sk:6.2f}x   AUC {auc_exact:.4f}   accuracy {acc_exact:.4f}"
                f"   ({args.exact_trees} trees fitted)"
            )
        if not args.skip_unfavourable:
            unfavourable = {
                "fully grown (leaf 1), sqrt features": {"min_samples_leaf": 1},
                "leaf 20, all 57 features per node": {"max_features": None},
            }
            for name, change in unfavourable.items():
                compare(
                    f"  unfavourable: {name}",
                    {**main_settings, "n_estimators": 30, **change},
                    X,
                    y,
                    X_test,
                    y_test,
                    max(1, args.repeats - 1),
                )
    with default_threads():
        start = time.perf_counter()
        SklearnForest(n_jobs=-1, **main_settings).fit(X, y)
        print(
            f"scikit-learn at its default threads (n_jobs=-1): {time.perf_counter() - start:.2f} s"
        )

    met_time = ratio <= TARGET_RATIO
    met_quality = abs(d_auc) <= QUALITY_TOLERANCE and abs(d_acc) <= QUALITY_TOLERANCE
    print(
        f"goal: histogram forest <= {TARGET_RATIO}x scikit-learn (n_jobs=1): {ratio:.2f}x "
        f"{'met' if met_time else 'MISSED'}; |dAUC| {abs(d_auc):.4f}, |d accuracy| "
        f"{abs(d_acc):.4f} <= {QUALITY_TOLERANCE}: {'met' if met_quality else 'MISSED'}"
    )
    return 0 if met_time and met_quality else 1


if __name__ == "__main__":
    sys.exit(main())
