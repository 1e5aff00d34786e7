"""Battery entries of ``mlref.monitoring`` and of the calibration metrics of ``mlref.metrics``.

The two samples of PSI and KS are given different lengths on purpose: they are independent
samples, so the battery's "length mismatch" mutation does not apply to them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bad_input_specs import Func

_rng = np.random.default_rng(0)
REFERENCE = _rng.normal(size=40)
CURRENT = _rng.normal(0.3, 1.0, size=30)
Y = np.array([0, 1, 0, 0, 1, 1, 0, 1, 0, 0])
PROB = np.array([0.1, 0.8, 0.3, 0.2, 0.6, 0.9, 0.4, 0.7, 0.05, 0.5])

NO_INPUT = {
    "monitoring.PSI_THRESHOLDS": "a constant pair of thresholds (0.1, 0.2)",
}

SPECS = {
    "monitoring.population_stability_index": Func(
        {"expected": REFERENCE, "actual": CURRENT, "n_bins": 5, "strategy": "quantile", "eps": 1e-4}
    ),
    "monitoring.ks_statistic": Func({"a": REFERENCE, "b": CURRENT}),
    "monitoring.psi_verdict": Func({"psi": 0.15}),
    "monitoring.feature_drift": Func(
        {
            "reference": pd.DataFrame({"x": REFERENCE[:30], "z": REFERENCE[10:]}),
            "current": pd.DataFrame({"x": CURRENT, "z": CURRENT[::-1]}),
            "n_bins": 4,
            "strategy": "uniform",
        }
    ),
    "metrics.reliability_curve": Func(
        {"y_true": Y, "y_prob": PROB, "n_bins": 3, "strategy": "quantile"}
    ),
    "metrics.expected_calibration_error": Func(
        {"y_true": Y, "y_prob": PROB, "n_bins": 3, "strategy": "uniform"}
    ),
    "metrics.brier_score": Func({"y_true": Y, "y_prob": PROB}),
}
