"""The training pipeline: labels, click bias and IPW, time splits, negative sampling."""

from mlref.training.bias_variance import BiasVariance, bias_variance_decomposition
from mlref.training.imbalance import SMOTE, FocalLogisticRegression, balanced_class_weights
from mlref.training.labels import hybrid_labels, implicit_labels
from mlref.training.online import (
    UPDATE_STRATEGIES,
    OnlineLogisticRegression,
    replay_update_strategy,
)
from mlref.training.propensity import (
    EMResult,
    ipw_labels,
    propensity_em,
    propensity_from_interventions,
    propensity_from_randomization,
    randomize_top_k,
)
from mlref.training.sampling import (
    downsample_negatives,
    recalibrate_downsampled,
    sample_negatives,
)
from mlref.training.splits import day_split, retraining_evaluation, time_series_folds
from mlref.training.tuning import expected_improvement, gaussian_process_posterior

__all__ = [
    "SMOTE",
    "UPDATE_STRATEGIES",
    "BiasVariance",
    "EMResult",
    "FocalLogisticRegression",
    "OnlineLogisticRegression",
    "balanced_class_weights",
    "bias_variance_decomposition",
    "day_split",
    "downsample_negatives",
    "expected_improvement",
    "gaussian_process_posterior",
    "hybrid_labels",
    "implicit_labels",
    "ipw_labels",
    "propensity_em",
    "propensity_from_interventions",
    "propensity_from_randomization",
    "randomize_top_k",
    "recalibrate_downsampled",
    "replay_update_strategy",
    "retraining_evaluation",
    "sample_negatives",
    "time_series_folds",
]
