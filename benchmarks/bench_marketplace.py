"""Time :func:`mlref.datasets.make_marketplace` at its default size and at a million impressions.

Run ``python benchmarks/bench_marketplace.py``; it prints the best of a few builds per
configuration. Targets: the default under 2 s, a million impressions under 30 s.
"""

import argparse
import time

from mlref.datasets.marketplace import make_marketplace

CONFIGS = {
    "default": {},
    "1M impressions": {"n_searches": 51_000},
}


def best_time(kwargs: dict, repeats: int) -> tuple[float, int]:
    """Fastest of ``repeats`` builds in seconds, and the number of impressions built."""
    times = []
    for seed in range(repeats):
        start = time.perf_counter()
        m = make_marketplace(random_state=seed, **kwargs)
        times.append(time.perf_counter() - start)
    return min(times), len(m.impressions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="builds per configuration")
    args = parser.parse_args()
    print(f"{'config':<16} {'impressions':>12} {'seconds':>8}  (best of {args.repeats})")
    for name, kwargs in CONFIGS.items():
        seconds, n_impressions = best_time(kwargs, args.repeats)
        print(f"{name:<16} {n_impressions:>12,} {seconds:>8.2f}")


if __name__ == "__main__":
    main()
