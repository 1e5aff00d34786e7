"""Every recommender of section 9a on the same MovieLens split: the full comparison table.

Run ``python benchmarks/bench_recsys.py`` (about two minutes on one core). Needs the MovieLens
files (``MLREF_DATA_MIRROR`` or a download). Notebook ``09a_search_recs`` runs a reduced version
(fewer epochs, fewer candidates) live; this script is the full one.

Protocol
--------
* Split: per user, by time, each user's last 20 % of ratings are test; ratings >= 4 are the
  positives (training input of every implicit model, and the relevant test items). Evaluated: the
  589 users with a training and a test positive; every item the user rated in training is
  skipped. Recall@K and NDCG@K (binary gain) at 10 and 50.
* Models: popularity; item-item (20 neighbours) and user-user (50) cosine CF, shrinkage 10; explicit
  MF (ALS on the ratings, 32 factors, lambda 10) ranking by predicted rating; implicit ALS (mlref
  and implicit, 64 factors, lambda 50, alpha 10, 15 iterations; lambda and alpha chosen by
  validation NDCG@50 on the inner split below, grid printed first); Neural CF (NeuMF, 16 factors,
  10 epochs, 4 negatives); two-stage: ALS + item-item + popularity each propose 500 candidates
  (about 950 per user after merging), a ranker orders them and keeps 50. The rankers (XGBoost
  ``rank:ndcg`` and DLRM) are trained on an *inner* split: the retrievers are refitted on the
  first 80 % of each user's training ratings, and the last 20 % provide the labels; at test time
  the retrievers trained on all training data propose, and the trained ranker orders.
* Stage 1 with a two-tower retriever (``--stage1``, printed first): the two-tower model of
  ``bench_two_tower.py`` (10 epochs, lazy Adam) served by ``mlref.recsys.IVFRetriever`` (128
  cells, 16 probed) next to ALS, item-item and popularity; the recall of the merged candidates
  with and without it, at a budget of about 1,000 proposals per user (4 x 250 against 3 x 333)
  and at 500 per retriever, and what each retriever adds on top of the others (leave one out).
  ``--stage1`` alone skips the rest.
* Also printed: stage-1 Recall@K of the merged candidates, RMSE of explicit MF vs the global mean
  and vs a rank-32 ``scipy.sparse.linalg.svds`` of the zero-filled rating matrix, every fitting
  time, and the same table on a global time cut (2017-01-01; few users qualify).
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import time

import numpy as np
import pandas as pd
import scipy.sparse as sp
from implicit.als import AlternatingLeastSquares
from scipy.sparse.linalg import svds
from threadpoolctl import threadpool_limits

from mlref.datasets import fetch_movielens_small
from mlref.ltr import fit_xgboost_ranker
from mlref.metrics.retrieval import recall_at_k
from mlref.models import TwoTowerModel
from mlref.recsys import (
    ALS,
    DLRMClassifier,
    ExplicitMF,
    ItemKNN,
    IVFRetriever,
    NeuralCF,
    Popularity,
    UserKNN,
    build_candidates,
    evaluate_recommendations,
    split_ratings,
    top_k_per_user,
)

KS = (10, 50)
N_PER_RETRIEVER = 500
ALS_PARAMS = {"factors": 64, "regularization": 50.0, "alpha": 10.0, "iterations": 15}
ALS_GRID = [(lam, alpha) for lam in (10.0, 50.0, 100.0, 200.0) for alpha in (5.0, 10.0, 40.0)]


def retrievers(split):
    positives = split.train_positives
    return {
        "als": ALS(random_state=0, **ALS_PARAMS).fit(positives),
        "itemknn": ItemKNN(k=20, shrinkage=10.0).fit(positives),
        "popularity": Popularity().fit(positives),
    }


def feature_columns(frame):
    return [c for c in frame.columns if c not in ("user_row", "user", "item", "label")]


def two_stage(split, users, n_per_retriever, ranker_kind, n_epochs=5):
    """Fit the rankers on the inner split, then retrieve and rank for the test users."""
    start = time.perf_counter()
    inner = split_ratings(
        fetch_movielens_small().ratings[~split.test_mask],
        user_ids=split.user_ids,
        item_ids=split.item_ids,
    )
    inner_users = inner.evaluable_users
    train_frame = build_candidates(
        retrievers(inner),
        inner_users,
        n_per_retriever=n_per_retriever,
        seen=inner.train_ratings[inner_users],
        train=inner.train_ratings,
    )
    labels = inner.test_positives[inner_users]
    rows, items = train_frame["user_row"].to_numpy(), train_frame["item"].to_numpy()
    train_frame["label"] = np.asarray(labels[rows, items]).ravel().astype(int)
    # keep every positive and a fifth of the negatives
    keep = (train_frame["label"] > 0) | (np.random.default_rng(0).random(len(train_frame)) < 0.2)
    train_frame = train_frame[keep]
    columns = feature_columns(train_frame)
    rankers = {}
    if "xgboost" in ranker_kind:
        rankers["xgboost"] = fit_xgboost_ranker(
            train_frame[columns], train_frame["label"], train_frame["user_row"], n_estimators=100,
            max_depth=4,
        )  # fmt: skip
    if "dlrm" in ranker_kind:
        X = np.column_stack([train_frame[columns], train_frame[["user", "item"]]])
        n = len(columns)
        rankers["dlrm"] = DLRMClassifier(
            sparse_columns=[n, n + 1], n_epochs=n_epochs, random_state=0
        ).fit(X, train_frame["label"])
    train_seconds = time.perf_counter() - start
    start = time.perf_counter()
    frame = build_candidates(
        retrievers(split),
        users,
        n_per_retriever=n_per_retriever,
        seen=split.train_ratings[users],
        train=split.train_ratings,
    )
    stage1_seconds = time.perf_counter() - start
    out = {}
    for name, ranker in rankers.items():
        start = time.perf_counter()
        if name == "xgboost":
            scores = ranker.predict(frame[columns])
        else:
            scores = ranker.decision_function(
                np.column_stack([frame[columns], frame[["user", "item"]]])
            )
        ranked = top_k_per_user(
            frame["user_row"], frame["item"], scores, n_users=users.size, k=max(KS)
        )
        out[name] = (ranked, time.perf_counter() - start)
    return frame, out, train_seconds, stage1_seconds


def comparison(split, n_per_retriever=N_PER_RETRIEVER, ncf_epochs=10):
    users = split.evaluable_users
    seen, relevant = split.train_ratings[users], split.test_positives[users]
    rows, seconds = {}, {}

    def add(name, model_or_lists, fit_seconds):
        lists = model_or_lists
        if hasattr(model_or_lists, "recommend"):
            lists = model_or_lists.recommend(users, k=max(KS), exclude=seen)
        rows[name] = evaluate_recommendations(lists, relevant, ks=KS)
        seconds[name] = fit_seconds

    positives = split.train_positives
    for name, make, data in (
        ("popularity", lambda: Popularity(), positives),
        ("item-item CF", lambda: ItemKNN(k=20, shrinkage=10.0), positives),
        ("user-user CF", lambda: UserKNN(k=50, shrinkage=10.0), positives),
        ("explicit MF", lambda: ExplicitMF(factors=32, regularization=10.0, random_state=0),
         split.train_ratings),
        ("ALS (mlref)", lambda: ALS(random_state=0, **ALS_PARAMS), positives),
        ("Neural CF", lambda: NeuralCF(n_epochs=ncf_epochs, random_state=0), positives),
    ):  # fmt: skip
        start = time.perf_counter()
        model = make().fit(data)
        add(name, model, time.perf_counter() - start)
    confidence = positives.copy()
    confidence.data = 1.0 + ALS_PARAMS["alpha"] * confidence.data
    ref = AlternatingLeastSquares(
        factors=64, regularization=ALS_PARAMS["regularization"], alpha=1.0, iterations=15,
        random_state=0, num_threads=1,
    )  # fmt: skip
    start = time.perf_counter()
    ref.fit(confidence, show_progress=False)
    elapsed = time.perf_counter() - start
    add("ALS (implicit)", ref.recommend(users, seen, N=max(KS))[0], elapsed)

    frame, ranked, train_seconds, stage1_seconds = two_stage(
        split, users, n_per_retriever, ("xgboost", "dlrm")
    )
    for name, (lists, rank_seconds) in ranked.items():
        add(f"two-stage, {name} ranker", lists, train_seconds + stage1_seconds + rank_seconds)
    table = pd.DataFrame(rows).T
    table["seconds"] = pd.Series(seconds)
    per_user = frame.groupby("user_row").size()
    width = int(per_user.max())
    union = top_k_per_user(
        frame["user_row"], frame["item"], -frame.filter(like="rank_").min(axis=1).to_numpy(float),
        n_users=users.size, k=width,
    )  # fmt: skip
    stage1 = recall_at_k(union, relevant, k=width)
    return table, stage1, per_user.mean(), train_seconds, stage1_seconds


def als_grid(ratings, split):
    """Validation NDCG@50 of ALS on the inner split (no test data involved)."""
    inner = split_ratings(
        ratings[~split.test_mask], user_ids=split.user_ids, item_ids=split.item_ids
    )
    users = inner.evaluable_users
    rows = []
    for lam, alpha in ALS_GRID:
        model = ALS(factors=64, regularization=lam, alpha=alpha, iterations=15, random_state=0)
        lists = model.fit(inner.train_positives).recommend(
            users, k=50, exclude=inner.train_ratings[users]
        )
        rows.append(
            (lam, alpha, evaluate_recommendations(lists, inner.test_positives[users])["ndcg@50"])
        )
    return pd.DataFrame(rows, columns=["regularization", "alpha", "validation ndcg@50"])


def union_recall(frame, names, n, relevant):
    """Recall of the items any of ``names`` proposed within its top ``n``, and their count."""
    proposed = (frame[[f"rank_{name}" for name in names]].to_numpy() <= n).any(axis=1)
    rows, items = frame["user_row"].to_numpy()[proposed], frame["item"].to_numpy()[proposed]
    hits = np.bincount(
        rows, weights=np.asarray(relevant[rows, items]).ravel(), minlength=relevant.shape[0]
    )
    n_relevant = np.diff(relevant.indptr)
    ok = n_relevant > 0
    return float(np.mean(hits[ok] / n_relevant[ok])), proposed.sum() / relevant.shape[0]


def two_tower_stage1(split):
    """Stage-1 recall with and without a two-tower (IVF) retriever; leave-one-out shares."""
    users = split.evaluable_users
    relevant = sp.csr_matrix(split.test_positives[users])
    tt_users, tt_items = split.train_positives.nonzero()
    start = time.perf_counter()
    two_tower = TwoTowerModel(optimizer="lazy_adam", random_state=0).fit(
        tt_users, tt_items, n_users=split.train_positives.shape[0],
        n_items=split.train_positives.shape[1],
    )  # fmt: skip
    ivf = IVFRetriever(n_lists=128, n_probe=16, random_state=0).fit(two_tower)
    fit_seconds = time.perf_counter() - start
    base = retrievers(split)
    names = ["als", "itemknn", "popularity", "two_tower"]
    out = {}
    for n in (250, 333, 500):
        frame = build_candidates(
            {**base, "two_tower": ivf}, users, n_per_retriever=n,
            seen=split.train_ratings[users], train=split.train_ratings,
        )  # fmt: skip
        out[(n, "als + itemknn + popularity")] = union_recall(frame, names[:3], n, relevant)
        out[(n, "+ two_tower (IVF)")] = union_recall(frame, names, n, relevant)
        for name in names:
            others = [m for m in names if m != name]
            out[(n, f"all four but {name}")] = union_recall(frame, others, n, relevant)
        out[(n, "two_tower alone")] = union_recall(frame, ["two_tower"], n, relevant)
    table = pd.DataFrame(out, index=["stage-1 recall", "candidates per user"]).T
    print(f"\nstage 1 with a two-tower retriever (fit + index {fit_seconds:.1f} s)")
    print(table.round(4).to_string())
    same_budget = (
        table.loc[(250, "+ two_tower (IVF)"), "stage-1 recall"]
        - table.loc[(333, "als + itemknn + popularity"), "stage-1 recall"]
    )
    print(f"at ~1,000 proposals per user, 4 x 250 with two-tower vs 3 x 333 without: "
          f"{same_budget:+.4f} recall")  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage1", action="store_true", help="only the two-tower stage-1 table")
    args = parser.parse_args()
    ratings = fetch_movielens_small().ratings
    split = split_ratings(ratings)
    print(split)
    with threadpool_limits(1):
        two_tower_stage1(split)
    if args.stage1:
        return
    grid = als_grid(ratings, split)
    print("ALS on the inner (validation) split:")
    print(grid.round(4).to_string(index=False))
    table, stage1, mean_candidates, train_s, stage1_s = comparison(split)
    print(f"\nPer-user temporal split, {split.evaluable_users.size} users")
    print(table.round(4).to_string())
    print(f"\nstage 1: {mean_candidates:.0f} candidates per user on average, recall {stage1:.4f}")
    print(f"ranker training (inner split, incl. its retrievers) {train_s:.1f} s; "
          f"stage 1 for the test users {stage1_s:.1f} s")  # fmt: skip

    test_users, test_items = split.test_ratings.nonzero()
    truth = np.asarray(split.test_ratings[test_users, test_items]).ravel()
    mf = ExplicitMF(factors=32, regularization=10.0, random_state=0).fit(split.train_ratings)
    U, s, Vt = svds(split.train_ratings, k=32)
    zero_filled = np.einsum("ij,ij->i", (U * s)[test_users], Vt.T[test_items])
    rmse = {
        "global mean": np.sqrt(np.mean((split.train_ratings.data.mean() - truth) ** 2)),
        "explicit MF (ALS)": np.sqrt(np.mean((mf.predict(test_users, test_items) - truth) ** 2)),
        "svds of the zero-filled matrix": np.sqrt(np.mean((zero_filled - truth) ** 2)),
    }
    print("\nTest RMSE on every held-out rating:", {k: round(v, 4) for k, v in rmse.items()})

    cut = int(pd.Timestamp("2017-01-01").timestamp())
    global_split = split_ratings(ratings, split="global", cut=cut)
    table, stage1, *_ = comparison(global_split)
    print(f"\nGlobal time cut 2017-01-01, {global_split.evaluable_users.size} users")
    print(table.round(4).to_string())


if __name__ == "__main__":
    with threadpool_limits(limits=1):
        main()
