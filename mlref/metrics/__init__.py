"""Evaluation metrics: classification, ranking, regression and online (log-based)."""
