r"""Permutation importance: how much a fitted model's score drops when one column is shuffled.

.. math::

    I_j = s(f, X, y) - \frac{1}{R} \sum_{r=1}^{R} s(f, X^{(j, r)}, y),

where :math:`X^{(j, r)}` is :math:`X` with column :math:`j` permuted. Unlike split-gain importance
it is measured on held-out data and in the metric you care about, and unlike ablation it needs
no retraining, but a feature correlated with another one looks unimportant (the model reads
the copy), which ablation reveals too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import get_scorer
from sklearn.utils import check_random_state as sklearn_random_state

from mlref._validation import (
    check_array_1d,
    check_array_2d,
    check_positive_int,
    check_same_length,
    check_seed,
)

__all__ = ["PermutationImportance", "permutation_importance"]


@dataclass(frozen=True)
class PermutationImportance:
    """Result of :func:`permutation_importance`.

    Attributes
    ----------
    importances : numpy.ndarray of shape (n_features, n_repeats)
        Baseline score minus the score with the column shuffled, per repeat.
    importances_mean, importances_std : numpy.ndarray of shape (n_features,)
    baseline_score : float
    """

    importances: np.ndarray
    importances_mean: np.ndarray
    importances_std: np.ndarray
    baseline_score: float


def _scorer(scoring, model):
    if scoring is None:
        if not callable(getattr(model, "score", None)):
            raise ValueError(
                f"model of type {type(model).__name__} has no score method; pass scoring "
                "(a scikit-learn scorer name such as 'roc_auc', or a callable)"
            )
        return lambda estimator, X, y: estimator.score(X, y)
    if isinstance(scoring, str):
        try:
            return get_scorer(scoring)
        except ValueError:
            raise ValueError(
                f"scoring {scoring!r} is not a scikit-learn scorer name; see "
                "sklearn.metrics.get_scorer_names()"
            ) from None
    if callable(scoring):
        return scoring
    raise ValueError(
        f"scoring must be None, a scorer name or a callable(estimator, X, y), got {scoring!r}"
    )


def permutation_importance(
    model, X, y, *, scoring=None, n_repeats=5, random_state=None
) -> PermutationImportance:
    r"""Permutation importance, equal to ``sklearn.inspection.permutation_importance``.

    The permutations are drawn exactly as scikit-learn draws them, so the same integer
    ``random_state`` gives the same numbers: one seed is drawn from
    ``RandomState(random_state)``, and every column restarts a ``RandomState`` from that seed and
    shuffles one index array in place ``n_repeats`` times (each repeat shuffles the already
    shuffled column again, which is still a uniform random permutation).

    Parameters
    ----------
    model : fitted estimator
    X : array-like of shape (n_rows, n_features)
        Held-out rows.
    y : array-like of shape (n_rows,)
    scoring : None, str or callable, default=None
        ``None`` uses ``model.score``; a string is a scikit-learn scorer name; a callable is
        ``scorer(model, X, y) -> float`` (higher is better).
    n_repeats : int, default=5
    random_state : int, numpy.random.RandomState or None

    Returns
    -------
    PermutationImportance

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(100, 2)); y = 3 * X[:, 0]
    >>> result = permutation_importance(LinearRegression().fit(X, y), X, y, random_state=0)
    >>> bool(result.importances_mean[0] > 1), float(result.importances_mean[1].round(6))
    (True, 0.0)
    """
    X = check_array_2d(X, "X")
    y = check_array_1d(y, "y", dtype=None)
    check_same_length(X=X, y=y)
    n_repeats = check_positive_int(n_repeats, "n_repeats")
    seed = check_seed(random_state)
    if isinstance(seed, np.random.Generator):
        raise ValueError(
            "random_state must be an int, a RandomState or None here (scikit-learn's "
            "permutations come from the legacy RandomState); pass e.g. random_state=0"
        )
    n_features_in = getattr(model, "n_features_in_", X.shape[1])
    if n_features_in != X.shape[1]:
        raise ValueError(
            f"X has {X.shape[1]} features, but the model is expecting {n_features_in} features "
            "as input (as in fit)"
        )
    scorer = _scorer(scoring, model)
    baseline = float(scorer(model, X, y))
    column_seed = sklearn_random_state(seed).randint(np.iinfo(np.int32).max + 1)
    importances = np.empty((X.shape[1], n_repeats))
    for j in range(X.shape[1]):
        generator = sklearn_random_state(column_seed)
        shuffled = X.copy()
        order = np.arange(X.shape[0])
        for r in range(n_repeats):
            generator.shuffle(order)
            shuffled[:, j] = shuffled[order, j]
            importances[j, r] = baseline - float(scorer(model, shuffled, y))
    return PermutationImportance(
        importances, importances.mean(axis=1), importances.std(axis=1), baseline
    )
