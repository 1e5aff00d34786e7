r"""Isotonic calibration: the best non-decreasing step function, by pool-adjacent-violators.

Isotonic regression solves

.. math::

    \min_{\hat y_1 \le \dots \le \hat y_m} \sum_{k=1}^{m} w_k (\bar y_k - \hat y_k)^2

over the distinct scores sorted increasingly (:math:`\bar y_k` the weighted mean label of the
:math:`k`-th distinct score, :math:`w_k` its total weight). Pool-adjacent-violators (PAV) scans
the points left to right, keeps a stack of blocks with their weighted means and merges the last
two blocks while they are out of order; every block's value is then its weighted mean. New
scores are mapped by linear interpolation between the fitted points and clipped at both ends,
as scikit-learn's ``IsotonicRegression(out_of_bounds="clip")`` does.

Isotonic calibration makes no shape assumption (Platt assumes a sigmoid), so it fixes any
monotone distortion given enough data, but with a few hundred calibration rows it fits their
noise: the step function has as many steps as the data allow.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from mlref._validation import check_array_1d, check_binary, check_same_length

__all__ = ["IsotonicCalibrator", "isotonic_regression"]


def isotonic_regression(y, sample_weight=None):
    r"""Non-decreasing least-squares fit to ``y`` (in the given order), by PAV.

    .. math::

        \hat y = \arg\min_{z_1 \le \dots \le z_n} \sum_i w_i (y_i - z_i)^2

    Equal to ``sklearn.isotonic.isotonic_regression(y, sample_weight=w)``.

    Parameters
    ----------
    y : array-like of shape (n,)
    sample_weight : array-like of shape (n,), optional
        Positive weights (default 1).

    Returns
    -------
    numpy.ndarray of shape (n,)

    Examples
    --------
    >>> isotonic_regression([1.0, 3.0, 2.0, 4.0]).tolist()
    [1.0, 2.5, 2.5, 4.0]
    """
    y = check_array_1d(y, "y")
    if sample_weight is None:
        w = np.ones_like(y)
    else:
        w = check_array_1d(sample_weight, "sample_weight")
        check_same_length(y=y, sample_weight=w)
        if (w <= 0).any():
            raise ValueError("sample_weight must be positive; drop rows of weight 0 first")
    # Stack of blocks: weighted sum, weight, and number of points, merged while out of order.
    sums, weights, counts = [], [], []
    for value, weight in zip((y * w).tolist(), w.tolist(), strict=True):
        total, mass, count = value, weight, 1
        while sums and sums[-1] * mass >= total * weights[-1]:
            total += sums.pop()
            mass += weights.pop()
            count += counts.pop()
        sums.append(total)
        weights.append(mass)
        counts.append(count)
    means = np.array(sums) / np.array(weights)
    return np.repeat(means, counts)


class IsotonicCalibrator(BaseEstimator):
    r"""Map scores to probabilities with a fitted non-decreasing function (PAV).

    Attributes
    ----------
    X_thresholds_ : numpy.ndarray
        The distinct calibration scores, increasing.
    y_thresholds_ : numpy.ndarray
        The fitted probability at each of them (non-decreasing).

    Examples
    --------
    >>> import numpy as np
    >>> cal = IsotonicCalibrator().fit([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1])
    >>> cal.predict([0.15, 0.35]).round(3).tolist()
    [0.25, 0.75]
    """

    def fit(self, scores, y, sample_weight=None):
        """Fit on 1-D ``scores`` and 0/1 labels ``y`` (both classes present)."""
        scores = check_array_1d(scores, "scores")
        y = check_binary(y, "y", require_both=True)
        check_same_length(scores=scores, y=y)
        if sample_weight is None:
            w = np.ones_like(scores)
        else:
            w = check_array_1d(sample_weight, "sample_weight")
            check_same_length(scores=scores, sample_weight=w)
            if (w <= 0).any():
                raise ValueError("sample_weight must be positive; drop rows of weight 0 first")
        distinct, inverse = np.unique(scores, return_inverse=True)
        mass = np.bincount(inverse, weights=w)
        mean_label = np.bincount(inverse, weights=w * y) / mass
        self.X_thresholds_ = distinct
        self.y_thresholds_ = isotonic_regression(mean_label, mass)
        self.n_features_in_ = 1
        return self

    def predict(self, scores):
        """Calibrated probabilities: linear interpolation between the fitted points, clipped."""
        check_is_fitted(self)
        scores = check_array_1d(scores, "scores")
        if self.X_thresholds_.size == 1:
            return np.full(scores.size, self.y_thresholds_[0])
        return np.interp(scores, self.X_thresholds_, self.y_thresholds_)
