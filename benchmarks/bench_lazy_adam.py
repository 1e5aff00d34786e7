"""Lazy (row-sparse) Adam vs dense Adam for the two-tower model's embedding tables, MovieLens.

Run ``python benchmarks/bench_lazy_adam.py`` (``--epochs N``, default 10; ``--seeds N``,
default 2). Needs the MovieLens files (``MLREF_DATA_MIRROR`` or a download).

What is measured, in one run, on one BLAS thread (threadpoolctl):

* **Equality on touched rows.** The gradients of a trained model on 20 batches are applied to
  two copies of its weights, by :class:`mlref.nn.Adam` on the full tables (the "before") and by
  :class:`mlref.nn.LazyAdam` on the rows each batch reads (the "after"). Rows read by every one
  of the batches must be bit-identical; the other rows differ (dense Adam keeps moving them by
  momentum), and the script reports by how much. (Two models *trained* with the two optimizers
  drift apart everywhere: the softmax couples every row of a batch to the others.)
* **Epoch time**, before and after, over ``--epochs`` epochs of the main configuration of
  ``bench_two_tower.py`` (64-d towers, batches of 512, in-batch softmax with logQ): the mean
  epoch of each fit, per seed (the medians over seeds are compared); and Recall@10/50/100 of
  each fit (the two optimizers train different models: the script says by how much).

The workload is the one users have: a 9,742-film and a 610-user table, of which a batch of 512
pairs reads ~450 films and ~300 users. **Unfavourable:** with tiny tables (every row in every
batch) lazy Adam is pure overhead; the script times that case too (200 films, 50 users).

Exits 1 if a row read by every batch differs, or if lazy Adam is not at least 1.3x faster per
epoch on MovieLens.
"""

import argparse
import sys
import time

import numpy as np
from bench_two_tower import CUTOFFS, MAIN, evaluate, load_split
from threadpoolctl import threadpool_limits

from mlref.models.two_tower import TwoTowerModel
from mlref.nn import Adam, LazyAdam
from mlref.nn.training import iterate_minibatches

GOAL_SPEEDUP = 1.3


def equality_on_touched_rows(data, n_batches=20):
    """One model's gradients on ``n_batches`` batches, applied by both optimizers to two copies.

    Returns the largest |dense - lazy| over the rows read by every batch, their counts, the
    share of the other film rows that differ, and the largest difference anywhere.
    """
    users, items = data["users"], data["items"]
    model = TwoTowerModel(**{**MAIN, "n_epochs": 1, "random_state": 0})
    model.fit(users, items, n_users=data["n_users"], n_items=data["n_items"])
    params = model.user_tower_.params + model.item_tower_.params  # the dense copy
    grads = model.user_tower_.grads + model.item_tower_.grads
    lazy_params = [p.copy() for p in params]
    dense, lazy = Adam(MAIN["learning_rate"]), LazyAdam(MAIN["learning_rate"])
    batches = iterate_minibatches(users.size, batch_size=512, rng=np.random.default_rng(1))
    always_users, always_items = set(range(data["n_users"])), set(range(data["n_items"]))
    for _, batch in zip(range(n_batches), batches, strict=False):
        always_users &= set(users[batch].tolist())
        always_items &= set(items[batch].tolist())
        model._batch_loss(users[batch], items[batch])  # gradients at the dense copy
        rows = model.user_tower_.grad_rows + model.item_tower_.grad_rows
        lazy.step(lazy_params, grads, rows=rows)
        dense.step(params, grads)
    n_user_params = len(model.user_tower_.params)
    dense_u, dense_i = params[0], params[n_user_params]
    lazy_u, lazy_i = lazy_params[0], lazy_params[n_user_params]
    au, ai = np.array(sorted(always_users)), np.array(sorted(always_items))
    max_diff = max(
        float(np.abs(dense_u[au] - lazy_u[au]).max(initial=0.0)),
        float(np.abs(dense_i[ai] - lazy_i[ai]).max(initial=0.0)),
    )
    other = np.setdiff1d(np.arange(data["n_items"]), ai)
    moved = np.abs(dense_i[other] - lazy_i[other]).max(axis=1) > 0
    return max_diff, au.size, ai.size, float(moved.mean()), float(np.abs(dense_i - lazy_i).max())


def timed_fit(data, optimizer, seed, epochs, *, users=None, items=None, n_users=None, n_items=None):
    """A fit and its mean time per epoch."""
    model = TwoTowerModel(
        **{**MAIN, "n_epochs": epochs, "random_state": seed, "optimizer": optimizer}
    )
    begin = time.perf_counter()
    model.fit(
        data["users"] if users is None else users,
        data["items"] if items is None else items,
        n_users=n_users or data["n_users"],
        n_items=n_items or data["n_items"],
    )
    return model, (time.perf_counter() - begin) / epochs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=2)
    args = parser.parse_args()
    threadpool_limits(1)
    start = time.perf_counter()
    data = load_split()
    ok = True

    max_diff, n_u, n_i, moved, overall = equality_on_touched_rows(data)
    print(
        f"same gradients, 20 batches: {n_u} users and {n_i} films are read by every batch; "
        f"largest |dense - lazy| on them {max_diff:.1e}; on the other films {moved:.1%} differ "
        f"(largest difference {overall:.2e})"
    )
    if max_diff != 0.0:
        print("FAIL: rows read by every batch must be identical")
        ok = False

    header = " ".join(f"R@{k:<6}" for k in CUTOFFS)
    print(f"\n{'optimizer':<10} {'seed':>4} {'s/epoch':>8} {header}")
    per_epoch = {"adam": [], "lazy_adam": []}
    recalls = {"adam": [], "lazy_adam": []}
    for seed in range(args.seeds):
        for optimizer in ("adam", "lazy_adam"):
            model, seconds = timed_fit(data, optimizer, seed, args.epochs)
            metrics = evaluate(model, data)
            per_epoch[optimizer].append(seconds)
            recalls[optimizer].append(metrics[:3])
            cells = " ".join(f"{m:.4f} " for m in metrics[:3])
            print(f"{optimizer:<10} {seed:>4} {seconds:>8.3f} {cells}", flush=True)
    speedup = np.median(per_epoch["adam"]) / np.median(per_epoch["lazy_adam"])
    gap = np.mean(recalls["lazy_adam"], axis=0) - np.mean(recalls["adam"], axis=0)
    print(
        f"\nMovieLens ({args.epochs} epochs, {args.seeds} seeds): median epoch "
        f"{np.median(per_epoch['adam']):.3f} s dense -> {np.median(per_epoch['lazy_adam']):.3f} s "
        f"lazy = {speedup:.2f}x faster (goal >= {GOAL_SPEEDUP}x); Recall@10/50/100 lazy - dense: "
        + " / ".join(f"{g:+.4f}" for g in gap)
    )
    if speedup < GOAL_SPEEDUP:
        print("FAIL: lazy Adam below the speed goal")
        ok = False

    # Unfavourable: tables so small that every batch reads nearly every row.
    rng = np.random.default_rng(0)
    small_users = rng.integers(0, 50, size=20_000)
    small_items = rng.integers(0, 200, size=20_000)
    small = {}
    for optimizer in ("adam", "lazy_adam"):
        _, small[optimizer] = timed_fit(
            data, optimizer, 0, 3, users=small_users, items=small_items, n_users=50, n_items=200
        )
    print(
        f"unfavourable, 50 users x 200 films (every row in every batch): {small['adam']:.3f} s "
        f"dense vs {small['lazy_adam']:.3f} s lazy per epoch = "
        f"{small['adam'] / small['lazy_adam']:.2f}x"
    )
    print(f"total {time.perf_counter() - start:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
