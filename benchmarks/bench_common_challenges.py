"""Full-size tables of notebook 08 (common challenges), over three simulator seeds.

- cold start: every policy of ``mlref.recsys.simulate_cold_start`` on the last 30 days;
- class imbalance at positions 14-20 (about 2 % CTR): ROC-AUC, PR-AUC, log loss, ECE and the
  mean prediction of each remedy;
- missing values: AUC of each strategy under MCAR / MAR / MNAR on 60,000 training and 60,000
  test rows (KNN with 5,000 donors);
- leakage: offline vs replayed online AUC of each leak, and the detector's verdict.

Usage::

    python benchmarks/bench_common_challenges.py            # seeds 0, 1, 2
    python benchmarks/bench_common_challenges.py --quick    # seed 0, smaller missing-value table

Exits 1 if a claim of the notebook fails on some seed: the detector must flag exactly the four
leaks (and the random split), every remedy must rank within 0.01 ROC-AUC, downsampling with the
log-odds correction must keep ECE below 0.005, and a -999 flag must cost a linear model at least
0.05 AUC.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd
import xgboost

from mlref.datasets import make_marketplace
from mlref.diagnostics import detect_leakage, make_leaky_click_log
from mlref.features import IterativeImputer, KNNImputer, SimpleImputer, inject_missing
from mlref.metrics import auc_roc, expected_calibration_error, log_loss, pr_auc
from mlref.models import LogisticRegression
from mlref.recsys import COLD_START_POLICIES, simulate_cold_start
from mlref.training import (
    SMOTE,
    FocalLogisticRegression,
    downsample_negatives,
    recalibrate_downsampled,
)


def gbdt(seed):
    return xgboost.XGBClassifier(
        n_estimators=60, max_depth=4, learning_rate=0.15, n_jobs=1, random_state=seed
    )


def cold_start(market, seed):
    rows = {}
    for policy in COLD_START_POLICIES:
        rows[policy] = simulate_cold_start(
            market, policy=policy, start_day=60, random_state=seed
        ).summary
    table = pd.DataFrame(rows).T
    table["ndcg_cost"] = table.loc["history", "ndcg"] - table["ndcg"]
    return table[["new_impression_share", "new_clicks", "clicks", "ndcg", "ndcg_cost"]]


def imbalance(log, seed):
    t = log.table
    clean = list(log.clean)
    low = t[t["position"] >= 14]
    tr, te = low[low["day"] < 60], low[low["day"] >= 60]
    mu, sd = tr[clean].mean(), tr[clean].std()
    X, Xt = ((tr[clean] - mu) / sd).to_numpy(), ((te[clean] - mu) / sd).to_numpy()
    y, yt = tr["clicked"].to_numpy(), te["clicked"].to_numpy()
    keep, w = downsample_negatives(y, ratio=5, random_state=seed)
    Xs, ys = SMOTE(random_state=seed).fit_resample(X, y)
    p_down = FocalLogisticRegression(gamma=0.0).fit(X[keep], y[keep]).predict_proba(Xt)[:, 1]
    preds = {
        "plain": FocalLogisticRegression(gamma=0.0).fit(X, y),
        "class weights": FocalLogisticRegression(gamma=0.0, class_weight="balanced").fit(X, y),
        "focal": FocalLogisticRegression(gamma=2.0, alpha=0.25).fit(X, y),
        "SMOTE": FocalLogisticRegression(gamma=0.0).fit(Xs, ys),
    }
    preds = {n: m.predict_proba(Xt)[:, 1] for n, m in preds.items()}
    preds["downsampled raw"] = p_down
    preds["downsampled + correction"] = recalibrate_downsampled(p_down, w)
    return pd.DataFrame(
        {
            n: {
                "ROC-AUC": auc_roc(yt, p),
                "PR-AUC": pr_auc(yt, p),
                "log loss": log_loss(yt, p),
                "ECE": expected_calibration_error(yt, p, n_bins=10, strategy="quantile"),
                "mean / CTR": p.mean() / yt.mean(),
            }
            for n, p in preds.items()
        }
    ).T


def missing(market, log, seed, n_rows, n_donors):
    t = log.table
    rng = np.random.default_rng(seed)
    cols = ["log_reviews", "log_price", "product_ctr_before", "query_product_ctr_before",
            "retailer_ctr_before"]  # fmt: skip
    rating = market.products["rating"].to_numpy()[t["product_id"].to_numpy()]
    frame = t[cols].assign(rating=rating).to_numpy()
    y = t["clicked"].to_numpy()
    train = np.flatnonzero(t["day"].to_numpy() < 60)
    test = np.flatnonzero(t["day"].to_numpy() >= 60)
    fit = rng.choice(train, min(n_rows, train.size), replace=False)
    ev = rng.choice(test, min(n_rows, test.size), replace=False)

    def holes(X, mechanism, s):
        no_rating = np.isnan(X[:, 5])
        out = inject_missing(
            np.nan_to_num(X), rate=0.25, mechanism=mechanism, columns=[2, 3], random_state=s
        )
        out[no_rating, 5] = np.nan
        return out

    def lr(A, B):
        c, s = A.mean(0), A.std(0) + 1e-12
        m = LogisticRegression().fit((A - c) / s, y[fit])
        return auc_roc(y[ev], m.predict_proba((B - c) / s)[:, 1])

    result = {}
    for mech in ("mcar", "mar", "mnar"):
        A, B = holes(frame[fit], mech, seed + 1), holes(frame[ev], mech, seed + 2)
        col = {}
        for name, imp in {
            "LR mean": SimpleImputer(),
            "LR median": SimpleImputer(strategy="median"),
            "LR -999": SimpleImputer(strategy="constant"),
            "LR mean + is_missing": SimpleImputer(add_indicator=True),
            "LR iterative": IterativeImputer(max_iter=5),
        }.items():
            imp.fit(A)
            col[name] = lr(imp.transform(A), imp.transform(B))
        knn = KNNImputer(n_neighbors=10).fit(A[:n_donors])
        col["LR KNN"] = lr(knn.transform(A), knn.transform(B))
        col["XGBoost native"] = auc_roc(y[ev], gbdt(seed).fit(A, y[fit]).predict_proba(B)[:, 1])
        result[mech.upper()] = col
    return pd.DataFrame(result)


def leakage(log, seed):
    t, s = log.table, log.served
    clean = list(log.clean)
    y = t["clicked"].to_numpy()
    tr = t["day"].to_numpy() < 60
    rows = {}
    for leak in [None, *log.leaks]:
        cols = clean if leak is None else [*clean, leak]
        m = gbdt(seed).fit(t.loc[tr, cols], y[tr])
        rows[leak or "clean"] = {
            "offline": auc_roc(y[~tr], m.predict_proba(t.loc[~tr, cols])[:, 1]),
            "online (replayed)": auc_roc(y[~tr], m.predict_proba(s.loc[~tr, cols])[:, 1]),
        }
    report = detect_leakage(
        t[[*clean, *log.leaks]], y, label_time=log.label_time, feature_times=log.feature_times
    )
    return pd.DataFrame(rows).T, set(report.flagged) == set(log.leaks)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    seeds = [0] if args.quick else [0, 1, 2]
    n_rows, n_donors = (12_000, 2_000) if args.quick else (60_000, 5_000)
    failures = []
    start = time.perf_counter()
    for seed in seeds:
        market = make_marketplace(random_state=seed)
        log = make_leaky_click_log(market, random_state=seed)
        print(f"\n=== seed {seed} ===")
        print("\ncold start (days 60-89):")
        print(cold_start(market, seed).round(4).to_string())
        imb = imbalance(log, seed)
        print("\nclass imbalance (positions 14-20):")
        print(imb.round(4).to_string())
        if imb["ROC-AUC"].max() - imb["ROC-AUC"].min() >= 0.01:
            failures.append(f"seed {seed}: remedies differ by >= 0.01 ROC-AUC")
        if imb.loc["downsampled + correction", "ECE"] >= 0.005:
            failures.append(f"seed {seed}: corrected downsampling ECE >= 0.005")
        miss = missing(market, log, seed, n_rows, n_donors)
        print(f"\nmissing values (AUC, {n_rows:,} + {n_rows:,} rows, KNN {n_donors:,} donors):")
        print(miss.round(4).to_string())
        if not (miss.loc["LR -999"] < miss.loc["LR mean"] - 0.05).all():
            failures.append(f"seed {seed}: -999 did not cost the linear model 0.05 AUC")
        leaks, exact = leakage(log, seed)
        print("\nleakage (AUC on days 60-89):")
        print(leaks.round(4).to_string())
        print(f"detector flags exactly the four leaks: {exact}")
        if not exact:
            failures.append(f"seed {seed}: the detector's flags differ from the leaks")
    print(f"\n{time.perf_counter() - start:.0f} s")
    for failure in failures:
        print("FAILED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
