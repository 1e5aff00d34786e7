"""Battery entries of ``mlref.interpret`` (TreeSHAP, KernelSHAP, LIME, PDP/ICE, permutation)."""

from __future__ import annotations

import numpy as np
import xgboost
from sklearn.linear_model import LinearRegression

from bad_input_specs import Func

_RNG = np.random.default_rng(0)
X = _RNG.normal(size=(40, 3))
Y = X[:, 0] + X[:, 1] * X[:, 2]
XGB = xgboost.XGBRegressor(n_estimators=3, max_depth=2, n_jobs=1).fit(X, Y)
LINEAR = LinearRegression().fit(X, Y)


def _predict(Z):
    return LINEAR.predict(Z)


NO_INPUT = {
    "interpret.Attribution": "a result record returned by tree_shap, kernel_shap, exact_shapley",
    "interpret.LimeExplanation": "a result record returned by lime_explanation",
    "interpret.PartialDependence": "a result record returned by partial_dependence",
    "interpret.PermutationImportance": "a result record returned by permutation_importance",
}

SPECS = {
    # XGBoost routes NaN along each split's default direction, so NaN in X is valid for it (the
    # unit tests check that other models refuse it).
    "interpret.tree_shap": Func({"model": XGB, "X": X[:5]}, skip={"X": {"nan"}}),
    "interpret.exact_shapley": Func({"predict": _predict, "X": X[:2], "background": X[:5]}),
    "interpret.kernel_shap": Func(
        {"predict": _predict, "X": X[:2], "background": X[:5], "n_samples": 4, "random_state": 0}
    ),
    "interpret.lime_explanation": Func(
        {
            "predict": _predict,
            "x": X[0],
            "X_train": X,
            "n_samples": 50,
            "kernel_width": 1.0,
            "alpha": 1.0,
            "random_state": 0,
        }
    ),
    "interpret.partial_dependence": Func(
        {"model": LINEAR, "X": X, "feature": 1, "grid_resolution": 5}
    ),
    "interpret.permutation_importance": Func(
        {"model": LINEAR, "X": X, "y": Y, "n_repeats": 2, "random_state": 0}
    ),
}
