"""Battery entries of ``mlref.calibration`` (Platt, isotonic PAV, temperature scaling)."""

from __future__ import annotations

import numpy as np

from bad_input_specs import Estimator, Func

_RNG = np.random.default_rng(0)
SCORES = _RNG.normal(size=30)
LABELS = (SCORES + _RNG.normal(size=30) > 0).astype(np.int64)
LOGITS = _RNG.normal(size=(30, 3))
CLASSES = np.arange(30) % 3

SPECS = {
    "calibration.isotonic_regression": Func({"y": SCORES, "sample_weight": np.ones(30)}),
    "calibration.PlattCalibrator": Estimator(
        params={"target_smoothing": True},
        fit={"scores": SCORES, "y": LABELS},
        methods={"predict": {"scores": SCORES}, "decision_function": {"scores": SCORES}},
    ),
    "calibration.IsotonicCalibrator": Estimator(
        params={},
        fit={"scores": SCORES, "y": LABELS},
        methods={"predict": {"scores": SCORES}},
    ),
    "calibration.TemperatureScaling": Estimator(
        params={},
        fit={"logits": LOGITS, "y": CLASSES},
        methods={"predict_proba": {"logits": LOGITS}, "predict": {"logits": LOGITS}},
    ),
}
