"""Time :class:`mlref.models.LogisticRegression` (L-BFGS) against scikit-learn's ``lbfgs``.

Run ``python benchmarks/bench_logistic.py`` (``--repeats N``). Both minimise the same L2 objective

    F(w, b) = C * sum_i log-loss_i + ||w||^2 / 2

on the simulator's click task (``make_marketplace(random_state=0)``, ``build_search_features``,
all 179,740 training rows of ``time_split``, 57 features), raw and standardised, with C = 1, and
both are stopped by the same gradient tolerance (1e-8, as the max-norm of the gradient of
F / (C n)). The script prints each fit's time (best of ``--repeats``, both sides in the same
run), F at each solution and their relative difference, first with one BLAS thread, then with
the libraries' default threads.

Goal (exit status 1 if missed): on one thread, mlref's fit takes at most 1.5x scikit-learn's
and the two objectives agree to 1e-8 relative, on every workload where scikit-learn converges;
where it does not (raw features, capped at 2,000 iterations), mlref's objective must not be
higher than scikit-learn's.
"""

import argparse
import sys
import warnings

import numpy as np
from _timing import best_time, default_threads, load_average, one_thread
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression

from mlref.datasets import make_marketplace
from mlref.features.search_task import build_search_features, time_split
from mlref.models.linear import LogisticRegression

TARGET_RATIO = 1.5
OBJECTIVE_RTOL = 1e-8
TOL = 1e-8
C = 1.0


def objective(X, y, coef, intercept) -> float:
    z = X @ coef + intercept
    return float(C * np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * coef @ coef)


def click_rows():
    features = build_search_features(make_marketplace(random_state=0), label="clicks")
    train, _, _ = time_split(features)
    return train.X.to_numpy().astype(np.float64), train.y.astype(np.int64)


def compare(name, X, y, repeats, max_iter):
    """Fit both, return (ratio, relative objective difference, whether scikit-learn converged)."""
    ours_fit = lambda: LogisticRegression(C=C, tol=TOL, max_iter=max_iter).fit(X, y)  # noqa: E731
    sk_fit = lambda: SklearnLogisticRegression(C=C, tol=TOL, max_iter=max_iter).fit(X, y)  # noqa: E731
    sk_seconds, sk = best_time(sk_fit, repeats)
    ours_seconds, ours = best_time(ours_fit, repeats)
    f_ours = objective(X, y, ours.coef_[0], ours.intercept_[0])
    f_sk = objective(X, y, sk.coef_[0], sk.intercept_[0])
    relative = (f_ours - f_sk) / abs(f_sk)
    ratio = ours_seconds / sk_seconds
    print(
        f"{name:<24} {ours_seconds:>8.3f} {ours.n_iter_:>6d} {sk_seconds:>8.3f} "
        f"{int(sk.n_iter_[0]):>6d} {ratio:>7.2f}x {f_ours:>16.6f} {relative:>+11.2e}"
    )
    return ratio, relative, int(sk.n_iter_[0]) < max_iter


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)  # reported in the table
    X, y = click_rows()
    standardised = (X - X.mean(axis=0)) / np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
    # Raw features span very different scales (prices next to 0/1 flags): scikit-learn's L-BFGS
    # crawls there (mlref centres and rescales first), so its run is capped at 2,000 iterations.
    workloads = {"standardised features": (standardised, 10_000), "raw features": (X, 2_000)}
    header = (
        f"{'workload':<24} {'mlref s':>8} {'iters':>6} {'sklearn':>8} {'iters':>6} {'ratio':>8} "
        f"{'F (mlref)':>16} {'F rel. diff':>11}"
    )
    failures = []
    for label, threads in (("one thread", one_thread), ("default threads", default_threads)):
        print(f"\nLogisticRegression, L2, C={C}, tol={TOL}, {X.shape[0]:,} x {X.shape[1]}, {label}")
        print(f"({load_average()})")
        print(header)
        with threads():
            for name, (data, max_iter) in workloads.items():
                ratio, relative, sk_converged = compare(name, data, y, args.repeats, max_iter)
                if not sk_converged:
                    print(f"  scikit-learn stopped at max_iter={max_iter} before tol on {name}")
                    if relative > OBJECTIVE_RTOL:
                        failures.append(f"{name} ({label}): mlref's objective is higher")
                    continue
                if label == "one thread" and ratio > TARGET_RATIO:
                    failures.append(f"{name}: {ratio:.2f}x > {TARGET_RATIO}x")
                if abs(relative) > OBJECTIVE_RTOL:
                    failures.append(f"{name} ({label}): objectives differ by {relative:+.2e}")
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print(f"goal met: mlref <= {TARGET_RATIO}x scikit-learn on one thread, same objective")
    return 0


if __name__ == "__main__":
    sys.exit(main())
