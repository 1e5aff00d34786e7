"""Battery entries of ``mlref.features``' imputers and ``inject_missing``.

NaN marks a missing value for the imputers, so the battery's NaN mutation of their ``X`` is
valid input there and skipped; infinity, shapes and strings are still refused. Each imputer is
fitted on ``X`` and then transforms the same ``X`` (the argument both methods call ``X``).
"""

from __future__ import annotations

import numpy as np

from bad_input_specs import Func

_rng = np.random.default_rng(8)
COMPLETE = _rng.normal(size=(12, 3))
X = COMPLETE.copy()
X[[1, 4, 7], [0, 1, 2]] = np.nan
_NAN_OK = {"X": {"nan"}}


def _fit_transform(target, X, **params):
    return target(**params).fit(X).transform(X)


SPECS = {
    "features.SimpleImputer": Func(
        {"X": X, "strategy": "median", "fill_value": -999.0},
        call=_fit_transform,
        skip={**_NAN_OK, "fill_value": {"range"}},  # any finite fill value is valid, -1 too
    ),
    "features.KNNImputer": Func({"X": X, "n_neighbors": 3}, call=_fit_transform, skip=_NAN_OK),
    "features.IterativeImputer": Func(
        {"X": X, "max_iter": 3, "alpha": 1.0, "random_state": 0},
        call=_fit_transform,
        skip=_NAN_OK,
    ),
    "features.multiple_imputation": Func(
        {"X": X, "n_imputations": 2, "max_iter": 2, "random_state": 0}, skip={"X": {"nan"}}
    ),
    "features.inject_missing": Func(
        {
            "X": COMPLETE,
            "rate": 0.2,
            "mechanism": "mnar",
            "columns": np.array([0, 2]),
            "random_state": 0,
        },
        skip={"X": {"huge"}},  # its answer holds NaN by design: the values it hid
    ),
}
