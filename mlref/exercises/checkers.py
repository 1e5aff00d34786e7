"""``check_<name>(fn)``: grade a reader's from-scratch implementation on a hidden battery.

Each checker builds its battery from a fixed seed (random inputs, ties, single-element and
degenerate inputs, extreme values), computes every expected answer with the course's reference
implementation, runs ``fn`` on the cases in order and prints a verdict: passed, or the first
failing case with its input, the expected and received answers, and a hint. It returns a
:class:`~mlref.exercises.Verdict` and never raises, whatever ``fn`` does.
"""

from __future__ import annotations

import numpy as np

from mlref.exercises import solutions as ref
from mlref.exercises._harness import (
    Case,
    Verdict,
    as_float_array,
    close_to,
    fmt,
    grade,
    parts_close_to,
)
from mlref.features import cosine_similarity as _cosine_rows
from mlref.metrics import (
    auc_roc,
    confusion_matrix,
    f1_score,
    map_at_k,
    mrr,
    ndcg_at_k,
    precision,
    precision_at_k,
    recall,
    recall_at_k,
)
from mlref.nn import sigmoid, softmax

__all__ = [
    "check_auc_roc",
    "check_average_precision_at_k",
    "check_batchnorm_backward",
    "check_batchnorm_forward",
    "check_best_split",
    "check_confusion_matrix",
    "check_cosine_similarity",
    "check_elastic_net_step",
    "check_entropy",
    "check_gini_impurity",
    "check_k_fold",
    "check_kmeans",
    "check_knn_predict",
    "check_logistic_regression",
    "check_mrr",
    "check_ndcg_at_k",
    "check_precision_at_k",
    "check_precision_recall_f1",
    "check_recall_at_k",
    "check_relu",
    "check_sigmoid",
    "check_softmax",
    "check_train_test_split",
]

_SEED = 20240518


def _rng(offset: int) -> np.random.Generator:
    return np.random.default_rng(_SEED + offset)


def _value_case(label, args, expected, hint, **tolerance) -> Case:
    return Case(label, args, expected, close_to(expected, **tolerance), hint)


# --- classification metrics ---------------------------------------------------------------------


def _auc_cases() -> list[Case]:
    rng = _rng(1)
    y_random = np.r_[0, 1, rng.integers(0, 2, 38)]
    y_ties = np.r_[0, 1, rng.integers(0, 2, 38)]
    inputs = [
        ("random scores", y_random, rng.normal(size=40)),
        ("scores rounded to one decimal (many ties)", y_ties, np.round(rng.uniform(size=40), 1)),
        ("constant scorer", np.array([1, 1, 0, 1, 0, 0]), np.full(6, 0.3)),
        (
            "tied pair, positive listed first",
            np.array([1, 0, 0, 1]),
            np.array([0.7, 0.7, 0.2, 0.9]),
        ),
        ("perfect ranking", np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9])),
        ("reversed ranking", np.array([1, 1, 0, 0]), np.array([0.1, 0.2, 0.8, 0.9])),
        ("one positive among ten", np.eye(10, dtype=int)[3], rng.normal(size=10)),
        ("integer scores", np.array([0, 1, 1, 0, 1, 0, 0]), np.array([3, 3, 5, 1, 1, 2, 5])),
        ("extreme scores", np.array([0, 1, 0, 1]), np.array([-1e300, 1e300, 1e-300, -1e-300])),
    ]
    return [
        _value_case(
            label,
            {"y_true": y, "y_score": s},
            auc_roc(y, s),
            "AUC is the share of (positive, negative) pairs ranked correctly; a tied pair counts "
            "1/2 whatever the input order.",
        )
        for label, y, s in inputs
    ]


def check_auc_roc(fn) -> Verdict:
    """Grade ``fn(y_true, y_score) -> float``: the area under the ROC curve, ties counting 1/2.

    Expected answers come from :func:`mlref.metrics.auc_roc`. Both classes are present in every
    case.

    Parameters
    ----------
    fn : callable
        The reader's implementation.

    Returns
    -------
    Verdict
        Also printed; ``bool(verdict)`` is True when every case passed.

    Examples
    --------
    >>> from mlref.metrics import auc_roc
    >>> check_auc_roc(auc_roc).passed
    [passed] auc_roc: all 9 hidden cases
    True
    >>> check_auc_roc(lambda y_true, y_score: 0.5).passed  # doctest: +ELLIPSIS
    [failed] auc_roc: case 1 of 9 (random scores)
    ...
    False
    """
    return grade("auc_roc", fn, _auc_cases())


def _confusion_cases() -> list[Case]:
    rng = _rng(2)
    y, p = rng.integers(0, 2, 30), rng.integers(0, 2, 30)
    inputs = [
        ("random labels", y, p),
        ("all predicted negative", y, np.zeros(30, dtype=int)),
        ("only negatives anywhere", np.zeros(5, dtype=int), np.zeros(5, dtype=int)),
        ("only positives anywhere", np.ones(4, dtype=int), np.ones(4, dtype=int)),
        ("single sample", np.array([1]), np.array([0])),
    ]
    return [
        _value_case(
            label,
            {"y_true": t, "y_pred": q},
            confusion_matrix(t, q, labels=[0, 1]),
            "return the 2x2 integer array [[TN, FP], [FN, TP]] (rows = true class, columns = "
            "predicted) even when a class is missing from the data.",
        )
        for label, t, q in inputs
    ]


def check_confusion_matrix(fn) -> Verdict:
    """Grade ``fn(y_true, y_pred) -> array [[TN, FP], [FN, TP]]`` for 0/1 labels.

    Rows are the true class, columns the predicted class, as in
    :func:`mlref.metrics.confusion_matrix` and ``sklearn.metrics.confusion_matrix``.
    """
    return grade("confusion_matrix", fn, _confusion_cases())


def _prf_cases() -> list[Case]:
    rng = _rng(3)
    y, p = rng.integers(0, 2, 30), rng.integers(0, 2, 30)
    inputs = [
        ("random labels", y, p),
        ("no predicted positive", y, np.zeros(30, dtype=int)),
        ("no true positive label", np.zeros(6, dtype=int), np.array([0, 1, 0, 1, 1, 0])),
        ("perfect predictions", y, y.copy()),
        ("every prediction wrong", np.array([0, 1, 1, 0]), np.array([1, 0, 0, 1])),
        ("single sample", np.array([1]), np.array([1])),
    ]
    cases = []
    for label, t, q in inputs:
        expected = (precision(t, q), recall(t, q), f1_score(t, q))
        cases.append(
            Case(
                label,
                {"y_true": t, "y_pred": q},
                expected,
                parts_close_to(expected, ("precision", "recall", "f1")),
                "precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2PR / (P + R); each "
                "is 0 when its denominator is 0 (scikit-learn's zero_division=0).",
            )
        )
    return cases


def check_precision_recall_f1(fn) -> Verdict:
    """Grade ``fn(y_true, y_pred) -> (precision, recall, f1)`` for 0/1 labels.

    A ratio whose denominator is 0 is 0 (``zero_division=0`` in scikit-learn); references are
    :func:`mlref.metrics.precision`, :func:`~mlref.metrics.recall` and
    :func:`~mlref.metrics.f1_score`.
    """
    return grade("precision_recall_f1", fn, _prf_cases())


# --- ranking metrics -----------------------------------------------------------------------------


def _ranking_inputs(offset: int, *, ties: bool) -> list[tuple[str, np.ndarray, np.ndarray, int]]:
    """(label, y_true, y_score, k) shared by the single-query ranking metrics."""
    rng = _rng(offset)
    graded = rng.integers(0, 4, 12)
    out = [
        ("random graded labels", graded, rng.normal(size=12), 5),
        ("k = 1", graded, rng.normal(size=12), 1),
        ("k longer than the list", np.array([0, 2, 1]), np.array([0.3, 0.1, 0.2]), 10),
        ("graded labels 2 and 3", np.array([3, 0, 2, 0, 2]), np.array([5.0, 4, 3, 2, 1]), 3),
        ("no relevant document", np.zeros(5, dtype=int), rng.normal(size=5), 3),
        ("single document", np.array([1]), np.array([0.4]), 1),
        ("relevant documents ranked low", np.array([1, 0, 3]), np.array([0.9, 0.8, 0.1]), 2),
        ("extreme scores", np.array([0, 1, 2, 0]), np.array([1e300, -1e300, 1e-300, 0.0]), 2),
    ]
    if ties:
        out += [
            ("tie across the cut-off", np.array([0, 1, 0, 0]), np.array([0.9, 0.5, 0.5, 0.1]), 2),
            ("all scores tied", np.array([2, 0, 1, 0]), np.full(4, 0.5), 2),
            ("rounded scores", graded, np.round(rng.uniform(size=12), 1), 4),
        ]
    else:
        out += [
            (
                "tie among irrelevant documents",
                np.array([0, 0, 2, 0]),
                np.array([0.5, 0.5, 0.3, 0.2]),
                4,
            ),
        ]
    return out


_TIE_HINT = (
    " Tied scores: return the average over every order of the tie block (for a block spanning "
    "ranks a..b, each of its documents gets the block's mean contribution)."
)


def _ranking_cases(metric, offset, hint, *, ties, with_k=True) -> list[Case]:
    cases = []
    for label, y, s, k in _ranking_inputs(offset, ties=ties):
        args = {"y_true": y, "y_score": s, "k": k} if with_k else {"y_true": y, "y_score": s}
        expected = metric(y, s, k) if with_k else metric(y, s)
        cases.append(_value_case(label, args, expected, hint))
    return cases


def check_ndcg_at_k(fn) -> Verdict:
    r"""Grade ``fn(y_true, y_score, k) -> float``: NDCG@K of one query.

    Gain :math:`2^{rel} - 1`, discount :math:`1/\log_2(\text{rank} + 1)`, IDCG from all labels
    sorted in decreasing order, 0 for a query without relevant documents, ties averaged over
    their orders (:func:`mlref.metrics.ndcg_at_k`, equal to ``sklearn.metrics.ndcg_score`` with
    exponential gains).
    """
    hint = (
        "DCG@K sums (2**rel - 1) / log2(rank + 1) over the top K by score; IDCG@K is the DCG@K "
        "of ALL labels sorted in decreasing order (not of the retrieved top K); 0 when IDCG = 0."
        + _TIE_HINT
    )
    return grade("ndcg_at_k", fn, _ranking_cases(ndcg_at_k, 10, hint, ties=True))


def check_precision_at_k(fn) -> Verdict:
    """Grade ``fn(y_true, y_score, k) -> float``: share of relevant (label > 0) in the top K.

    The denominator is K even when the list is shorter; ties are averaged over their orders
    (:func:`mlref.metrics.precision_at_k`).
    """
    hint = (
        "count the documents with label > 0 in the top K (a grade of 3 counts once, not 3 "
        "times) and divide by K." + _TIE_HINT
    )
    return grade("precision_at_k", fn, _ranking_cases(precision_at_k, 11, hint, ties=True))


def check_recall_at_k(fn) -> Verdict:
    """Grade ``fn(y_true, y_score, k) -> float``: share of the relevant documents in the top K.

    0 for a query without relevant documents; ties are averaged over their orders
    (:func:`mlref.metrics.recall_at_k`).
    """
    hint = (
        "relevant means label > 0; divide the relevant documents in the top K by all relevant "
        "documents of the query, and return 0 when there are none." + _TIE_HINT
    )
    return grade("recall_at_k", fn, _ranking_cases(recall_at_k, 12, hint, ties=True))


def check_mrr(fn) -> Verdict:
    """Grade ``fn(y_true, y_score) -> float``: reciprocal rank of the first relevant document.

    Relevant means label > 0; 0 without relevant documents (:func:`mlref.metrics.mrr`). Ties in
    the battery never change the answer, so any tie-breaking rule passes.
    """
    hint = (
        "sort by score descending and return 1 / rank of the first document whose label is > 0 "
        "(any grade, not only 1), or 0 if there is none."
    )
    return grade("mrr", fn, _ranking_cases(mrr, 13, hint, ties=False, with_k=False))


def check_average_precision_at_k(fn) -> Verdict:
    r"""Grade ``fn(y_true, y_score, k) -> float``: average precision of the top K of one query.

    :math:`\mathrm{AP@K} = \frac{1}{\min(R, K)} \sum_{i \le K} \mathrm{P@}i\,[\mathrm{rel}_i > 0]`,
    0 without relevant documents (:func:`mlref.metrics.map_at_k`; MAP is its mean over queries).
    Ties in the battery never change the answer.
    """
    hint = (
        "walk down the top K; at each relevant document (label > 0) add the precision at that "
        "rank; divide by min(number of relevant documents, K); 0 if there are none."
    )
    return grade("average_precision_at_k", fn, _ranking_cases(map_at_k, 14, hint, ties=False))


def _cosine_cases() -> list[Case]:
    rng = _rng(4)
    u = rng.normal(size=6)
    inputs = [
        ("random vectors", u, rng.normal(size=6)),
        ("same direction, different length", u, 3.5 * u),
        ("opposite directions", u, -u),
        ("orthogonal vectors", np.array([1.0, 0.0]), np.array([0.0, 2.0])),
        ("one zero vector", u, np.zeros(6)),
        ("two zero vectors", np.zeros(3), np.zeros(3)),
        ("one dimension", np.array([-2.0]), np.array([5.0])),
        ("huge values", np.array([1e200, 2e200, -1e200]), np.array([3e200, 1e200, 0.0])),
    ]
    return [
        _value_case(
            label,
            {"u": a, "v": b},
            float(_cosine_rows(a[None, :], b[None, :])[0]),
            "u.v / (|u| |v|); a zero vector has no direction, return 0 for it; for huge values "
            "divide each vector by its largest |entry| first (cosine ignores length), so |u|^2 "
            "does not overflow.",
        )
        for label, a, b in inputs
    ]


def check_cosine_similarity(fn) -> Verdict:
    """Grade ``fn(u, v) -> float``: cosine similarity of two 1-D vectors, 0 for a zero vector.

    Reference: :func:`mlref.features.cosine_similarity` on one pair of rows.
    """
    return grade("cosine_similarity", fn, _cosine_cases())


# --- models ------------------------------------------------------------------------------------


def _blobs(rng, n_per, centres, scale=0.5):
    centres = np.asarray(centres, dtype=float)
    X = np.concatenate([c + scale * rng.normal(size=(n_per, centres.shape[1])) for c in centres])
    return X, np.repeat(np.arange(len(centres)), n_per)


def _kmeans_cases() -> list[Case]:
    rng = _rng(5)
    X, _ = _blobs(rng, 10, [[0, 0], [4, 0], [0, 4]])
    inputs = [
        ("three blobs", X, X[[0, 1, 2]], 100),
        ("one iteration", X, X[[0, 10, 20]] + 1.0, 1),
        (
            "a centroid far from every point (empty cluster)",
            X,
            np.array([[0.0, 0], [4, 4], [50, 50]]),
            100,
        ),
        ("k = 1", X, np.array([[10.0, 10.0]]), 100),
        ("single point", np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]]), 10),
        (
            "duplicate points",
            np.array([[1.0, 1], [1, 1], [1, 1], [5, 5]]),
            np.array([[1.0, 1], [5, 5]]),
            10,
        ),
        (
            "a point equidistant from two centroids",
            np.array([[0.0], [2.0], [1.0]]),
            np.array([[0.0], [2.0]]),
            100,
        ),
    ]
    cases = []
    for label, data, init, n_iter in inputs:
        expected = ref.kmeans(data, init, n_iter)
        cases.append(
            Case(
                label,
                {"X": data, "init_centroids": init, "n_iter": n_iter},
                expected,
                parts_close_to(expected, ("centroids", "labels")),
                "assign each point to its nearest centroid (lowest index on a tie), move each "
                "centroid to the mean of its points, and leave a centroid with no point where "
                "it is; return the centroids and the labels of a final assignment to them.",
            )
        )
    return cases


def check_kmeans(fn) -> Verdict:
    """Grade ``fn(X, init_centroids, n_iter) -> (centroids, labels)``: Lloyd's k-means.

    Reference: :func:`mlref.exercises.solutions.kmeans` (equal to ``sklearn.cluster.KMeans``
    with ``algorithm="lloyd"`` and the same initial centroids when no cluster empties).
    """
    return grade("kmeans", fn, _kmeans_cases())


def _sigmoid_cases() -> list[Case]:
    rng = _rng(6)
    inputs = [
        ("random logits", rng.normal(scale=3, size=8)),
        ("zero", np.array([0.0])),
        ("large negative logits", np.array([-50.0, -750.0, -1000.0])),
        ("large positive logits", np.array([50.0, 750.0, 1000.0])),
        ("a 2-D array", rng.normal(size=(2, 3))),
    ]
    return [
        _value_case(
            label,
            {"z": z},
            sigmoid(z),
            "1 / (1 + exp(-z)) overflows for z << 0: use exp(z) / (1 + exp(z)) there (only ever "
            "exponentiate -|z|), and keep the input's shape.",
            atol=1e-12,
        )
        for label, z in inputs
    ]


def check_sigmoid(fn) -> Verdict:
    """Grade ``fn(z) -> array``: the logistic sigmoid, elementwise, without overflow.

    Reference: :func:`mlref.nn.sigmoid`. NumPy overflow counts as a failure.
    """
    return grade("sigmoid", fn, _sigmoid_cases())


def _logistic_cases() -> list[Case]:
    rng = _rng(7)
    X = rng.normal(size=(20, 3))
    y = (X @ [1.0, -2.0, 0.5] + rng.normal(size=20) > 0).astype(float)
    inputs = [
        ("random data", X, y, 0.1, 100),
        ("one feature", X[:, :1], y, 0.5, 50),
        ("single sample", np.array([[1.0, -1.0]]), np.array([1.0]), 0.1, 10),
        ("separable data, large features", 100 * X, (X[:, 0] > 0).astype(float), 1.0, 30),
    ]
    cases = []
    for label, data, target, lr, n_epochs in inputs:
        expected = ref.logistic_regression_gd(data, target, lr, n_epochs)
        cases.append(
            Case(
                label,
                {"X": data, "y": target, "lr": lr, "n_epochs": n_epochs},
                expected,
                parts_close_to(expected, ("w", "b")),
                "start from w = 0, b = 0; each epoch: p = sigmoid(X w + b), "
                "w -= lr * X.T (p - y) / m, b -= lr * mean(p - y); use a stable sigmoid.",
            )
        )
    return cases


def check_logistic_regression(fn) -> Verdict:
    """Grade ``fn(X, y, lr, n_epochs) -> (w, b)``: full-batch gradient descent from zero.

    Reference: :func:`mlref.exercises.solutions.logistic_regression_gd`.
    """
    return grade("logistic_regression", fn, _logistic_cases())


def _knn_cases() -> list[Case]:
    rng = _rng(8)
    X, y = _blobs(rng, 10, [[0, 0], [2, 0]], scale=1.0)
    X_test = rng.normal(size=(6, 2)) + np.array([1.0, 0.0])
    X3, y3 = _blobs(rng, 6, [[0, 0], [3, 3], [0, 3]], scale=0.8)
    inputs = [
        ("random points, k = 3", X, y, X_test, 3),
        ("k = 1 on a training point", X, y, X[[4, 15]], 1),
        (
            "tied vote (k = 2)",
            np.array([[0.0], [1.0], [3.0]]),
            np.array([1, 0, 0]),
            np.array([[0.4]]),
            2,
        ),
        ("labels 3, 7, 9", X3, np.array([3, 7, 9])[y3], rng.normal(size=(5, 2)) * 2 + 1, 3),
        ("k = number of training points", X, y, X_test, 20),
        (
            "Euclidean, not Manhattan, distance",
            np.array([[1.0, 1.0], [1.5, 0.0]]),
            np.array([0, 1]),
            np.zeros((1, 2)),
            1,
        ),
        ("single training point", np.array([[1.0, 1.0]]), np.array([5]), X_test, 1),
    ]
    cases = []
    for label, Xtr, ytr, Xte, k in inputs:
        expected = ref.knn_predict(Xtr, ytr, Xte, k)
        cases.append(
            _value_case(
                label,
                {"X_train": Xtr, "y_train": ytr, "X_test": Xte, "k": k},
                expected,
                "Euclidean distances from each test point to every training point, the k "
                "smallest, then a majority vote; a tied vote goes to the smallest label.",
            )
        )
    return cases


def check_knn_predict(fn) -> Verdict:
    """Grade ``fn(X_train, y_train, X_test, k) -> labels``: k-nearest-neighbour classification.

    Reference: :func:`mlref.exercises.solutions.knn_predict` (``KNeighborsClassifier``'s rule).
    """
    return grade("knn_predict", fn, _knn_cases())


def _impurity_cases(impurity, name: str, hint: str) -> list[Case]:
    rng = _rng(9)
    inputs = [
        ("random labels", rng.integers(0, 3, 25)),
        ("a pure node", np.full(7, 2)),
        ("single sample", np.array([1])),
        ("two balanced classes", np.array([0, 1, 0, 1])),
        ("labels 3, 7, 10", np.array([3, 7, 7, 10, 10, 10])),
    ]
    return [_value_case(label, {"y": y}, impurity(y), hint) for label, y in inputs]


def check_gini_impurity(fn) -> Verdict:
    """Grade ``fn(y) -> float``: Gini impurity ``1 - sum_c p_c^2`` of class labels.

    Reference: :func:`mlref.exercises.solutions.gini_impurity`.
    """
    hint = "p_c = share of each class present in y (not of 0..max label); Gini = 1 - sum p_c^2."
    return grade("gini_impurity", fn, _impurity_cases(ref.gini_impurity, "gini", hint))


def check_entropy(fn) -> Verdict:
    """Grade ``fn(y) -> float``: entropy in bits ``-sum_c p_c log2 p_c`` of class labels.

    Reference: :func:`mlref.exercises.solutions.entropy`.
    """
    hint = (
        "use log base 2 and only classes that occur (0 * log 0 is taken as 0, but NumPy "
        "computes it as NaN)."
    )
    return grade("entropy", fn, _impurity_cases(ref.entropy, "entropy", hint))


def _split_judge(expected):
    threshold, gain = expected

    def judge(received):
        if received is None:
            return "the answer is None: did the function forget to `return` its result?"
        if not isinstance(received, tuple | list) or len(received) != 2:
            return "expected a tuple (threshold, gain)"
        got_threshold, got_gain = received
        if threshold is None:
            if got_threshold is not None:
                return (
                    "x is constant, so there is no split: expected threshold None, got "
                    f"{fmt(got_threshold)}"
                )
        else:
            problem = close_to(threshold, what="threshold")(got_threshold)
            if problem:
                return problem
        return close_to(gain, what="gain")(got_gain)

    return judge


def _split_cases() -> list[Case]:
    rng = _rng(10)
    x = rng.integers(0, 10, 30).astype(float)
    y = (x + rng.normal(scale=2, size=30) > 5).astype(int)
    x3 = rng.normal(size=24)
    y3 = np.digitize(x3 + rng.normal(scale=0.3, size=24), [-0.5, 0.5])
    inputs = [
        ("random feature, gini", x, y, "gini"),
        ("random feature, entropy", x, y, "entropy"),
        ("three classes, entropy", x3, y3, "entropy"),
        ("perfectly separable, gini", np.array([3.0, 1, 2, 4]), np.array([1, 0, 0, 1]), "gini"),
        (
            "two equally good thresholds",
            np.array([1.0, 2, 3, 4, 5]),
            np.array([0, 1, 1, 1, 0]),
            "gini",
        ),
        ("constant feature", np.full(5, 2.0), np.array([0, 1, 0, 1, 1]), "gini"),
        ("single sample", np.array([1.0]), np.array([1]), "entropy"),
        ("pure node", np.array([1.0, 2.0, 3.0]), np.array([1, 1, 1]), "gini"),
    ]
    cases = []
    for label, xs, ys, criterion in inputs:
        expected = ref.best_split(xs, ys, criterion)
        cases.append(
            Case(
                label,
                {"x": xs, "y": ys, "criterion": criterion},
                expected,
                _split_judge(expected),
                "sort by x; try the midpoints between consecutive DISTINCT values (left: x <= t); "
                "gain = I(parent) - (n_L I(left) + n_R I(right)) / n; keep the smallest threshold "
                "among equal gains; (None, 0.0) when x is constant.",
            )
        )
    return cases


def check_best_split(fn) -> Verdict:
    """Grade ``fn(x, y, criterion) -> (threshold, gain)``: the best split of one feature.

    ``criterion`` is ``"gini"`` or ``"entropy"``. Reference:
    :func:`mlref.exercises.solutions.best_split` (the threshold scikit-learn's
    ``DecisionTreeClassifier(max_depth=1)`` picks on one feature).
    """
    return grade("best_split", fn, _split_cases())


# --- splitting and cross-validation ------------------------------------------------------------


def _index_problem(part, n_samples: int, name: str):
    arr, problem = _int_indices(part, name)
    if problem:
        return None, problem
    if arr.size and (arr.min() < 0 or arr.max() >= n_samples):
        return None, f"{name} holds indices outside 0..{n_samples - 1}"
    return arr, None


def _int_indices(part, name):
    got, problem = as_float_array(part, name)
    if problem:
        return None, problem
    if got.ndim != 1 or (got.size and not np.array_equal(got, np.round(got))):
        return None, f"{name} must be a 1-D array of integer indices"
    return got.astype(np.int64), None


def _split_property_judge(n_samples: int, n_test: int):
    def judge(received):
        if received is None:
            return "the answer is None: did the function forget to `return` its result?"
        if not isinstance(received, tuple | list) or len(received) != 2:
            return "expected a tuple (train_idx, test_idx)"
        train, problem = _index_problem(received[0], n_samples, "train_idx")
        if problem:
            return problem
        test, problem = _index_problem(received[1], n_samples, "test_idx")
        if problem:
            return problem
        if len(test) != n_test or len(train) != n_samples - n_test:
            return (
                f"expected {n_samples - n_test} train and {n_test} test indices, got "
                f"{len(train)} and {len(test)}"
            )
        if not np.array_equal(np.sort(np.concatenate([train, test])), np.arange(n_samples)):
            return "train and test must be disjoint and together hold every index once"
        if n_test >= 3 and (np.ptp(test) == n_test - 1):
            return "the test indices are one contiguous block: shuffle before cutting"
        return None

    return judge


def _reproducible_judge(received):
    (a_train, a_test), (b_train, b_test), (_, c_test) = received
    if not (np.array_equal(a_train, b_train) and np.array_equal(a_test, b_test)):
        return "the same random_state gave two different splits: seed a local generator with it"
    if np.array_equal(np.sort(a_test), np.sort(c_test)):
        return "two different random_state values gave the same test set"
    return None


def _twice_then_other(fn):
    return fn(50, 0.2, 7), fn(50, 0.2, 7), fn(50, 0.2, 8)


def _safe_repro_judge(received):
    try:
        return _reproducible_judge(received)
    except Exception:
        return "expected each call to return a tuple (train_idx, test_idx) of index arrays"


def _train_test_cases() -> list[Case]:
    hint = (
        "shuffle np.arange(n_samples) with np.random.default_rng(random_state), then take the "
        "first ceil(test_size * n_samples) indices as the test set and the rest as train."
    )
    cases = []
    for label, n, size in (
        ("n = 100, test_size = 0.2", 100, 0.2),
        ("rounding up: n = 10, test_size = 0.25", 10, 0.25),
        ("n = 2, test_size = 0.5", 2, 0.5),
    ):
        n_test = int(np.ceil(size * n))
        cases.append(
            Case(
                label,
                {"n_samples": n, "test_size": size, "random_state": 0},
                f"{n - n_test} train + {n_test} test indices, disjoint, shuffled",
                _split_property_judge(n, n_test),
                hint,
            )
        )
    cases.append(
        Case(
            "the same seed twice, then another seed",
            {"n_samples": 50, "test_size": 0.2, "random_state": "7, 7, then 8"},
            "the same split for seed 7 twice, another one for seed 8",
            _safe_repro_judge,
            hint,
            call=_twice_then_other,
        )
    )
    return cases


def check_train_test_split(fn) -> Verdict:
    """Grade ``fn(n_samples, test_size, random_state) -> (train_idx, test_idx)``.

    The split must be shuffled, reproducible for a seed, disjoint and complete, with
    ``ceil(test_size * n_samples)`` test indices (``sklearn.model_selection.train_test_split``'s
    rule). Reference: :func:`mlref.exercises.solutions.train_test_split`.
    """
    return grade("train_test_split", fn, _train_test_cases())


def _k_fold_judge(expected):
    def judge(received):
        if received is None:
            return "the answer is None: did the function forget to `return` its result?"
        try:
            folds = list(received)
        except TypeError:
            return "expected a list of (train_idx, test_idx) pairs"
        if len(folds) != len(expected):
            return f"expected {len(expected)} folds, got {len(folds)}"
        for i, (got, (train, test)) in enumerate(zip(folds, expected, strict=True)):
            if not isinstance(got, tuple | list) or len(got) != 2:
                return f"fold {i} is not a pair (train_idx, test_idx)"
            for part, want, name in ((got[0], train, "train_idx"), (got[1], test, "test_idx")):
                arr, problem = _int_indices(part, f"fold {i} {name}")
                if problem:
                    return problem
                if not np.array_equal(np.sort(arr), want):
                    return f"fold {i} {name} holds {fmt(np.sort(arr))}, expected {fmt(want)}"
        return None

    return judge


def _k_fold_cases() -> list[Case]:
    cases = []
    for label, n, k in (
        ("n divisible by k", 10, 5),
        ("n not divisible by k", 11, 3),
        ("k = n (leave one out)", 4, 4),
        ("n = 3, k = 2", 3, 2),
    ):
        expected = ref.k_fold(n, k)
        cases.append(
            Case(
                label,
                {"n_samples": n, "k": k},
                [test for _, test in expected],
                _k_fold_judge(expected),
                "consecutive folds; the first n % k folds get one extra sample (sklearn KFold); "
                "no sample may be left out of every test fold.",
            )
        )
    return cases


def check_k_fold(fn) -> Verdict:
    """Grade ``fn(n_samples, k) -> [(train_idx, test_idx), ...]``: k-fold CV without shuffling.

    The folds must equal ``sklearn.model_selection.KFold(k)``'s (index order inside a fold is
    free). The expected value shown is the list of test folds.
    """
    return grade("k_fold", fn, _k_fold_cases())


# --- optimisation and layers -------------------------------------------------------------------


def _elastic_net_cases() -> list[Case]:
    rng = _rng(11)
    w, g = rng.normal(size=6), rng.normal(size=6)
    inputs = [
        ("L1 and L2", w, g, 0.1, 0.5, 0.3),
        ("L2 only (weight decay)", w, g, 0.1, 0.0, 1.0),
        (
            "L1 only, small weights go to exactly 0",
            np.array([0.02, -0.03, 1.0, 0.0]),
            np.zeros(4),
            0.1,
            0.5,
            0.0,
        ),
        ("no regularization", w, g, 0.05, 0.0, 0.0),
        ("a strong L1 zeroes every weight", w, g, 0.1, 100.0, 0.0),
    ]
    return [
        _value_case(
            label,
            {"w": a, "grad": b, "lr": lr, "l1": l1, "l2": l2},
            ref.elastic_net_step(a, b, lr, l1, l2),
            "u = w - lr * (grad + l2 * w), then soft-threshold: sign(u) * max(|u| - lr * l1, 0) "
            "(the L1 step is scaled by lr too).",
        )
        for label, a, b, lr, l1, l2 in inputs
    ]


def check_elastic_net_step(fn) -> Verdict:
    """Grade ``fn(w, grad, lr, l1, l2) -> new_w``: one proximal L1/L2-regularized gradient step.

    Reference: :func:`mlref.exercises.solutions.elastic_net_step`.
    """
    return grade("elastic_net_step", fn, _elastic_net_cases())


def _batchnorm_inputs(rng) -> list[tuple[str, np.ndarray]]:
    constant = rng.normal(size=(5, 2))
    constant[:, 1] = 3.0
    return [
        ("random batch", rng.normal(size=(6, 3))),
        ("a constant column", constant),
        ("two samples", np.array([[1.0, -2.0], [3.0, 5.0]])),
        ("large offset, small spread", 1e8 + rng.normal(size=(6, 2))),
    ]


def _batchnorm_forward_cases() -> list[Case]:
    rng = _rng(12)
    cases = []
    for label, x in _batchnorm_inputs(rng):
        gamma = rng.uniform(0.5, 2.0, x.shape[1])
        beta = rng.normal(size=x.shape[1])
        cases.append(
            _value_case(
                label,
                {"x": x, "gamma": gamma, "beta": beta, "eps": 1e-5},
                ref.batchnorm_forward(x, gamma, beta, 1e-5),
                "per column: mean and BIASED variance over the batch (axis 0), then gamma * (x - "
                "mean) / sqrt(var + eps) + beta; compute var as mean((x - mean)**2), not "
                "mean(x**2) - mean**2, which cancels catastrophically.",
                rtol=1e-5,
                atol=1e-6,
            )
        )
    return cases


def check_batchnorm_forward(fn) -> Verdict:
    """Grade ``fn(x, gamma, beta, eps) -> out``: batch normalisation of a training batch.

    Reference: :func:`mlref.exercises.solutions.batchnorm_forward` (:class:`mlref.nn.BatchNorm`).
    """
    return grade("batchnorm_forward", fn, _batchnorm_forward_cases())


def _batchnorm_backward_cases() -> list[Case]:
    rng = _rng(13)
    cases = []
    for label, x in _batchnorm_inputs(rng)[:3]:
        gamma = rng.uniform(0.5, 2.0, x.shape[1])
        d_out = rng.normal(size=x.shape)
        expected = ref.batchnorm_backward(d_out, x, gamma, 1e-5)
        cases.append(
            Case(
                label,
                {"d_out": d_out, "x": x, "gamma": gamma, "eps": 1e-5},
                expected,
                parts_close_to(expected, ("dx", "dgamma", "dbeta"), rtol=1e-5, atol=1e-7),
                "the mean and variance depend on every x too: with g = gamma * d_out, "
                "dx = (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var + eps); "
                "dgamma = sum(d_out * x_hat), dbeta = sum(d_out) over the batch.",
            )
        )
    return cases


def check_batchnorm_backward(fn) -> Verdict:
    """Grade ``fn(d_out, x, gamma, eps) -> (dx, dgamma, dbeta)``: batch-norm gradients.

    Reference: :func:`mlref.exercises.solutions.batchnorm_backward` (:class:`mlref.nn.BatchNorm`,
    itself checked against finite differences).
    """
    return grade("batchnorm_backward", fn, _batchnorm_backward_cases())


def _relu_cases() -> list[Case]:
    rng = _rng(14)
    inputs = [
        ("random values", rng.normal(size=8)),
        ("zeros and negative zero", np.array([0.0, -0.0, -1e-300])),
        ("a 2-D array", rng.normal(size=(3, 2))),
        ("large values", np.array([1e300, -1e300])),
    ]
    return [
        _value_case(
            label,
            {"z": z},
            ref.relu(z),
            "np.maximum(z, 0) returns a new array; do not write into z.",
        )
        for label, z in inputs
    ]


def check_relu(fn) -> Verdict:
    """Grade ``fn(z) -> array``: ReLU elementwise, same shape, leaving ``z`` unchanged."""
    return grade("relu", fn, _relu_cases())


def _softmax_cases() -> list[Case]:
    rng = _rng(15)
    inputs = [
        ("random logits (1-D)", rng.normal(size=5)),
        ("rows of a 2-D array", rng.normal(size=(3, 4))),
        ("large logits", np.array([1000.0, 999.0, 990.0])),
        ("very negative logits", np.array([-1000.0, -1001.0])),
        ("single logit", np.array([7.0])),
        ("rows with different offsets", np.array([[0.0, 1.0], [800.0, 801.0]])),
    ]
    return [
        _value_case(
            label,
            {"z": z},
            softmax(z),
            "subtract the maximum of each row (axis=-1, keepdims=True) before exp: softmax is "
            "unchanged and exp never overflows; normalise each row over the LAST axis.",
            atol=1e-12,
        )
        for label, z in inputs
    ]


def check_softmax(fn) -> Verdict:
    """Grade ``fn(z) -> array``: softmax over the last axis, without overflow.

    Reference: :func:`mlref.nn.softmax`. NumPy overflow counts as a failure.
    """
    return grade("softmax", fn, _softmax_cases())
