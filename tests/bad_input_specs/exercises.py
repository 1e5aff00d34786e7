"""Battery entries of ``mlref.exercises``: the checkers and the reference solutions.

A checker takes only the reader's function, and its contract is the opposite of the other
names: it never raises, whatever it is given (``tests/test_exercises.py`` feeds it None, strings,
non-callables and functions that raise). Its entry here is the valid call; the generic mutations
do not apply to a callable. The reference solutions get the full battery.
"""

from __future__ import annotations

import numpy as np

from bad_input_specs import Func
from mlref import metrics, nn
from mlref.exercises import solutions

X = np.array([[0.0, 1.0], [0.5, 1.5], [4.0, 4.0], [4.5, 3.5], [0.2, 0.8], [4.1, 4.2]])
INIT = np.array([[0.0, 0.0], [5.0, 5.0]])
Y01 = np.array([0, 0, 1, 1, 0, 1])
X_TEST = np.array([[0.1, 0.9], [4.0, 3.9], [2.0, 2.0]])
BATCH = np.array([[1.0, 2.0, 0.5], [3.0, -1.0, 0.0], [0.5, 0.0, 2.0], [2.0, 1.0, 1.0]])

_CHECKER_REFERENCES = {
    "auc_roc": metrics.auc_roc,
    "average_precision_at_k": metrics.map_at_k,
    "batchnorm_backward": solutions.batchnorm_backward,
    "batchnorm_forward": solutions.batchnorm_forward,
    "best_split": solutions.best_split,
    "confusion_matrix": lambda t, p: metrics.confusion_matrix(t, p, labels=[0, 1]),
    "cosine_similarity": lambda u, v: float(np.dot(u, v)),  # a wrong answer is fine: no raise
    "elastic_net_step": solutions.elastic_net_step,
    "entropy": solutions.entropy,
    "gini_impurity": solutions.gini_impurity,
    "k_fold": solutions.k_fold,
    "kmeans": solutions.kmeans,
    "knn_predict": solutions.knn_predict,
    "logistic_regression": solutions.logistic_regression_gd,
    "mrr": metrics.mrr,
    "ndcg_at_k": metrics.ndcg_at_k,
    "precision_at_k": metrics.precision_at_k,
    "precision_recall_f1": lambda t, p: (0.0, 0.0, 0.0),
    "recall_at_k": metrics.recall_at_k,
    "relu": solutions.relu,
    "sigmoid": nn.sigmoid,
    "softmax": nn.softmax,
    "train_test_split": solutions.train_test_split,
}

NO_INPUT = {"exercises.Verdict": "a result record returned by every check_<name>"}

SPECS = {f"exercises.check_{name}": Func({"fn": fn}) for name, fn in _CHECKER_REFERENCES.items()}

SPECS.update(
    {
        "exercises.kmeans": Func({"X": X, "init_centroids": INIT, "n_iter": 10}),
        "exercises.logistic_regression_gd": Func({"X": X, "y": Y01, "lr": 0.1, "n_epochs": 5}),
        "exercises.knn_predict": Func({"X_train": X, "y_train": Y01, "X_test": X_TEST, "k": 3}),
        "exercises.gini_impurity": Func({"y": Y01}),
        "exercises.entropy": Func({"y": Y01}),
        "exercises.best_split": Func({"x": X[:, 0], "y": Y01, "criterion": "entropy"}),
        "exercises.train_test_split": Func({"n_samples": 10, "test_size": 0.3, "random_state": 0}),
        "exercises.k_fold": Func({"n_samples": 10, "k": 3}),
        "exercises.elastic_net_step": Func(
            {
                "w": np.array([0.5, -0.2, 0.0]),
                "grad": np.array([0.1, 0.3, -0.2]),
                "lr": 0.1,
                "l1": 0.5,
                "l2": 0.1,
            }
        ),
        "exercises.batchnorm_forward": Func(
            {"x": BATCH, "gamma": np.ones(3), "beta": np.zeros(3), "eps": 1e-5}
        ),
        "exercises.batchnorm_backward": Func(
            {"d_out": BATCH[::-1].copy(), "x": BATCH, "gamma": np.ones(3), "eps": 1e-5}
        ),
        # any shape, and ReLU(±inf) is well defined
        "exercises.relu": Func(
            {"z": np.array([-1.0, 0.5, 2.0])}, skip={"z": {"ndim", "inf", "empty"}}
        ),
    }
)
