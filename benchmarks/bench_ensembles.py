"""Tree ensembles on the simulator's click task: one tree, bagging, forest, GBDT, XGBoost, stacking.

Run ``python benchmarks/bench_ensembles.py`` (about 2 minutes on 2 cores) or ``--quick`` (the
reduced configuration for a notebook, about 15 s on one CPU).

Task: ``make_marketplace(random_state=0)``, ``build_search_features(label="clicks")`` (``y`` is
the logged click of each shown product, ``rows["clicked"]``; checked below), split by day with
``time_split``: a random sample of rows from the 60 training days to fit on (exact greedy NumPy
trees are slow: see the fit seconds), all rows of the last 15 days to test on. Positives are
about 7.7 % of the rows, so accuracy hardly moves; the table reports test AUC and log loss
(``mlref.metrics``) and the fit time measured in this run. XGBoost runs ``tree_method="exact"``
on one thread with the same trees/depth/learning rate/lambda as mlref's GBDT and features
rounded to float32 (as XGBoost stores them): the two grow the same trees, so their predictions
on the training rows agree to float32 precision; a few test rows whose value falls exactly on a
threshold go the other way (``x <= t`` left here, ``x < t`` in XGBoost).

The histogram variants the notebook uses (the forest's ``splitter="histogram"``, the GBDT's
``tree_method="hist"`` against XGBoost ``hist``) sit beside the exact ones, and the full run
refits them, with logistic regression, on all training rows (their loops are compiled).

A second table checks library parity on a standard dataset that ships with scikit-learn
(breast cancer, stratified 3-fold): mlref's random forest against scikit-learn's and mlref's
GBDT against XGBoost. ``--quick`` skips it.
"""

import argparse
import time
import warnings

import numpy as np
import xgboost
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier as SklearnForest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold

from mlref.datasets import make_marketplace
from mlref.features.search_task import build_search_features, time_split
from mlref.metrics import accuracy, auc_roc, log_loss
from mlref.models import (
    DecisionTreeClassifier,
    GradientBoostingClassifier,
    RandomForestClassifier,
)
from mlref.models.ensemble import BaggingClassifier, StackingClassifier
from mlref.models.linear import LogisticRegression

CONFIGS = {
    "full": {
        "n_train": 15_000,
        "forest": {"n_estimators": 30, "min_samples_leaf": 20},
        "gbdt": {"n_estimators": 60, "max_depth": 4, "learning_rate": 0.1},
        "stack_forest": {"n_estimators": 10, "min_samples_leaf": 20},
        "stack_gbdt": {"n_estimators": 20, "max_depth": 4, "learning_rate": 0.2},
        "stack_cv": 3,
    },
    "quick": {
        "n_train": 3_000,
        "forest": {"n_estimators": 10, "min_samples_leaf": 20},
        "gbdt": {"n_estimators": 20, "max_depth": 2, "learning_rate": 0.3},
        "stack_forest": {"n_estimators": 5, "min_samples_leaf": 20},
        "stack_gbdt": {"n_estimators": 10, "max_depth": 2, "learning_rate": 0.3},
        "stack_cv": 3,
    },
}
SHARED_GBDT = {"reg_lambda": 1.0, "min_child_weight": 1.0}


def click_task(n_train: int, seed: int = 0):
    """Train rows (a random sample of the first 60 days) and all test rows (days 75-89)."""
    features = build_search_features(make_marketplace(random_state=0), label="clicks")
    assert np.array_equal(features.y, features.rows["clicked"].to_numpy())
    train, _, test = time_split(features)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(train), size=min(n_train, len(train)), replace=False))
    # XGBoost stores features as float32; rounding them here gives both libraries the same
    # values, hence the same candidate splits.
    X_train = as_float32_values(train.X.to_numpy()[rows])
    y_train = train.y[rows].astype(np.int64)
    X_test = as_float32_values(test.X.to_numpy())
    return X_train, y_train, X_test, test.y.astype(np.int64), len(train)


def as_float32_values(X):
    return X.astype(np.float32).astype(np.float64)


def xgboost_twin(gbdt: dict):
    return xgboost.XGBClassifier(tree_method="exact", n_jobs=1, **gbdt, **SHARED_GBDT)


def models(config: dict) -> dict:
    gbdt = config["gbdt"]
    n_trees, leaf = config["forest"]["n_estimators"], config["forest"]["min_samples_leaf"]
    stack_members = [
        ("lr", LogisticRegression(tol=1e-4)),
        ("rf", RandomForestClassifier(**config["stack_forest"], random_state=0)),
        ("gbdt", GradientBoostingClassifier(**config["stack_gbdt"], **SHARED_GBDT)),
    ]
    return {
        "decision tree (fully grown)": DecisionTreeClassifier(),
        f"decision tree (leaf {leaf})": DecisionTreeClassifier(min_samples_leaf=leaf),
        f"bagging ({n_trees} trees, leaf {leaf})": BaggingClassifier(
            DecisionTreeClassifier(min_samples_leaf=leaf), n_trees, random_state=0
        ),
        f"random forest, mlref ({n_trees} trees, leaf {leaf}, sqrt features)": (
            RandomForestClassifier(**config["forest"], random_state=0)
        ),
        f"random forest, mlref, histogram splits ({n_trees} trees)": RandomForestClassifier(
            **config["forest"], splitter="histogram", random_state=0
        ),
        "random forest, scikit-learn (same settings)": SklearnForest(
            **config["forest"], random_state=0
        ),
        "logistic regression (mlref)": LogisticRegression(tol=1e-4),
        "GBDT (mlref)": GradientBoostingClassifier(**gbdt, **SHARED_GBDT),
        "XGBoost (exact, 1 thread)": xgboost_twin(gbdt),
        "GBDT (mlref, hist)": GradientBoostingClassifier(**gbdt, tree_method="hist", **SHARED_GBDT),
        "XGBoost (hist, 1 thread)": xgboost.XGBClassifier(
            tree_method="hist", n_jobs=1, **gbdt, **SHARED_GBDT
        ),
        f"stacking LR + RF + GBDT (cv={config['stack_cv']})": StackingClassifier(
            stack_members, cv=config["stack_cv"], random_state=0
        ),
    }


def fit_and_score(model, X_train, y_train, X_test, y_test):
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    proba = model.predict_proba(X_test)[:, 1]
    return {
        "auc": auc_roc(y_test, proba),
        "log_loss": log_loss(y_test, proba),
        "accuracy": accuracy(y_test, (proba > 0.5).astype(np.int64)),
        "seconds": seconds,
        "proba": proba,
        "model": model,
    }


def standard_dataset_parity(config: dict) -> list[str]:
    """mlref vs scikit-learn forest and mlref GBDT vs XGBoost on breast cancer, 3 folds."""
    X, y = load_breast_cancer(return_X_y=True)
    X = as_float32_values(X)
    pairs = {
        "random forest": (
            lambda: RandomForestClassifier(**config["forest"], random_state=0),
            lambda: SklearnForest(**config["forest"], random_state=0),
        ),
        "GBDT vs XGBoost": (
            lambda: GradientBoostingClassifier(**config["gbdt"], **SHARED_GBDT),
            lambda: xgboost_twin(config["gbdt"]),
        ),
    }
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    lines = []
    for name, makes in pairs.items():
        scores = [[], []]
        for train, test in folds:
            for side, make in enumerate(makes):
                result = fit_and_score(make(), X[train], y[train], X[test], y[test])
                scores[side].append([result["accuracy"], result["auc"], result["log_loss"]])
        ours, theirs = np.mean(scores[0], axis=0), np.mean(scores[1], axis=0)
        cells = " | ".join(f"{a:.4f} / {b:.4f}" for a, b in zip(ours, theirs, strict=True))
        lines.append(f"| {name} | {cells} |")
    return lines


def all_rows_table(config: dict) -> None:
    """The histogram models, whose loops are compiled, on every training row (days 0-59)."""
    X_train, y_train, X_test, y_test, n_period = click_task(10**9)
    n_trees = config["forest"]["n_estimators"]
    all_models = {
        f"random forest, mlref, histogram splits ({n_trees} trees)": RandomForestClassifier(
            **config["forest"], splitter="histogram", random_state=0
        ),
        "random forest, scikit-learn (same settings)": SklearnForest(
            **config["forest"], random_state=0
        ),
        "GBDT (mlref, hist)": GradientBoostingClassifier(
            **config["gbdt"], tree_method="hist", **SHARED_GBDT
        ),
        "XGBoost (hist, 1 thread)": xgboost.XGBClassifier(
            tree_method="hist", n_jobs=1, **config["gbdt"], **SHARED_GBDT
        ),
        "logistic regression (mlref)": LogisticRegression(tol=1e-4),
    }
    print(f"\nThe histogram models and LR on all {n_period:,} training rows:\n")
    print("| model | test AUC | test log loss | fit seconds |")
    print("|---|---:|---:|---:|")
    for name, model in all_models.items():
        r = fit_and_score(model, X_train, y_train, X_test, y_test)
        print(f"| {name} | {r['auc']:.4f} | {r['log_loss']:.4f} | {r['seconds']:.2f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced notebook configuration")
    args = parser.parse_args()
    config = CONFIGS["quick" if args.quick else "full"]
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    started = time.perf_counter()

    X_train, y_train, X_test, y_test, n_period = click_task(config["n_train"])
    print(
        f"Click task: fit on {len(y_train):,} of the {n_period:,} rows of days 0-59 "
        f"(CTR {y_train.mean():.4f}), test on all {len(y_test):,} rows of days 75-89 "
        f"(CTR {y_test.mean():.4f}), {X_train.shape[1]} features. Build: "
        f"{time.perf_counter() - started:.1f} s\n"
    )
    print("| model | test AUC | test log loss | fit seconds |")
    print("|---|---:|---:|---:|")
    results = {}
    for name, model in models(config).items():
        results[name] = fit_and_score(model, X_train, y_train, X_test, y_test)
        r = results[name]
        print(f"| {name} | {r['auc']:.4f} | {r['log_loss']:.4f} | {r['seconds']:.2f} |", flush=True)

    ours_rf = next(r for name, r in results.items() if name.startswith("random forest, mlref ("))
    sk_rf = results["random forest, scikit-learn (same settings)"]
    ours_gb, xgb = results["GBDT (mlref)"], results["XGBoost (exact, 1 thread)"]
    stack = next(r for name, r in results.items() if name.startswith("stacking"))
    print("\nParity on the click task (mlref / reference):\n")
    print("| comparison | accuracy | AUC | log loss | fit seconds |")
    print("|---|---:|---:|---:|---:|")
    for label, a, b in [
        ("random forest / scikit-learn", ours_rf, sk_rf),
        ("GBDT / XGBoost", ours_gb, xgb),
    ]:
        cells = " | ".join(
            f"{a[key]:.4f} / {b[key]:.4f}" for key in ("accuracy", "auc", "log_loss")
        )
        print(f"| {label} | {cells} | {a['seconds']:.2f} / {b['seconds']:.2f} |")
    on_train = np.abs(
        ours_gb["model"].predict_proba(X_train)[:, 1] - xgb["model"].predict_proba(X_train)[:, 1]
    )
    on_test = np.abs(ours_gb["proba"] - xgb["proba"])
    print(
        f"\nGBDT vs XGBoost: max |p_mlref - p_xgboost| = {on_train.max():.1e} on the training "
        f"rows (same trees); on the test rows {on_test.max():.1e}, with "
        f"{(on_test > 1e-4).mean():.3%} of them above 1e-4: test values that fall exactly on a "
        "threshold (an integer between two training values, e.g. an id), which mlref sends left "
        "(x <= t, as scikit-learn) and XGBoost right (x < t). mlref fit time "
        f"{ours_gb['seconds'] / xgb['seconds']:.1f}x XGBoost's."
    )
    meta = stack["model"].final_estimator_
    weights = ", ".join(
        f"{name} {w:+.2f}"
        for name, w in zip(stack["model"].named_estimators_, meta.coef_[0], strict=True)
    )
    print(f"Stacking meta-model weights on the out-of-fold probabilities: {weights}")

    if not args.quick:
        all_rows_table(config)
        print("\nParity on breast cancer (scikit-learn's copy; stratified 3-fold means;", end=" ")
        print("mlref / reference):\n")
        print("| comparison | accuracy | AUC | log loss |")
        print("|---|---:|---:|---:|")
        for line in standard_dataset_parity(config):
            print(line)
    print(f"\nTotal time: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
