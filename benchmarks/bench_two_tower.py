"""Two-tower retrieval vs popularity on MovieLens latest-small: Recall@10/50/100 and time.

Run ``python benchmarks/bench_two_tower.py`` (``--dims`` adds 32- and 128-dimensional towers,
``--seeds N`` repeats the main configuration over N seeds; ``--negatives`` prints only the
negative-sampling table: in-batch, + uniform random, + hard negatives re-mined every epoch at
ranks 100-500 and at ranks 0-100, over the same N seeds). Needs the MovieLens files: set
``MLREF_DATA_MIRROR`` to a local mirror or let the fetcher download them.

Protocol
--------
* **Positives.** A rating >= 4 is an implicit positive ("liked"); lower ratings are not used as
  positives but still count as seen (the user watched the film).
* **Split.** Per user, by time: each user's ratings are sorted by timestamp and the last 20 %
  go to test. A global time split would be leak-free but leaves only 28 users with both
  training and test ratings in this data set (ratings span 1996-2018; most users are active for
  a few days), too few to measure recall. The per-user split lets training include other users'
  interactions that happened after a test interaction, which flatters every model, the
  popularity baseline most (it sees future popularity); the comparison is like for like.
* **Evaluation.** For every user, rank all 9,742 films, skip those the user rated in training,
  keep the top 100; relevant = the user's test films rated >= 4. Recall@K divides by the number
  of relevant items (users without one are left out) and is averaged over users.
* **Models.** Popularity: training positives per film. Two-tower: id embeddings (64) -> one
  hidden ReLU layer (128) -> 64-dimensional L2-normalised embedding, temperature 0.1, in-batch
  softmax over batches of 512, Adam (lr 0.01), 10 epochs, with and without the logQ correction,
  and with the films' genres (standardised multi-hot) as item side features. BLAS runs on one
  thread (threadpoolctl), so times are those of one core.
* **Negatives** (``--negatives``). Every row adds 10 sampled negatives per positive pair to the
  in-batch softmax (``TwoTowerModel(negatives=...)``), logQ-corrected by the log of each
  sampler's expected count: uniform over the 9,742 films, or drawn from the user's *hard pool*,
  the films the current model ranks 100-499 (or 0-99) among those the user has not rated in
  training, re-mined at the start of every epoch. Exits 1 unless hard negatives at ranks
  100-499 beat hard negatives at ranks 0-99 on Recall@100 (the false-negative effect that
  notebook 06b asserts).
"""

import argparse
import sys
import time

import numpy as np
import pandas as pd
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from mlref.datasets import fetch_movielens_small, per_user_time_split
from mlref.metrics.retrieval import hit_rate_at_k, recall_at_k
from mlref.models.two_tower import PopularityRecommender, TwoTowerModel

CUTOFFS = (10, 50, 100)
TEST_FRACTION = 0.2
MAIN = {
    "embedding_dim": 64,
    "id_embedding_dim": 64,
    "hidden_layer_sizes": (128,),
    "temperature": 0.1,
    "batch_size": 512,
    "n_epochs": 10,
    "learning_rate": 0.01,
}


def load_split():
    """Ids, per-user temporal split, training positives, seen and relevant matrices, genres."""
    ml = fetch_movielens_small()
    ratings = ml.ratings
    item = pd.Index(ml.movies["movieId"]).get_indexer(ratings["movieId"])
    user = pd.factorize(ratings["userId"], sort=True)[0]
    frame = pd.DataFrame(
        {"user": user, "item": item, "rating": ratings["rating"], "ts": ratings["timestamp"]}
    ).sort_values(["user", "ts", "item"], kind="stable")
    is_test = per_user_time_split(frame["user"], frame["ts"], test_fraction=TEST_FRACTION)
    n_users, n_items = int(user.max()) + 1, len(ml.movies)
    train, test = frame[~is_test], frame[is_test]
    positives = train[train["rating"] >= 4]
    liked = test[test["rating"] >= 4]

    def indicator(rows):
        return sp.csr_matrix(
            (np.ones(len(rows)), (rows["user"], rows["item"])), shape=(n_users, n_items)
        )

    genres = ml.movies["genres"].str.get_dummies("|").to_numpy(dtype=np.float64)
    genres = (genres - genres.mean(axis=0)) / genres.std(axis=0)
    return {
        "users": positives["user"].to_numpy(),
        "items": positives["item"].to_numpy(),
        "n_users": n_users,
        "n_items": n_items,
        "seen": indicator(train),
        "relevant": indicator(liked),
        "genres": genres,
        "sizes": (len(frame), len(train), len(test), len(positives), len(liked)),
    }


def evaluate(model, data) -> list[float]:
    recommended = model.recommend(np.arange(data["n_users"]), max(CUTOFFS), exclude=data["seen"])
    recalls = [recall_at_k(recommended, data["relevant"], k=k) for k in CUTOFFS]
    hit_rate = hit_rate_at_k(recommended, data["relevant"], k=10)
    counts = np.bincount(data["items"], minlength=data["n_items"])
    median_count = float(np.median(counts[recommended[recommended >= 0]]))
    return [*recalls, hit_rate, median_count]


def fit_two_tower(data, *, genres=False, seed=0, **params):
    model = TwoTowerModel(**{**MAIN, **params, "random_state": seed})
    start = time.perf_counter()
    model.fit(
        data["users"],
        data["items"],
        n_users=data["n_users"],
        n_items=data["n_items"],
        item_features=data["genres"] if genres else None,
    )
    return model, time.perf_counter() - start


def print_row(label: str, metrics, seconds, epochs="") -> None:
    cells = " ".join(f"{m:>9.4f}" for m in metrics[:4])
    print(f"{label:<44} {cells} {metrics[4]:>9.0f} {seconds:>8.1f} {epochs:>6}", flush=True)


NEGATIVES = [
    ("in-batch only", {}),
    ("+ 10 uniform random", {"negatives": "random"}),
    ("+ 10 hard, ranks 100-499", {"negatives": "hard", "hard_negative_ranks": (100, 500)}),
    ("+ 10 hard, ranks 0-99", {"negatives": "hard", "hard_negative_ranks": (0, 100)}),
]


def negatives_table(n_seeds: int) -> int:
    """Recall@K of each negative-sampling scheme, mean ± sd over seeds; 1 if the gate fails."""
    start = time.perf_counter()
    data = load_split()
    header = " ".join(f"{c:>17}" for c in [f"R@{k}" for k in CUTOFFS] + ["s per fit"])
    print(f"negatives, 10 epochs, seeds 0-{n_seeds - 1} (mean ± sd)\n{'':<26} {header}")
    means = {}
    for label, params in NEGATIVES:
        runs, times = [], []
        for seed in range(n_seeds):
            model, seconds = fit_two_tower(data, seed=seed, **params)
            runs.append(evaluate(model, data)[:3])
            times.append(seconds)
            print(f"  {label}, seed {seed}: R@100 {runs[-1][2]:.4f} ({seconds:.0f} s)", flush=True)
        mean = np.mean(runs, axis=0)
        sd = np.std(runs, axis=0, ddof=1) if n_seeds > 1 else np.zeros(3)
        means[label] = mean
        cells = " ".join(f"{m:>9.4f} ± {s:.4f}" for m, s in zip(mean, sd, strict=True))
        print(f"{label:<26} {cells} {np.mean(times):>17.1f}", flush=True)
    print(f"total {time.perf_counter() - start:.0f} s")
    if means["+ 10 hard, ranks 100-499"][2] <= means["+ 10 hard, ranks 0-99"][2]:
        print("FAIL: hard negatives from the very top should lose Recall@100 (false negatives)")
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", action="store_true", help="also try 32- and 128-d towers")
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the main configuration")
    parser.add_argument("--negatives", action="store_true", help="only the negatives table")
    args = parser.parse_args()
    threadpool_limits(1)  # one BLAS thread: the times are those of one core
    if args.negatives:
        return negatives_table(args.seeds)

    start = time.perf_counter()
    data = load_split()
    n_all, n_train, n_test, n_pos, n_liked = data["sizes"]
    n_eval = int((np.diff(data["relevant"].indptr) > 0).sum())
    print(
        f"MovieLens latest-small: {n_all:,} ratings, {data['n_users']} users, "
        f"{data['n_items']:,} films; per-user temporal split: {n_train:,} train / {n_test:,} test "
        f"ratings; {n_pos:,} training positives (rating >= 4); {n_liked:,} relevant test pairs "
        f"over {n_eval} users (loaded in {time.perf_counter() - start:.1f} s)\n"
    )
    header = " ".join(f"{c:>9}" for c in [f"R@{k}" for k in CUTOFFS] + ["HR@10", "med.cnt"])
    print(f"{'model':<44} {header} {'train s':>8} {'epochs':>6}")
    print("-" * 112)
    pop = PopularityRecommender().fit(
        data["users"], data["items"], n_users=data["n_users"], n_items=data["n_items"]
    )
    print_row("popularity (training positives)", evaluate(pop, data), 0.0)

    rows = [
        ("two-tower, no logQ", {"logq_correction": False}),
        ("two-tower, logQ", {}),
        ("two-tower, logQ + genre features", {"genres": True}),
    ]
    if args.dims:
        rows += [
            ("two-tower, logQ, 32-d", {"embedding_dim": 32, "id_embedding_dim": 32}),
            ("two-tower, logQ, 128-d", {"embedding_dim": 128, "id_embedding_dim": 128}),
        ]
    rows.append(("two-tower, logQ, 5 epochs (notebook size)", {"n_epochs": 5}))
    main_result = None
    for label, params in rows:
        model, seconds = fit_two_tower(data, **params)
        metrics = evaluate(model, data)
        print_row(label, metrics, seconds, model.n_epochs)
        if not params:
            main_result = (metrics, seconds)

    if args.seeds > 1:
        results, times = [main_result[0]], [main_result[1]]
        for seed in range(1, args.seeds):
            model, seconds = fit_two_tower(data, seed=seed)
            results.append(evaluate(model, data))
            times.append(seconds)
        mean, sd = np.mean(results, axis=0), np.std(results, axis=0, ddof=1)
        print(
            f"\ntwo-tower, logQ over seeds 0-{args.seeds - 1} (mean ± sd): "
            + ", ".join(
                f"R@{k} {m:.4f} ± {s:.4f}" for k, m, s in zip(CUTOFFS, mean, sd, strict=False)
            )
            + f"; {np.mean(times):.1f} s per fit"
        )
    print(
        "\nmed.cnt: median number of training positives of the recommended top-100 films "
        "(how popular the recommendations are)."
    )
    print(f"total {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
