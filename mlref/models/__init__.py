"""Models written from scratch, with the scikit-learn estimator API."""

from mlref.models.linear import LogisticRegression, SoftmaxRegression
from mlref.models.trees import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
)

__all__ = [
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "GradientBoostingClassifier",
    "GradientBoostingRegressor",
    "LogisticRegression",
    "RandomForestClassifier",
    "SoftmaxRegression",
]
