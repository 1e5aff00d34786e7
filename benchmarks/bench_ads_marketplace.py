"""Full tables of notebook 09b: ads models, auctions under calibration, credit and B2B ranking.

Usage::

    python benchmarks/bench_ads_marketplace.py            # 3 seeds, full sizes (a few minutes)
    python benchmarks/bench_ads_marketplace.py --quick    # 1 seed, the notebook's sizes

1. Click models on ``make_ad_traffic`` (40,000 requests, 160,000 impressions; train days 0-21,
   test 22-29): logistic regression, DeepFM, Wide & Deep and the multi-task funnel (ESMM); test
   AUC, log loss, mean pCTR / CTR and calibration error (scikit-learn's ``calibration_curve``,
   10 quantile bins), averaged over seeds with the spread.
2. Revenue by auction type on the test requests (true rates, CPA bids as values), and GSP
   auctions run on the multi-task model's pCTR x pCVR, as trained and distorted, with and
   without a score reserve, judged under the true rates.
3. Net-60 credit: expected profit at the break-even threshold vs the best threshold.
4. Ranking policies on the marketplace (all 15,000 searches' slates) over 3 seeds.

Exits 1 if a claim the notebook asserts fails on the full data (EOS revenue = VCG revenue,
uniform pCTR scaling changes nothing without a reserve, the break-even threshold is within 2 % of
the best profit, inventory-aware ranking removes out-of-stock clicks).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from threadpoolctl import threadpool_limits

from mlref.ads import (
    gsp_auction,
    gsp_envy_free_bids,
    second_price_auction,
    true_outcome,
    vcg_auction,
)
from mlref.b2b import (
    break_even_default_probability,
    evaluate_ranking_policy,
    expected_credit_profit,
    policy_scores,
)
from mlref.datasets import (
    make_ad_traffic,
    make_credit_applications,
    make_marketplace,
    ranking_slates,
)
from mlref.metrics import auc_roc, log_loss
from mlref.models import (
    DeepFMClassifier,
    FieldIndexer,
    LogisticRegression,
    MultiTaskClassifier,
    WideAndDeepClassifier,
)

FAILURES: list[str] = []


def check(ok: bool, what: str) -> None:
    print(f"  [{'ok' if ok else 'FAILED'}] {what}")
    if not ok:
        FAILURES.append(what)


def calibration_error(y, p):
    frac, mean_pred = calibration_curve(y, p, n_bins=10, strategy="quantile")
    return float(np.mean(np.abs(frac - mean_pred)))


def ads_models(seed: int, n_requests: int):
    traffic = make_ad_traffic(n_requests=n_requests, random_state=seed)
    imp = traffic.impressions
    fields = [*traffic.fields, "position"]
    train, test = imp[imp["day"] < 22], imp[imp["day"] >= 22]
    indexer = FieldIndexer().fit(train[fields])
    oh_train = indexer.one_hot(train[fields]).toarray()
    oh_test = indexer.one_hot(test[fields]).toarray()
    y_train, y_test = train["clicked"].to_numpy(), test["clicked"].to_numpy()
    preds, seconds = {}, {}
    t = time.perf_counter()
    lr = LogisticRegression(C=0.1).fit(oh_train, y_train)
    preds["logistic regression"] = lr.predict_proba(oh_test)[:, 1]
    seconds["logistic regression"] = time.perf_counter() - t
    for name, model in (
        ("DeepFM", DeepFMClassifier(n_epochs=3, alpha=1e-4, random_state=seed)),
        ("Wide & Deep", WideAndDeepClassifier(n_epochs=3, alpha=1e-4, random_state=seed)),
    ):
        t = time.perf_counter()
        model.fit(train[fields], y_train)
        preds[name] = model.predict_proba(test[fields])[:, 1]
        seconds[name] = time.perf_counter() - t
    t = time.perf_counter()
    esmm = MultiTaskClassifier(
        shared_layer_sizes=(64,),
        head_layer_sizes=(32,),
        conditional_on=(None, 0),
        batch_size=512,
        n_epochs=4,
        learning_rate=3e-3,
        random_state=seed,
    ).fit(oh_train, train[["clicked", "converted"]].to_numpy(float))
    preds["multi-task (ESMM)"] = esmm.predict_proba(oh_test)[:, 0]
    seconds["multi-task (ESMM)"] = time.perf_counter() - t
    alpha = traffic.position_ctrs
    preds["true rates (ceiling)"] = test["true_ctr"].to_numpy() * alpha[test["position"] - 1]
    seconds["true rates (ceiling)"] = 0.0
    rows = {
        name: {
            "AUC": auc_roc(y_test, p),
            "log loss": log_loss(y_test, p),
            "mean pCTR / CTR": p.mean() / y_test.mean(),
            "calibration error": calibration_error(y_test, p),
            "train s": seconds[name],
        }
        for name, p in preds.items()
    }
    return traffic, indexer, esmm, fields, pd.DataFrame(rows).T


def auctions(traffic, indexer, esmm, fields):
    cand = traffic.candidates[traffic.candidates["day"] >= 22].assign(position=1)
    heads = esmm.predict_conditional_proba(indexer.one_hot(cand[fields]).toarray())
    k = int(cand.groupby("request_id").size().iloc[0])
    cpa = cand["cpa_bid"].to_numpy().reshape(-1, k)
    true_q = (cand["true_ctr"] * cand["true_cvr"]).to_numpy().reshape(-1, k)
    model_q = (heads[:, 0] * heads[:, 1]).reshape(-1, k)
    alpha = traffic.position_ctrs
    eos = np.array([gsp_envy_free_bids(v, alpha, q) for v, q in zip(cpa, true_q, strict=True)])
    by_type = {
        "second price, 1 slot": second_price_auction(cpa, true_q),
        "GSP, truthful": gsp_auction(cpa, alpha, true_q),
        "GSP, envy-free equilibrium": gsp_auction(eos, alpha, true_q),
        "VCG, truthful": vcg_auction(cpa, alpha, true_q),
    }
    revenue = pd.Series({n: r.revenue.mean() for n, r in by_type.items()})
    eos_gap = np.abs(
        by_type["GSP, envy-free equilibrium"].revenue - by_type["VCG, truthful"].revenue
    ).max()
    new = cand["ad_is_new"].to_numpy().reshape(-1, k) == 1
    w = 0.1
    ctr_down = heads[:, 0] / (heads[:, 0] + (1 - heads[:, 0]) * w)
    scenarios = {
        "true rates": true_q,
        "model as trained": model_q,
        "model x 0.7": 0.7 * model_q,
        "model x 1.3": 1.3 * model_q,
        "new ads x 1.3": np.where(new, 1.3 * model_q, model_q),
        "10% negatives, uncorrected": ctr_down.reshape(-1, k) * heads[:, 1].reshape(-1, k),
    }
    best = true_outcome(gsp_auction(cpa, alpha, true_q), alpha, true_q, cpa)["advertiser_value"]
    rows = {}
    for reserve in (0.0, 0.04):
        for name, q in scenarios.items():
            out = true_outcome(gsp_auction(cpa, alpha, q, reserve=reserve / q), alpha, true_q, cpa)
            rows[(reserve, name)] = {
                "revenue / auction": out["revenue"] / len(cpa),
                "value lost": 1 - out["advertiser_value"] / best,
                "ads shown": out["slots_filled"] / len(cpa),
            }
    return revenue, eos_gap, pd.DataFrame(rows).T


def credit(seed: int):
    apps = make_credit_applications(n_applications=20_000, random_state=seed)
    X = np.column_stack(
        [
            (apps["credit_score"] - 680) / 60,
            np.log1p(apps["months_in_business"] / 12),
            np.log1p(apps["past_orders"]),
            apps["late_payments"],
            np.log(apps["order_value"] / 500),
            pd.get_dummies(apps["store_type"]).to_numpy(float)[:, 1:],
        ]
    )
    y = apps["defaulted"].to_numpy()
    model = LogisticRegression(C=10.0, tol=1e-10).fit(X[:14_000], y[:14_000])
    p = model.predict_proba(X[14_000:])[:, 1]
    t_star = break_even_default_probability(margin=0.15, loss_given_default=0.9)
    profit = expected_credit_profit(
        apps["true_pd"].to_numpy()[14_000:],
        apps["order_value"].to_numpy()[14_000:],
        margin=0.15,
        loss_given_default=0.9,
    )
    grid = np.linspace(0, 0.4, 401)
    curve = np.array([profit[p < t].sum() for t in grid])
    return {
        "default rate": y.mean(),
        "AUC": auc_roc(y[14_000:], p),
        "profit at t*": profit[p < t_star].sum(),
        "best profit": curve.max(),
        "best threshold": grid[curve.argmax()],
        "approve all": profit.sum(),
    }


def ranking(seed: int, n_searches: int):
    market = make_marketplace(random_state=seed)
    slates = ranking_slates(market, n_searches=n_searches, random_state=seed)
    policies = {
        "production": {},
        "explore 0.5": {"exploration_bonus": 0.5},
        "explore 3": {"exploration_bonus": 3.0},
        "returns boost 1": {"returns_boost": 1.0},
        "personalize 0.5": {"personalization": 0.5},
        "inventory-aware": {"inventory_aware": True},
    }
    return pd.DataFrame(
        {
            n: evaluate_ranking_policy(slates, policy_scores(slates, **kw))
            for n, kw in policies.items()
        }
    ).T


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one seed, the notebook's sizes")
    args = parser.parse_args()
    seeds = [0] if args.quick else [0, 1, 2]
    n_requests = 16_000 if args.quick else 40_000
    n_searches = 3000 if args.quick else 15_000
    pd.set_option("display.width", 200)

    tables, revenues, calibs = [], [], []
    for seed in seeds:
        traffic, indexer, esmm, fields, table = ads_models(seed, n_requests)
        tables.append(table)
        revenue, eos_gap, calib = auctions(traffic, indexer, esmm, fields)
        revenues.append(revenue)
        calibs.append(calib)
        check(
            eos_gap < 1e-9, f"seed {seed}: GSP envy-free revenue = VCG revenue (gap {eos_gap:.1e})"
        )
        same = np.allclose(calib.loc[(0.0, "model x 0.7")], calib.loc[(0.0, "model as trained")])
        check(same, f"seed {seed}: uniform pCTR x 0.7 changes nothing without a reserve")
    print(f"\n1. Click models, test days, mean over seeds {seeds} (± spread = max - min)")
    mean = sum(tables) / len(tables)
    spread = pd.concat(tables).groupby(level=0).agg(lambda s: s.max() - s.min())
    print(mean.round(4).to_string())
    print("spread:")
    print(spread[["AUC", "log loss"]].round(4).to_string())
    print("\n2a. Revenue per auction by auction type (true rates), mean over seeds")
    print((sum(revenues) / len(revenues)).round(4).to_string())
    print("\n2b. GSP on the multi-task model's pCTR x pCVR, judged under the true rates")
    print((sum(calibs) / len(calibs)).round(4).to_string())

    print("\n3. Net-60 credit (margin 0.15, LGD 0.9), seeds 0-4")
    cr = pd.DataFrame({s: credit(s) for s in range(5)}).T
    print(cr.round(4).to_string())
    check(
        bool((cr["profit at t*"] >= 0.98 * cr["best profit"]).all()),
        "break-even threshold within 2 % of the best expected profit on every seed",
    )

    print(f"\n4. Ranking policies on {n_searches} searches' slates, seeds {seeds}")
    rk = [ranking(s, n_searches) for s in seeds]
    for s, t in zip(seeds, rk, strict=True):
        print(f"seed {s}:")
        print(t.round(4).to_string())
        check(t.loc["inventory-aware", "out_of_stock_clicks"] == 0, f"seed {s}: no OOS clicks")
    rel = pd.concat([t / t.loc["production"] - 1 for t in rk]).groupby(level=0).mean()
    print("mean relative change against production:")
    cols = ["gmv_per_search", "new_brand_exposure", "orders_per_new_retailer_search"]
    print(rel[cols].round(3).to_string())
    if FAILURES:
        print(f"\n{len(FAILURES)} check(s) failed")
        return 1
    print("\nall checks passed")
    return 0


if __name__ == "__main__":
    with threadpool_limits(1):
        sys.exit(main())
