"""Battery entries of ``mlref.diagnostics``: a ten-row feature table with timestamps, and one
10-search marketplace for the leaky click log."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bad_input_specs import Func
from mlref.datasets import make_marketplace

_rng = np.random.default_rng(21)
X = _rng.normal(size=(10, 2))
Y = np.array([1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0])
LABEL_TIME = np.arange(10.0) * 60.0
FEATURE_TIME = LABEL_TIME + np.r_[np.zeros(9), 5.0]
MARKET = make_marketplace(
    random_state=0, n_retailers=10, n_brands=5, n_products=30, n_queries=10, n_searches=10
)
FRAME = pd.DataFrame({"a": np.arange(4.0), "b": [1.0, np.nan, 3.0, 4.0]})

NO_INPUT = {
    "diagnostics.LeakageReport": "a result record returned by detect_leakage",
    "diagnostics.LeakyClickLog": "a result record returned by make_leaky_click_log",
}

SPECS = {
    "diagnostics.single_feature_auc": Func({"X": X, "y": Y}),
    "diagnostics.features_after_label": Func(
        {"feature_times": {"x0": FEATURE_TIME}, "label_time": LABEL_TIME}
    ),
    "diagnostics.entity_overlap": Func(
        {"train_ids": np.array([1, 2, 3, 4]), "test_ids": np.array([3, 5, 6])}
    ),
    "diagnostics.detect_leakage": Func(
        {
            "X": X,
            "y": Y,
            "label_time": LABEL_TIME,
            "feature_times": {"x0": FEATURE_TIME, "x1": LABEL_TIME},
            "splits": {"search": (np.array([1, 2]), np.array([2, 3]))},
            "auc_threshold": 0.9,
            "max_overlap": 0.0,
        }
    ),
    "diagnostics.make_leaky_click_log": Func(
        {"market": MARKET, "random_state": 0, "prior": 0.05, "smoothing": 20.0}
    ),
    "diagnostics.bucketize": Func(
        {"x": np.array([0.0, 3.0, 12.0]), "edges": np.array([0.0, 10.0])}
    ),
    "diagnostics.parity_check": Func(
        {"offline": FRAME, "online": FRAME.fillna(0.0), "atol": 1e-9, "rtol": 1e-6}
    ),
    "diagnostics.simpsons_paradox": Func(
        {
            "outcome": np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
            "variant": np.array([0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0]),
            "slices": ["easy", "easy", "easy", "hard", "hard", "hard", "easy", "hard"],
        }
    ),
}
