"""Evaluation metrics: classification, ranking, regression, and online metrics from event logs.

Every function validates its input and raises :class:`ValueError` with a fix rather than return
a silently wrong number; ranking metrics take flat arrays with a query id per row, average
exactly over tied scores, and never depend on the input order. Retrieval metrics over top-k
lists (two-tower, recommenders) are in :mod:`mlref.metrics.retrieval`; its ``recall_at_k`` takes
recommended lists and held-out items, not scores with query ids, so it is not exported here.
"""

from mlref.metrics.bootstrap import BootstrapInterval, bootstrap_interval
from mlref.metrics.calibration import (
    brier_score,
    expected_calibration_error,
    reliability_curve,
)
from mlref.metrics.classification import (
    accuracy,
    auc_roc,
    auc_standard_error,
    confusion_matrix,
    f1_score,
    log_loss,
    pr_auc,
    pr_curve,
    precision,
    recall,
    roc_curve,
)
from mlref.metrics.online import (
    add_to_cart_rate,
    average_revenue_per_user,
    bounce_rate,
    click_through_rate,
    conversion_rate,
    gross_merchandise_value,
    online_metrics,
    refinement_rate,
    revenue_per_search,
    zero_result_rate,
)
from mlref.metrics.ranking import (
    dcg_at_k,
    map_at_k,
    mrr,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)
from mlref.metrics.regression import huber, mae, mape, mse, rmse
from mlref.metrics.retrieval import hit_rate_at_k, top_k_items

__all__ = [
    "BootstrapInterval",
    "accuracy",
    "add_to_cart_rate",
    "auc_roc",
    "auc_standard_error",
    "average_revenue_per_user",
    "bootstrap_interval",
    "bounce_rate",
    "brier_score",
    "click_through_rate",
    "confusion_matrix",
    "conversion_rate",
    "dcg_at_k",
    "expected_calibration_error",
    "f1_score",
    "gross_merchandise_value",
    "hit_rate_at_k",
    "huber",
    "log_loss",
    "mae",
    "map_at_k",
    "mape",
    "mrr",
    "mse",
    "ndcg_at_k",
    "online_metrics",
    "pr_auc",
    "pr_curve",
    "precision",
    "precision_at_k",
    "recall",
    "recall_at_k",
    "refinement_rate",
    "reliability_curve",
    "revenue_per_search",
    "rmse",
    "roc_curve",
    "top_k_items",
    "zero_result_rate",
]
