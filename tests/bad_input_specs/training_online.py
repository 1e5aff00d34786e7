"""Battery entries of ``mlref.training.online`` (online learning under drift)."""

from __future__ import annotations

import numpy as np

from bad_input_specs import Estimator, Func

_rng = np.random.default_rng(13)
DAY = np.repeat(np.arange(6), 8)
X = _rng.normal(size=(DAY.size, 2))
Y = np.tile([0, 1], DAY.size // 2)
REQUEST = np.arange(DAY.size) // 4

NO_INPUT = {"training.UPDATE_STRATEGIES": "a constant tuple of strategy names"}

SPECS = {
    "training.OnlineLogisticRegression": Estimator(
        params={"eta0": 0.1, "alpha": 1e-3, "batch_size": 4, "n_epochs": 2, "random_state": 0},
        fit={"X": X, "y": Y},
        methods={"predict": {"X": X}, "predict_proba": {"X": X}, "decision_function": {"X": X}},
    ),
    "training.replay_update_strategy": Func(
        {
            "X": X,
            "y": Y,
            "day": DAY,
            "strategy": "per_request",
            "start": 3,
            "end": 6,
            "request": REQUEST,
            "every": 2,
            "window": 3,
            "eta0": 0.1,
            "alpha": 1e-3,
            "batch_size": 4,
            "n_epochs": 2,
            "random_state": 0,
        }
    ),
}
