"""Battery entries of ``mlref.recsys``' cold-start names: a 60-search marketplace over 10 days."""

from __future__ import annotations

import numpy as np

from bad_input_specs import Func
from mlref.datasets import make_marketplace

MARKET = make_marketplace(
    random_state=0, n_retailers=20, n_brands=20, n_products=60, n_queries=20, n_searches=60,
    n_days=10,
)  # fmt: skip

NO_INPUT = {
    "recsys.COLD_START_POLICIES": "a constant tuple of the policy names",
    "recsys.ColdStartResult": "a result record returned by simulate_cold_start",
}

SPECS = {
    "recsys.thompson_sample": Func(
        {
            "clicks": np.array([1.0, 0.0, 2.0]),
            "examinations": np.array([3.0, 1.0, 2.5]),
            "prior_a": 1.0,
            "prior_b": 1.0,
            "random_state": 0,
        }
    ),
    "recsys.simulate_cold_start": Func(
        {
            "market": MARKET,
            "policy": "epsilon_greedy",
            "start_day": 5,
            "epsilon": 0.5,
            "boost_position": 2,
            "n_results": 4,
            "smoothing": 10.0,
            "n_similar": 3,
            "random_state": 0,
        }
    ),
}
