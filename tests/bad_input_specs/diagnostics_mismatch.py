"""Battery entries of ``mlref.diagnostics``' objective-mismatch and latency names: two requests
of three and two rows, and scalar latencies."""

from __future__ import annotations

import numpy as np

from bad_input_specs import Func

SPECS = {
    "diagnostics.ranking_outcomes": Func(
        {
            "groups": np.array([0, 0, 0, 1, 1]),
            "scores": np.array([0.3, 0.9, 0.1, 0.5, 0.5]),
            "click_prob": np.array([0.2, 0.6, 0.1, 0.3, 0.4]),
            "propensities": np.array([1.0, 0.5, 0.33]),
            "per_click": {"orders": np.array([0.1, 0.2, 0.0, 0.3, 0.05])},
            "k": 2,
        }
    ),
    "diagnostics.traffic_retained": Func(
        {"extra_latency_ms": np.array([0.0, 150.0]), "loss_per_100ms": 0.006}
    ),
    "diagnostics.latency_break_even": Func({"relative_gain": 0.02, "loss_per_100ms": 0.006}),
}
