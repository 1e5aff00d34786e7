"""Full-size experiments of notebook 06a (the training pipeline), with more seeds and sessions.

Run from the repository root (about 10-15 minutes on one core)::

    python benchmarks/bench_training_pipeline.py            # everything
    python benchmarks/bench_training_pipeline.py --quick    # fewer seeds and repetitions

Prints four tables:

1. Examination propensities: largest relative error over positions of intervention harvesting,
   per-pair EM, regression-EM (a histogram GBDT on the search features) and result randomization
   (5 % and 30 % of searches, top 10), for several simulator seeds.
2. IPW: NDCG@10 against true relevance of LambdaMART (XGBoost ``rank:ndcg``) and of a pointwise
   regression trained on naive clicks, on IPW labels (true, clipped, harvested, EM propensities)
   and on true relevance, with all 9,000 training searches and with 300, over seeds.
3. Interleaving vs A/B: sessions for 80 % power from 400,000-session pilots, and the power
   measured by repeating each experiment at that size.
4. A/B statistics: the variance conventions, simulated power, and daily peeking.
5. Training frequency under ``preference_drift=3``: mean daily click AUC over days 62-89 when a
   click model (XGBoost, 30 trees, 14-day window) is retrained never, weekly, every 3 days or
   daily, with static features and with the point-in-time history features.

``--sections 5`` (or any list such as ``1 3``) runs only those tables.
"""

import argparse
import time

import numpy as np
import pandas as pd
import xgboost
from sklearn.ensemble import HistGradientBoostingClassifier

from mlref.datasets import make_marketplace
from mlref.experiments import (
    VARIANCE_CONVENTIONS,
    ab_sample_size,
    candidate_table,
    noisy_ranker,
    sessions_for_power,
    simulate_ab_power,
    simulate_ab_sessions,
    simulate_interleaving_sessions,
    simulate_peeking,
)
from mlref.features import build_search_features, time_split
from mlref.ltr import fit_xgboost_ranker
from mlref.metrics import auc_roc, ndcg_at_k
from mlref.training import (
    ipw_labels,
    propensity_em,
    propensity_from_interventions,
    propensity_from_randomization,
    randomize_top_k,
    retraining_evaluation,
)


def propensity_errors(seeds):
    rows = []
    for seed in seeds:
        market = make_marketplace(random_state=seed)
        imp = market.impressions
        truth = market.propensities.to_numpy()
        args = (imp.query_id, imp.product_id, imp.position, imp.clicked)
        row = {"seed": seed}
        row["intervention harvesting"] = propensity_from_interventions(*args).to_numpy()
        row["EM per pair"] = propensity_em(*args, n_iter=200).propensity.to_numpy()
        for share in (0.05, 0.3):
            new, randomized = randomize_top_k(
                imp.search_id, imp.position, k=10, share=share, random_state=seed
            )
            clicks = market.simulate_clicks(
                imp.query_id, imp.product_id, new, random_state=seed + 100
            )
            keep = randomized & (new <= 10)
            est = propensity_from_randomization(new[keep], clicks[keep], k=10).to_numpy()
            row[f"randomization {share:.0%}"] = np.r_[est, np.full(len(truth) - 10, np.nan)]
        for key in list(row):
            if key != "seed":
                row[key] = float(np.nanmax(np.abs(row[key] / truth - 1)))
        rows.append(row)
    # Regression-EM once (it refits a classifier at every iteration).
    market = make_marketplace(random_state=seeds[0])
    feats = build_search_features(market, label="clicks", edit_distance=False)
    start = time.perf_counter()
    reg = propensity_em(
        feats.rows.query_id,
        feats.rows.product_id,
        feats.rows.position,
        feats.y,
        X=feats.X.to_numpy(),
        relevance_model=HistGradientBoostingClassifier(max_iter=30, max_depth=4, random_state=0),
        n_iter=10,
        tol=1e-4,
    )
    ratio = reg.propensity.to_numpy() / market.propensities.to_numpy()
    table = pd.DataFrame(rows).set_index("seed")
    print("\n1. Largest relative error of the estimated propensities over positions")
    print(table.round(3).to_string())
    print(
        f"regression-EM (HGB on all 56 features, 10 iterations, seed {seeds[0]}, "
        f"{time.perf_counter() - start:.0f} s): theta_k / true between "
        f"{ratio[1:].min():.3f} and {ratio.max():.3f}"
    )


def ipw_comparison(seeds, sizes):
    rows = []
    for seed in seeds:
        market = make_marketplace(random_state=seed)
        feats = build_search_features(market, label="clicks", edit_distance=False)
        train, _, test = time_split(feats)
        imp = market.impressions
        key = pd.Index(imp.search_id * 100 + imp.position)

        def truth(part, imp=imp, key=key):
            idx = key.get_indexer(part.rows.search_id * 100 + part.rows.position)
            return imp["true_relevance"].to_numpy()[idx]

        theta = market.propensities.to_numpy()
        harvested = propensity_from_interventions(
            imp.query_id, imp.product_id, imp.position, imp.clicked
        ).to_numpy()
        em = propensity_em(
            imp.query_id, imp.product_id, imp.position, imp.clicked, n_iter=200
        ).propensity.to_numpy()
        rel_test, X_test = truth(test), test.X.to_numpy()
        rng = np.random.default_rng(seed)
        for size in sizes:
            searches = np.unique(train.qid)
            if size < len(searches):
                searches = rng.choice(searches, size, replace=False)
            fit = train.select(np.isin(train.qid, searches))
            X, q, pos = fit.X.to_numpy(), fit.qid, fit.rows.position.to_numpy()

            def ndcg(model, X_test=X_test, rel_test=rel_test, q_test=test.qid):
                return float(ndcg_at_k(rel_test, model.predict(X_test), 10, q_test))

            row = {
                "seed": seed,
                "data": f"{size} searches" if size < 9000 else "all",
                "searches": len(searches),
            }
            row["naive"] = ndcg(fit_xgboost_ranker(X, fit.y, q, random_state=seed))
            for name, th, clip in (
                ("IPW true", theta, None),
                ("IPW clipped 0.1", theta, 0.1),
                ("IPW harvested", harvested, None),
                ("IPW EM", em, None),
            ):
                y = ipw_labels(fit.y, np.minimum(th, 1.0)[pos - 1], clip=clip)
                row[name] = ndcg(
                    fit_xgboost_ranker(X, y, q, ndcg_exp_gain=False, random_state=seed)
                )
            row["oracle"] = ndcg(fit_xgboost_ranker(X, truth(fit), q, random_state=seed))
            reg = xgboost.XGBRegressor(n_estimators=100, max_depth=6, n_jobs=1, random_state=seed)
            row["pointwise naive"] = ndcg(reg.fit(X, fit.y))
            row["pointwise IPW"] = ndcg(reg.fit(X, ipw_labels(fit.y, theta[pos - 1])))
            rows.append(row)
            print(f"  seed {seed}, {len(searches)} searches done", flush=True)
    table = pd.DataFrame(rows)
    print("\n2. NDCG@10 against true relevance (LambdaMART unless 'pointwise')")
    print(table.round(4).to_string(index=False))
    summary = table.drop(columns=["seed", "searches"]).groupby("data").agg(["mean", "std"])
    print("\nmean and standard deviation over seeds")
    print(summary.round(4).T.to_string())
    gap = table["oracle"] - table["naive"]
    closed = (table["IPW true"] - table["naive"]) / gap
    print(
        "share of the naive-to-oracle gap closed by IPW (true propensities), mean over seeds: "
        + ", ".join(
            f"{d}: {closed[table.data == d].mean():+.1%}" for d in sorted(table.data.unique())
        )
    )


def interleaving(n_pilot, repeats):
    market = make_marketplace(random_state=0)
    table = candidate_table(market, 20)
    worse = noisy_ranker(table, 1.5, random_state=1)
    better = noisy_ranker(table, 1.0, random_state=2)
    rows = []
    for sigma in (0.0, 0.5, 1.0, 2.0):
        a = simulate_ab_sessions(
            market, table, worse, n_pilot, engagement_sigma=sigma, random_state=3
        )
        b = simulate_ab_sessions(
            market, table, better, n_pilot, engagement_sigma=sigma, random_state=3
        )
        n_ab = sessions_for_power(a, b)
        row = {"sigma": sigma, "A/B sessions": n_ab}
        for method in ("team_draft", "balanced"):
            prefs = simulate_interleaving_sessions(
                market, table, worse, better, n_pilot, method=method,
                engagement_sigma=sigma, random_state=5,
            )  # fmt: skip
            row[f"{method} sessions"] = sessions_for_power(prefs)
            row[f"{method} tie share"] = float(np.mean(prefs == 0))
        row["A/B / team draft"] = n_ab / row["team_draft sessions"]
        row["A/B / balanced"] = n_ab / row["balanced sessions"]
        if sigma in (0.0, 2.0):
            half = n_ab // 2
            xa = simulate_ab_sessions(
                market, table, worse, repeats * half, engagement_sigma=sigma, random_state=11
            ).reshape(repeats, half)
            xb = simulate_ab_sessions(
                market, table, better, repeats * half, engagement_sigma=sigma, random_state=12
            ).reshape(repeats, half)
            t = (xb.mean(1) - xa.mean(1)) / np.sqrt((xa.var(1, ddof=1) + xb.var(1, ddof=1)) / half)
            row["A/B power"] = float(np.mean(np.abs(t) > 1.959964))
            n_il = row["team_draft sessions"]
            d = simulate_interleaving_sessions(
                market, table, worse, better, repeats * n_il,
                engagement_sigma=sigma, random_state=13,
            ).reshape(repeats, n_il)  # fmt: skip
            t = d.mean(1) / (d.std(1, ddof=1) / np.sqrt(n_il))
            row["team draft power"] = float(np.mean(np.abs(t) > 1.959964))
        rows.append(row)
    print(f"\n3. Interleaving vs A/B ({n_pilot:,}-session pilots, {repeats} repetitions)")
    print(pd.DataFrame(rows).set_index("sigma").round(3).T.to_string())


def ab_statistics(n_sim):
    sizes = {
        v: ab_sample_size(0.02, 0.05, variance=v, round_up=False) for v in VARIANCE_CONVENTIONS
    }
    rows = []
    for name, n in sizes.items():
        rows.append(
            {
                "convention": name,
                "n per arm": round(n, 1),
                "simulated power": simulate_ab_power(
                    0.02, 0.021, int(np.ceil(n)), n_simulations=n_sim, random_state=0
                ),
            }
        )
    print(f"\n4. A/B sample size at 2 % -> 2.1 % ({n_sim:,} simulated tests each)")
    print(pd.DataFrame(rows).to_string(index=False))
    looks = {}
    for k in (5, 10, 14, 20):
        looks[k] = {
            method: simulate_peeking(
                0.02,
                315_210 // k,
                k,
                method=method,
                tau=0.001,
                n_simulations=n_sim,
                random_state=k,
            )
            for method in ("fixed", "naive", "bonferroni", "msprt")
        }
    print("false-positive rate with K looks at a null effect (Armitage 1969: 5 -> 0.142, ")
    print("10 -> 0.193, 20 -> 0.248 for the naive rule)")
    print(pd.DataFrame(looks).round(4).to_string())


def training_frequency():
    rows = []
    for drift in (0.0, 3.0):
        market = make_marketplace(random_state=0, preference_drift=drift)
        feats = build_search_features(market, label="clicks", edit_distance=False)
        for kind in ("static", "with history"):
            cols = [c for c in feats.X.columns if kind != "static" or "past" not in c]
            X = feats.X[cols].to_numpy()

            def fit_predict(train, test, X=X, y=feats.y):
                model = xgboost.XGBClassifier(
                    n_estimators=30, max_depth=4, n_jobs=1, random_state=0
                )
                return model.fit(X[train], y[train]).predict_proba(X[test])[:, 1]

            row = {"drift": drift, "features": kind}
            for label, every in (("never", 28), ("weekly", 7), ("every 3 days", 3), ("daily", 1)):
                run = retraining_evaluation(
                    feats.day, feats.y, fit_predict, auc_roc, start=62, end=90, every=every,
                    window=14,
                )  # fmt: skip
                row[label] = run.score.mean()
            rows.append(row)
    print("\n5. Mean daily click AUC, days 62-89, by retraining frequency")
    print(pd.DataFrame(rows).round(4).to_string(index=False))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds and repetitions")
    parser.add_argument("--sections", nargs="*", type=int, default=[1, 2, 3, 4, 5])
    args = parser.parse_args()
    start = time.perf_counter()
    seeds = [0] if args.quick else [0, 1, 2]
    if 1 in args.sections:
        propensity_errors(seeds)
    if 2 in args.sections:
        ipw_comparison(seeds, [300, 9000])
    if 3 in args.sections:
        interleaving(100_000 if args.quick else 400_000, 100 if args.quick else 500)
    if 4 in args.sections:
        ab_statistics(20_000 if args.quick else 100_000)
    if 5 in args.sections:
        training_frequency()
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
