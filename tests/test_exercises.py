"""mlref.exercises: the reference solutions equal scikit-learn, every checker accepts the
reference and rejects realistic buggy variants (the source's own snippets among them), and no
checker ever raises, whatever the function under test does."""

import doctest
import itertools
import math

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.linear_model import ElasticNet
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.model_selection import KFold
from sklearn.model_selection import train_test_split as sk_train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier

from mlref import exercises as ex
from mlref import metrics as M
from mlref import nn
from mlref.exercises import checkers, solutions
from mlref.exercises import solutions as ref
from mlref.features import cosine_similarity


@pytest.mark.parametrize("module", [solutions, checkers])
def test_doctests(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# --- reference solutions against scikit-learn ---------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_kmeans_equals_sklearn_lloyd_from_the_same_centroids(seed):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-5, 5, size=(4, 3))
    X = np.concatenate([c + rng.normal(size=(25, 3)) for c in centres])
    init = X[rng.choice(len(X), 4, replace=False)]
    centroids, labels = ref.kmeans(X, init, 300)
    km = KMeans(4, init=init, n_init=1, max_iter=300, tol=0.0, algorithm="lloyd").fit(X)
    np.testing.assert_allclose(centroids, km.cluster_centers_, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(labels, km.labels_)


def test_kmeans_keeps_an_empty_clusters_centroid_and_breaks_ties_to_the_lowest_index():
    X = np.array([[0.0], [2.0], [1.0]])
    centroids, labels = ref.kmeans(X, [[0.0], [2.0], [100.0]])
    np.testing.assert_allclose(centroids.ravel(), [0.5, 2.0, 100.0])
    np.testing.assert_array_equal(labels, [0, 1, 0])


@pytest.mark.parametrize("k", [1, 2, 3, 4, 7])
def test_knn_predict_equals_sklearn(k):
    rng = np.random.default_rng(k)
    X = rng.normal(size=(40, 3))
    y = rng.choice([2, 5, 9], size=40)
    X_test = rng.normal(size=(30, 3))
    expected = KNeighborsClassifier(k, algorithm="brute").fit(X, y).predict(X_test)
    np.testing.assert_array_equal(ref.knn_predict(X, y, X_test, k), expected)


@pytest.mark.parametrize("criterion", ["gini", "entropy"])
@pytest.mark.parametrize("seed", range(4))
def test_best_split_and_impurities_equal_a_sklearn_stump(criterion, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 40, 60) / 2.0  # halves: exact in float32 too, with duplicates
    y = (x + rng.normal(scale=6, size=60) > 10).astype(int) + (x > 15)
    tree = DecisionTreeClassifier(max_depth=1, criterion=criterion).fit(x[:, None], y).tree_
    impurity = ref.gini_impurity if criterion == "gini" else ref.entropy
    assert impurity(y) == pytest.approx(tree.impurity[0], abs=1e-12)
    n = tree.weighted_n_node_samples
    gain = tree.impurity[0] - (n[1] * tree.impurity[1] + n[2] * tree.impurity[2]) / n[0]
    threshold, got_gain = ref.best_split(x, y, criterion)
    assert threshold == pytest.approx(tree.threshold[0])
    assert got_gain == pytest.approx(gain, abs=1e-12)


def test_best_split_without_a_split_and_its_tie_rule():
    assert ref.best_split([2.0, 2.0, 2.0], [0, 1, 0]) == (None, 0.0)
    # thresholds 1.5 and 4.5 both isolate one odd sample: the smaller wins
    assert ref.best_split([1.0, 2, 3, 4, 5], [0, 1, 1, 1, 0])[0] == 1.5


@pytest.mark.parametrize("n, size", [(10, 0.25), (7, 0.5), (100, 0.2), (3, 0.34), (9, 0.1)])
def test_train_test_split_sizes_equal_sklearn(n, size):
    train, test = ref.train_test_split(n, size, random_state=0)
    sk_train, sk_test = sk_train_test_split(np.arange(n), test_size=size, random_state=0)
    assert (len(train), len(test)) == (len(sk_train), len(sk_test))
    np.testing.assert_array_equal(np.sort(np.r_[train, test]), np.arange(n))
    again = ref.train_test_split(n, size, random_state=0)
    np.testing.assert_array_equal(again[1], test)


@pytest.mark.parametrize("n, k", [(10, 5), (11, 3), (4, 4), (3, 2), (23, 7)])
def test_k_fold_equals_sklearn_kfold(n, k):
    ours = ref.k_fold(n, k)
    theirs = list(KFold(k).split(np.zeros(n)))
    assert len(ours) == len(theirs)
    for (train, test), (sk_train, sk_test) in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(train, sk_train)
        np.testing.assert_array_equal(test, sk_test)


def test_elastic_net_steps_converge_to_sklearn_elastic_net():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 6))
    X[:, 1] = X[:, 0] + 0.1 * rng.normal(size=50)
    y = X @ [2.0, 0.0, -1.0, 0.0, 0.0, 0.5] + 0.3 * rng.normal(size=50)
    alpha, l1_ratio = 0.1, 0.7
    l1, l2 = alpha * l1_ratio, alpha * (1 - l1_ratio)
    lr = 1.0 / (np.linalg.eigvalsh(X.T @ X / len(X)).max() + l2)
    w = np.zeros(6)
    for _ in range(3000):
        w = ref.elastic_net_step(w, X.T @ (X @ w - y) / len(X), lr, l1, l2)
    sk = ElasticNet(
        alpha=alpha, l1_ratio=l1_ratio, fit_intercept=False, tol=1e-12, max_iter=100_000
    )
    np.testing.assert_allclose(w, sk.fit(X, y).coef_, atol=1e-7)
    assert (w == 0).sum() == (sk.coef_ == 0).sum() >= 1


def test_logistic_regression_gd_converges_to_sklearn_unpenalised():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    y = (X @ [1.0, -1.0, 0.5] + 0.3 + rng.logistic(size=200) > 0).astype(float)
    w, b = ref.logistic_regression_gd(X, y, lr=2.0, n_epochs=3000)
    sk = SkLogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(w, sk.coef_[0], rtol=1e-4)
    assert b == pytest.approx(sk.intercept_[0], rel=1e-4)


def test_batchnorm_functions_against_finite_differences():
    rng = np.random.default_rng(2)
    x, gamma, beta, d_out = (
        rng.normal(size=(5, 3)),
        rng.uniform(0.5, 2, 3),
        rng.normal(size=3),
        rng.normal(size=(5, 3)),
    )
    out = ref.batchnorm_forward(x, gamma, beta)
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-12)
    dx, dgamma, dbeta = ref.batchnorm_backward(d_out, x, gamma)

    def loss():
        return float(np.sum(ref.batchnorm_forward(x, gamma, beta) * d_out))

    assert nn.relative_error(dx, nn.numerical_gradient(loss, x)) < 1e-6
    assert nn.relative_error(dgamma, nn.numerical_gradient(loss, gamma)) < 1e-6
    assert nn.relative_error(dbeta, nn.numerical_gradient(loss, beta)) < 1e-6


def test_relu_returns_a_new_array():
    z = np.array([-1.0, 2.0])
    out = ref.relu(z)
    np.testing.assert_array_equal(out, [0.0, 2.0])
    assert z[0] == -1.0


# --- every checker accepts the reference -------------------------------------------------------

REFERENCES = {
    "auc_roc": M.auc_roc,
    "confusion_matrix": lambda t, p: M.confusion_matrix(t, p, labels=[0, 1]),
    "precision_recall_f1": lambda t, p: (M.precision(t, p), M.recall(t, p), M.f1_score(t, p)),
    "ndcg_at_k": M.ndcg_at_k,
    "precision_at_k": M.precision_at_k,
    "recall_at_k": M.recall_at_k,
    "mrr": M.mrr,
    "average_precision_at_k": M.map_at_k,
    "cosine_similarity": lambda u, v: cosine_similarity(u[None], v[None])[0],
    "kmeans": ref.kmeans,
    "sigmoid": nn.sigmoid,
    "logistic_regression": ref.logistic_regression_gd,
    "knn_predict": ref.knn_predict,
    "gini_impurity": ref.gini_impurity,
    "entropy": ref.entropy,
    "best_split": ref.best_split,
    "train_test_split": ref.train_test_split,
    "k_fold": ref.k_fold,
    "elastic_net_step": ref.elastic_net_step,
    "batchnorm_forward": ref.batchnorm_forward,
    "batchnorm_backward": ref.batchnorm_backward,
    "relu": ref.relu,
    "softmax": nn.softmax,
}


def _checker(name):
    return getattr(ex, f"check_{name}")


def test_every_checker_has_a_reference():
    checkers = {n.removeprefix("check_") for n in ex.__all__ if n.startswith("check_")}
    assert checkers == set(REFERENCES)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_checker_accepts_the_reference(name, capsys):
    verdict = _checker(name)(REFERENCES[name])
    assert verdict.passed, verdict.message
    assert capsys.readouterr().out.startswith(f"[passed] {name}: all ")


# --- buggy variants: the source's snippets and common mistakes ---------------------------------


def auc_source_snippet(y_true, y_scores):  # the source's AUC: a tied pair scores 0 or 1
    order = sorted(range(len(y_scores)), key=lambda i: y_scores[i], reverse=True)
    num_pos = sum(y_true)
    num_neg = len(y_true) - num_pos
    correct, seen = 0, 0
    for i in order:
        if y_true[i] == 1:
            seen += 1
        else:
            correct += seen
    return correct / (num_pos * num_neg)


def auc_flipped(y_true, y_score):
    return 1.0 - M.auc_roc(y_true, y_score)


def auc_strict_pairs_only(y_true, y_score):
    pos, neg = y_score[y_true == 1], y_score[y_true == 0]
    return float((pos[:, None] > neg[None, :]).mean())


def _order(y_score):
    return np.argsort(y_score)[::-1]


def ndcg_source_snippet(y_true, y_scores, k):  # argsort decides the order of ties
    top = _order(y_scores)[:k]
    dcg = sum((2 ** y_true[i] - 1) / np.log2(p + 2) for p, i in enumerate(top))
    ideal = np.argsort(y_true)[::-1][:k]
    idcg = sum((2 ** y_true[i] - 1) / np.log2(p + 2) for p, i in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0


def ndcg_ideal_of_retrieved(y_true, y_score, k):  # IDCG from the retrieved top K only
    top = y_true[_order(y_score)[:k]]
    disc = 1 / np.log2(np.arange(2, len(top) + 2))
    idcg = np.sum((2.0 ** np.sort(top)[::-1] - 1) * disc)
    return float(np.sum((2.0**top - 1) * disc) / idcg) if idcg > 0 else 0.0


def ndcg_linear_gain(y_true, y_score, k):
    return M.ndcg_at_k(y_true, y_score, k, gain="linear")


def precision_source_snippet(y_true, y_scores, k):  # sums graded labels
    top = _order(y_scores)[:k]
    return sum(y_true[i] for i in top) / k


def precision_over_retrieved(y_true, y_score, k):
    return M.precision_at_k(y_true, y_score, k, denominator="retrieved")


def recall_source_snippet(y_true, y_scores, k):  # sums graded labels
    top = _order(y_scores)[:k]
    total = sum(y_true)
    return sum(y_true[i] for i in top) / total if total > 0 else 0


def recall_nan_without_relevant(y_true, y_score, k):
    relevant = (y_true > 0).sum()
    return M.recall_at_k(y_true, y_score, k) if relevant else float("nan")


def mrr_source_snippet(y_true, y_scores):  # only label == 1 counts
    for rank, i in enumerate(_order(y_scores), 1):
        if y_true[i] == 1:
            return 1.0 / rank
    return 0


def mrr_off_by_one(y_true, y_score):
    for rank, i in enumerate(_order(y_score)):
        if y_true[i] > 0:
            return 1.0 / (rank + 1e-12) if rank else 1.0 / (rank + 1) / 2
    return 0.0


def ap_divided_by_all_relevant(y_true, y_score, k):
    rel = (y_true[_order(y_score)[:k]] > 0).astype(float)
    total = (y_true > 0).sum()
    precisions = np.cumsum(rel) / np.arange(1, len(rel) + 1)
    return float((precisions * rel).sum() / total) if total else 0.0


def ap_divided_by_k(y_true, y_score, k):
    rel = (y_true[_order(y_score)[:k]] > 0).astype(float)
    precisions = np.cumsum(rel) / np.arange(1, len(rel) + 1)
    return float((precisions * rel).sum() / k)


def cosine_source_snippet_without_guard(v1, v2):  # divides by zero for a zero vector
    return np.dot(v1, v2) / (np.linalg.norm(v1) * np.linalg.norm(v2))


def cosine_source_snippet(v1, v2):  # the guard, but |u|^2 overflows on huge values
    n1, n2 = np.linalg.norm(v1), np.linalg.norm(v2)
    if n1 == 0 or n2 == 0:
        return 0
    return np.dot(v1, v2) / (n1 * n2)


def confusion_transposed(y_true, y_pred):
    return M.confusion_matrix(y_true, y_pred, labels=[0, 1]).T


def confusion_from_present_labels(y_true, y_pred):
    return M.confusion_matrix(y_true, y_pred)


def prf_nan_on_zero_division(y_true, y_pred):
    tp = np.sum((y_true == 1) & (y_pred == 1))
    p = tp / np.sum(y_pred == 1)
    r = tp / np.sum(y_true == 1)
    return p, r, 2 * p * r / (p + r)


def prf_swapped(y_true, y_pred):
    return M.recall(y_true, y_pred), M.precision(y_true, y_pred), M.f1_score(y_true, y_pred)


def kmeans_source_snippet(X, init_centroids, n_iter):  # re-draws an empty cluster at random
    centroids = np.array(init_centroids, dtype=float)
    for _ in range(n_iter):
        labels = np.argmin(np.sqrt(((X[:, None] - centroids) ** 2).sum(2)), axis=1)
        new = []
        for i in range(len(centroids)):
            points = X[labels == i]
            new.append(points.mean(0) if len(points) else X[np.random.randint(len(X))])  # noqa: NPY002
        new = np.array(new)
        if np.allclose(centroids, new):
            break
        centroids = new
    return centroids, labels


def kmeans_mean_of_empty(X, init_centroids, n_iter):  # NaN centroid for an empty cluster
    centroids = np.array(init_centroids, dtype=float)
    for _ in range(n_iter):
        labels = np.argmin(((X[:, None] - centroids) ** 2).sum(2), axis=1)
        centroids = np.array([X[labels == j].mean(0) for j in range(len(centroids))])
    return centroids, np.argmin(((X[:, None] - centroids) ** 2).sum(2), axis=1)


def sigmoid_naive(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_math_exp(z):
    return np.array([1 / (1 + math.exp(-v)) for v in np.ravel(z)]).reshape(np.shape(z))


def sigmoid_flattened(z):
    return nn.sigmoid(np.ravel(z))


def logistic_without_mean(X, y, lr, n_epochs):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_epochs):
        e = nn.sigmoid(X @ w + b) - y
        w, b = w - lr * X.T @ e, b - lr * e.sum()
    return w, b


def logistic_without_bias_update(X, y, lr, n_epochs):
    w = np.zeros(X.shape[1])
    for _ in range(n_epochs):
        w = w - lr * X.T @ (nn.sigmoid(X @ w) - y) / len(y)
    return w, 0.0


def logistic_naive_sigmoid(X, y, lr, n_epochs):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_epochs):
        e = 1 / (1 + np.exp(-(X @ w + b))) - y
        w, b = w - lr * X.T @ e / len(y), b - lr * e.mean()
    return w, b


def knn_vote_tie_to_largest(X_train, y_train, X_test, k):
    d = ((X_test[:, None] - X_train[None]) ** 2).sum(2)
    near = y_train[np.argsort(d, axis=1, kind="stable")[:, :k]]
    out = []
    for row in near:
        values, counts = np.unique(row, return_counts=True)
        out.append(values[::-1][np.argmax(counts[::-1])])
    return np.array(out)


def knn_skips_the_nearest(X_train, y_train, X_test, k):  # drops a "self match" that is not one
    d = ((X_test[:, None] - X_train[None]) ** 2).sum(2)
    near = np.argsort(d, axis=1, kind="stable")[:, 1 : k + 1]
    return np.array([np.argmax(np.bincount(y_train[row])) for row in near])


def knn_manhattan(X_train, y_train, X_test, k):
    d = np.abs(X_test[:, None] - X_train[None]).sum(2)
    near = y_train[np.argsort(d, axis=1, kind="stable")[:, :k]]
    classes = np.unique(y_train)
    return classes[np.argmax((near[..., None] == classes).sum(1), axis=1)]


def gini_without_square(y):
    _, c = np.unique(y, return_counts=True)
    return float(1 - np.sum(c / c.sum()))


def gini_counts_not_shares(y):
    _, c = np.unique(y, return_counts=True)
    return float(1 - np.sum(c**2) / len(y))


def gini_bincount(y):  # fine for gini: absent classes have p = 0
    p = np.bincount(y) / len(y)
    return float(1 - np.sum(p**2))


def entropy_bincount(y):  # 0 * log2(0) = NaN for absent classes
    p = np.bincount(y) / len(y)
    return float(-np.sum(p * np.log2(p)))


def entropy_natural_log(y):
    _, c = np.unique(y, return_counts=True)
    p = c / c.sum()
    return float(-np.sum(p * np.log(p)))


def best_split_at_values(x, y, criterion):  # thresholds at data values, not midpoints
    t, g = ref.best_split(x, y, criterion)
    if t is None:
        return t, g
    return float(np.max(x[x <= t])), g


def best_split_unweighted_children(x, y, criterion):
    impurity = ref.gini_impurity if criterion == "gini" else ref.entropy
    values = np.unique(x)
    best = (None, 0.0)
    for lo, hi in itertools.pairwise(values):
        t = (lo + hi) / 2
        gain = impurity(y) - (impurity(y[x <= t]) + impurity(y[x > t])) / 2
        if gain > best[1]:
            best = (t, gain)
    return best


def best_split_last_of_ties(x, y, criterion):
    t, g = ref.best_split(-np.asarray(x), y, criterion)
    return (None if t is None else -t), g


def split_unshuffled(n_samples, test_size, random_state):
    n_test = math.ceil(test_size * n_samples)
    idx = np.arange(n_samples)
    return idx[n_test:], idx[:n_test]


def split_floor(n_samples, test_size, random_state):
    idx = np.random.default_rng(random_state).permutation(n_samples)
    n_test = int(test_size * n_samples)
    return idx[n_test:], idx[:n_test]


def split_ignores_seed(n_samples, test_size, random_state):  # always shuffles with seed 0
    # (Deterministic on purpose: an unseeded global permutation would also fail the shuffle
    # checks of the first cases now and then, making this test flaky.)
    idx = np.random.default_rng(0).permutation(n_samples)
    n_test = math.ceil(test_size * n_samples)
    return idx[n_test:], idx[:n_test]


def k_fold_drops_remainder(n_samples, k):
    size = n_samples // k
    idx = np.arange(n_samples)
    return [
        (np.r_[idx[: i * size], idx[(i + 1) * size :]], idx[i * size : (i + 1) * size])
        for i in range(k)
    ]


def k_fold_last_gets_remainder(n_samples, k):
    size = n_samples // k
    idx = np.arange(n_samples)
    bounds = [i * size for i in range(k)] + [n_samples]
    return [(np.r_[idx[:a], idx[b:]], idx[a:b]) for a, b in itertools.pairwise(bounds)]


def step_subgradient(w, grad, lr, l1, l2):
    return w - lr * (grad + l2 * w + l1 * np.sign(w))


def step_threshold_without_lr(w, grad, lr, l1, l2):
    u = w - lr * (grad + l2 * w)
    return np.sign(u) * np.maximum(np.abs(u) - l1, 0.0)


def step_l2_not_scaled(w, grad, lr, l1, l2):
    u = w * (1 - l2) - lr * grad
    return np.sign(u) * np.maximum(np.abs(u) - lr * l1, 0.0)


def bn_forward_unbiased_var(x, gamma, beta, eps):
    return gamma * (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + eps) + beta


def bn_forward_no_eps(x, gamma, beta, eps):
    with np.errstate(all="ignore"):
        return gamma * (x - x.mean(0)) / np.sqrt(x.var(0)) + beta


def bn_forward_cancelling_var(x, gamma, beta, eps):
    mean = x.mean(0)
    var = (x**2).mean(0) - mean**2
    return gamma * (x - mean) / np.sqrt(np.maximum(var, 0) + eps) + beta


def bn_forward_over_rows(x, gamma, beta, eps):
    mean, var = x.mean(1, keepdims=True), x.var(1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def bn_backward_ignores_batch_stats(d_out, x, gamma, eps):
    x_hat = (x - x.mean(0)) / np.sqrt(x.var(0) + eps)
    return (
        d_out * gamma / np.sqrt(x.var(0) + eps),
        (d_out * x_hat).sum(0),
        d_out.sum(0),
    )


def bn_backward_mean_grads(d_out, x, gamma, eps):
    dx, dgamma, dbeta = ref.batchnorm_backward(d_out, x, gamma, eps)
    return dx, dgamma / len(x), dbeta / len(x)


def relu_in_place(z):
    z[z < 0] = 0
    return z


def relu_abs(z):
    return np.abs(z)


def relu_flattened(z):
    return np.maximum(np.ravel(z), 0)


def softmax_naive(z):
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_over_axis0(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def softmax_global_max(z):
    e = np.exp(z - z.max())
    return e / e.sum(axis=-1, keepdims=True)


BUGGY = {
    "auc_roc": [
        (auc_source_snippet, "scores rounded to one decimal (many ties)"),
        (auc_flipped, "random scores"),
        (auc_strict_pairs_only, "scores rounded to one decimal (many ties)"),
    ],
    "ndcg_at_k": [
        (ndcg_source_snippet, "tie across the cut-off"),
        (ndcg_ideal_of_retrieved, "random graded labels"),
        (ndcg_linear_gain, "random graded labels"),
    ],
    "precision_at_k": [
        (precision_source_snippet, "random graded labels"),
        (precision_over_retrieved, "k longer than the list"),
    ],
    "recall_at_k": [
        (recall_source_snippet, "random graded labels"),
        (recall_nan_without_relevant, "no relevant document"),
    ],
    "mrr": [(mrr_source_snippet, "k = 1"), (mrr_off_by_one, "random graded labels")],
    "average_precision_at_k": [
        (ap_divided_by_all_relevant, "random graded labels"),
        (ap_divided_by_k, "k longer than the list"),
    ],
    "cosine_similarity": [
        (cosine_source_snippet_without_guard, "one zero vector"),
        (cosine_source_snippet, "huge values"),
    ],
    "confusion_matrix": [
        (confusion_transposed, "random labels"),
        (confusion_from_present_labels, "only negatives anywhere"),
    ],
    "precision_recall_f1": [
        (prf_nan_on_zero_division, "no predicted positive"),
        (prf_swapped, "random labels"),
    ],
    "kmeans": [
        (kmeans_source_snippet, "a centroid far from every point (empty cluster)"),
        (kmeans_mean_of_empty, "a centroid far from every point (empty cluster)"),
    ],
    "sigmoid": [
        (sigmoid_naive, "large negative logits"),
        (sigmoid_math_exp, "large negative logits"),
        (sigmoid_flattened, "a 2-D array"),
    ],
    "logistic_regression": [
        (logistic_without_mean, "random data"),
        (logistic_without_bias_update, "random data"),
        (logistic_naive_sigmoid, "separable data, large features"),
    ],
    "knn_predict": [
        (knn_vote_tie_to_largest, "tied vote (k = 2)"),
        (knn_skips_the_nearest, "k = number of training points"),
        (knn_manhattan, "Euclidean, not Manhattan, distance"),
    ],
    "gini_impurity": [
        (gini_without_square, "random labels"),
        (gini_counts_not_shares, "random labels"),
    ],
    "entropy": [(entropy_bincount, "a pure node"), (entropy_natural_log, "random labels")],
    "best_split": [
        (best_split_at_values, "random feature, gini"),
        (best_split_unweighted_children, "random feature, gini"),
        (best_split_last_of_ties, "two equally good thresholds"),
    ],
    "train_test_split": [
        (split_unshuffled, "n = 100, test_size = 0.2"),
        (split_floor, "rounding up: n = 10, test_size = 0.25"),
        (split_ignores_seed, "the same seed twice, then another seed"),
    ],
    "k_fold": [
        (k_fold_drops_remainder, "n not divisible by k"),
        (k_fold_last_gets_remainder, "n not divisible by k"),
    ],
    "elastic_net_step": [
        (step_subgradient, "L1 only, small weights go to exactly 0"),
        (step_threshold_without_lr, "L1 and L2"),
        (step_l2_not_scaled, "L1 and L2"),
    ],
    "batchnorm_forward": [
        (bn_forward_unbiased_var, "random batch"),
        (bn_forward_no_eps, "random batch"),
        (bn_forward_cancelling_var, "large offset, small spread"),
        (bn_forward_over_rows, "random batch"),
    ],
    "batchnorm_backward": [
        (bn_backward_ignores_batch_stats, "random batch"),
        (bn_backward_mean_grads, "random batch"),
    ],
    "relu": [
        (relu_in_place, "random values"),
        (relu_abs, "random values"),
        (relu_flattened, "a 2-D array"),
    ],
    "softmax": [
        (softmax_naive, "large logits"),
        (softmax_over_axis0, "rows of a 2-D array"),
        (softmax_global_max, "rows with different offsets"),
    ],
}


def test_every_checker_has_buggy_variants():
    assert set(BUGGY) == set(REFERENCES)


@pytest.mark.parametrize(
    "name, buggy, case",
    [(n, f, c) for n, variants in BUGGY.items() for f, c in variants],
    ids=[f"{n}-{f.__name__}" for n, variants in BUGGY.items() for f, _ in variants],
)
def test_checker_rejects_a_buggy_variant_on_the_right_case(name, buggy, case, capsys):
    verdict = _checker(name)(buggy)
    assert verdict.status == "failed", verdict.message
    assert verdict.case == case, verdict.message
    out = capsys.readouterr().out
    assert out.startswith(f"[failed] {name}: case ") and "hint:" in out and "expected:" in out


def test_gini_from_bincount_is_accepted_since_absent_classes_add_nothing():
    assert ex.check_gini_impurity(gini_bincount).passed


def test_the_source_sigmoid_with_clipping_passes():
    assert ex.check_sigmoid(lambda z: 1 / (1 + np.exp(-np.clip(z, -500, 500)))).passed


def test_a_sorting_based_mrr_passes_since_battery_ties_never_matter():
    def mrr_sorted(y_true, y_score):
        for rank, i in enumerate(np.argsort(-y_score, kind="stable"), 1):
            if y_true[i] > 0:
                return 1 / rank
        return 0.0

    assert ex.check_mrr(mrr_sorted).passed


# --- garbage never raises -----------------------------------------------------------------------


def _raises_not_implemented(*args):
    raise NotImplementedError("your code here")


def _raises_value_error(*args):
    raise ValueError("oops")


def _prints_and_returns_none(*args):
    print("thinking...")


GARBAGE = {
    "returns None": (lambda *a: None, "failed"),
    "returns a string": (lambda *a: "0.5", "failed"),
    "returns the wrong shape": (lambda *a: np.zeros((7, 7, 7)), "failed"),
    "returns an object": (lambda *a: object(), "failed"),
    "returns a dict": (lambda *a: {"TP": 1}, "failed"),
    "returns NaN": (lambda *a: float("nan"), "failed"),
    "raises": (_raises_value_error, "failed"),
    "takes no argument": (lambda: 0.5, "failed"),
    "not implemented": (_raises_not_implemented, "not implemented"),
    "not callable": (42, "not a function"),
    "prints and returns None": (_prints_and_returns_none, "failed"),
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_checker_never_raises_on_garbage(name, capsys):
    for label, (fn, status) in GARBAGE.items():
        verdict = _checker(name)(fn)
        assert verdict.status == status, (label, verdict.message)
        assert not verdict
    out = capsys.readouterr().out
    assert "[not implemented yet]" in out and "[not a function]" in out


def test_failure_message_names_the_problem_and_the_case(capsys):
    verdict = ex.check_auc_roc(lambda y_true, y_score: None)
    assert "forget to `return`" in verdict.message
    assert verdict.message.splitlines()[0] == "[failed] auc_roc: case 1 of 9 (random scores)"
    verdict = ex.check_softmax(softmax_naive)
    assert "overflow" in verdict.message
    verdict = ex.check_relu(relu_in_place)
    assert "modified its input 'z' in place" in verdict.message
    assert repr(verdict) == "Verdict(exercise='relu', status='failed')"
