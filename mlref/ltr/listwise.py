r"""Listwise learning to rank: the ListNet and ListMLE losses and the rankers trained on them.

A listwise loss looks at a query's whole candidate list at once. Both losses here turn the
scores of a list into a probability model over the list with the softmax (Plackett–Luce) and
compare it with what the labels say:

* **ListNet** (Cao et al., 2007) compares *top-one* probabilities: the chance that each document
  is ranked first, under the scores and under the labels (a cross-entropy between two softmaxes).
* **ListMLE** (Xia et al., 2008) maximises the Plackett–Luce likelihood of the *whole* ideal
  permutation, the documents sorted by decreasing label.

The losses are functions of the scores, so any differentiable scorer can be trained with them:
:class:`ListNet` and :class:`ListMLE` pair them with the linear or small-MLP scorers of
:mod:`mlref.ltr.scorers`, and :class:`mlref.ltr.attention.AttentionRanker` with a self-attention
list scorer. Every loss is computed over all queries at once with :class:`QueryGroups` (no Python
loop over queries) and is averaged over queries, so a long list weighs as much as a short one.
"""

from __future__ import annotations

import numpy as np

from mlref._validation import check_array_1d, check_random_state, check_same_length
from mlref.ltr.groups import QueryGroups
from mlref.ltr.scorers import ScorerRanker

__all__ = ["ListMLE", "ListNet", "ideal_permutation", "listmle_loss", "listnet_loss"]


def _check_loss_inputs(y_sorted, scores_sorted, groups) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(groups, QueryGroups):
        raise ValueError(
            f"groups must be a QueryGroups, got {type(groups).__name__}; build it with "
            "QueryGroups.from_ids(group) and pass y and scores in its sorted order "
            "(y[groups.order])"
        )
    y_sorted = check_array_1d(y_sorted, "y_sorted")
    scores_sorted = check_array_1d(scores_sorted, "scores_sorted")
    check_same_length(y_sorted=y_sorted, scores_sorted=scores_sorted, groups=groups.order)
    if (y_sorted < 0).any():
        raise ValueError("y_sorted must hold non-negative relevance grades (0 = irrelevant)")
    return y_sorted, scores_sorted


def _segment_log_cumsum_exp(
    values: np.ndarray, position: np.ndarray, *, reverse: bool
) -> np.ndarray:
    """Log of the running sum of ``exp(values)`` inside each segment (rows grouped by segment).

    ``position`` is the segment of each row, non-decreasing. With ``reverse=True`` the sum runs
    from each row to the end of its segment (suffix sums), otherwise from the segment start.

    This is a Hillis–Steele scan: after the pass with stride ``d`` each row holds the
    ``log-sum-exp`` of the ``2d`` rows ending (starting) at it, clipped to its segment, so
    ``ceil(log2(longest segment))`` vectorised passes of :func:`numpy.logaddexp` finish the
    job. Unlike ``cumsum(exp(values - max))`` nothing can underflow to ``log(0)``, however far
    apart the values of a segment are.
    """
    out = values[::-1].copy() if reverse else values.copy()
    pos = position[::-1] if reverse else position
    stride, longest = 1, int(np.bincount(position).max()) if len(position) else 0
    while stride < longest:
        same = np.flatnonzero(pos[stride:] == pos[:-stride]) + stride
        out[same] = np.logaddexp(out[same], out[same - stride])
        stride *= 2
    return out[::-1] if reverse else out


def listnet_loss(y_sorted, scores_sorted, groups: QueryGroups) -> tuple[float, np.ndarray]:
    r"""ListNet top-one loss and its gradient with respect to the scores.

    For a query with labels :math:`y` and scores :math:`s`, the top-one probability of document
    :math:`i` is :math:`P_s(i) = e^{s_i} / \sum_j e^{s_j}` under the model and
    :math:`P_y(i) = e^{y_i} / \sum_j e^{y_j}` under the labels. The loss is their cross-entropy,
    averaged over the :math:`Q` queries:

    .. math::

        L = \frac{1}{Q} \sum_{q} \Bigl( -\sum_{i \in q} P_y(i) \log P_s(i) \Bigr), \qquad
        \frac{\partial L}{\partial s_i} = \frac{P_s(i) - P_y(i)}{Q}.

    Parameters
    ----------
    y_sorted : array-like of shape (n_rows,)
        Graded relevance labels in the sorted row order of ``groups`` (``y[groups.order]``).
    scores_sorted : array-like of shape (n_rows,)
        Model scores in the same order.
    groups : QueryGroups
        The query grouping of the rows.

    Returns
    -------
    loss : float
        Mean cross-entropy over queries.
    d_scores : ndarray of shape (n_rows,)
        Gradient of ``loss`` with respect to ``scores_sorted``.

    Raises
    ------
    ValueError
        If the arrays are not 1-D finite numbers of one length per row of ``groups``, the
        labels are negative, or ``groups`` is not a :class:`QueryGroups`.

    Notes
    -----
    *Target distribution.* The labels enter through ``softmax(y)``, as in the ListNet paper
    (Cao et al., 2007), which uses :math:`\varphi(y) = e^{y}` on the raw grades. With grades
    0-2 this puts :math:`e^2 \approx 7.4` times more target mass on a grade-2 document than on an
    irrelevant one. The exponential-gain variant ``softmax(2^y - 1)`` of some later
    implementations is steeper (:math:`e^3 \approx 20` for the same pair) and is not used here.

    *Degenerate queries* are kept in the average: a one-document query has loss 0 and zero
    gradient; a query whose labels are all equal has a uniform target, so it pulls its scores
    towards each other (a mild regulariser) but cannot change their order. The loss is the
    cross-entropy, not the KL divergence, so its minimum is the mean entropy of the targets,
    not 0.

    Examples
    --------
    >>> groups = QueryGroups.from_ids([0, 0, 1])
    >>> loss, d_scores = listnet_loss([1.0, 0.0, 2.0], [0.0, 0.0, 5.0], groups)
    >>> round(loss, 4), d_scores.round(4).tolist()
    (0.3466, [-0.1155, 0.1155, 0.0])
    """
    y_sorted, scores_sorted = _check_loss_inputs(y_sorted, scores_sorted, groups)
    target = groups.softmax(y_sorted)
    shifted = scores_sorted - groups.max(scores_sorted)[groups.position]
    log_norm = np.log(groups.sum(np.exp(shifted)))
    log_p = shifted - log_norm[groups.position]
    n_queries = groups.n_queries
    loss = -float(np.dot(target, log_p)) / n_queries
    return loss, (np.exp(log_p) - target) / n_queries


def ideal_permutation(y_sorted, groups: QueryGroups, random_state=None) -> np.ndarray:
    """Order of the sorted rows that lists each query's documents by decreasing label.

    Parameters
    ----------
    y_sorted : array-like of shape (n_rows,)
        Labels in the sorted row order of ``groups``.
    groups : QueryGroups
        The query grouping of the rows.
    random_state : int, numpy.random.Generator or None, default=None
        Breaks ties between equal labels uniformly at random (one independent draw per call).

    Returns
    -------
    ndarray of shape (n_rows,)
        Indices into the sorted rows: each query's block, in the order of ``groups``, lists its
        rows from the highest label to the lowest.

    Examples
    --------
    >>> ideal_permutation([0.0, 2.0, 1.0, 5.0], QueryGroups.from_ids([0, 0, 0, 1])).tolist()
    [1, 2, 0, 3]
    """
    y_sorted = check_array_1d(y_sorted, "y_sorted")
    check_same_length(y_sorted=y_sorted, groups=groups.order)
    tie_breaker = check_random_state(random_state).random(len(y_sorted))
    return np.lexsort((tie_breaker, -y_sorted, groups.position))


def listmle_loss(
    y_sorted, scores_sorted, groups: QueryGroups, random_state=None
) -> tuple[float, np.ndarray]:
    r"""ListMLE loss (Plackett–Luce negative log-likelihood) and its gradient.

    Let :math:`\pi` list a query's documents by decreasing label. Under the Plackett–Luce model
    the probability of drawing them in that order, each time picking among those left with
    probability proportional to :math:`e^{s}`, gives the loss (averaged over the :math:`Q`
    queries)

    .. math::

        L = \frac{1}{Q} \sum_q \sum_{k=1}^{n_q} \Bigl( \log Z_k - s_{\pi(k)} \Bigr), \qquad
        Z_k = \sum_{m \ge k} e^{s_{\pi(m)}},

    .. math::

        \frac{\partial L}{\partial s_{\pi(k)}} = \frac{1}{Q} \Bigl(
        -1 + \sum_{j \le k} \frac{e^{s_{\pi(k)}}}{Z_j} \Bigr).

    Parameters
    ----------
    y_sorted : array-like of shape (n_rows,)
        Graded relevance labels in the sorted row order of ``groups`` (``y[groups.order]``).
    scores_sorted : array-like of shape (n_rows,)
        Model scores in the same order.
    groups : QueryGroups
        The query grouping of the rows.
    random_state : int, numpy.random.Generator or None, default=None
        Breaks ties between equal labels (see Notes). The permutation does not depend on the
        scores, so a fixed seed gives a deterministic, differentiable loss.

    Returns
    -------
    loss : float
        Mean negative log-likelihood over queries.
    d_scores : ndarray of shape (n_rows,)
        Gradient of ``loss`` with respect to ``scores_sorted``.

    Raises
    ------
    ValueError
        If the arrays are not 1-D finite numbers of one length per row of ``groups``, the
        labels are negative, or ``groups`` is not a :class:`QueryGroups`.

    Notes
    -----
    *Ties.* Graded labels tie a lot (most MQ2008 documents are grade 0), and the likelihood is
    of one *permutation*. Ties are broken uniformly at random, a fresh draw each call, so over
    training epochs the loss averages over the orders consistent with the labels, without
    enumerating them. An all-equal query therefore contributes the likelihood of a random order
    (it pulls its scores together); a one-document query contributes 0.

    *Computation.* The suffix sums :math:`\log Z_k` and the prefix sums
    :math:`\log \sum_{j \le k} 1/Z_j` of the gradient are segmented log-cumsum-exp scans over
    all queries at once, in log space, so neither can overflow or underflow to ``log(0)``
    whatever the spread of the scores.

    Examples
    --------
    >>> groups = QueryGroups.from_ids([0, 0])
    >>> loss, d_scores = listmle_loss([1.0, 0.0], [0.0, 0.0], groups)
    >>> round(loss, 4), d_scores.round(4).tolist()
    (0.6931, [-0.5, 0.5])
    """
    y_sorted, scores_sorted = _check_loss_inputs(y_sorted, scores_sorted, groups)
    perm = ideal_permutation(y_sorted, groups, random_state)
    s = scores_sorted[perm]  # each query's scores in its ideal order
    log_z = _segment_log_cumsum_exp(s, groups.position, reverse=True)
    log_sum_inv_z = _segment_log_cumsum_exp(-log_z, groups.position, reverse=False)
    n_queries = groups.n_queries
    loss = float(np.sum(log_z - s)) / n_queries
    d_scores = np.empty_like(s)
    d_scores[perm] = (np.exp(s + log_sum_inv_z) - 1.0) / n_queries
    return loss, d_scores


class ListNet(ScorerRanker):
    r"""ListNet: a linear or MLP scorer trained on the top-one softmax cross-entropy.

    Minimises :func:`listnet_loss` (mean over queries, target ``softmax(y)``) plus
    :math:`\tfrac{\alpha}{2}\|W\|^2` with Adam; see :class:`~mlref.ltr.scorers.ScorerRanker` for
    the feature standardisation and the fitted attributes.

    Parameters
    ----------
    scorer : {"linear", "mlp"} or scorer instance, default="linear"
        ``"mlp"`` is one hidden layer of 32 ReLU units; an instance such as
        ``MLPScorer(hidden=(64,))`` is copied, not modified.
    n_epochs : int, default=100
        Adam steps in full-batch mode, passes over the queries with mini-batches.
    learning_rate : float, default=0.05
        Adam's step size.
    batch_queries : int or None, default=None
        Queries per step; ``None`` takes every query in each step (deterministic).
    alpha : float, default=0.0
        L2 penalty on the weights.
    random_state : int, numpy.random.Generator or None, default=None
        Seeds the MLP initialisation and the mini-batch shuffling.

    Attributes
    ----------
    scorer_ : LinearScorer or MLPScorer
        The trained scorer.
    loss_curve_ : ndarray of shape (n_epochs,)
        Training objective per epoch.
    feature_mean_, feature_scale_ : ndarray of shape (n_features,)
        Standardisation applied to ``X``.
    n_features_in_ : int
        Number of features seen in fit.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [1.0], [0.0]])
    >>> y = np.array([0.0, 1.0, 2.0, 2.0, 1.0, 0.0])
    >>> ranker = ListNet(random_state=0).fit(X, y, group=[0, 0, 0, 1, 1, 1])
    >>> ranker.predict(X).argsort()[::-1][:2].tolist()  # highest scores: largest feature
    [3, 2]
    """

    def __init__(
        self,
        *,
        scorer="linear",
        n_epochs=100,
        learning_rate=0.05,
        batch_queries=None,
        alpha=0.0,
        random_state=None,
    ):
        self.scorer = scorer
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.batch_queries = batch_queries
        self.alpha = alpha
        self.random_state = random_state

    def _make_loss(self, y, groups, rng):
        return lambda scores, batch: listnet_loss(batch.y, scores, batch.groups)


class ListMLE(ScorerRanker):
    r"""ListMLE: a linear or MLP scorer trained on the Plackett–Luce likelihood of the labels.

    Minimises :func:`listmle_loss` (mean over queries) plus :math:`\tfrac{\alpha}{2}\|W\|^2` with
    Adam. Ties between equal labels are broken at random afresh at every step (drawn from
    ``random_state``), so training averages over the orders the labels allow. See
    :class:`~mlref.ltr.scorers.ScorerRanker` for the feature standardisation and the fitted
    attributes.

    Parameters
    ----------
    scorer : {"linear", "mlp"} or scorer instance, default="linear"
        ``"mlp"`` is one hidden layer of 32 ReLU units; an instance is copied, not modified.
    n_epochs : int, default=100
        Adam steps in full-batch mode, passes over the queries with mini-batches.
    learning_rate : float, default=0.05
        Adam's step size.
    batch_queries : int or None, default=None
        Queries per step; ``None`` takes every query in each step.
    alpha : float, default=0.0
        L2 penalty on the weights.
    random_state : int, numpy.random.Generator or None, default=None
        Seeds the tie-breaking, the MLP initialisation and the mini-batch shuffling.

    Attributes
    ----------
    scorer_ : LinearScorer or MLPScorer
        The trained scorer.
    loss_curve_ : ndarray of shape (n_epochs,)
        Training objective per epoch (noisy: the tie-breaking changes at each step).
    feature_mean_, feature_scale_ : ndarray of shape (n_features,)
        Standardisation applied to ``X``.
    n_features_in_ : int
        Number of features seen in fit.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [1.0], [0.0]])
    >>> y = np.array([0.0, 1.0, 2.0, 2.0, 1.0, 0.0])
    >>> ranker = ListMLE(random_state=0).fit(X, y, group=[0, 0, 0, 1, 1, 1])
    >>> ranker.predict(X).argsort()[::-1][:2].tolist()
    [3, 2]
    """

    def __init__(
        self,
        *,
        scorer="linear",
        n_epochs=100,
        learning_rate=0.05,
        batch_queries=None,
        alpha=0.0,
        random_state=None,
    ):
        self.scorer = scorer
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.batch_queries = batch_queries
        self.alpha = alpha
        self.random_state = random_state

    def _make_loss(self, y, groups, rng):
        return lambda scores, batch: listmle_loss(batch.y, scores, batch.groups, rng)
