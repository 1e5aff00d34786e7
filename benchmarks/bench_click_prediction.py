"""Click prediction: logistic regression, XGBoost, MLP, Wide & Deep and DeepFM on two data sets.

Run ``python benchmarks/bench_click_prediction.py`` (about two minutes on two cores).
Every model runs single-threaded (BLAS limited to one thread, XGBoost ``n_jobs=1``) with seed 0,
on the same split; it prints, as markdown tables, test AUC, test log-loss and training seconds on

(a) the iPinYou sample of advertiser 2997 (``fetch_ipinyou``): 16 categorical fields, the
    upstream train/test split (train CTR 0.95 %, test CTR 0.24 %: another day and other hours,
    so predicted probabilities are miscalibrated on test whatever the model, which weighs on the
    log-loss much more than on the AUC). With 255 training clicks and 50 test clicks, the test
    AUC has a standard error of about 0.04: differences of 0.01-0.02 are noise;
(b) the marketplace simulator (``make_marketplace(random_state=0)``): every shown product of
    every search, label ``clicked``, the 57 features of ``build_search_features``, trained on
    days 1-60 and tested on days 76-90 (``time_split``; the validation days are not used).

Inputs per model family:

- logistic regression (``mlref.models.linear``, ``C=0.1`` on iPinYou, ``C=1`` on the simulator)
  and the MLP read one-hot vectors on iPinYou and standardised features on the simulator;
- XGBoost (``n_estimators=100, max_depth=6, learning_rate=0.1``, the source's starting point,
  untuned, ``tree_method="hist"``) reads the same one-hot matrix on iPinYou and the raw
  features on the simulator;
- Wide & Deep and DeepFM read the categorical fields; on the simulator every feature is first
  cut into 10 training-quantile bins (``QuantileBinner``), and Wide & Deep crosses the 45 pairs
  of 10 chosen features (all 1,596 pairs of 57 fields cost too much time; on iPinYou it crosses
  all 120 pairs, its default).

On iPinYou, field values seen fewer than 5 times in training share one "other" value per field
for every model (775 one-hot columns instead of 14,761: mlref's logistic regression is dense);
a last row shows DeepFM with an id for every value (its default, ``min_count=1``).
The neural models use their class defaults (chosen, with ``C=0.1``, on a random 20 % validation
split of the iPinYou training set, never on its test set). The script also refits DeepFM with
seeds 0-4 on iPinYou, to show how much the seed alone moves the test AUC, and times one epoch
of DeepFM with its defaults on the whole iPinYou training set (best of 3; target < 5 s).
"""

import itertools
import time

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits
from xgboost import XGBClassifier

from mlref.datasets import fetch_ipinyou, make_marketplace
from mlref.features.numeric import QuantileBinner, Standardizer
from mlref.features.search_task import build_search_features, time_split
from mlref.metrics import auc_roc, log_loss
from mlref.models.deepfm import DeepFMClassifier
from mlref.models.fields import FieldIndexer
from mlref.models.linear import LogisticRegression
from mlref.models.mlp import MLPClassifier
from mlref.models.wide_deep import WideAndDeepClassifier

SEED = 0
IPINYOU_MIN_COUNT = 5
SIMULATOR_BINS = 10
SIMULATOR_CROSSED = (
    "qd_past_ctr",
    "product_past_ctr",
    "query_past_ctr",
    "bm25_title",
    "category_match",
    "brand_match",
    "product_type_match",
    "price_tier",
    "brand_price_level",
    "rating",
)


def xgboost():
    return XGBClassifier(
        n_estimators=100,
        max_depth=6,
        learning_rate=0.1,
        tree_method="hist",
        n_jobs=1,
        random_state=SEED,
    )


def evaluate(name, model, X_train, y_train, X_test, y_test, note=""):
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    p = model.predict_proba(X_test)[:, 1]
    return {
        "model": name,
        "input": note,
        "test AUC": auc_roc(y_test, p),
        "test log-loss": log_loss(y_test, p),
        "train s": seconds,
    }


def ipinyou() -> tuple[pd.DataFrame, np.ndarray, float]:
    train, test = fetch_ipinyou(subset="train"), fetch_ipinyou(subset="test")
    X_train, y_train = train.drop(columns="click"), train["click"].to_numpy()
    X_test, y_test = test.drop(columns="click"), test["click"].to_numpy()
    indexer = FieldIndexer(min_count=IPINYOU_MIN_COUNT).fit(X_train)
    H_train = indexer.one_hot(X_train).toarray()  # mlref's LogisticRegression is dense
    H_test = indexer.one_hot(X_test).toarray()
    hot = f"one-hot ({indexer.n_ids_} columns)"
    fields = f"{X_train.shape[1]} fields"
    data_hot = (H_train, y_train, H_test, y_test)
    data_fields = (X_train, y_train, X_test, y_test)
    m = IPINYOU_MIN_COUNT
    rows = [
        evaluate("logistic regression", LogisticRegression(C=0.1), *data_hot, hot),
        evaluate("XGBoost", xgboost(), *data_hot, hot),
        evaluate("MLP", MLPClassifier(random_state=SEED), *data_hot, hot),
        evaluate(
            "Wide & Deep",
            WideAndDeepClassifier(min_count=m, random_state=SEED),
            *data_fields,
            fields + ", 120 crosses",
        ),
        evaluate("DeepFM", DeepFMClassifier(min_count=m, random_state=SEED), *data_fields, fields),
        evaluate(
            "DeepFM, every value (min_count=1)",
            DeepFMClassifier(random_state=SEED),
            *data_fields,
            fields + f", {FieldIndexer().fit(X_train).n_ids_} ids",
        ),
    ]
    seed_aucs = [
        auc_roc(y_test, DeepFMClassifier(min_count=m, random_state=seed).fit(X_train, y_train)
                .predict_proba(X_test)[:, 1])
        for seed in range(5)
    ]  # fmt: skip
    epoch_seconds = []
    for _ in range(3):
        start = time.perf_counter()
        DeepFMClassifier(n_epochs=1, random_state=SEED).fit(X_train, y_train)
        epoch_seconds.append(time.perf_counter() - start)
    return pd.DataFrame(rows), np.array(seed_aucs), min(epoch_seconds)


def simulator() -> tuple[pd.DataFrame, str]:
    market = make_marketplace(random_state=SEED)
    features = build_search_features(market, label="clicks")
    if not np.array_equal(features.y, features.rows["clicked"].to_numpy()):
        raise AssertionError("label='clicks' should give the logged clicks as y")
    train, _, test = time_split(features)
    scaler = Standardizer().fit(train.X)
    S_train, S_test = scaler.transform(train.X), scaler.transform(test.X)
    binner = QuantileBinner(n_bins=SIMULATOR_BINS).fit(train.X)
    columns = train.X.columns

    def binned(part):
        return pd.DataFrame(binner.transform(part.X).astype(np.int64), columns=columns)

    B_train, B_test = binned(train), binned(test)
    crosses = list(itertools.combinations(SIMULATOR_CROSSED, 2))
    numeric = (S_train, train.y, S_test, test.y)
    fields = (B_train, train.y, B_test, test.y)
    n = len(columns)
    rows = [
        evaluate("logistic regression", LogisticRegression(), *numeric, f"{n} standardised"),
        evaluate("XGBoost", xgboost(), train.X, train.y, test.X, test.y, f"{n} raw"),
        evaluate("MLP", MLPClassifier(random_state=SEED), *numeric, f"{n} standardised"),
        evaluate(
            "Wide & Deep",
            WideAndDeepClassifier(crosses=crosses, random_state=SEED),
            *fields,
            f"{n} binned fields, {len(crosses)} crosses",
        ),
        evaluate("DeepFM", DeepFMClassifier(random_state=SEED), *fields, f"{n} binned fields"),
    ]
    split = (
        f"{len(train):,} training rows (CTR {train.y.mean():.2%}), {len(test):,} test rows "
        f"(CTR {test.y.mean():.2%})"
    )
    return pd.DataFrame(rows), split


def markdown(table: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    for row in table.itertuples(index=False):
        cells = [
            f"{v:.4f}" if isinstance(v, float) and k != "train s" else str(v)
            for k, v in zip(table.columns, row, strict=True)
        ]
        cells[-1] = f"{row[-1]:.1f}"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    start = time.perf_counter()
    with threadpool_limits(limits=1):
        ipinyou_table, seed_aucs, epoch_seconds = ipinyou()
        print("## iPinYou 2997 (train 26,773 rows / 255 clicks, test 21,150 rows / 50 clicks)\n")
        print(markdown(ipinyou_table))
        print(
            f"\nDeepFM (min_count=5) test AUC over seeds 0-4: mean {seed_aucs.mean():.4f}, "
            f"min {seed_aucs.min():.4f}, max {seed_aucs.max():.4f} (the seed alone moves it)"
        )
        print(
            f"\nOne DeepFM epoch (defaults, batch 1024) on the iPinYou training set, including "
            f"the field indexing: {epoch_seconds:.2f} s (best of 3; target < 5 s)\n"
        )
        simulator_table, split = simulator()
        print(f"## Marketplace simulator, clicks ({split})\n")
        print(markdown(simulator_table))
    print(f"\nTotal time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
