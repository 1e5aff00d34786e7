"""Recommender models on sparse user × item matrices (implicit-style ``fit(user_items)``).

Popularity, item–item and user–user neighbourhoods, explicit matrix factorization, implicit ALS
(conjugate gradient), Neural CF and DLRM, and a two-stage retrieve-then-rank pipeline; every
model takes a ``scipy.sparse`` user × item matrix and returns top-k item lists.
"""

from mlref.recsys._base import MatrixRecommender, check_user_items, interaction_matrix
from mlref.recsys.als import ALS, conjugate_gradient_step, solve_rows_cg
from mlref.recsys.evaluation import evaluate_recommendations, list_ndcg_at_k
from mlref.recsys.mf import ExplicitMF
from mlref.recsys.neighbors import ItemKNN, UserKNN, top_k_cosine_neighbors

__all__ = [
    "ALS",
    "ExplicitMF",
    "ItemKNN",
    "MatrixRecommender",
    "UserKNN",
    "check_user_items",
    "conjugate_gradient_step",
    "evaluate_recommendations",
    "interaction_matrix",
    "list_ndcg_at_k",
    "solve_rows_cg",
    "top_k_cosine_neighbors",
]
