r"""Classification metrics: ROC and precision-recall curves, log loss, confusion matrix and F1.

Every function matches scikit-learn's number on the same input (``roc_auc_score``,
``roc_curve``, ``average_precision_score``, ``precision_recall_curve``, ``log_loss``,
``confusion_matrix``, ``precision_score``, ``recall_score``, ``f1_score``, ``accuracy_score``),
except where a result would be undefined: there scikit-learn warns and returns a number, while
these functions raise :class:`ValueError` (one-class labels for the curve metrics).

Binary labels are 0/1 (or booleans) and the positive class is 1. Scores are "higher means more
likely positive": probabilities, logits or any ranking score.
"""

import numbers

import numpy as np

from mlref._validation import (
    check_array_1d,
    check_binary,
    check_class_labels,
    check_option,
    check_probabilities,
    check_same_length,
)

__all__ = [
    "accuracy",
    "auc_roc",
    "auc_standard_error",
    "confusion_matrix",
    "f1_score",
    "log_loss",
    "pr_auc",
    "pr_curve",
    "precision",
    "recall",
    "roc_curve",
]


def auc_roc(y_true, y_score) -> float:
    r"""Area under the ROC curve: the probability that a positive outranks a negative.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels 0/1; both classes must be present.
    y_score : array-like of shape (n_samples,)
        Scores, higher meaning more likely positive. Only their order matters.

    Returns
    -------
    float
        AUC in [0, 1]; 0.5 is a random ranking, 1 a perfect one.

    Raises
    ------
    ValueError
        If ``y_true`` holds a single class, is not 0/1, or the inputs differ in length or hold
        NaN/inf.

    Notes
    -----
    With :math:`P` positives and :math:`N` negatives, AUC is the Mann–Whitney :math:`U`
    statistic normalised by the number of positive–negative pairs, a tied pair counting one half:

    .. math::

        \mathrm{AUC} = \frac{1}{PN} \sum_{i:\,y_i=1} \sum_{j:\,y_j=0}
        \left( [s_i > s_j] + \tfrac12 [s_i = s_j] \right)
        = \frac{R_+ - P(P+1)/2}{PN},

    where :math:`R_+` is the sum of the positives' ranks among all scores, tied scores receiving
    their average rank. This equals the trapezoidal area under the ROC curve drawn through the
    distinct thresholds, which is what ``sklearn.metrics.roc_auc_score`` computes.

    Two departures from the common from-scratch snippet (sort, then count for each negative the
    positives seen so far):

    * **Ties.** The snippet gives a tied pair a full point or nothing depending on which sample
      came first in the input, so a constant scorer can get anything from 0 to 1 and shuffling
      the rows changes the AUC. Here a tied pair counts 1/2 whatever the order, so a constant
      scorer gets exactly 0.5. Ties are common: rounded probabilities, tree ensembles with few
      leaves, integer scores.
    * **One class.** The snippet returns 0.5 when all labels are equal. AUC compares positives
      with negatives and is undefined without both; returning 0.5 makes, say, a join bug that
      dropped every click look like a random model instead of failing. This function raises.

    The pairs are counted without ranking all samples together: each class is sorted on its own,
    and every score of the smaller class is located among the larger class's by binary search
    (how many are strictly lower, how many lower or equal). :math:`2U` is summed in exact integer
    arithmetic, so the only rounding is the final division. Scores keep their dtype (float32
    stays float32, which sorts faster; large integers are not rounded to float64). This is
    several times faster than ``roc_auc_score`` on millions of scores (see
    ``benchmarks/bench_auc.py``).

    Examples
    --------
    >>> auc_roc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> auc_roc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])  # a constant scorer
    0.5
    """
    y = check_binary(y_true, "y_true", require_both=True)
    score = check_array_1d(y_score, "y_score", dtype=None)
    check_same_length(y_true=y, y_score=score)
    is_pos = y.astype(bool)
    pos, neg = score[is_pos], score[~is_pos]
    n_pos, n_neg = pos.size, neg.size
    # Locate the smaller class in the larger one; sorted keys make the searches cache friendly.
    small, large = (pos, neg) if n_pos <= n_neg else (neg, pos)
    small.sort()
    large.sort()
    below = np.searchsorted(large, small, side="left")  # larger-class scores strictly lower
    at_or_below = np.searchsorted(large, small, side="right")
    # Twice the number of (small, large) pairs the small-class sample wins, ties counting 1/2.
    twice_small_wins = int(below.sum()) + int(at_or_below.sum())
    twice_pairs = 2 * n_pos * n_neg
    twice_u = twice_small_wins if n_pos <= n_neg else twice_pairs - twice_small_wins
    return twice_u / twice_pairs


def auc_standard_error(y_true, y_score) -> float:
    r"""Standard error of the AUC, by Hanley and McNeil's (1982) formula.

    .. math::

        \mathrm{SE}(A) = \sqrt{\frac{A(1-A) + (n_1 - 1)(Q_1 - A^2) + (n_0 - 1)(Q_2 - A^2)}
            {n_1 n_0}}, \qquad Q_1 = \frac{A}{2 - A}, \quad Q_2 = \frac{2A^2}{1 + A},

    with :math:`A` = :func:`auc_roc`, :math:`n_1` positives and :math:`n_0` negatives.

    Notes
    -----
    :math:`Q_1` and :math:`Q_2` assume exponentially distributed scores in each class; on
    normal scores the formula stays within 15 % of the bootstrap with a few hundred positives
    (tested) and overstates it by up to a fifth with 50 (0.042 against 0.036). With
    few positives it is dominated by :math:`n_1`: 50 clicks among 20,000 impressions at
    :math:`A = 0.6` give 0.04, whatever the number of negatives. A cruder
    :math:`\sqrt{A(1-A)/n_1}` (0.07 there) ignores that each positive is compared with many
    negatives and overstates the uncertainty.

    Examples
    --------
    >>> round(auc_standard_error([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9]), 4)
    0.1533
    """
    auc = auc_roc(y_true, y_score)
    y = check_binary(y_true, "y_true", require_both=True)
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)) / (
        n_pos * n_neg
    )
    return float(np.sqrt(max(variance, 0.0)))


def roc_curve(y_true, y_score) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Points of the ROC curve, one per distinct score, starting at (0, 0).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels 0/1; both classes must be present.
    y_score : array-like of shape (n_samples,)
        Scores, higher meaning more likely positive.

    Returns
    -------
    fpr : ndarray of shape (n_distinct + 1,)
        False positive rate when predicting positive for ``y_score >= thresholds[k]``.
    tpr : ndarray of shape (n_distinct + 1,)
        True positive rate at the same thresholds.
    thresholds : ndarray of shape (n_distinct + 1,)
        ``inf`` followed by the distinct scores in decreasing order.

    Raises
    ------
    ValueError
        If ``y_true`` holds a single class (one of the two rates would be 0/0), or on bad input.

    Notes
    -----
    At threshold :math:`t`, with :math:`P` positives and :math:`N` negatives,

    .. math::

        \mathrm{TPR}(t) = \frac{\#\{i : y_i = 1,\ s_i \ge t\}}{P}, \qquad
        \mathrm{FPR}(t) = \frac{\#\{i : y_i = 0,\ s_i \ge t\}}{N}.

    Convention, identical to ``sklearn.metrics.roc_curve(..., drop_intermediate=False)``: the
    first point is (0, 0) at threshold ``inf`` (predict nothing positive); then one point per
    distinct score from the highest to the lowest, the last being (1, 1). Samples with tied
    scores enter together, so a tie group is a diagonal segment. No collinear point is dropped.

    Examples
    --------
    >>> fpr, tpr, thresholds = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fpr.tolist(), tpr.tolist()
    ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0])
    >>> thresholds.tolist()
    [inf, 0.8, 0.4, 0.35, 0.1]
    """
    y = check_binary(y_true, "y_true", require_both=True)
    score = check_array_1d(y_score, "y_score")
    check_same_length(y_true=y, y_score=score)
    true_pos, false_pos, thresholds = _counts_at_distinct_thresholds(y, score)
    fpr = np.concatenate(([0.0], false_pos / false_pos[-1]))
    tpr = np.concatenate(([0.0], true_pos / true_pos[-1]))
    return fpr, tpr, np.concatenate(([np.inf], thresholds))


def pr_auc(y_true, y_score) -> float:
    r"""Average precision: the area under the step-wise precision-recall curve.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels 0/1; both classes must be present.
    y_score : array-like of shape (n_samples,)
        Scores, higher meaning more likely positive.

    Returns
    -------
    float
        Average precision in [0, 1]; a random ranking scores about the positive rate.

    Raises
    ------
    ValueError
        If ``y_true`` holds a single class, or on bad input.

    Notes
    -----
    Over the distinct thresholds :math:`t_1 > t_2 > \dots` with precision :math:`P_n` and recall
    :math:`R_n` at :math:`t_n` (and :math:`R_0 = 0`),

    .. math::

        \mathrm{AP} = \sum_n (R_n - R_{n-1})\, P_n,

    which equals ``sklearn.metrics.average_precision_score`` including ties (a tie group is one
    step). Without ties it is the mean, over positives, of the precision at that positive's rank.

    It is deliberately **not** the trapezoidal area under the curve: joining the points with
    straight lines assumes precision varies linearly within a tie group or between thresholds,
    which can be too optimistic. A constant scorer on half positives has AP = 0.5 but a
    trapezoidal area of 0.75, from the line between (recall 0, precision 1) and (1, 0.5).

    Both classes are required. Without positives recall is 0/0. Without negatives precision is 1
    at every threshold and AP = 1 whatever the scores, which says nothing about the model;
    raising makes a data bug visible, as for :func:`auc_roc`.

    Examples
    --------
    >>> round(pr_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 4)
    0.8333
    >>> pr_auc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])  # constant scorer: the positive rate
    0.5
    """
    y = check_binary(y_true, "y_true", require_both=True)
    score = check_array_1d(y_score, "y_score")
    check_same_length(y_true=y, y_score=score)
    true_pos, false_pos, _ = _counts_at_distinct_thresholds(y, score)
    precision_at = true_pos / (true_pos + false_pos)
    new_positives = np.diff(true_pos, prepend=0)
    return float(new_positives @ precision_at / true_pos[-1])


def pr_curve(y_true, y_score) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Points of the precision-recall curve, one per distinct score, ending at (recall 0, 1).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels 0/1; both classes must be present.
    y_score : array-like of shape (n_samples,)
        Scores, higher meaning more likely positive.

    Returns
    -------
    precision : ndarray of shape (n_distinct + 1,)
        Precision when predicting positive for ``y_score >= thresholds[k]``; the last entry is 1.
    recall : ndarray of shape (n_distinct + 1,)
        Recall at the same thresholds, decreasing; the last entry is 0.
    thresholds : ndarray of shape (n_distinct,)
        The distinct scores in increasing order.

    Raises
    ------
    ValueError
        If ``y_true`` holds a single class (see :func:`pr_auc`), or on bad input.

    Notes
    -----
    .. math::

        \mathrm{precision}(t) = \frac{TP(t)}{TP(t) + FP(t)}, \qquad
        \mathrm{recall}(t) = \frac{TP(t)}{P},

    counting the samples with :math:`s_i \ge t`. Convention, identical to
    ``sklearn.metrics.precision_recall_curve``: thresholds increase, so recall decreases, and a
    final point (precision 1, recall 0) with no threshold is appended. That end point is a
    convention (precision is 0/0 when nothing is predicted positive), chosen so the curve
    reaches the recall-0 axis; it does not enter :func:`pr_auc`, where it has zero width.

    Examples
    --------
    >>> prec, rec, thresholds = pr_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> prec.round(4).tolist()
    [0.5, 0.6667, 0.5, 1.0, 1.0]
    >>> rec.tolist(), thresholds.tolist()
    ([1.0, 1.0, 0.5, 0.5, 0.0], [0.1, 0.35, 0.4, 0.8])
    """
    y = check_binary(y_true, "y_true", require_both=True)
    score = check_array_1d(y_score, "y_score")
    check_same_length(y_true=y, y_score=score)
    true_pos, false_pos, thresholds = _counts_at_distinct_thresholds(y, score)
    precision_at = true_pos / (true_pos + false_pos)
    recall_at = true_pos / true_pos[-1]
    return (
        np.concatenate((precision_at[::-1], [1.0])),
        np.concatenate((recall_at[::-1], [0.0])),
        thresholds[::-1].copy(),
    )


def _counts_at_distinct_thresholds(y, score):
    """True and false positive counts when predicting ``score >= t``, for each distinct score ``t``.

    Thresholds are returned in decreasing order. Tied scores are never split: only the last
    sample of each tie group (in decreasing-score order) yields a point.
    """
    order = np.argsort(score)[::-1]
    sorted_score = score[order]
    group_ends = np.flatnonzero(np.diff(sorted_score))
    group_ends = np.append(group_ends, score.size - 1)
    true_pos = np.cumsum(y[order])[group_ends]
    false_pos = group_ends + 1 - true_pos
    return true_pos, false_pos, sorted_score[group_ends]


def log_loss(y_true, y_prob, *, eps=None) -> float:
    r"""Mean binary cross-entropy of predicted probabilities.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels 0/1 (a single class is allowed: the loss is defined per sample).
    y_prob : array-like of shape (n_samples,)
        Predicted probability that the label is 1, in [0, 1].
    eps : float, optional
        Probabilities are clipped to ``[eps, 1 - eps]`` before taking logarithms. Default:
        ``np.finfo(np.float64).eps`` (about 2.2e-16), as scikit-learn. ``eps=0`` disables
        clipping, so a confident wrong prediction gives an infinite loss. Must be in [0, 0.5).

    Returns
    -------
    float
        The mean loss in nats; 0 is perfect, :math:`\log 2 \approx 0.693` is what predicting 0.5
        everywhere scores.

    Raises
    ------
    ValueError
        If ``y_prob`` is outside [0, 1] (raw scores or logits were passed: apply a sigmoid),
        ``y_true`` is not 0/1, ``eps`` is out of range, or on bad input.

    Notes
    -----
    .. math::

        \mathrm{LogLoss} = -\frac{1}{N} \sum_{i=1}^N
        \left[ y_i \log \tilde p_i + (1 - y_i) \log (1 - \tilde p_i) \right],
        \qquad \tilde p_i = \min(\max(p_i, \varepsilon), 1 - \varepsilon).

    A probability of exactly 0 or 1 on the wrong label has infinite loss. Clipping at machine
    epsilon caps its loss at :math:`-\log \varepsilon \approx 36.04` nats, which is still huge
    next to typical values (0.1–0.7), so such predictions dominate the mean and remain visible.
    ``sklearn.metrics.log_loss`` clips the same way: at the machine epsilon of the input's dtype
    (its default since version 1.2, the only behaviour since 1.5 removed its ``eps`` parameter;
    older versions used 1e-15), and, as there, :math:`1 - p_i` is computed before clipping.

    ``y_prob`` is converted to float64, so the default eps is float64's even for float32 input
    (scikit-learn would use float32's eps, about 1.2e-7, for a float32 array).

    Examples
    --------
    >>> round(log_loss([1, 0, 0, 1], [0.9, 0.1, 0.2, 0.65]), 5)
    0.21616
    >>> round(log_loss([1], [0.0]), 2)  # clipped at machine epsilon, not infinite
    36.04
    """
    y = check_binary(y_true, "y_true")
    prob = check_probabilities(y_prob, "y_prob")
    check_same_length(y_true=y, y_prob=prob)
    if eps is None:
        eps = np.finfo(np.float64).eps
    elif isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not 0 <= eps < 0.5:
        raise ValueError(f"eps must be a number in [0, 0.5), got {eps!r}")
    prob_of_label = np.where(y == 1, prob, 1.0 - prob)
    with np.errstate(divide="ignore"):
        return float(-np.log(np.clip(prob_of_label, eps, 1.0 - eps)).mean())


def confusion_matrix(y_true, y_pred, *, labels=None) -> np.ndarray:
    r"""Counts of (true label, predicted label) pairs: rows are true, columns predicted.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Class labels, all numbers or all strings (e.g. ``"navigational"``).
    labels : array-like, optional
        Labels that index the matrix, in that order. Samples whose true or predicted label is not
        listed are left out. Default: the sorted union of the labels in ``y_true`` and ``y_pred``.

    Returns
    -------
    ndarray of shape (n_labels, n_labels), dtype int64
        ``C[i, j]`` is the number of samples of true class ``labels[i]`` predicted as
        ``labels[j]``, as in ``sklearn.metrics.confusion_matrix``.

    Raises
    ------
    ValueError
        If the inputs differ in length, mix strings and numbers, hold NaN, or ``labels`` is empty,
        repeats a label or contains none of the labels in ``y_true``.

    Notes
    -----
    .. math::

        C_{ij} = \#\{k : y_k = \ell_i,\ \hat y_k = \ell_j\}

    For binary 0/1 labels this is ``[[TN, FP], [FN, TP]]``.

    Examples
    --------
    >>> confusion_matrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2]).tolist()
    [[2, 0, 0], [0, 0, 1], [1, 0, 2]]
    >>> confusion_matrix(["cat", "ant", "cat"], ["ant", "ant", "cat"]).tolist()
    [[1, 0], [1, 1]]
    """
    true, pred = _check_label_pair(y_true, y_pred)
    if labels is None:
        label_set = np.union1d(true, pred)
    else:
        label_set = check_class_labels(labels, "labels")
        if np.unique(label_set).size != label_set.size:
            raise ValueError("labels holds repeated values; list each label once")
        if _is_string_labels(label_set) != _is_string_labels(true):
            raise ValueError("labels must be the same kind (numbers or strings) as y_true")
        if not np.isin(true, label_set).any():
            raise ValueError("labels contains none of the labels in y_true; check their spelling")
    n_labels = label_set.size
    true_index = _index_in(label_set, true)
    pred_index = _index_in(label_set, pred)
    kept = (true_index >= 0) & (pred_index >= 0)
    cell = true_index[kept] * n_labels + pred_index[kept]
    return np.bincount(cell, minlength=n_labels * n_labels).reshape(n_labels, n_labels)


def accuracy(y_true, y_pred) -> float:
    r"""Fraction of samples whose predicted label equals the true label.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Class labels, all numbers or all strings.

    Returns
    -------
    float
        Accuracy in [0, 1].

    Raises
    ------
    ValueError
        If the inputs differ in length, are empty, mix strings and numbers, or hold NaN.

    Notes
    -----
    .. math:: \mathrm{accuracy} = \frac{1}{N} \sum_{i=1}^N [\hat y_i = y_i]

    It is the share of correct predictions, so on imbalanced classes a model that always predicts
    the majority class scores the majority share; macro F1 does not reward that.

    Examples
    --------
    >>> accuracy(["nav", "buy", "info", "buy"], ["nav", "buy", "buy", "buy"])
    0.75
    """
    true, pred = _check_label_pair(y_true, y_pred)
    return float(np.mean(true == pred))


def precision(y_true, y_pred, *, zero_division=0.0) -> float:
    r"""Fraction of predicted positives that are positive: :math:`TP / (TP + FP)`.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Binary labels 0/1; the positive class is 1.
    zero_division : {0.0, 1.0, np.nan}, default=0.0
        Returned when nothing is predicted positive (:math:`TP + FP = 0`), as scikit-learn's
        ``zero_division``. ``np.nan`` makes the undefined case explicit and propagates.

    Returns
    -------
    float
        Precision in [0, 1], or ``zero_division``.

    Raises
    ------
    ValueError
        If the labels are not 0/1 (use :func:`f1_score` with ``average="macro"`` for several
        classes), ``zero_division`` is not 0, 1 or NaN, or on bad input.

    Notes
    -----
    .. math:: \mathrm{Precision} = \frac{TP}{TP + FP}

    Examples
    --------
    >>> precision([0, 1, 1, 0], [1, 1, 0, 0])
    0.5
    >>> precision([0, 1], [0, 0])  # nothing predicted positive
    0.0
    """
    true_pos, false_pos, _ = _binary_counts(y_true, y_pred)
    return _safe_ratio(true_pos, true_pos + false_pos, _check_zero_division(zero_division))


def recall(y_true, y_pred, *, zero_division=0.0) -> float:
    r"""Fraction of positives that are predicted positive: :math:`TP / (TP + FN)`.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Binary labels 0/1; the positive class is 1.
    zero_division : {0.0, 1.0, np.nan}, default=0.0
        Returned when ``y_true`` has no positive (:math:`TP + FN = 0`), as scikit-learn's
        ``zero_division``.

    Returns
    -------
    float
        Recall in [0, 1], or ``zero_division``.

    Raises
    ------
    ValueError
        If the labels are not 0/1, ``zero_division`` is not 0, 1 or NaN, or on bad input.

    Notes
    -----
    .. math:: \mathrm{Recall} = \frac{TP}{TP + FN}

    Examples
    --------
    >>> recall([0, 1, 1, 0], [1, 1, 0, 0])
    0.5
    >>> recall([0, 0], [1, 0], zero_division=np.nan)  # no positive to recall
    nan
    """
    true_pos, _, false_neg = _binary_counts(y_true, y_pred)
    return _safe_ratio(true_pos, true_pos + false_neg, _check_zero_division(zero_division))


def f1_score(y_true, y_pred, *, average="binary", zero_division=0.0) -> float:
    r"""Harmonic mean of precision and recall, for the positive class or averaged over classes.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Labels: 0/1 for ``average="binary"``; any numbers or strings otherwise.
    average : {"binary", "macro", "micro"}, default="binary"
        ``"binary"``: F1 of class 1. ``"macro"``: unweighted mean of the per-class F1 over the
        union of the labels in ``y_true`` and ``y_pred``, so every class counts the same however
        rare. ``"micro"``: F1 of the pooled counts; with one label per sample this equals
        :func:`accuracy`.
    zero_division : {0.0, 1.0, np.nan}, default=0.0
        With ``average="binary"``, the F1 returned when :math:`TP + FP + FN = 0` (no positive in
        ``y_true`` nor in ``y_pred``), as scikit-learn's ``zero_division``. The averaged F1s never
        need it: every class of the union occurs in ``y_true`` or ``y_pred``, so each per-class
        F1, and the pooled one, is defined.

    Returns
    -------
    float
        F1 in [0, 1], or ``zero_division``.

    Raises
    ------
    ValueError
        If ``average="binary"`` and the labels are not 0/1, ``average`` or ``zero_division`` is
        not an allowed value, or on bad input.

    Notes
    -----
    .. math::

        F_1 = 2\,\frac{\mathrm{Prec} \cdot \mathrm{Rec}}{\mathrm{Prec} + \mathrm{Rec}}
            = \frac{2\,TP}{2\,TP + FP + FN}.

    The right-hand form is used, as in scikit-learn: it stays defined when only one of precision
    and recall is 0/0. For example with no predicted positive but some true positive, F1 is 0
    whatever ``zero_division`` says for precision.

    Examples
    --------
    >>> f1_score([0, 1, 1, 0], [1, 1, 0, 0])
    0.5
    >>> y_true, y_pred = [0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1]
    >>> round(f1_score(y_true, y_pred, average="macro"), 4)
    0.2667
    >>> round(f1_score(y_true, y_pred, average="micro"), 4)
    0.3333
    """
    check_option(average, "average", ("binary", "macro", "micro"))
    zero_division = _check_zero_division(zero_division)
    if average == "binary":
        true_pos, false_pos, false_neg = _binary_counts(y_true, y_pred)
        return _safe_ratio(2 * true_pos, 2 * true_pos + false_pos + false_neg, zero_division)
    counts = confusion_matrix(y_true, y_pred)
    true_pos = np.diag(counts)
    if average == "micro":
        # Pooled over classes, each wrong prediction is one false positive and one false negative,
        # so micro F1 = 2 TP / (2 TP + 2 errors) = accuracy.
        return float(true_pos.sum() / counts.sum())
    false_pos = counts.sum(axis=0) - true_pos
    false_neg = counts.sum(axis=1) - true_pos
    # Every label of the union occurs in y_true or y_pred, so no denominator is 0.
    return float(np.mean(2 * true_pos / (2 * true_pos + false_pos + false_neg)))


def _binary_counts(y_true, y_pred) -> tuple[int, int, int]:
    """True positives, false positives and false negatives of 0/1 labels."""
    hint = "; for several classes use f1_score(..., average='macro') or confusion_matrix"
    try:
        true = check_binary(y_true, "y_true")
        pred = check_binary(y_pred, "y_pred")
    except ValueError as exc:
        raise ValueError(f"{exc}{hint}") from exc
    check_same_length(y_true=true, y_pred=pred)
    true_pos = int(np.count_nonzero(true & pred))
    false_pos = int(np.count_nonzero(pred)) - true_pos
    false_neg = int(np.count_nonzero(true)) - true_pos
    return true_pos, false_pos, false_neg


def _check_zero_division(value) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not (value in (0, 1) or np.isnan(value))
    ):
        raise ValueError(f"zero_division must be 0.0, 1.0 or np.nan, got {value!r}")
    return float(value)


def _safe_ratio(numerator: int, denominator: int, zero_division: float) -> float:
    return numerator / denominator if denominator > 0 else zero_division


def _is_string_labels(arr: np.ndarray) -> bool:
    return arr.dtype.kind == "U" or (arr.dtype.kind == "O" and isinstance(arr[0], str))


def _check_label_pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    true = check_class_labels(y_true, "y_true")
    pred = check_class_labels(y_pred, "y_pred")
    check_same_length(y_true=true, y_pred=pred)
    if _is_string_labels(true) != _is_string_labels(pred):
        raise ValueError(
            "y_true and y_pred mix string and numeric labels; encode both the same way"
        )
    return true, pred


def _index_in(label_set: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Position of each value in ``label_set``, or -1 where it is not listed."""
    sorter = np.argsort(label_set)
    pos = np.searchsorted(label_set, values, sorter=sorter)
    pos = np.minimum(pos, label_set.size - 1)
    index = sorter[pos]
    return np.where(label_set[index] == values, index, -1)
