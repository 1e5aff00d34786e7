r"""Logistic and softmax regression from scratch, with the scikit-learn estimator API.

The source (section 4A) lists logistic regression as the fast, interpretable baseline of search
and ads classifiers (click, conversion, query intent). This module fits it the textbook way,
full-batch gradient descent on the regularised log-loss, but carefully enough to land on the same
solution as :class:`sklearn.linear_model.LogisticRegression`:

* a numerically stable sigmoid, log-loss and log-softmax (no overflow for any finite logit),
* a step of :math:`1/L` from a Lipschitz bound of the gradient, so no learning rate to tune,
* Nesterov acceleration with adaptive restart (FISTA), and proximal steps (soft-thresholding) for
  the L1 penalty, which has no gradient at zero,
* a stopping rule on the norm of the (proximal) gradient, the same quantity scikit-learn's
  L-BFGS solver checks against ``tol``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy import optimize, sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from mlref._validation import (
    as_array,
    check_array_2d,
    check_bool,
    check_class_labels,
    check_n_features,
    check_option,
    check_positive_int,
    check_real,
    check_same_length,
    check_sample_weight,
    check_seed,
)
from mlref.nn.functional import log_softmax, sigmoid

__all__ = ["LogisticRegression", "SoftmaxRegression"]

_PENALTIES = ("l2", "l1", None)
_SOLVERS = ("auto", "lbfgs", "fista")


# --------------------------------------------------------------------------------------------
# Objectives and solver
# --------------------------------------------------------------------------------------------


def _with_intercept_column(X: np.ndarray, fit_intercept: bool) -> np.ndarray:
    return np.hstack([X, np.ones((X.shape[0], 1))]) if fit_intercept else X


def _binary_objective_and_gradient(
    params, X1, y01, *, C, penalty, fit_intercept, sample_weight=None
):  # fmt: skip
    """Objective ``C * sum(s * log-loss) + penalty(w)`` and its gradient for the binary model.

    ``params`` holds the coefficients then (if ``fit_intercept``) the intercept, matching the
    columns of ``X1`` (``X`` with a column of ones appended); ``sample_weight`` (``s``, default
    1) scales each row's log-loss. For ``penalty="l1"`` the gradient of ``|w|`` is ``sign(w)``,
    the gradient wherever no coefficient is exactly 0.
    """
    z = X1 @ params
    # log-loss of one sample: -[y log p + (1 - y) log(1 - p)] = log(1 + e^z) - y z
    losses, residuals = np.logaddexp(0.0, z) - y01 * z, sigmoid(z) - y01
    if sample_weight is not None:
        losses, residuals = sample_weight * losses, sample_weight * residuals
    value = C * np.sum(losses)
    grad = C * (X1.T @ residuals)
    w = params[:-1] if fit_intercept else params
    n_coef = w.shape[0]
    if penalty == "l2":
        value += 0.5 * w @ w
        grad[:n_coef] += w
    elif penalty == "l1":
        value += np.abs(w).sum()
        grad[:n_coef] += np.sign(w)
    return value, grad


def _softmax_objective_and_gradient(params, X1, Y, *, C, fit_intercept):
    """Objective ``C * sum(cross-entropy) + ||W||^2 / 2`` and its gradient (multinomial model).

    ``params`` has shape (n_classes, n_columns of X1), the last column being the intercepts if
    ``fit_intercept``; ``Y`` is the one-hot label matrix (n_samples, n_classes).
    """
    log_p = log_softmax(X1 @ params.T, axis=1)
    value = -C * np.sum(Y * log_p)
    grad = C * ((np.exp(log_p) - Y).T @ X1)
    W = params[:, :-1] if fit_intercept else params
    value += 0.5 * np.sum(W * W)
    grad[:, : W.shape[1]] += W
    return value, grad


def _soft_threshold(x: np.ndarray, threshold) -> np.ndarray:
    """``sign(x) * max(|x| - threshold, 0)``, with exact (positive) zeros."""
    return np.where(np.abs(x) > threshold, x - np.sign(x) * threshold, 0.0)


def _accelerated_proximal_gradient(
    gradient: Callable[[np.ndarray], np.ndarray],
    prox: Callable[[np.ndarray, float], np.ndarray],
    x0: np.ndarray,
    *,
    step: float,
    tol: float,
    max_iter: int,
    tol_weights: np.ndarray,
) -> tuple[np.ndarray, int, bool]:
    """FISTA with gradient-based adaptive restart (O'Donoghue and Candès, 2015).

    Stops when the proximal-gradient mapping at the extrapolated point, ``(y - prox(y - step *
    grad(y))) / step``, times ``tol_weights`` has max-norm at most ``tol`` (for a smooth
    objective the mapping is the gradient). Returns the solution, the number of iterations and
    whether it converged.
    """
    x, y, t = x0, x0, 1.0
    for iteration in range(1, max_iter + 1):
        x_next = prox(y - step * gradient(y), step)
        if np.max(np.abs(tol_weights * (y - x_next))) <= tol * step:
            return x_next, iteration, True
        if np.vdot(y - x_next, x_next - x) > 0:
            # The momentum points uphill: restart it from the current iterate.
            y, t = x_next, 1.0
        else:
            t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            y = x_next + ((t - 1.0) / t_next) * (x_next - x)
            t = t_next
        x = x_next
    return x, max_iter, False


def _lbfgs(
    objective_and_gradient, x0, *, tol: float, max_iter: int
) -> tuple[np.ndarray, int, bool]:
    """Minimise a smooth objective with SciPy's L-BFGS-B from ``x0``.

    Stops when the max-norm of the gradient is at most ``tol`` (L-BFGS-B's ``pgtol``) or the
    objective stops decreasing (relative change below 64 machine epsilons), the settings
    scikit-learn's ``lbfgs`` solver uses. Returns the solution, the iterations and whether it
    stopped before ``max_iter``.
    """
    result = optimize.minimize(
        objective_and_gradient,
        x0,
        method="L-BFGS-B",
        jac=True,
        options={"maxiter": max_iter, "maxls": 50, "gtol": tol, "ftol": 64 * np.finfo(float).eps},
    )
    return result.x, int(result.nit), result.nit < max_iter


# --------------------------------------------------------------------------------------------
# Estimators
# --------------------------------------------------------------------------------------------


def _check_C(C) -> float:
    return check_real(
        C,
        "C",
        low=0,
        low_inclusive=False,
        hint=" (the inverse regularisation strength); for no regularisation use penalty=None",
    )


def _check_positive_real(value, name: str) -> float:
    return check_real(value, name, low=0, low_inclusive=False)


def _check_features(X) -> np.ndarray:
    """``X`` as a finite 2-D float array, refusing what NumPy would silently convert."""
    if sparse.issparse(X):
        raise ValueError(
            "X is a sparse matrix, which is not supported; pass a dense array (X.toarray())"
        )
    arr = as_array(X, "X", None)
    if arr.dtype.kind == "c":
        raise ValueError("Complex data not supported: X holds complex numbers; pass real values")
    return check_array_2d(arr, "X")


def _encode_labels(y, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted classes and each sample's class index, for labels of any one type."""
    if y is None:
        raise ValueError("this classifier requires y to be passed, but the target y is None")
    arr = check_class_labels(y, "y")
    check_same_length(X=np.empty(n_samples), y=arr)
    return np.unique(arr, return_inverse=True)


def _check_X_for_predict(estimator, X) -> np.ndarray:
    check_is_fitted(estimator)
    X = _check_features(X)
    return check_n_features(X, estimator)


class _Preconditioned(NamedTuple):
    """A fit's design in centred, rescaled coordinates ``v = scales * params``."""

    X1: np.ndarray  # centred X (if fit_intercept) with a column of ones appended
    offsets: np.ndarray  # the column means subtracted from X
    scales: np.ndarray  # one per column of X1
    step: float  # 1 / L for the objective divided by C * n, in the v coordinates


def _precondition(
    X, *, fit_intercept, curvature, l2, C, sample_weight=None, with_step=True
) -> _Preconditioned:
    r"""Centre and rescale the columns so that one gradient step size suits every coefficient.

    The Hessian of :math:`F / (C n)` is bounded by :math:`B = \kappa \tilde X^\top \tilde X / n +
    P / (C n)` (:math:`\kappa` the curvature bound of the loss, :math:`P` the identity on the
    penalised coefficients for l2, else 0). Centring the features (when there is an intercept)
    and dividing each coordinate by :math:`\sqrt{B_{jj}}` are exact changes of variables that
    give the bound a unit diagonal; the step is :math:`1 / \lambda_{\max}` of the rescaled bound.
    With sample weights :math:`s`, :math:`\tilde X^\top \tilde X / n` becomes
    :math:`\tilde X^\top S \tilde X / \sum_i s_i` and the centre the weighted mean.
    ``with_step=False`` (L-BFGS, which needs no step) computes only the diagonal of :math:`B`:
    :math:`O(n d)` instead of the :math:`O(n d^2)` product and the :math:`O(d^3)` eigenvalue.
    """
    n_samples, n_features = X.shape
    with np.errstate(over="ignore", invalid="ignore"):
        if sample_weight is None:
            offsets = X.mean(axis=0) if fit_intercept else np.zeros(n_features)
            X1 = _with_intercept_column(X - offsets, fit_intercept)
            weighted = X1
        else:
            n_samples = sample_weight.sum()
            offsets = sample_weight @ X / n_samples if fit_intercept else np.zeros(n_features)
            X1 = _with_intercept_column(X - offsets, fit_intercept)
            weighted = sample_weight[:, None] * X1
        if with_step:
            bound = curvature * (X1.T @ weighted) / n_samples
            diagonal = np.diag(bound)
        else:  # only the diagonal: O(n d), no d x d product
            bound = None
            diagonal = curvature * np.einsum("ij,ij->j", X1, weighted) / n_samples
    # The matrix is positive semi-definite, so its diagonal bounds every entry (Cauchy-Schwarz).
    if not np.isfinite(diagonal).all():
        raise ValueError(
            f"X holds values up to {np.abs(X).max():.3g}, so products of features overflow "
            "float64 (above 1.8e308) and no step size can be computed; standardize X first, "
            "e.g. with mlref.features.Standardizer"
        )
    penalty = np.zeros_like(diagonal)
    if l2:
        penalty[:n_features] = 1.0 / (C * n_samples)
    diagonal = diagonal + penalty
    scales = np.sqrt(np.where(diagonal > 0, diagonal, 1.0))
    if bound is None:
        return _Preconditioned(X1, offsets, scales, np.nan)
    bound = bound + np.diag(penalty)
    lipschitz = float(np.linalg.eigvalsh(bound / np.outer(scales, scales))[-1])
    return _Preconditioned(X1, offsets, scales, 1.0 / lipschitz if lipschitz > 0 else 1.0)


def _warn_not_converged(estimator, max_iter: int) -> None:
    warnings.warn(
        f"{type(estimator).__name__} did not converge in max_iter={max_iter} iterations; "
        "raise max_iter, standardise the features, or (penalty=None) check whether the classes "
        "are linearly separable, in which case no finite solution exists",
        ConvergenceWarning,
        stacklevel=3,
    )


class LogisticRegression(ClassifierMixin, BaseEstimator):
    r"""Binary logistic regression fitted by L-BFGS, or by accelerated (proximal) gradient descent.

    Minimises the objective of scikit-learn's ``LogisticRegression``,

    .. math::

        F(w, b) = C \sum_{i=1}^{n} s_i \Big[\log\big(1 + e^{z_i}\big) - y_i z_i\Big] + R(w),
        \qquad z_i = x_i^\top w + b,

    with :math:`y_i \in \{0, 1\}`, sample weights :math:`s_i` (1 unless ``fit`` is given
    ``sample_weight``) and :math:`R(w) = \tfrac12 \lVert w \rVert_2^2` (``"l2"``),
    :math:`\lVert w \rVert_1` (``"l1"``) or 0 (``None``). The intercept :math:`b` is never
    penalised. The model is :math:`P(y = 1 \mid x) = \sigma(x^\top w + b)`.

    Parameters
    ----------
    penalty : {"l2", "l1", None}, default="l2"
        Regularisation of the coefficients.
    C : float, default=1.0
        Inverse regularisation strength (> 0): larger C, weaker penalty. Ignored numerically by
        ``penalty=None`` (it only rescales the objective).
    fit_intercept : bool, default=True
        Whether to fit the unpenalised intercept :math:`b`.
    max_iter : int, default=10000
        Maximum number of iterations.
    tol : float, default=1e-6
        Stop when the max-norm of the (proximal) gradient of :math:`F / (C n)`, the mean log-loss
        plus the penalty over :math:`C n`, is at most ``tol``: the quantity scikit-learn's L-BFGS
        solver compares with its ``tol`` (taken here with respect to the coefficients of the
        centred features, see Notes). L-BFGS also stops when :math:`F` no longer decreases
        (relative change below 64 machine epsilons), as scikit-learn's.
    solver : {"auto", "lbfgs", "fista"}, default="auto"
        ``"lbfgs"``: SciPy's L-BFGS-B on the objective and gradient written here (smooth
        penalties only). ``"fista"``: accelerated proximal gradient descent (any penalty).
        ``"auto"``: ``"fista"`` for ``penalty="l1"`` or a given ``learning_rate``, else
        ``"lbfgs"``.
    learning_rate : float or None, default=None
        Step size of ``"fista"``, in its preconditioned coordinates (see Notes). ``None`` uses
        :math:`1 / L`, the largest step that provably converges; a larger one may diverge.
    random_state : int, numpy.random.Generator or None, default=None
        Unused: full-batch gradient descent from zero is deterministic. Kept for the API.

    Attributes
    ----------
    classes_ : numpy.ndarray of shape (2,)
        The two labels, sorted; ``classes_[1]`` is the positive class.
    coef_ : numpy.ndarray of shape (1, n_features)
        Coefficients :math:`w`.
    intercept_ : numpy.ndarray of shape (1,)
        Intercept :math:`b` (0 if ``fit_intercept=False``).
    n_iter_ : int
        Number of gradient iterations run.
    n_features_in_ : int
        Number of features seen in ``fit``.

    Notes
    -----
    **L-BFGS.** The objective and its gradient are the few NumPy lines of
    ``_binary_objective_and_gradient``; L-BFGS (SciPy) builds a curvature model from the last
    gradients and needs far fewer passes over the data than gradient descent. It is the default
    for the smooth penalties, as in scikit-learn.

    **FISTA.** The gradient of the log-loss is Lipschitz: the Hessian of :math:`F` is at most
    :math:`C \tilde X^\top \tilde X / 4 + I` (the sigmoid's slope is at most 1/4; :math:`I` on
    the coefficients for l2), with :math:`\tilde X` the features plus a column of ones. Gradient
    descent with step :math:`1/L`, :math:`L = C \sigma_{\max}(\tilde X)^2 / 4 + 1`, decreases
    :math:`F` at every step without any tuning. Nesterov momentum (FISTA) makes it much faster,
    and restarting the momentum whenever it points uphill gives linear convergence on these
    strongly convex problems. The L1 penalty has no gradient at 0; its proximal step is
    soft-thresholding, :math:`w_j \leftarrow \operatorname{sign}(w_j) \max(|w_j| - \eta, 0)`,
    which sets coefficients exactly to zero (sparse models).

    **Preconditioning.** One step size for all coefficients crawls when features have very
    different scales, or a large mean (a feature around 100 is nearly collinear with the
    intercept). So the solver works in exact changes of variables: features are centred (the
    intercept absorbs the shift, :math:`b = b' - \mu^\top w`) and each coordinate is divided by
    :math:`\sqrt{B_{jj}}`, where :math:`B` is the Hessian bound above for :math:`F / (C n)`;
    :math:`L` is then the largest eigenvalue of the rescaled bound, whose diagonal is 1. The
    objective, hence the solution, is unchanged: only the path to it is shorter (Jacobi
    preconditioning). Strongly correlated features still slow it down, as they slow L-BFGS.

    **Why not the source's snippet.** It runs a fixed number of epochs with a fixed learning rate
    and no regularisation: the result depends on ``lr`` and ``epochs``, and on separable data the
    weights grow without bound. Here the step comes from :math:`L`, the loop stops on the
    gradient norm, and a :class:`~sklearn.exceptions.ConvergenceWarning` says when it did not.

    **scikit-learn 1.9.** ``LogisticRegression(penalty=...)`` is deprecated there since 1.8; the
    same models are ``l1_ratio=0`` (l2), ``l1_ratio=1, solver="saga"`` (l1) and ``C=np.inf``
    (no penalty).

    Examples
    --------
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0], [0.5], [-0.5]])
    >>> y = np.array(["no", "no", "yes", "yes", "no", "yes"])
    >>> model = LogisticRegression(C=10.0).fit(X, y)
    >>> model.classes_.tolist(), model.predict([[3.0], [-3.0]]).tolist()
    (['no', 'yes'], ['yes', 'no'])
    >>> model.predict_proba([[0.0]]).round(3).tolist()
    [[0.5, 0.5]]
    """

    def __init__(
        self,
        *,
        penalty="l2",
        C=1.0,
        fit_intercept=True,
        max_iter=10_000,
        tol=1e-6,
        solver="auto",
        learning_rate=None,
        random_state=None,
    ):
        self.penalty = penalty
        self.C = C
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.solver = solver
        self.learning_rate = learning_rate
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def fit(self, X, y, sample_weight=None):
        """Fit the model to features ``X`` (n_samples, n_features) and two-class labels ``y``.

        ``sample_weight`` (n_samples,), optional, scales each row's log-loss (weights >= 0):
        an integer weight k is the row repeated k times, as in scikit-learn.

        Raises
        ------
        ValueError
            For a bad ``X`` (not 2-D, empty, NaN/inf), a length mismatch, labels with other
            than exactly two classes (or a class whose rows all weigh 0), a bad
            ``sample_weight`` (negative, NaN, summing to 0) or an invalid hyperparameter.
        """
        penalty = check_option(self.penalty, "penalty", _PENALTIES)
        C = _check_C(self.C)
        max_iter = check_positive_int(self.max_iter, "max_iter")
        tol = _check_positive_real(self.tol, "tol")
        solver = check_option(self.solver, "solver", _SOLVERS)
        if solver == "auto":
            solver = "fista" if penalty == "l1" or self.learning_rate is not None else "lbfgs"
        if solver == "lbfgs" and penalty == "l1":
            raise ValueError(
                "solver='lbfgs' needs a smooth objective, and penalty='l1' has no gradient at 0; "
                "use solver='fista' (or 'auto') with penalty='l1'"
            )
        check_seed(self.random_state)
        X = _check_features(X)
        classes, y_index = _encode_labels(y, X.shape[0])
        if classes.size != 2:
            hint = (
                "fit on samples of both classes"
                if classes.size < 2
                else "Only binary classification is supported; use SoftmaxRegression for more"
            )
            raise ValueError(
                f"y must hold exactly two classes, got {classes.size} class(es); {hint}"
            )

        n_samples, n_features = X.shape
        weight = check_sample_weight(sample_weight, n_samples)
        y01 = y_index.astype(np.float64)
        if weight is not None and min(weight @ y01, weight @ (1 - y01)) <= 0:
            raise ValueError(
                "sample_weight gives every row of one class a weight of 0, so the model sees one "
                "class; give both classes some positive weight"
            )
        fit_intercept = check_bool(self.fit_intercept, "fit_intercept")
        pre = _precondition(
            X, fit_intercept=fit_intercept, curvature=0.25, l2=penalty == "l2", C=C,
            sample_weight=weight, with_step=solver == "fista",
        )  # fmt: skip
        step = pre.step
        if self.learning_rate is not None:
            step = _check_positive_real(self.learning_rate, "learning_rate")
        total_weight = n_samples if weight is None else weight.sum()
        mean_scale = 1.0 / (C * total_weight)
        smooth_penalty = "l2" if penalty == "l2" else None
        l1_thresholds = mean_scale / pre.scales[:n_features]

        def prox(v, eta):
            if penalty != "l1":
                return v
            out = v.copy()
            out[:n_features] = _soft_threshold(v[:n_features], eta * l1_thresholds)
            return out

        start = np.zeros(pre.X1.shape[1])
        if fit_intercept:
            # The base rate's log-odds: the best intercept while all coefficients are 0.
            base_rate = y01.mean() if weight is None else weight @ y01 / total_weight
            start[-1] = np.log(base_rate) - np.log1p(-base_rate)

        def objective_and_gradient(v):
            value, grad = _binary_objective_and_gradient(
                v / pre.scales,
                pre.X1,
                y01,
                C=C,
                penalty=smooth_penalty,
                fit_intercept=fit_intercept,
                sample_weight=weight,
            )
            return mean_scale * value, mean_scale * grad / pre.scales

        def gradient(v):
            return objective_and_gradient(v)[1]

        if solver == "lbfgs":
            # L-BFGS-B checks the gradient in v; scaled back it must still be at most tol.
            v, n_iter, converged = _lbfgs(
                objective_and_gradient,
                start * pre.scales,
                tol=tol / pre.scales.max(),
                max_iter=max_iter,
            )
        else:
            v, n_iter, converged = _accelerated_proximal_gradient(
                gradient,
                prox,
                start * pre.scales,
                step=step,
                tol=tol,
                max_iter=max_iter,
                tol_weights=pre.scales,
            )
        if not converged:
            _warn_not_converged(self, max_iter)
        params = v / pre.scales
        coef = params[:n_features]

        self.classes_ = classes
        self.coef_ = coef.reshape(1, -1)
        self.intercept_ = np.array([params[-1] - pre.offsets @ coef if fit_intercept else 0.0])
        self.n_iter_ = n_iter
        self.n_features_in_ = n_features
        return self

    def decision_function(self, X) -> np.ndarray:
        """Logits :math:`x^\\top w + b` of the positive class ``classes_[1]``, shape (n,)."""
        X = _check_X_for_predict(self, X)
        return X @ self.coef_[0] + self.intercept_[0]

    def predict_proba(self, X) -> np.ndarray:
        """Probabilities of ``classes_[0]`` and ``classes_[1]``, shape (n_samples, 2)."""
        z = self.decision_function(X)
        return np.column_stack([sigmoid(-z), sigmoid(z)])

    def predict_log_proba(self, X) -> np.ndarray:
        """Log-probabilities, computed stably as ``-log(1 + exp(-/+z))``."""
        z = self.decision_function(X)
        return np.column_stack([-np.logaddexp(0.0, z), -np.logaddexp(0.0, -z)])

    def predict(self, X) -> np.ndarray:
        """Most probable label: ``classes_[1]`` where the logit is > 0."""
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(np.int64)]


class SoftmaxRegression(ClassifierMixin, BaseEstimator):
    r"""Multinomial (softmax) logistic regression with an L2 penalty, by accelerated gradients.

    Minimises the objective of scikit-learn's multinomial ``LogisticRegression``,

    .. math::

        F(W, b) = -C \sum_{i=1}^{n} \log \operatorname{softmax}(W x_i + b)_{y_i}
        + \tfrac12 \lVert W \rVert_F^2,

    with one row of :math:`W` and one intercept per class; intercepts are not penalised.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength (> 0).
    fit_intercept : bool, default=True
        Whether to fit the per-class intercepts.
    max_iter : int, default=10000
        Maximum number of gradient iterations.
    tol : float, default=1e-6
        Stop when the max-norm of the gradient of :math:`F / (C n)` is at most ``tol`` (as in
        :class:`LogisticRegression`).
    learning_rate : float or None, default=None
        Step size in the solver's preconditioned coordinates; ``None`` uses :math:`1/L` (see
        :class:`LogisticRegression` for the solver).
    random_state : int, numpy.random.Generator or None, default=None
        Unused (the fit is deterministic); kept for the API.

    Attributes
    ----------
    classes_ : numpy.ndarray of shape (n_classes,)
        Sorted labels.
    coef_ : numpy.ndarray of shape (n_classes, n_features)
        One coefficient row per class; each column sums to 0 over the classes.
    intercept_ : numpy.ndarray of shape (n_classes,)
        Per-class intercepts, summing to 0 (all 0 if ``fit_intercept=False``).
    n_iter_ : int
        Number of gradient iterations run.
    n_features_in_ : int
        Number of features seen in ``fit``.

    Notes
    -----
    **Over-parameterisation.** Adding the same vector to every row of :math:`W` (or the same
    number to every intercept) leaves all probabilities unchanged. The L2 penalty picks the
    smallest-norm representative, the one whose rows sum to zero; the unpenalised intercepts are
    not identified by the data, and both this class and scikit-learn report the zero-sum ones
    (gradient steps from zero never leave that subspace; the fit re-centres them exactly).

    **Solver.** The same accelerated, preconditioned gradient descent as
    :class:`LogisticRegression`. The Hessian of the cross-entropy in the logits,
    :math:`\operatorname{diag}(p) - p p^\top`, has eigenvalues at most 1/2 (Böhning's bound),
    so :math:`L = C \sigma_{\max}(\tilde X)^2 / 2 + 1` before preconditioning.

    **Two classes.** With two classes the model is a logistic regression in the logit
    difference :math:`w = W_1 - W_0 = 2 W_1`, whose penalty is
    :math:`\tfrac12(\lVert W_0 \rVert^2 + \lVert W_1 \rVert^2) = \tfrac14 \lVert w \rVert^2`:
    it equals :class:`LogisticRegression` with ``C`` doubled, not with the same ``C``.

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.1, 0.1], [0.9, 0.1], [0.1, 0.9]])
    >>> y = np.array(["a", "b", "c", "a", "b", "c"])
    >>> model = SoftmaxRegression(C=100.0).fit(X, y)
    >>> model.predict([[1.0, 0.1], [0.0, 0.9]]).tolist()
    ['b', 'c']
    >>> bool(np.allclose(model.coef_.sum(axis=0), 0.0))
    True
    """

    def __init__(
        self,
        *,
        C=1.0,
        fit_intercept=True,
        max_iter=10_000,
        tol=1e-6,
        learning_rate=None,
        random_state=None,
    ):
        self.C = C
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.learning_rate = learning_rate
        self.random_state = random_state

    def fit(self, X, y):
        """Fit the model to features ``X`` (n_samples, n_features) and labels ``y`` (>= 2 classes).

        Raises
        ------
        ValueError
            For a bad ``X`` (not 2-D, empty, NaN/inf), a length mismatch, a single class, or an
            invalid hyperparameter.
        """
        C = _check_C(self.C)
        max_iter = check_positive_int(self.max_iter, "max_iter")
        tol = _check_positive_real(self.tol, "tol")
        check_seed(self.random_state)
        X = _check_features(X)
        classes, y_index = _encode_labels(y, X.shape[0])
        if classes.size < 2:
            raise ValueError(
                f"y must hold at least two classes, got 1 class ({classes[0]!r}); "
                "fit on data with samples of several classes"
            )

        n_samples, n_features = X.shape
        n_classes = classes.size
        fit_intercept = check_bool(self.fit_intercept, "fit_intercept")
        pre = _precondition(X, fit_intercept=fit_intercept, curvature=0.5, l2=True, C=C)
        step = pre.step
        if self.learning_rate is not None:
            step = _check_positive_real(self.learning_rate, "learning_rate")
        Y = np.zeros((n_samples, n_classes))
        Y[np.arange(n_samples), y_index] = 1.0
        mean_scale = 1.0 / (C * n_samples)

        def gradient(v):
            _, grad = _softmax_objective_and_gradient(
                v / pre.scales, pre.X1, Y, C=C, fit_intercept=fit_intercept
            )
            return mean_scale * grad / pre.scales

        start = np.zeros((n_classes, pre.X1.shape[1]))
        if fit_intercept:
            log_freq = np.log(Y.mean(axis=0))
            start[:, -1] = log_freq - log_freq.mean()
        v, n_iter, converged = _accelerated_proximal_gradient(
            gradient,
            lambda v, eta: v,
            start * pre.scales,
            step=step,
            tol=tol,
            max_iter=max_iter,
            tol_weights=pre.scales,
        )
        if not converged:
            _warn_not_converged(self, max_iter)
        params = v / pre.scales
        # Probabilities are invariant to a shift shared by all classes: report the zero-sum one.
        params -= params.mean(axis=0, keepdims=True)
        coef = params[:, :n_features]

        self.classes_ = classes
        self.coef_ = coef.copy()
        self.intercept_ = (
            params[:, -1] - coef @ pre.offsets if fit_intercept else np.zeros(n_classes)
        )
        self.n_iter_ = n_iter
        self.n_features_in_ = n_features
        return self

    def _logits(self, X) -> np.ndarray:
        X = _check_X_for_predict(self, X)
        return X @ self.coef_.T + self.intercept_

    def decision_function(self, X) -> np.ndarray:
        """Per-class logits :math:`W x + b`, shape (n_samples, n_classes).

        With two classes, as everywhere in scikit-learn, the logit of ``classes_[1]`` against
        ``classes_[0]`` instead, shape (n_samples,).
        """
        logits = self._logits(X)
        return logits[:, 1] - logits[:, 0] if logits.shape[1] == 2 else logits

    def predict_log_proba(self, X) -> np.ndarray:
        """Log-probabilities by stable log-softmax, shape (n_samples, n_classes)."""
        return log_softmax(self._logits(X), axis=1)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes); rows sum to 1."""
        return np.exp(self.predict_log_proba(X))

    def predict(self, X) -> np.ndarray:
        """Most probable label per sample."""
        best = np.argmax(self._logits(X), axis=1)
        return self.classes_[best]
