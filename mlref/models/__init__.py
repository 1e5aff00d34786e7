"""Models written from scratch, with the scikit-learn estimator API."""

from mlref.models.linear import LogisticRegression, SoftmaxRegression

__all__ = ["LogisticRegression", "SoftmaxRegression"]
