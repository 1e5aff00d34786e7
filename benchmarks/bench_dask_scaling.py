"""Scale-out of XGBoost on Dask: rows per second with 1 and 2 worker processes, and the quality.

Run from the repository root (about a minute on two cores)::

    python benchmarks/bench_dask_scaling.py                 # 400,000 rows x 40 features
    python benchmarks/bench_dask_scaling.py --rows 100000   # smaller

Trains the same ``DaskXGBClassifier`` (100 trees, depth 6, hist) on a ``LocalCluster`` of 1 and
then 2 worker *processes* of one thread each (as on a real cluster), plus one in-process
``XGBClassifier`` with one thread, on synthetic click data with an interaction structure; prints
the training rows per second of each (best of ``--repeats``), the speed-up of 2 workers over 1, and
the test AUC of each model. Cluster start-up is timed separately and not counted in the rate. On
a real cluster replace ``start_local_cluster`` with ``distributed.Client("tcp://host:8786")``.

Exits 1 if the Dask models' AUC differs from the single process's by more than 0.005.
"""

import argparse
import sys
import time

import numpy as np
import xgboost

from mlref.distributed import fit_xgboost_dask, start_local_cluster
from mlref.metrics import auc_roc

PARAMS = {"n_estimators": 100, "max_depth": 6, "learning_rate": 0.1, "tree_method": "hist",
          "random_state": 0}  # fmt: skip


def make_data(n_rows, n_features, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_features)).astype(np.float32)
    logit = X[:, 0] + 0.8 * X[:, 1] * X[:, 2] - 0.5 * X[:, 3] ** 2 + 0.3 * np.sin(3 * X[:, 4])
    y = (logit + rng.logistic(size=n_rows) > 0).astype(np.int64)
    return X, y


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=400_000)
    parser.add_argument("--features", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    X, y = make_data(args.rows + 100_000, args.features)
    X_train, y_train, X_test, y_test = (
        X[: args.rows],
        y[: args.rows],
        X[args.rows :],
        y[args.rows :],
    )
    rows = {}
    auc = {}
    began = time.perf_counter()
    single = xgboost.XGBClassifier(**PARAMS, n_jobs=1).fit(X_train, y_train)
    rows["1 process, 1 thread"] = args.rows / (time.perf_counter() - began)
    auc["1 process, 1 thread"] = auc_roc(y_test, single.predict_proba(X_test)[:, 1])
    for n_workers in (1, 2):
        began = time.perf_counter()
        client = start_local_cluster(n_workers=n_workers, threads_per_worker=1, processes=True)
        startup = time.perf_counter() - began
        best = np.inf
        for _ in range(args.repeats):
            began = time.perf_counter()
            with xgboost.config_context(verbosity=0):
                model = fit_xgboost_dask(
                    client, X_train, y_train, n_partitions=2 * n_workers, **PARAMS
                )
            best = min(best, time.perf_counter() - began)
        label = f"Dask, {n_workers} worker process{'es' if n_workers > 1 else ''}"
        rows[label] = args.rows / best
        auc[label] = auc_roc(y_test, model.get_booster().inplace_predict(X_test))
        print(f"{label}: cluster up in {startup:.1f} s", flush=True)
        client.close()
        client.cluster.close()

    print(
        f"\n{args.rows:,} training rows x {args.features} features, {PARAMS['n_estimators']} trees"
    )
    print(f"{'':32s} {'rows/s':>10s} {'test AUC':>9s}")
    for label in rows:
        print(f"{label:32s} {rows[label]:10,.0f} {auc[label]:9.4f}")
    speedup = rows["Dask, 2 worker processes"] / rows["Dask, 1 worker process"]
    print(f"\n2 workers / 1 worker: {speedup:.2f}x")
    gaps = [abs(auc[k] - auc["1 process, 1 thread"]) for k in auc]
    if max(gaps) > 0.005:
        print(f"FAIL: a Dask model's AUC differs by {max(gaps):.4f} > 0.005", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
