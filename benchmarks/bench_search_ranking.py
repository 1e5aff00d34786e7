"""Search ranking end to end on the simulator (notebook 09a, part 1) over several seeds.

Run ``python benchmarks/bench_search_ranking.py`` (``--seeds N``, default 3; ``--trees N``,
default 100; the notebook runs one seed with 40 trees). No download: the marketplace simulator.

Protocol (as in notebook ``09a_search_recs``)
---------------------------------------------
* **Retrieval.** BM25 over title + brand + category text of every product, top 100 per query;
  stage-1 recall@100 of the relevant products (true grade >= 2; denominator min(100, #relevant))
  per query intent, and the title-only index for comparison.
* **Split.** By query arrival: queries first searched before day 12 train, later ones test.
* **Ranker.** XGBoost ``rank:ndcg`` (depth 4, the given number of trees) on 14 features of four
  families (text, query-product match, quality, behaviour from days before 12) against the true
  grades. NDCG@10 is computed against the whole catalogue (the ideal DCG uses the best ten
  products of the catalogue), for the BM25 order, the ranker and the best order of the
  candidates (the stage-1 bound): what retrieval loses and what ranking loses.
* **Features.** Each family removed in turn (ablation), and the curve of NDCG@10 against the
  number of features, the ranker retrained on the k features of largest total gain of the full
  model, plus one 100-feature model (the 14 and 86 columns of Gaussian noise).

Exits 1 unless, on every seed, the ranker loses more NDCG than retrieval, the quality family is
the one whose removal costs most, NDCG@10 varies by less than 0.01 between 6 and 14 features,
and the 86 noise columns move it by less than 0.005: the conclusions notebook 09a asserts.
"""

import argparse
import sys
import time

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from mlref.datasets import make_marketplace
from mlref.features.text import BM25
from mlref.ltr import fit_xgboost_ranker

K_RETRIEVE = 100
CURVE_K = (1, 2, 3, 4, 6, 8, 10, 12, 14, 100)


def build(seed: int):
    """The notebook's candidates, features and catalogue truth for one simulator seed."""
    market = make_marketplace(random_state=seed)
    products, queries = market.products, market.queries
    brand = market.brands.set_index("brand_id").loc[products["brand_id"], "brand_name"]
    brand = brand.str.lower().to_numpy()
    category = products["category"].astype(str).str.replace("_", " ").to_numpy()
    title_index = BM25().fit(products["title"].tolist())
    full_index = BM25().fit((products["title"] + " " + brand + " " + category).tolist())
    first_day = market.searches.groupby("query_id")["day"].min().reindex(queries["query_id"])
    is_test_query = first_day.to_numpy() >= 12
    test_queries = np.flatnonzero(is_test_query)
    truth_test = market.true_relevance(
        test_queries[:, None], products["product_id"].to_numpy()[None, :]
    )
    relevant_test = truth_test >= 2
    recall = {}
    intents = queries["intent"].iloc[test_queries].to_numpy()
    for name, index in (("title only", title_index), ("title+brand+category", full_index)):
        ids, scores = index.search_batch(queries["text"].iloc[test_queries].tolist(), K_RETRIEVE)
        found = np.take_along_axis(relevant_test, ids, axis=1) & (scores > 0)
        denominator = np.minimum(relevant_test.sum(axis=1), K_RETRIEVE)
        per_query = np.divide(
            found.sum(axis=1),
            denominator,
            out=np.full(denominator.shape, np.nan),
            where=denominator > 0,
        )
        by_intent = pd.Series(per_query).groupby(intents).mean()
        recall[name] = {**by_intent.to_dict(), "all": np.nanmean(per_query)}

    ids, scores = full_index.search_batch(queries["text"].tolist(), K_RETRIEVE)
    pair_query = np.repeat(np.arange(len(queries)), K_RETRIEVE)
    pair_product = ids.ravel()
    pairs = pd.DataFrame({"query": pair_query, "product": pair_product})
    pairs["bm25"] = scores.ravel()
    pairs["bm25_rank"] = np.tile(np.arange(1, K_RETRIEVE + 1), len(queries))
    pairs["bm25_title"] = np.asarray(
        title_index.score_batch(queries["text"].tolist())[pair_query, pair_product]
    ).ravel()
    query_text = queries["text"].str.lower().to_numpy()[pair_query].astype(str)
    for column, values in (
        ("brand", brand),
        ("type", products["product_type"]),
        ("material", products["material"]),
        ("variant", products["variant"]),
        ("category", category),
    ):
        needle = np.asarray(pd.Series(values).astype(str).str.lower(), dtype=str)[pair_product]
        pairs[f"{column}_in_query"] = (np.char.find(query_text, needle) >= 0).astype(float)
    pairs["rating"] = products["rating"].fillna(0.0).to_numpy()[pair_product]
    pairs["log_reviews"] = np.log1p(products["review_count"].to_numpy()[pair_product])
    pairs["log_price"] = np.log(products["wholesale_price"].to_numpy()[pair_product])
    pairs["in_stock"] = (products["inventory"].to_numpy()[pair_product] > 0).astype(float)
    search_day = market.searches.set_index("search_id")["day"]
    history = market.impressions[search_day.loc[market.impressions["search_id"]].to_numpy() < 12]
    shown = np.bincount(history["product_id"], minlength=len(products))
    clicked = np.bincount(
        history["product_id"], weights=history["clicked"], minlength=len(products)
    )
    prior = clicked.sum() / shown.sum()
    pairs["product_ctr"] = ((clicked + 20 * prior) / (shown + 20))[pair_product]
    pairs["log_impressions"] = np.log1p(shown)[pair_product]
    pairs["grade"] = market.true_relevance(pair_query, pair_product).astype(int)
    families = {
        "text": ["bm25", "bm25_rank", "bm25_title"],
        "match": [
            "brand_in_query",
            "type_in_query",
            "material_in_query",
            "variant_in_query",
            "category_in_query",
        ],
        "quality": ["rating", "log_reviews", "log_price", "in_stock"],
        "behaviour": ["product_ctr", "log_impressions"],
    }
    ideal = -np.sort(-truth_test, axis=1)[:, :10]
    ideal_dcg = ((2.0**ideal - 1) / np.log2(np.arange(2, 12))).sum(axis=1)
    return {
        "pairs": pairs,
        "train": pairs[~is_test_query[pair_query]],
        "test": pairs[is_test_query[pair_query]],
        "families": families,
        "test_queries": test_queries,
        "ideal_dcg": ideal_dcg,
        "recall": pd.DataFrame(recall).T,
    }


def catalogue_ndcg(data, frame, score, k=10):
    order = np.lexsort((frame["product"].to_numpy(), -score, frame["query"].to_numpy()))
    q, grade = frame["query"].to_numpy()[order], frame["grade"].to_numpy()[order]
    rank = np.arange(q.size) - np.searchsorted(q, q)
    top = rank < k
    dcg = np.bincount(
        np.searchsorted(data["test_queries"], q[top]),
        weights=(2.0 ** grade[top] - 1) / np.log2(rank[top] + 2),
        minlength=data["test_queries"].size,
    )
    ideal = data["ideal_dcg"]
    return np.divide(dcg, ideal, out=np.zeros_like(dcg), where=ideal > 0).mean()


def run_seed(seed: int, ranker_params: dict) -> dict:
    data = build(seed)
    train, test = data["train"], data["test"]
    features = [c for cols in data["families"].values() for c in cols]

    def fit_score(columns, extra_train=None, extra_test=None):
        X_train, X_test = train[columns], test[columns]
        if extra_train is not None:
            X_train, X_test = X_train.join(extra_train), X_test.join(extra_test)
        model = fit_xgboost_ranker(X_train, train["grade"], train["query"], **ranker_params)
        return model, catalogue_ndcg(data, test, model.predict(X_test))

    ranker, full = fit_score(features)
    out = {
        "recall": data["recall"],
        "BM25 order": catalogue_ndcg(data, test, test["bm25"].to_numpy()),
        "LambdaMART": full,
        "stage-1 bound": catalogue_ndcg(data, test, test["grade"].to_numpy(float)),
    }
    out["ablation"] = {
        family: fit_score([c for c in features if c not in cols])[1] - full
        for family, cols in data["families"].items()
    }
    gain = pd.Series(ranker.get_booster().get_score(importance_type="total_gain"))
    gain.index = [features[int(name[1:])] for name in gain.index]
    order = list(gain.sort_values(ascending=False).index)
    order += [f for f in features if f not in order]
    noise = pd.DataFrame(
        np.random.default_rng(seed).normal(size=(len(data["pairs"]), 86)),
        index=data["pairs"].index,
        columns=[f"noise_{i}" for i in range(86)],
    )
    curve = {}
    for k in CURVE_K:
        if k <= len(order):
            curve[k] = fit_score(order[:k])[1]
        else:
            curve[k] = fit_score(order, noise.loc[train.index], noise.loc[test.index])[1]
    out["curve"] = curve
    out["top3"] = order[:3]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--trees", type=int, default=100)
    args = parser.parse_args()
    threadpool_limits(1)
    ranker_params = {"n_estimators": args.trees, "max_depth": 4, "ndcg_at": 10}
    start = time.perf_counter()
    ok = True
    rows, ablations, curves = {}, {}, {}
    for seed in range(args.seeds):
        r = run_seed(seed, ranker_params)
        print(f"seed {seed}: stage-1 recall@100 by intent\n{r['recall'].round(3).to_string()}")
        rows[seed] = {k: r[k] for k in ("BM25 order", "LambdaMART", "stage-1 bound")}
        ablations[seed] = r["ablation"]
        curves[seed] = r["curve"]
        retrieval_loss = 1 - r["stage-1 bound"]
        ranking_loss = r["stage-1 bound"] - r["LambdaMART"]
        flat = [r["curve"][k] for k in CURVE_K if 6 <= k <= 14]
        checks = {
            "ranker loses more than retrieval": ranking_loss > retrieval_loss,
            "quality is the costliest family": min(r["ablation"], key=r["ablation"].get)
            == "quality",
            "flat from 6 to 14 features (< 0.01)": max(flat) - min(flat) < 0.01,
            "86 noise columns move it < 0.005": abs(r["curve"][100] - r["curve"][14]) < 0.005,
        }
        print(
            f"seed {seed}: NDCG lost to retrieval {retrieval_loss:.4f}, to ranking "
            f"{ranking_loss:.4f}; top-3 features by gain {r['top3']}; "
            + "; ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in checks.items()),
            flush=True,
        )
        ok &= all(checks.values())
    print(f"\nNDCG@10 against the catalogue ({args.trees} trees)")
    table = pd.DataFrame(rows).T
    table.loc["mean"] = table.mean()
    print(table.round(4).to_string())
    print("\nchange in NDCG@10 when a family is removed")
    print(pd.DataFrame(ablations).assign(mean=lambda f: f.mean(axis=1)).round(4).to_string())
    print("\nNDCG@10 with the k features of largest gain (100 = the 14 + 86 noise columns)")
    print(pd.DataFrame(curves).assign(mean=lambda f: f.mean(axis=1)).round(4).to_string())
    print(f"total {time.perf_counter() - start:.0f} s")
    if not ok:
        print("FAIL: a conclusion of notebook 09a does not hold on every seed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
