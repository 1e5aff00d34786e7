"""Battery entries of the class-imbalance names of ``mlref.training`` (SMOTE, class weights,
the focal-loss logistic regression): twenty rows, six of them positive."""

from __future__ import annotations

import numpy as np

from bad_input_specs import Estimator, Func

_rng = np.random.default_rng(14)
X = _rng.normal(size=(20, 3))
Y = np.r_[np.ones(6), np.zeros(14)]


def _smote(target, X, y, **params):
    return target(**params).fit_resample(X, y)


SPECS = {
    "training.SMOTE": Func(
        {"X": X, "y": Y, "k_neighbors": 3, "sampling_strategy": 1.0, "random_state": 0},
        call=_smote,
    ),
    "training.balanced_class_weights": Func({"y": Y}),
    "training.FocalLogisticRegression": Estimator(
        params={"gamma": 2.0, "C": 1.0, "max_iter": 50},
        fit={"X": X, "y": Y},
        methods={"predict": {"X": X}, "predict_proba": {"X": X}, "decision_function": {"X": X}},
    ),
}
