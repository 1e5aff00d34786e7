"""Every ranker of mlref.ltr through the LETOR 4.0 protocol on MQ2008, and its data need.

Run ``python benchmarks/bench_ltr_families.py`` (about two minutes on two cores). It prints

1. the five-fold table: each model trained on the three training partitions of a fold, its
   hyper-parameter chosen on the validation partition (NDCG@10), scored on the test partition;
   NDCG@1/3/5/10 and MAP averaged over the five test partitions, and training seconds per fold;
2. the data-need table: NDCG@10 averaged over the five folds when each family is trained on
   10 %, 30 % and 100 % of the training queries.

Queries without a relevant document score 0 in every metric. The course notebook
``03_learning_to_rank`` runs a reduced version of both on fold 1.
"""

import argparse
import time

import numpy as np
import pandas as pd

from mlref.datasets import RankingData
from mlref.ltr import (
    AttentionRanker,
    LambdaMART,
    LambdaRank,
    ListMLE,
    ListNet,
    PointwiseRanker,
    RankNet,
    RankSVM,
    fit_xgboost_ranker,
    mq2008_folds,
    run_letor_protocol,
)
from mlref.metrics import ndcg_at_k

SEED = 0


def select_on_validation(make, grid):
    """A ``train(train, vali)`` that fits ``make(value)`` for each value, keeps the best on vali."""

    def train(train_split, vali):
        best, best_ndcg = None, -np.inf
        for value in grid:
            model = make(value).fit(train_split.X, train_split.y, train_split.qid)
            ndcg = ndcg_at_k(vali.y, model.predict(vali.X, vali.qid), 10, vali.qid)
            if ndcg > best_ndcg:
                best, best_ndcg = model, ndcg
        return lambda X, qid: best.predict(X, qid)

    return train


def fixed(make):
    def train(train_split, vali):
        model = make().fit(train_split.X, train_split.y, train_split.qid)
        return lambda X, qid: model.predict(X)

    return train


def xgboost(train_split, vali):
    model = fit_xgboost_ranker(train_split.X, train_split.y, train_split.qid, random_state=SEED)
    return lambda X, qid: model.predict(X)


MODELS = {
    "pointwise regression": select_on_validation(
        lambda a: PointwiseRanker(alpha=a, random_state=SEED), (0.0, 0.01)
    ),
    "RankNet": select_on_validation(lambda a: RankNet(alpha=a, random_state=SEED), (0.0, 0.01)),
    "LambdaRank": select_on_validation(
        lambda a: LambdaRank(alpha=a, random_state=SEED), (0.0, 0.01)
    ),
    "RankSVM": select_on_validation(lambda c: RankSVM(C=c, random_state=SEED), (0.01, 1.0)),
    "ListNet": select_on_validation(lambda a: ListNet(alpha=a, random_state=SEED), (0.0, 0.01)),
    "ListMLE": select_on_validation(lambda a: ListMLE(alpha=a, random_state=SEED), (0.0, 0.01)),
    "attention (ListNet loss)": select_on_validation(
        lambda n: AttentionRanker(n_epochs=n, random_state=SEED), (10, 20)
    ),
    "LambdaMART (mlref)": fixed(lambda: LambdaMART(random_state=SEED)),
    "XGBoost rank:ndcg": xgboost,
}

FAMILIES = {
    "pointwise": lambda: PointwiseRanker(random_state=SEED),
    "pairwise (LambdaRank)": lambda: LambdaRank(random_state=SEED),
    "listwise (ListNet)": lambda: ListNet(random_state=SEED),
    "LambdaMART (mlref)": lambda: LambdaMART(random_state=SEED),
}


def subset_queries(data: RankingData, share: float, rng) -> RankingData:
    queries = np.unique(data.qid)
    keep = rng.choice(queries, size=max(1, round(share * len(queries))), replace=False)
    rows = np.isin(data.qid, keep)
    return RankingData(data.X[rows], data.y[rows], data.qid[rows])


def data_need(shares=(0.1, 0.3, 1.0)) -> pd.DataFrame:
    rows = []
    for fold, train, _, test in mq2008_folds():
        rng = np.random.default_rng(SEED + fold)
        for share in shares:
            part = subset_queries(train, share, rng)
            for family, make in FAMILIES.items():
                start = time.perf_counter()
                model = make().fit(part.X, part.y, part.qid)
                rows.append(
                    {
                        "family": family,
                        "share of training queries": share,
                        "fold": fold,
                        "NDCG@10": ndcg_at_k(test.y, model.predict(test.X), 10, test.qid),
                        "train_s": time.perf_counter() - start,
                    }
                )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-data-need", action="store_true")
    args = parser.parse_args()
    pd.set_option("display.width", 120)
    protocol = run_letor_protocol(MODELS)
    summary = protocol.groupby("model", sort=False).mean(numeric_only=True).drop(columns="fold")
    print("MQ2008, LETOR 4.0 five-fold protocol (mean over test folds)")
    print(summary.round(4).to_string())
    if not args.skip_data_need:
        need = data_need()
        table = need.pivot_table(
            index="family", columns="share of training queries", values="NDCG@10", sort=False
        )
        print("\nNDCG@10 by share of training queries (mean over 5 folds)")
        print(table.round(4).to_string())


if __name__ == "__main__":
    main()
