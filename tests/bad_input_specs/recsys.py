"""Battery entries of ``mlref.recsys`` and of the DLRM interaction layer ``nn.DotInteraction``.

Every recommender is fitted on a 4 users x 5 items sparse matrix (a few epochs of a two-unit
network at most), so the battery of these names runs in about a second. The sparse training
matrices themselves are not mutated by the generic battery (it derives wrong inputs from NumPy
arrays only); ``check_user_items``, which every model calls on them, is covered by
``tests/test_recsys_factorization.py`` (NaN, negative, empty and dense matrices).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from bad_input_specs import Estimator, Func
from mlref.recsys import ItemKNN, Popularity

_rng = np.random.default_rng(7)

# 4 users x 5 items, 1 where the user interacted (implicit feedback)
R = sp.csr_matrix(
    np.array(
        [
            [1.0, 1.0, 0.0, 0.0, 1.0],
            [0.0, 1.0, 1.0, 0.0, 0.0],
            [1.0, 0.0, 1.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 1.0, 1.0],
        ]
    )
)
# the same cells with 1-5 star ratings (explicit feedback)
RATINGS = R.multiply(np.array([[5.0, 3.0, 4.0, 1.0, 2.0]])).tocsr()
USERS = np.array([0, 2])
ITEMS = np.array([3, 1])

# conjugate gradient on a square system: 4 rows, 4 columns, 2 factors, 6 stored cells
CONFIDENCE = sp.csr_matrix(
    np.array(
        [
            [3.0, 0.0, 2.0, 0.0],
            [0.0, 5.0, 0.0, 0.0],
            [2.0, 0.0, 0.0, 4.0],
            [0.0, 0.0, 0.0, 3.0],
        ]
    )
)
X0 = _rng.random((4, 2)) * 0.1
Y0 = _rng.normal(size=(4, 2))
GRAM = Y0.T @ Y0 + 0.1 * np.eye(2)

RECOMMENDED = np.array([[1, 2, 3], [4, 5, 6]])
RELEVANT = np.array([[0, 1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1, 1]])

RATINGS_LOG = pd.DataFrame(
    {
        "userId": [1, 1, 1, 2, 2, 3, 3, 3],
        "movieId": [10, 20, 30, 10, 30, 20, 30, 10],
        "rating": [5.0, 3.0, 4.0, 4.5, 2.0, 4.0, 1.0, 5.0],
        "timestamp": [1, 2, 3, 1, 2, 5, 6, 7],
    }
)

# DLRM: two dense columns and one id column (column 2)
X_DLRM = np.column_stack([_rng.normal(size=(12, 2)), np.arange(12) % 3])
Y_DLRM = np.array([0, 1] * 6)

NO_INPUT = {
    "recsys.MatrixRecommender": "an abstract base class (each concrete recommender is swept)",
    "recsys.RatingsSplit": "a result record returned by split_ratings",
}


def _recommender(params, fit, *, predict=False, extra=None):
    methods = {"recommend": {"users": USERS, "k": 2}, "score_items": {"users": USERS}}
    if predict:
        methods["predict"] = {"users": USERS, "items": ITEMS}
    methods.update(extra or {})
    return Estimator(params=params, fit={"user_items": fit}, methods=methods)


def _dot_interaction(target, x, training):
    layer = target()
    out = layer.forward(x, training=training)
    layer.backward(np.ones_like(out))
    return out


SPECS = {
    # --- models -----------------------------------------------------------------------------
    "recsys.ALS": _recommender(
        {"factors": 2, "iterations": 2, "cg_steps": 2, "random_state": 0},
        R,
        extra={"loss": {"user_items": R}},
    ),
    "recsys.ExplicitMF": _recommender(
        {"factors": 2, "regularization": 0.1, "iterations": 2, "cg_steps": 2, "random_state": 0},
        RATINGS,
        predict=True,
    ),
    "recsys.ItemKNN": _recommender({"k": 2, "shrinkage": 1.0}, R),
    "recsys.UserKNN": _recommender({"k": 2, "shrinkage": 1.0}, R),
    "recsys.Popularity": _recommender({}, R),
    "recsys.NeuralCF": _recommender(
        {
            "factors": 2,
            "hidden_layer_sizes": (2,),
            "n_negatives": 1,
            "n_epochs": 1,
            "batch_size": 8,
            "random_state": 0,
        },
        R,
        predict=True,
    ),
    "recsys.DLRMClassifier": Estimator(
        params={
            "sparse_columns": (2,),
            "embedding_dim": 2,
            "bottom_layer_sizes": (2,),
            "hidden_layer_sizes": (2,),
            "n_epochs": 1,
            "batch_size": 4,
            "random_state": 0,
        },
        fit={"X": X_DLRM, "y": Y_DLRM},
        methods={"predict": {"X": X_DLRM}, "predict_proba": {"X": X_DLRM}},
        fixed=("sparse_columns",),
    ),
    # --- matrices and solvers ---------------------------------------------------------------
    "recsys.check_user_items": Func({"user_items": R, "nonnegative": True}),
    "recsys.interaction_matrix": Func(
        {
            "users": np.array([0, 0, 1, 2]),
            "items": np.array([1, 2, 0, 2]),
            "values": np.array([1.0, 2.0, 3.0, 4.0]),
            "n_users": 3,
            "n_items": 3,
        }
    ),
    "recsys.conjugate_gradient_step": Func(
        {"confidence": CONFIDENCE, "X": X0, "Y": Y0, "regularization": 0.1, "cg_steps": 2}
    ),
    "recsys.solve_rows_cg": Func(
        {
            "gram": GRAM,
            "weights": CONFIDENCE.data - 1.0,
            "pattern": CONFIDENCE,
            "targets": CONFIDENCE @ Y0,
            "X": X0,
            "Y": Y0,
            "cg_steps": 2,
        }
    ),
    "recsys.top_k_cosine_neighbors": Func({"vectors": R.T.tocsr(), "k": 2, "shrinkage": 1.0}),
    # --- splits and evaluation --------------------------------------------------------------
    "recsys.split_ratings": Func(
        {
            "ratings": RATINGS_LOG,
            "split": "per_user",
            "test_fraction": 0.25,
            "threshold": 4.0,
            "user_ids": np.array([1, 2, 3]),
            "item_ids": np.array([10, 20, 30]),
        },
        # a threshold of -1 is a valid cut on a rating scale with negative values (Jester's
        # jokes are rated -10..10)
        skip={"threshold": {"range"}},
    ),
    "recsys.list_ndcg_at_k": Func(
        {"recommended": RECOMMENDED, "relevant": RELEVANT, "k": 2, "per_user": False}
    ),
    "recsys.evaluate_recommendations": Func(
        {"recommended": RECOMMENDED, "relevant": RELEVANT, "ks": (1, 3)}
    ),
    # --- two-stage pipeline -----------------------------------------------------------------
    "recsys.merge_candidates": Func(
        {"candidate_lists": {"a": np.array([[3, 1]]), "b": np.array([[1, -1]])}, "n_items": 5}
    ),
    "recsys.top_k_per_user": Func(
        {
            "user_row": np.array([0, 0, 1]),
            "item": np.array([5, 7, 2]),
            "score": np.array([0.1, 0.9, 0.3]),
            "n_users": 2,
            "k": 2,
        }
    ),
    "recsys.build_candidates": Func(
        {
            "retrievers": {"pop": Popularity().fit(R), "item_knn": ItemKNN(k=2).fit(R)},
            "users": USERS,
            "n_per_retriever": 2,
            "seen": R[USERS],
            "train": RATINGS,
        }
    ),
    # --- nn ---------------------------------------------------------------------------------
    "nn.DotInteraction": Func(
        {"x": _rng.normal(size=(3, 3, 2)), "training": False}, call=_dot_interaction
    ),
}
