r"""Prediction drift: has the distribution of the model's scores moved since training?

Scores drift before labels arrive (clicks come in minutes, orders in days), so a monitor watches
the score distribution first: the PSI and KS of today's scores against the reference window's,
and the mean score. Once labels arrive, the ratio of the observed rate to the mean predicted
probability says whether the model is still calibrated (1.0 = calibrated).
"""

import numpy as np
import pandas as pd

from mlref._validation import (
    check_array_1d,
    check_binary,
    check_probabilities,
    check_same_length,
)
from mlref.monitoring.drift import ks_statistic, population_stability_index

__all__ = ["prediction_drift"]


def prediction_drift(reference, current, *, y_current=None, n_bins: int = 10) -> pd.Series:
    r"""Drift of a model's scores between a reference window and the current one.

    Parameters
    ----------
    reference : array-like of shape (n_reference,)
        Scores (probabilities or raw scores) on the reference window, e.g. the validation days.
    current : array-like of shape (n_current,)
        Scores on the window to check.
    y_current : array-like of shape (n_current,), optional
        Observed 0/1 outcomes of the current window, when they have arrived (then ``current``
        must be probabilities).
    n_bins : int, default 10
        Quantile bins of the reference for the PSI.

    Returns
    -------
    pandas.Series
        ``psi`` (read it with :func:`~mlref.monitoring.psi_verdict`), ``ks``, ``mean_reference``,
        ``mean_current``, ``mean_shift`` (relative change of the mean score) and, with
        ``y_current``, ``observed_rate`` and ``observed_over_predicted``
        :math:`= \bar y / \bar p` (the calibration ratio; above 1 the model under-predicts).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> before = rng.beta(2, 30, 5000)
    >>> from mlref.monitoring import psi_verdict
    >>> psi_verdict(prediction_drift(before, before * 1.5)["psi"])
    'significant'
    """
    reference = check_array_1d(reference, "reference")
    current = check_array_1d(current, "current")
    psi = population_stability_index(reference, current, n_bins=n_bins)
    mean_reference, mean_current = float(reference.mean()), float(current.mean())
    out = {
        "psi": psi,
        "ks": ks_statistic(reference, current),
        "mean_reference": mean_reference,
        "mean_current": mean_current,
        "mean_shift": (mean_current - mean_reference) / abs(mean_reference)
        if mean_reference != 0
        else np.nan,
    }
    if y_current is not None:
        check_probabilities(current, "current")
        y = check_binary(y_current, "y_current")
        check_same_length(current=current, y_current=y)
        out["observed_rate"] = float(y.mean())
        out["observed_over_predicted"] = (
            float(y.mean()) / mean_current if mean_current > 0 else np.nan
        )
    return pd.Series(out, name="prediction_drift", dtype=np.float64)
