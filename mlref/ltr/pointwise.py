r"""Pointwise learning to rank: score each document on its own, by regression or classification.

The simplest reduction of ranking (source section 3A): fit :math:`s_i = f(x_i)` to each
document's label, ignoring the other documents of its query, then sort by :math:`s`. The losses
below are losses over scores in the sense of :mod:`mlref.ltr.scorers`, so any scorer (linear,
MLP) plugs in.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from mlref._validation import check_option
from mlref.ltr.scorers import QueryBatch, ScorerRanker

__all__ = ["PointwiseRanker", "logistic_loss", "squared_error_loss"]


def squared_error_loss(scores: np.ndarray, batch: QueryBatch) -> tuple[float, np.ndarray]:
    r"""Mean squared error between the scores and the relevance labels, and its gradient.

    .. math::

        L = \frac{1}{n} \sum_r (s_r - y_r)^2, \qquad
        \frac{\partial L}{\partial s_r} = \frac{2 (s_r - y_r)}{n}

    Examples
    --------
    >>> from mlref.ltr.groups import QueryGroups
    >>> batch = QueryBatch.from_queries(np.array([2.0, 0.0]), QueryGroups.from_ids([0, 0]))
    >>> loss, grad = squared_error_loss(np.array([1.0, 0.0]), batch)
    >>> float(loss), grad.tolist()
    (0.5, [-1.0, 0.0])
    """
    residual = scores - batch.y
    return float(np.mean(residual * residual)), 2.0 * residual / len(residual)


def logistic_loss(scores: np.ndarray, batch: QueryBatch) -> tuple[float, np.ndarray]:
    r"""Mean log-loss of :math:`P(\text{relevant}) = \sigma(s)` for the target :math:`t = [y > 0]`.

    .. math::

        L = \frac{1}{n} \sum_r \bigl[\log(1 + e^{s_r}) - t_r s_r\bigr], \qquad
        \frac{\partial L}{\partial s_r} = \frac{\sigma(s_r) - t_r}{n}

    computed as ``logaddexp(0, s)``, finite for any finite score.

    Examples
    --------
    >>> from mlref.ltr.groups import QueryGroups
    >>> batch = QueryBatch.from_queries(np.array([2.0, 0.0]), QueryGroups.from_ids([0, 0]))
    >>> loss, grad = logistic_loss(np.array([0.0, 0.0]), batch)
    >>> round(loss, 4), grad.tolist()
    (0.6931, [-0.25, 0.25])
    """
    target = (batch.y > 0).astype(np.float64)
    loss = np.mean(np.logaddexp(0.0, scores) - target * scores)
    return float(loss), (expit(scores) - target) / len(scores)


class PointwiseRanker(ScorerRanker):
    r"""Pointwise ranker: regression on the grades, or relevant/not classification.

    ``objective="regression"`` minimises the mean squared error :math:`(s - y)^2`
    (:func:`squared_error_loss`); ``objective="classification"`` minimises the log-loss of
    :math:`\sigma(s)` for the binary target :math:`y > 0` (:func:`logistic_loss`). Each document
    is scored alone; ``group`` is validated for interface uniformity but not used by the loss.

    Parameters
    ----------
    objective : {"regression", "classification"}, default="regression"
    scorer : {"linear", "mlp"} or scorer instance, default="linear"
        See :func:`mlref.ltr.scorers.build_scorer`.
    n_epochs : int, default=200
        Adam steps (full batch) or passes over the queries (mini-batches).
    learning_rate : float, default=0.01
    batch_queries : int or None, default=None
        Queries per mini-batch; ``None`` is full batch.
    alpha : float, default=0.0
        L2 penalty on the weights (biases excluded).
    random_state : int, numpy.random.Generator or None, default=None
        Seeds the MLP initialisation and the mini-batch shuffling.

    Attributes
    ----------
    scorer_, loss_curve_, feature_mean_, feature_scale_, n_features_in_
        See :class:`mlref.ltr.scorers.ScorerRanker`.

    Notes
    -----
    *Binary, not ordinal, classification.* Grades are collapsed to relevant (:math:`y > 0`) or
    not. It is the "treat as classification (relevant/not)" of the source, and the score is a
    calibrated-ish log-odds; the price is that a grade-2 document is worth no more than a
    grade-1 one, which NDCG's exponential gain rewards. Regression keeps the grades but pays for
    getting absolute values right, which a ranking never needs (the source's "cons": pointwise
    losses ignore the relative order within a query).

    ``predict`` returns the log-odds for classification; ``scipy.special.expit`` of it is
    :math:`P(y > 0)`. The order, hence every ranking metric, is the same.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 3))
    >>> y = (X[:, 0] > 0).astype(float) + (X[:, 0] > 1)
    >>> ranker = PointwiseRanker(random_state=0).fit(X, y, group=np.repeat(np.arange(6), 10))
    >>> bool(np.argmax(np.abs(ranker.scorer_.params[0])) == 0)
    True
    """

    def __init__(
        self,
        *,
        objective="regression",
        scorer="linear",
        n_epochs=200,
        learning_rate=0.01,
        batch_queries=None,
        alpha=0.0,
        random_state=None,
    ):
        self.objective = objective
        self.scorer = scorer
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.batch_queries = batch_queries
        self.alpha = alpha
        self.random_state = random_state

    def _make_loss(self, y, groups, rng):
        check_option(self.objective, "objective", ("regression", "classification"))
        if self.objective == "regression":
            return squared_error_loss
        relevant = int((y > 0).sum())
        if relevant in (0, len(y)):
            raise ValueError(
                f"objective='classification' needs relevant (y > 0) and irrelevant (y = 0) rows; "
                f"y has {relevant} relevant of {len(y)}: use objective='regression'"
            )
        return logistic_loss
