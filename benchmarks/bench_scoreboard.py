""" "XGBoost wins 80 % of the time", examined: LR vs XGBoost vs a deep model on every tabular task.

Run ``python benchmarks/bench_scoreboard.py`` (``--quick``: the reduced sizes notebook 10 runs
live). Every model runs single-threaded (BLAS limited to one thread, XGBoost ``n_jobs=1``) with
seed 0. Eight tasks, three models each, the same features for the three:

* **simulator click / add to cart / order** (``make_marketplace(random_state=0)``, the 57
  features of ``build_search_features``, train days 0-59, test days 75-89): test AUC of
  ``mlref.models.LogisticRegression`` (L-BFGS, C = 1) on standardised features, XGBoost
  (100 trees, depth 6, eta 0.1, ``hist``) on the raw ones, and ``mlref.models.MLPClassifier``
  (its defaults, 512-256-128, 10 epochs; the single-task network of ``bench_multitask.py``);
* **iPinYou 2997** (upstream train/test split, 16 categorical fields, values seen fewer than 5
  times pooled): test AUC of LR (C = 0.1) and XGBoost on the one-hot matrix (sparse for
  XGBoost, where an absent entry is a missing value: the same AUC as dense here, 20x faster),
  and Wide & Deep on the fields (the best neural model of ``bench_click_prediction.py`` on this
  data);
* **Criteo and Avazu samples** (DeepCTR's 200 and 100 rows): stratified 5-fold cross-validation,
  mean fold AUC; numeric columns are bucketed as ``floor(log2(1 + x))`` (missing: its own
  bucket), values seen once in a fold's training rows pooled, every column one-hot encoded for LR
  (C = 0.1) and XGBoost, and DeepFM on the fields.
  With 49 and 20 clicks these two only show that the pipeline runs: fold AUCs move by 0.1;
* **MQ2008** (LETOR 4.0, five folds, train on the training partitions, test on the test
  partition) and the **Yahoo LTR sample** (train -> test): NDCG@10 of pointwise logistic
  regression (``mlref.models.LogisticRegression``, relevant = grade > 0), XGBoost
  ``rank:ndcg`` (``mlref.ltr.fit_xgboost_ranker``: 100 trees, depth 6) and LambdaRank with an
  MLP scorer (``mlref.ltr.LambdaRank(scorer="mlp")``, 100 full-batch Adam steps).

No hyper-parameter is tuned on a test set: every model keeps the course's defaults named above.
It prints one table (metric per model, winner, XGBoost minus the best other model) and the count
of tasks each model wins; a win by less than ``--tie`` (default 0.005) is also counted as a tie.
``--quick`` uses notebook 10's sizes: 3,000 simulator searches with 3 MLP epochs and depth-4
trees, 50 XGBoost trees and 1 Wide & Deep epoch on iPinYou, MQ2008 fold 1 only, 30 LambdaRank
steps on Yahoo.
"""

import argparse
import time

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits
from xgboost import XGBClassifier

from mlref.datasets import (
    fetch_avazu_sample,
    fetch_criteo_sample,
    fetch_ipinyou,
    fetch_mq2008,
    fetch_yahoo_ltr_sample,
    make_marketplace,
)
from mlref.features import Standardizer, build_search_features, time_split
from mlref.ltr import LambdaRank, fit_xgboost_ranker
from mlref.metrics import auc_roc, ndcg_at_k
from mlref.models import LogisticRegression, MLPClassifier
from mlref.models.deepfm import DeepFMClassifier
from mlref.models.fields import FieldIndexer
from mlref.models.wide_deep import WideAndDeepClassifier

SEED = 0
MODELS = ("logistic regression", "XGBoost", "deep")


def xgboost(n_estimators=100, max_depth=6):
    return XGBClassifier(
        n_estimators=n_estimators,
        max_depth=max_depth,
        learning_rate=0.1,
        tree_method="hist",
        n_jobs=1,
        random_state=SEED,
    )


def simulator_tasks(quick: bool) -> list[dict]:
    market = make_marketplace(random_state=SEED, **({"n_searches": 3000} if quick else {}))
    train, _, test = time_split(build_search_features(market, label="clicks"))
    impressions = market.impressions.set_index(["search_id", "position"])

    def outcome(part, column):
        keys = pd.MultiIndex.from_arrays([part.rows.search_id, part.rows.position])
        return impressions.loc[keys, column].to_numpy().astype(int)

    scaler = Standardizer().fit(train.X)
    Z_train, Z_test = scaler.transform(train.X), scaler.transform(test.X)
    mlp = {"hidden_layer_sizes": (32, 16), "n_epochs": 3, "batch_size": 512} if quick else {}
    rows = []
    for task, column in (
        ("click", "clicked"),
        ("add to cart", "added_to_cart"),
        ("order", "ordered"),
    ):
        y_train, y_test = outcome(train, column), outcome(test, column)
        scores = {
            "logistic regression": LogisticRegression().fit(Z_train, y_train).predict_proba(Z_test),
            "XGBoost": xgboost(max_depth=4 if quick else 6)
            .fit(train.X, y_train)
            .predict_proba(test.X),
            "deep": MLPClassifier(random_state=SEED, **mlp)
            .fit(Z_train, y_train)
            .predict_proba(Z_test),
        }
        rows.append(
            {
                "task": f"simulator {task}",
                "metric": "test AUC",
                "deep model": "MLP",
                **{name: auc_roc(y_test, p[:, 1]) for name, p in scores.items()},
            }
        )
    return rows


def ipinyou_task(quick: bool) -> dict:
    train, test = fetch_ipinyou(subset="train"), fetch_ipinyou(subset="test")
    X_train, y_train = train.drop(columns="click"), train["click"].to_numpy()
    X_test, y_test = test.drop(columns="click"), test["click"].to_numpy()
    indexer = FieldIndexer(min_count=5).fit(X_train)
    S_train, S_test = indexer.one_hot(X_train), indexer.one_hot(X_test)  # sparse: XGBoost
    H_train, H_test = S_train.toarray(), S_test.toarray()  # dense: mlref's LR
    wide_deep = WideAndDeepClassifier(
        min_count=5, random_state=SEED, **({"n_epochs": 1} if quick else {})
    )
    scores = {
        "logistic regression": LogisticRegression(C=0.1)
        .fit(H_train, y_train)
        .predict_proba(H_test),
        "XGBoost": xgboost(n_estimators=50 if quick else 100)
        .fit(S_train, y_train)
        .predict_proba(S_test),
        "deep": wide_deep.fit(X_train, y_train).predict_proba(X_test),
    }
    return {
        "task": "iPinYou 2997",
        "metric": "test AUC",
        "deep model": "Wide & Deep",
        **{name: auc_roc(y_test, p[:, 1]) for name, p in scores.items()},
    }


def log2_buckets(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as a categorical field: numbers become floor(log2(1 + x)) buckets."""
    out = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_float_dtype(values):
            bucket = np.floor(np.log2(1.0 + values.clip(lower=0)))
            out[column] = bucket.fillna(-1).astype(np.int64).astype(str)
        else:
            out[column] = values.astype(object).fillna("missing").astype(str)
    return pd.DataFrame(out)


def small_ctr_task(name: str, frame: pd.DataFrame, label: str, drop: tuple[str, ...]) -> dict:
    y = frame[label].to_numpy()
    fields = log2_buckets(frame.drop(columns=[label, *drop]))
    aucs = {model: [] for model in MODELS}
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    for fit_rows, test_rows in folds.split(fields, y):
        F_fit, F_test = fields.iloc[fit_rows], fields.iloc[test_rows]
        indexer = FieldIndexer(min_count=2).fit(F_fit)
        H_fit, H_test = indexer.one_hot(F_fit).toarray(), indexer.one_hot(F_test).toarray()
        scores = {
            "logistic regression": LogisticRegression(C=0.1)
            .fit(H_fit, y[fit_rows])
            .predict_proba(H_test),
            "XGBoost": xgboost().fit(H_fit, y[fit_rows]).predict_proba(H_test),
            "deep": DeepFMClassifier(min_count=2, random_state=SEED)
            .fit(F_fit, y[fit_rows])
            .predict_proba(F_test),
        }
        for model, p in scores.items():
            aucs[model].append(auc_roc(y[test_rows], p[:, 1]))
    return {
        "task": name,
        "metric": "5-fold CV AUC",
        "deep model": "DeepFM",
        **{model: float(np.mean(v)) for model, v in aucs.items()},
    }


def ranking_scores(train, test, n_epochs: int) -> dict:
    relevant = (train.y > 0).astype(int)
    Z = Standardizer().fit(train.X)
    pointwise = LogisticRegression().fit(Z.transform(train.X), relevant)
    neural = LambdaRank(scorer="mlp", n_epochs=n_epochs, random_state=SEED)
    return {
        "logistic regression": pointwise.decision_function(Z.transform(test.X)),
        "XGBoost": fit_xgboost_ranker(train.X, train.y, train.qid, random_state=SEED).predict(
            test.X
        ),
        "deep": neural.fit(train.X, train.y, train.qid).predict(test.X),
    }


def ranking_tasks(quick: bool) -> list[dict]:
    folds = range(1, 2) if quick else range(1, 6)
    per_fold = []
    for fold in folds:
        train, test = (
            fetch_mq2008(fold=fold, subset="train"),
            fetch_mq2008(fold=fold, subset="test"),
        )
        scores = ranking_scores(train, test, n_epochs=100)
        per_fold.append({m: ndcg_at_k(test.y, s, 10, test.qid) for m, s in scores.items()})
    train, test = fetch_yahoo_ltr_sample(subset="train"), fetch_yahoo_ltr_sample(subset="test")
    yahoo = ranking_scores(train, test, n_epochs=30 if quick else 100)
    mq2008_name = "MQ2008 fold 1" if quick else "MQ2008 (5 folds)"
    return [
        {
            "task": mq2008_name,
            "metric": "test NDCG@10",
            "deep model": "LambdaRank MLP",
            **pd.DataFrame(per_fold).mean().to_dict(),
        },
        {
            "task": "Yahoo LTR sample",
            "metric": "test NDCG@10",
            "deep model": "LambdaRank MLP",
            **{m: ndcg_at_k(test.y, s, 10, test.qid) for m, s in yahoo.items()},
        },
    ]


def scoreboard(quick: bool) -> pd.DataFrame:
    rows = simulator_tasks(quick)
    rows.append(ipinyou_task(quick))
    rows.append(small_ctr_task("Criteo sample", fetch_criteo_sample(), "label", ()))
    rows.append(small_ctr_task("Avazu sample", fetch_avazu_sample(), "click", ("id",)))
    rows.extend(ranking_tasks(quick))
    table = pd.DataFrame(rows).set_index("task")
    metrics = table[list(MODELS)]
    table["winner"] = metrics.idxmax(axis=1)
    table["XGBoost - best other"] = metrics["XGBoost"] - metrics.drop(columns="XGBoost").max(axis=1)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="notebook 10's reduced sizes")
    parser.add_argument("--tie", type=float, default=0.005, help="a smaller margin is a tie")
    args = parser.parse_args()
    pd.set_option("display.width", 160)
    start = time.perf_counter()
    with threadpool_limits(limits=1):
        table = scoreboard(args.quick)
    print(table.round(4).to_string())
    wins = table.winner.value_counts()
    print()
    for model in MODELS:
        print(f"{model:>20} wins {int(wins.get(model, 0))} of {len(table)} tasks")
    metrics = table[list(MODELS)]
    margin = metrics.max(axis=1) - metrics.apply(lambda r: r.nlargest(2).iloc[-1], axis=1)
    print(f"won by less than {args.tie}: {int((margin < args.tie).sum())} of {len(table)} tasks")
    print(f"\nTotal time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
