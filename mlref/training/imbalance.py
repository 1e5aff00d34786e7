r"""Class imbalance: SMOTE oversampling, class weights and a focal-loss logistic regression.

At a 2 % click-through rate a classifier sees 49 negatives per positive. The remedies change
either the data (downsample negatives: :func:`mlref.training.downsample_negatives`; synthesise
positives: :class:`SMOTE`) or the loss (weight the classes: :func:`balanced_class_weights`;
focus on hard examples: :class:`FocalLogisticRegression`). All of them except downsampling with
its log-odds correction change what the predicted probabilities mean: a model trained to treat
one positive like 49 negatives predicts about 50 % where the truth is 2 %.

SMOTE (Chawla et al., 2002) creates each synthetic minority sample on the segment between a
minority sample :math:`x_i` and one of its :math:`k` nearest minority neighbours :math:`x_j`:

.. math::

    \tilde x = x_i + u\,(x_j - x_i), \qquad u \sim \mathcal U(0, 1).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from mlref._validation import (
    check_array_2d,
    check_binary,
    check_n_features,
    check_positive_int,
    check_random_state,
    check_real,
    check_same_length,
)
from mlref.nn.functional import sigmoid
from mlref.nn.losses import focal_loss_with_logits

__all__ = ["SMOTE", "FocalLogisticRegression", "balanced_class_weights"]


def balanced_class_weights(y) -> np.ndarray:
    r"""Per-sample weights :math:`n / (2\, n_{y_i})`: each class carries half the total weight.

    Equal to ``sklearn.utils.class_weight.compute_sample_weight("balanced", y)`` for 0/1 labels.

    Examples
    --------
    >>> balanced_class_weights([0, 0, 0, 1]).round(3).tolist()
    [0.667, 0.667, 0.667, 2.0]
    """
    labels = check_binary(y, "y", require_both=True)
    counts = np.bincount(labels, minlength=2)
    return labels.size / (2.0 * counts[labels])


def _minority_neighbors(X_min: np.ndarray, k: int) -> np.ndarray:
    """Indices of each row's ``k`` nearest other rows (Euclidean), nearest first."""
    sq = np.einsum("ij,ij->i", X_min, X_min)
    dist = sq[:, None] + sq[None, :] - 2.0 * X_min @ X_min.T
    np.fill_diagonal(dist, np.inf)
    nearest = np.argpartition(dist, k - 1, axis=1)[:, :k]
    order = np.argsort(np.take_along_axis(dist, nearest, axis=1), axis=1, kind="stable")
    return np.take_along_axis(nearest, order, axis=1)


class SMOTE(BaseEstimator):
    r"""Synthetic Minority Over-sampling TEchnique for binary 0/1 labels.

    Each synthetic sample picks a minority sample :math:`x_i` uniformly, one of its
    ``k_neighbors`` nearest minority neighbours :math:`x_j` uniformly, and a uniform
    :math:`u \in [0, 1)`:

    .. math::

        \tilde x = x_i + u\,(x_j - x_i).

    Parameters
    ----------
    k_neighbors : int, default=5
        Neighbours per minority sample (at most the number of minority samples minus one).
    sampling_strategy : float in (0, 1], default=1.0
        Desired ratio :math:`n_{\min} / n_{\max}` after resampling (imbalanced-learn's float
        meaning): ``int(sampling_strategy * n_max) - n_min`` samples are created.
    random_state : int, numpy.random.Generator or None, default=None

    Attributes
    ----------
    minority_class_ : int
        The rarer label (1 on ties).
    neighbors_ : numpy.ndarray of shape (n_min, k_neighbors)
        Positions, among the minority rows, of each minority row's nearest neighbours.
    sample_indices_ : numpy.ndarray of shape (n_new,)
        Minority row (position among the minority rows) each synthetic sample starts from.
    neighbor_indices_ : numpy.ndarray of shape (n_new,)
        Minority row it moves towards.
    steps_ : numpy.ndarray of shape (n_new,)
        The :math:`u` of each synthetic sample.

    Notes
    -----
    The draws are those of imbalanced-learn's ``SMOTE``; only the random stream differs, so the
    two agree in distribution and every synthetic sample lies on a segment between a minority
    sample and one of the neighbours imbalanced-learn's ``nn_k_`` finds.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [10.0], [11.0]])
    >>> Xr, yr = SMOTE(k_neighbors=1, random_state=0).fit_resample(X, [0, 0, 0, 0, 1, 1])
    >>> int(yr.sum()), bool(((Xr[4:] >= 10) & (Xr[4:] <= 11)).all())
    (4, True)
    """

    def __init__(self, *, k_neighbors: int = 5, sampling_strategy: float = 1.0, random_state=None):
        self.k_neighbors = k_neighbors
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state

    def fit_resample(self, X, y):
        """Return ``X`` and ``y`` with the synthetic minority samples appended.

        Returns
        -------
        X_resampled : numpy.ndarray of shape (n_samples + n_new, n_features)
        y_resampled : numpy.ndarray of shape (n_samples + n_new,)
        """
        X = check_array_2d(X, "X")
        labels = check_binary(y, "y", require_both=True)
        check_same_length(X=X, y=labels)
        k = check_positive_int(self.k_neighbors, "k_neighbors")
        ratio = check_real(
            self.sampling_strategy, "sampling_strategy", low=0.0, high=1.0, low_inclusive=False
        )
        rng = check_random_state(self.random_state)
        counts = np.bincount(labels, minlength=2)
        minority = int(counts[1] <= counts[0])
        n_min, n_max = counts[minority], counts[1 - minority]
        if k > n_min - 1:
            raise ValueError(
                f"k_neighbors={k} needs at least {k + 1} minority samples, got {n_min}; lower "
                "k_neighbors"
            )
        n_new = int(ratio * n_max) - n_min
        if n_new < 0:
            raise ValueError(
                f"sampling_strategy={ratio:g} asks for fewer minority samples ({int(ratio * n_max)}"
                f") than there are ({n_min}); raise sampling_strategy"
            )
        X_min = X[labels == minority]
        self.minority_class_ = minority
        self.n_features_in_ = X.shape[1]
        self.neighbors_ = _minority_neighbors(X_min, k)
        self.sample_indices_ = rng.integers(0, n_min, n_new)
        self.neighbor_indices_ = self.neighbors_[self.sample_indices_, rng.integers(0, k, n_new)]
        self.steps_ = rng.random(n_new)
        start = X_min[self.sample_indices_]
        synthetic = start + self.steps_[:, None] * (X_min[self.neighbor_indices_] - start)
        if not np.isfinite(synthetic).all():
            raise ValueError("X is too large: differences between rows overflow; rescale X")
        X_out = np.vstack([X, synthetic])
        y_out = np.concatenate([labels, np.full(n_new, minority, dtype=labels.dtype)])
        return X_out, y_out


class FocalLogisticRegression(ClassifierMixin, BaseEstimator):
    r"""Logistic regression trained on the focal loss (or weighted log loss), L2-penalised.

    Minimises

    .. math::

        F(w, b) = C\,s \sum_{i=1}^n \alpha_{t,i}\,(1 - p_{t,i})^\gamma\,(-\log p_{t,i})
            + \tfrac12 \lVert w \rVert^2,

    with :math:`p_{t,i}` the predicted probability of the true class (see
    :func:`mlref.nn.focal_loss_with_logits`). ``gamma=0`` gives the weighted log loss; with
    ``class_weight={0: w0, 1: w1}`` the weights are :math:`\alpha = w_1/(w_0 + w_1)` and
    :math:`s = w_0 + w_1`, so it is scikit-learn's
    ``LogisticRegression(C=C, class_weight=...)`` exactly.

    Parameters
    ----------
    gamma : float >= 0, default=2.0
        Focusing parameter.
    alpha : float in [0, 1] or None, default=None
        Weight of the positive class (negatives get ``1 - alpha``); ``None`` weights both by 1.
        Ignored when ``class_weight`` is given.
    class_weight : {"balanced"}, dict {0: w0, 1: w1} or None, default=None
        Class weights as in scikit-learn.
    C : float > 0, default=1.0
        Inverse strength of the L2 penalty.
    max_iter : int, default=1000
        L-BFGS iterations.

    Attributes
    ----------
    coef_ : numpy.ndarray of shape (1, n_features)
    intercept_ : numpy.ndarray of shape (1,)
    classes_ : numpy.ndarray, ``[0, 1]``

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2)); y = (X[:, 0] + rng.normal(size=200) > 2).astype(int)
    >>> model = FocalLogisticRegression(gamma=2.0).fit(X, y)
    >>> model.predict_proba(X).shape
    (200, 2)
    """

    def __init__(
        self,
        *,
        gamma: float = 2.0,
        alpha: float | None = None,
        class_weight=None,
        C: float = 1.0,
        max_iter: int = 1000,
    ):
        self.gamma = gamma
        self.alpha = alpha
        self.class_weight = class_weight
        self.C = C
        self.max_iter = max_iter

    def _weights(self, labels: np.ndarray) -> tuple[float | None, float]:
        cw = self.class_weight
        if cw is None:
            if self.alpha is None:
                return None, 1.0
            return check_real(self.alpha, "alpha", low=0.0, high=1.0), 1.0
        if isinstance(cw, str):
            if cw != "balanced":
                raise ValueError(f"class_weight must be 'balanced', a dict or None, got {cw!r}")
            counts = np.bincount(labels, minlength=2)
            w0, w1 = labels.size / (2.0 * counts[0]), labels.size / (2.0 * counts[1])
        elif isinstance(cw, dict) and set(cw) == {0, 1}:
            w0 = check_real(cw[0], "class_weight[0]", low=0.0, low_inclusive=False)
            w1 = check_real(cw[1], "class_weight[1]", low=0.0, low_inclusive=False)
        else:
            raise ValueError(
                f"class_weight must be 'balanced', a dict {{0: w0, 1: w1}} or None, got {cw!r}"
            )
        return w1 / (w0 + w1), w0 + w1

    def fit(self, X, y):
        """Fit the coefficients by L-BFGS on the penalised focal loss."""
        X = check_array_2d(X, "X")
        labels = check_binary(y, "y", require_both=True)
        check_same_length(X=X, y=labels)
        gamma = check_real(self.gamma, "gamma", low=0.0)
        C = check_real(self.C, "C", low=0.0, low_inclusive=False)
        max_iter = check_positive_int(self.max_iter, "max_iter")
        alpha, scale = self._weights(labels)
        if np.abs(X).max() > 1e150:
            raise ValueError(
                "X holds values beyond 1e150: products overflow float64; standardize X"
            )
        n, d = X.shape
        factor = C * scale * n

        def objective(params):
            z = X @ params[:d] + params[d]
            loss = focal_loss_with_logits(z, labels, gamma=gamma, alpha=alpha)
            grad_z = factor * loss.grad
            grad = np.concatenate([X.T @ grad_z + params[:d], [grad_z.sum()]])
            return factor * loss.value + 0.5 * params[:d] @ params[:d], grad

        result = minimize(
            objective,
            np.zeros(d + 1),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": max_iter, "gtol": 1e-10, "ftol": 1e-14},
        )
        self.coef_ = result.x[:d][None, :]
        self.intercept_ = result.x[d:].copy()
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = d
        self.n_iter_ = int(result.nit)
        return self

    def decision_function(self, X):
        """Logits :math:`x^\\top w + b`."""
        check_is_fitted(self, "coef_")
        X = check_n_features(check_array_2d(X, "X"), self)
        return X @ self.coef_[0] + self.intercept_[0]

    def predict_proba(self, X):
        """Columns :math:`1 - p` and :math:`p`."""
        p = np.asarray(sigmoid(self.decision_function(X)))
        return np.column_stack([1.0 - p, p])

    def predict(self, X):
        """Label 1 where :math:`p \\ge 0.5`."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)
