"""Implement-from-scratch exercises with automatic checkers (appendix B of the source).

Each ``check_<name>(fn)`` runs a reader's function on a hidden battery (random inputs, ties,
single-element and degenerate inputs, extreme values), compares every answer with the course's
reference implementation, and prints a short verdict: passed, or the first failing case with
the input, the expected and received answers and a hint. A checker never raises into the
notebook, whatever the function does; it returns a :class:`Verdict`.

The reference solutions without another home in ``mlref`` (k-means from given centroids, k-NN,
impurities and the best split, index splits, the proximal L1/L2 step, batch-norm functions,
ReLU) are in :mod:`mlref.exercises.solutions`, each tested against scikit-learn.
"""

from mlref.exercises._harness import Verdict
from mlref.exercises.checkers import (
    check_auc_roc,
    check_average_precision_at_k,
    check_batchnorm_backward,
    check_batchnorm_forward,
    check_best_split,
    check_confusion_matrix,
    check_cosine_similarity,
    check_elastic_net_step,
    check_entropy,
    check_gini_impurity,
    check_k_fold,
    check_kmeans,
    check_knn_predict,
    check_logistic_regression,
    check_mrr,
    check_ndcg_at_k,
    check_precision_at_k,
    check_precision_recall_f1,
    check_recall_at_k,
    check_relu,
    check_sigmoid,
    check_softmax,
    check_train_test_split,
)
from mlref.exercises.solutions import (
    batchnorm_backward,
    batchnorm_forward,
    best_split,
    elastic_net_step,
    entropy,
    gini_impurity,
    k_fold,
    kmeans,
    knn_predict,
    logistic_regression_gd,
    relu,
    train_test_split,
)

__all__ = [
    "Verdict",
    "batchnorm_backward",
    "batchnorm_forward",
    "best_split",
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
    "elastic_net_step",
    "entropy",
    "gini_impurity",
    "k_fold",
    "kmeans",
    "knn_predict",
    "logistic_regression_gd",
    "relu",
    "train_test_split",
]
