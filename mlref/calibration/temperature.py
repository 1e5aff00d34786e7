r"""Temperature scaling: one scalar that softens or sharpens a softmax (Guo et al., 2017).

.. math::

    \hat p_k(z) = \frac{\exp(z_k / T)}{\sum_j \exp(z_j / T)}, \qquad
    T = \arg\min_{T > 0} -\sum_i \log \hat p_{y_i}(z_i)

Dividing every logit by the same :math:`T > 0` never changes the arg-max, so accuracy is
untouched; only the confidence moves (:math:`T > 1` when the network is over-confident, as
modern networks trained to zero training loss are). The negative log-likelihood is convex in
:math:`\beta = 1/T`, so Newton's method on :math:`\beta` finds the optimum:
:math:`\partial_\beta = \sum_i (\mathbb{E}_{\hat p}[z_i] - z_{i y_i})`,
:math:`\partial^2_\beta = \sum_i \mathrm{Var}_{\hat p}[z_i]`.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from mlref._validation import check_array_1d, check_array_2d, check_n_features, check_same_length
from mlref.nn.functional import log_softmax, softmax

__all__ = ["TemperatureScaling"]


def _nll(beta, logits, y):
    return -float(np.sum(log_softmax(beta * logits, axis=1)[np.arange(y.size), y]))


class TemperatureScaling(BaseEstimator):
    r"""Fit one temperature :math:`T` for a multiclass model's logits.

    Attributes
    ----------
    temperature_ : float
        The fitted :math:`T > 0`.
    n_features_in_ : int
        Number of classes (columns of the logits).

    Examples
    --------
    >>> import numpy as np
    >>> logits = np.array([[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0], [4.0, 0.0, 0.0]])
    >>> y = np.array([0, 1, 2, 1])
    >>> round(TemperatureScaling().fit(logits, y).temperature_, 3)
    2.226
    """

    def fit(self, logits, y):
        """Fit :math:`T` on logits (n, k) and integer labels ``y`` in ``0 .. k-1``."""
        logits = check_array_2d(logits, "logits")
        if logits.shape[1] < 2:
            raise ValueError(
                f"logits must have one column per class (at least 2), got shape {logits.shape}"
            )
        labels = check_array_1d(y, "y", dtype=None)
        check_same_length(logits=logits, y=labels)
        if labels.dtype.kind == "f" and (labels != np.round(labels)).any():
            raise ValueError("y must hold integer class indices, got fractional values")
        labels = labels.astype(np.int64)
        k = logits.shape[1]
        if labels.min() < 0 or labels.max() >= k:
            raise ValueError(f"y must hold class indices in 0..{k - 1} (one per logit column)")
        if np.unique(labels).size < 2:
            raise ValueError(
                f"y holds only one class ({labels[0]}); temperature scaling needs calibration "
                "data with at least two classes"
            )
        rows = np.arange(labels.size)
        beta = 1.0
        current = _nll(beta, logits, labels)
        for _ in range(100):
            p = softmax(beta * logits, axis=1)
            mean = (p * logits).sum(axis=1)
            gradient = float(np.sum(mean - logits[rows, labels]))
            hessian = float(np.sum((p * logits**2).sum(axis=1) - mean**2))
            if hessian <= 0:
                break
            step, size = gradient / hessian, 1.0
            while size > 1e-12:
                candidate = beta - size * step
                new = _nll(candidate, logits, labels)
                if new <= current:
                    break
                size /= 2
            beta, previous, current = candidate, current, new
            if abs(size * step) < 1e-13 * max(1.0, abs(beta)) or previous - current < 1e-15:
                break
        if not beta > 0:
            raise ValueError(
                "logits: the fitted inverse temperature is not positive, i.e. the logits rank the "
                "labels backwards on this calibration data; temperature scaling cannot fix that"
            )
        self.temperature_ = float(1.0 / beta)
        self.n_features_in_ = k
        return self

    def predict_proba(self, logits):
        """Calibrated class probabilities ``softmax(logits / T)``, shape (n, k)."""
        check_is_fitted(self)
        logits = check_array_2d(logits, "logits")
        check_n_features(logits, self, "logits")
        return softmax(logits / self.temperature_, axis=1)

    def predict(self, logits):
        """The arg-max class (the same as without scaling)."""
        return np.argmax(self.predict_proba(logits), axis=1)
