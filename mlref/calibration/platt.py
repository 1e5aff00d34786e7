r"""Platt scaling: a one-feature logistic regression on the model's scores.

.. math::

    \hat p(s) = \sigma(a\,s + b), \qquad
    (a, b) = \arg\min_{a, b} -\sum_i \bigl[t_i \log \hat p(s_i)
    + (1 - t_i) \log(1 - \hat p(s_i))\bigr]

With ``target_smoothing=False`` the targets are the labels, :math:`t_i = y_i`: exactly a logistic
regression of the labels on the score. With ``target_smoothing=True`` (Platt, 1999, and
scikit-learn's ``CalibratedClassifierCV(method="sigmoid")``) the targets are pulled away from 0
and 1, :math:`t_+ = (N_+ + 1)/(N_+ + 2)` and :math:`t_- = 1/(N_- + 2)`, so that separable
calibration data cannot drive :math:`a` to infinity. The two parameters are fitted by Newton's
method to machine precision.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from mlref._validation import check_array_1d, check_binary, check_bool, check_same_length
from mlref.nn.functional import sigmoid

__all__ = ["PlattCalibrator"]


def _newton_logistic(s, t, *, max_iter=100):
    """Minimise the cross-entropy of sigma(a s + b) against targets t (Newton + halving)."""
    design = np.column_stack([s, np.ones_like(s)])

    def loss(theta):
        z = design @ theta
        return float(np.sum(np.logaddexp(0.0, z) - t * z))

    theta = np.array([0.0, np.log((t.sum() + 1e-12) / (t.size - t.sum() + 1e-12))])
    current = loss(theta)
    for _ in range(max_iter):
        p = sigmoid(design @ theta)
        gradient = design.T @ (p - t)
        hessian = (design * (p * (1 - p))[:, None]).T @ design
        try:
            step = np.linalg.solve(hessian + 1e-12 * np.eye(2), gradient)
        except np.linalg.LinAlgError:  # pragma: no cover - the ridge keeps it invertible
            break
        size = 1.0
        while size > 1e-10:
            candidate = theta - size * step
            new = loss(candidate)
            if new <= current:
                break
            size /= 2
        theta, previous, current = candidate, current, new
        if np.max(np.abs(size * step)) < 1e-12 or previous - current < 1e-15 * max(1, current):
            break
    return theta


class PlattCalibrator(BaseEstimator):
    r"""Map scores to probabilities with a fitted sigmoid :math:`\sigma(a s + b)`.

    Parameters
    ----------
    target_smoothing : bool, default=True
        Use Platt's smoothed targets (as scikit-learn's sigmoid calibration does); ``False``
        fits a plain logistic regression on the labels.

    Attributes
    ----------
    coef_ : float
        Slope :math:`a` (scikit-learn's ``_SigmoidCalibration.a_`` is :math:`-a`).
    intercept_ : float
        Intercept :math:`b` (scikit-learn's ``b_`` is :math:`-b`).

    Examples
    --------
    >>> import numpy as np
    >>> s = np.array([-2.0, -1.0, 0.0, 1.0, 2.0, 0.5])
    >>> y = np.array([0, 0, 1, 1, 1, 0])
    >>> PlattCalibrator().fit(s, y).predict(np.array([0.0])).round(3).tolist()
    [0.498]
    """

    def __init__(self, *, target_smoothing=True):
        self.target_smoothing = target_smoothing

    def fit(self, scores, y):
        """Fit the sigmoid on 1-D ``scores`` (any real numbers) and 0/1 labels ``y``."""
        smoothing = check_bool(self.target_smoothing, "target_smoothing")
        scores = check_array_1d(scores, "scores")
        y = check_binary(y, "y", require_both=True)
        check_same_length(scores=scores, y=y)
        targets = y.astype(np.float64)
        if smoothing:
            n_pos = targets.sum()
            n_neg = targets.size - n_pos
            targets = np.where(y == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
        # Newton on a standardised score: the same optimum, a better conditioned Hessian.
        centre, spread = scores.mean(), scores.std()
        spread = spread if spread > 0 else 1.0
        a, b = _newton_logistic((scores - centre) / spread, targets)
        self.coef_ = float(a / spread)
        self.intercept_ = float(b - a * centre / spread)
        self.n_features_in_ = 1
        return self

    def decision_function(self, scores):
        """Calibrated log-odds :math:`a s + b`."""
        check_is_fitted(self)
        scores = check_array_1d(scores, "scores")
        return self.coef_ * scores + self.intercept_

    def predict(self, scores):
        """Calibrated probabilities :math:`\\sigma(a s + b)`, one per score (1-D)."""
        return sigmoid(self.decision_function(scores))
