"""Recommender models on sparse user × item matrices (implicit-style ``fit(user_items)``).

Item–item and user–user neighbourhoods, explicit matrix factorization, implicit ALS (conjugate
gradient), Neural CF and DLRM, time-based rating splits, list metrics and the pieces of a two-stage
retrieve-then-rank pipeline; every model takes a ``scipy.sparse`` user × item matrix and
returns top-k item lists.
"""

from mlref.recsys._base import MatrixRecommender, check_user_items, interaction_matrix
from mlref.recsys.als import ALS, conjugate_gradient_step, solve_rows_cg
from mlref.recsys.data import RatingsSplit, split_ratings
from mlref.recsys.evaluation import evaluate_recommendations, list_ndcg_at_k
from mlref.recsys.exploration import (
    COLD_START_POLICIES,
    ColdStartResult,
    simulate_cold_start,
    thompson_sample,
)
from mlref.recsys.mf import ExplicitMF
from mlref.recsys.neighbors import ItemKNN, UserKNN, top_k_cosine_neighbors
from mlref.recsys.neural import DLRMClassifier, NeuralCF
from mlref.recsys.popularity import Popularity
from mlref.recsys.two_stage import (
    IVFRetriever,
    build_candidates,
    merge_candidates,
    top_k_per_user,
)

__all__ = [
    "ALS",
    "COLD_START_POLICIES",
    "ColdStartResult",
    "DLRMClassifier",
    "ExplicitMF",
    "IVFRetriever",
    "ItemKNN",
    "MatrixRecommender",
    "NeuralCF",
    "Popularity",
    "RatingsSplit",
    "UserKNN",
    "build_candidates",
    "check_user_items",
    "conjugate_gradient_step",
    "evaluate_recommendations",
    "interaction_matrix",
    "list_ndcg_at_k",
    "merge_candidates",
    "simulate_cold_start",
    "solve_rows_cg",
    "split_ratings",
    "thompson_sample",
    "top_k_cosine_neighbors",
    "top_k_per_user",
]
