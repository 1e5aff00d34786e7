"""Shared-bottom multi-task vs single-task models on the marketplace simulator's funnel.

Run ``python benchmarks/bench_multitask.py`` (``--seeds N`` to change the 3 seeds; ``--quick``
for the notebook-sized comparison: one seed, 3 epochs, single-task vs shared-bottom vs funnel,
full data; ``--long`` adds the scarce-data comparison trained for 25 epochs instead of 5).

Protocol
--------
* **Data.** ``make_marketplace(random_state=0)``: every impression (a product shown in a search)
  has three nested labels: ``clicked`` (7.7 % of impressions), ``added_to_cart`` (2.2 %) and
  ``ordered`` (0.9 %). Features are the 57 columns of
  :func:`mlref.features.search_task.build_search_features` (point-in-time behavioural features,
  so no label leaks), standardised with the training mean and standard deviation; the labels
  are joined on ``(search_id, position)``. :func:`~mlref.features.search_task.time_split`:
  train on days 1-60, test on days 76-90 (the validation days are not used).
* **Targets.** All three tasks predict the *unconditional* probability per impression,
  P(click), P(add to cart), P(order), scored by test AUC and log loss on every test impression.
* **Models.** Same layers per task everywhere: a 64-unit ReLU bottom and a 32-unit ReLU head
  ending in one logit; Adam (lr 3e-3), batches of 1,024, 5 epochs, the same seeds.

  - *single-task*: three separate networks (each with its own bottom);
  - *shared, w = (1, 1, 1)*: one bottom, three heads, :math:`L = L_1 + L_2 + L_3`;
  - *shared, w = (1, 3, 8)*: the sparse tasks weighted by about the inverse of their base rate
    relative to clicks;
  - *shared, funnel (ESMM)*: ``conditional_on=(None, 0, 1)``: heads predict P(click),
    P(cart | click), P(order | cart), the outputs are their running products, and every loss is
    on the entire impression space;
  - *conditional heads on selected rows*: the classic alternative with sample-selection bias:
    the cart head trained on clicked impressions only, the order head on carted ones only
    (``task_mask``), multiplied the same way at prediction.

* **Regimes.** All training impressions (179,740; 1,671 orders), and a random 20 % of the
  training searches (the scarce-data case where sharing should matter most).

Times are of one core (BLAS limited to one thread) and include the three fits of the
single-task row.
"""

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from mlref.datasets import make_marketplace
from mlref.features.search_task import build_search_features, time_split
from mlref.metrics import auc_roc, log_loss
from mlref.models.multitask import MultiTaskClassifier

TASKS = ("clicked", "added_to_cart", "ordered")
SHORT = ("click", "cart", "order")
COMMON = {
    "shared_layer_sizes": (64,),
    "head_layer_sizes": (32,),
    "batch_size": 1024,
    "n_epochs": 5,
    "learning_rate": 3e-3,
}
SCARCE_FRACTION = 0.2
QUICK_EPOCHS = 3
LONG_EPOCHS = 25


def load():
    """Standardised train and test matrices and the (n, 3) label matrices."""
    market = make_marketplace(random_state=0)
    train, _, test = time_split(build_search_features(market))
    labels = market.impressions[["search_id", "position", *TASKS]]

    def labelled(part):
        keys = part.rows[["search_id", "position"]]
        joined = keys.merge(labels, how="left", on=["search_id", "position"], validate="1:1")
        return part.X.to_numpy(), joined[list(TASKS)].to_numpy(dtype=np.float64)

    X_train, Y_train = labelled(train)
    X_test, Y_test = labelled(test)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std[std == 0] = 1.0
    return (X_train - mean) / std, Y_train, (X_test - mean) / std, Y_test, train.qid


def single_task(X, Y, X_test, seed):
    columns = [
        MultiTaskClassifier(**COMMON, random_state=seed).fit(X, Y[:, t]).predict_proba(X_test)
        for t in range(Y.shape[1])
    ]
    return np.hstack(columns)


def shared(X, Y, X_test, seed, **params):
    model = MultiTaskClassifier(**COMMON, **params, task_names=SHORT, random_state=seed)
    return model.fit(X, Y).predict_proba(X_test)


def selected_rows(X, Y, X_test, seed):
    """Conditional heads trained where their condition holds: cart | click, order | cart."""
    mask = np.column_stack([np.ones(len(Y), bool), Y[:, 0] == 1, Y[:, 1] == 1])
    model = MultiTaskClassifier(**COMMON, task_names=SHORT, random_state=seed)
    model.fit(X, np.where(mask, Y, np.nan), task_mask=mask)
    return np.cumprod(model.predict_conditional_proba(X_test), axis=1)


MODELS = {
    "single-task (3 networks)": single_task,
    "shared, w = (1, 1, 1)": shared,
    "shared, w = (1, 3, 8)": lambda *a: shared(*a, task_weights=(1.0, 3.0, 8.0)),
    "shared, funnel (ESMM)": lambda *a: shared(*a, conditional_on=(None, 0, 1)),
    "conditional heads on selected rows": selected_rows,
}


def run(models, X, Y, X_test, Y_test, seeds):
    """{model: array (n_seeds, 7)}: AUC x3, log loss x3, seconds."""
    results = {}
    for name, fit_predict in models.items():
        rows = []
        for seed in seeds:
            start = time.perf_counter()
            proba = fit_predict(X, Y, X_test, seed)
            seconds = time.perf_counter() - start
            aucs = [auc_roc(Y_test[:, t], proba[:, t]) for t in range(3)]
            losses = [log_loss(Y_test[:, t], proba[:, t]) for t in range(3)]
            rows.append([*aucs, *losses, seconds])
        results[name] = np.array(rows)
        print(".", end="", flush=True)
    print()
    return results


def print_table(title: str, results) -> None:
    n_seeds = len(next(iter(results.values())))
    sd = "± sd " if n_seeds > 1 else ""
    print(f"\n{title} (mean {sd}over {n_seeds} seed{'s' if n_seeds > 1 else ''})")
    header = [f"AUC {s}" for s in SHORT] + [f"logloss {s}" for s in SHORT]
    print(f"{'model':<36}" + "".join(f"{h:>17}" for h in header) + f"{'s/fit':>8}")
    for name, values in results.items():
        mean = values.mean(axis=0)
        spread = values.std(axis=0, ddof=1) if n_seeds > 1 else np.zeros(values.shape[1])
        cells = "".join(
            f"{m:>10.4f}±{s:.4f}" if n_seeds > 1 else f"{m:>17.4f}"
            for m, s in zip(mean[:6], spread[:6], strict=True)
        )
        print(f"{name:<36}{cells}{mean[6]:>8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="notebook-sized comparison")
    parser.add_argument(
        "--long", action="store_true", help=f"also train {LONG_EPOCHS} epochs on the scarce data"
    )
    args = parser.parse_args()
    threadpool_limits(1)

    start = time.perf_counter()
    X, Y, X_test, Y_test, qid = load()
    print(
        f"train {len(Y):,} impressions (positives: "
        + ", ".join(f"{s} {int(n):,}" for s, n in zip(SHORT, Y.sum(axis=0), strict=True))
        + f"), test {len(Y_test):,} (positives: "
        + ", ".join(f"{s} {int(n):,}" for s, n in zip(SHORT, Y_test.sum(axis=0), strict=True))
        + f"); {X.shape[1]} features; data ready in {time.perf_counter() - start:.1f} s"
    )
    if args.quick:
        COMMON["n_epochs"] = QUICK_EPOCHS
        names = ("single-task (3 networks)", "shared, w = (1, 1, 1)", "shared, funnel (ESMM)")
        quick = {name: MODELS[name] for name in names}
        title = f"Quick: all training data, {QUICK_EPOCHS} epochs"
        print_table(title, run(quick, X, Y, X_test, Y_test, [0]))
        print(f"\ntotal {time.perf_counter() - start:.1f} s")
        return

    seeds = list(range(args.seeds))
    print_table("All training data", run(MODELS, X, Y, X_test, Y_test, seeds))
    searches = np.unique(qid)
    kept = np.random.default_rng(0).choice(searches, int(SCARCE_FRACTION * searches.size), False)
    rows = np.isin(qid, kept)
    print(
        f"\nScarce data: {rows.sum():,} training impressions from "
        f"{SCARCE_FRACTION:.0%} of the searches ({int(Y[rows, 2].sum())} orders)"
    )
    print_table("Scarce data", run(MODELS, X[rows], Y[rows], X_test, Y_test, seeds))
    if args.long:
        COMMON["n_epochs"] = LONG_EPOCHS
        names = ("single-task (3 networks)", "shared, w = (1, 1, 1)", "shared, funnel (ESMM)")
        long_run = run(
            {name: MODELS[name] for name in names}, X[rows], Y[rows], X_test, Y_test, seeds
        )
        print_table(f"Scarce data, {LONG_EPOCHS} epochs", long_run)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
