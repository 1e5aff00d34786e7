"""Models written from scratch, with the scikit-learn estimator API.

Linear models, decision trees, forests and gradient boosting (exact or histogram splits),
bagging and stacking, and the deep models of section 4 built on :mod:`mlref.nn`: an MLP with
dropout, Wide & Deep, DeepFM, a two-tower retrieval model and a shared-bottom multi-task model.
"""

from mlref.models.boosting import GradientBoostingClassifier, GradientBoostingRegressor
from mlref.models.deepfm import DeepFMClassifier, fm_second_order
from mlref.models.elastic_net import elastic_net_path
from mlref.models.ensemble import BaggingClassifier, BaggingRegressor, StackingClassifier
from mlref.models.fields import FieldIndexer
from mlref.models.forest import RandomForestClassifier, RandomForestRegressor
from mlref.models.l1_path import l1_path
from mlref.models.linear import LogisticRegression, SoftmaxRegression
from mlref.models.mlp import MLPClassifier
from mlref.models.multitask import MultiTaskClassifier
from mlref.models.trees import DecisionTreeClassifier, DecisionTreeRegressor
from mlref.models.two_tower import (
    InBatchLoss,
    PopularityRecommender,
    TwoTowerModel,
    in_batch_softmax_loss,
)
from mlref.models.wide_deep import WideAndDeepClassifier, hash_field_pairs

__all__ = [
    "BaggingClassifier",
    "BaggingRegressor",
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "DeepFMClassifier",
    "FieldIndexer",
    "GradientBoostingClassifier",
    "GradientBoostingRegressor",
    "InBatchLoss",
    "LogisticRegression",
    "MLPClassifier",
    "MultiTaskClassifier",
    "PopularityRecommender",
    "RandomForestClassifier",
    "RandomForestRegressor",
    "SoftmaxRegression",
    "StackingClassifier",
    "TwoTowerModel",
    "WideAndDeepClassifier",
    "elastic_net_path",
    "fm_second_order",
    "hash_field_pairs",
    "in_batch_softmax_loss",
    "l1_path",
]
