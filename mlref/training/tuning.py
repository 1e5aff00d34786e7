r"""Bayesian hyper-parameter search in its simplest form: a Gaussian-process surrogate of the
validation loss and the expected-improvement rule for the next trial."""

from __future__ import annotations

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.special import erfc

from mlref._validation import check_array_1d, check_array_2d, check_real, check_same_length


def _rbf(A: np.ndarray, B: np.ndarray, length_scale: float) -> np.ndarray:
    squared = ((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=2)
    return np.exp(-0.5 * squared / length_scale**2)


def gaussian_process_posterior(
    X_train, y_train, X_query, *, length_scale: float = 1.0, noise: float = 1e-6
) -> tuple[np.ndarray, np.ndarray]:
    r"""Posterior mean and standard deviation of a zero-mean GP with an RBF kernel.

    With :math:`k(x, x') = \exp(-\lVert x - x'\rVert^2 / 2\ell^2)`, :math:`K` the kernel matrix of
    the training points and :math:`k_*` their kernel with a query point,

    .. math::

        \mu(x_*) = \bar y + k_*^\top (K + \sigma^2 I)^{-1} (y - \bar y), \qquad
        s^2(x_*) = 1 - k_*^\top (K + \sigma^2 I)^{-1} k_* ,

    the targets centred on their mean :math:`\bar y` (scikit-learn's
    ``GaussianProcessRegressor(kernel=RBF(l), alpha=noise, optimizer=None)`` without
    ``normalize_y`` centres nothing; with targets already centred both agree).

    Parameters
    ----------
    X_train : array-like of shape (n, d)
    y_train : array-like of shape (n,)
    X_query : array-like of shape (m, d)
    length_scale : float > 0, default 1.0
    noise : float > 0, default 1e-6
        Added to the diagonal (observation noise, and numerical jitter).

    Returns
    -------
    mean, std : ndarray of shape (m,)

    Examples
    --------
    >>> mean, std = gaussian_process_posterior([[0.0], [1.0]], [0.0, 1.0], [[0.0], [5.0]])
    >>> mean.round(3).tolist(), std.round(3).tolist()
    ([0.0, 0.5], [0.001, 1.0])
    """
    X_train = check_array_2d(X_train, "X_train")
    y_train = check_array_1d(y_train, "y_train")
    check_same_length(X_train=X_train, y_train=y_train)
    X_query = check_array_2d(X_query, "X_query")
    if X_query.shape[1] != X_train.shape[1]:
        raise ValueError(
            f"X_query has {X_query.shape[1]} columns but X_train has {X_train.shape[1]}; pass "
            "the same hyper-parameters in the same order"
        )
    length_scale = check_real(length_scale, "length_scale", low=0.0, low_inclusive=False)
    noise = check_real(noise, "noise", low=0.0, low_inclusive=False)
    K = _rbf(X_train, X_train, length_scale) + noise * np.eye(len(X_train))
    factor = cho_factor(K, lower=True)
    k_star = _rbf(X_train, X_query, length_scale)
    with np.errstate(over="ignore", invalid="ignore"):
        offset = y_train.mean()
        mean = offset + k_star.T @ cho_solve(factor, y_train - offset)
    if not np.isfinite(mean).all():
        raise ValueError(
            "y_train is too large: the posterior mean overflowed float64; rescale the losses"
        )
    variance = 1.0 - np.einsum("ij,ij->j", k_star, cho_solve(factor, k_star))
    return mean, np.sqrt(np.maximum(variance, 0.0))


def expected_improvement(mean, std, best: float) -> np.ndarray:
    r"""Expected improvement over ``best`` of a loss to be **minimised**, under a normal belief.

    .. math::

        \mathrm{EI} = (y^* - \mu)\,\Phi(z) + s\,\varphi(z), \qquad z = \frac{y^* - \mu}{s},

    and :math:`\max(y^* - \mu, 0)` where :math:`s = 0`.

    Parameters
    ----------
    mean, std : array-like of shape (m,)
        Posterior mean and standard deviation of the loss at the candidates.
    best : float
        The lowest loss observed so far, :math:`y^*`.

    Returns
    -------
    ndarray of shape (m,)

    Examples
    --------
    >>> expected_improvement([0.0, 1.0], [1.0, 0.0], best=0.5).round(4).tolist()
    [0.6978, 0.0]
    """
    mean = check_array_1d(mean, "mean")
    std = check_array_1d(std, "std")
    check_same_length(mean=mean, std=std)
    if (std < 0).any():
        raise ValueError("std must be >= 0 (a standard deviation)")
    best = check_real(best, "best")
    gain = best - mean
    safe = np.where(std > 0, std, 1.0)
    z = gain / safe
    cdf = 0.5 * erfc(-z / np.sqrt(2.0))
    pdf = np.exp(-0.5 * z**2) / np.sqrt(2.0 * np.pi)
    return np.where(std > 0, gain * cdf + std * pdf, np.maximum(gain, 0.0))
