"""The training pipeline: labels, click bias, propensity estimation and IPW labels, time splits."""

from mlref.training.labels import hybrid_labels, implicit_labels
from mlref.training.propensity import (
    EMResult,
    ipw_labels,
    propensity_em,
    propensity_from_interventions,
    propensity_from_randomization,
    randomize_top_k,
)
from mlref.training.splits import day_split, time_series_folds

__all__ = [
    "EMResult",
    "day_split",
    "hybrid_labels",
    "implicit_labels",
    "ipw_labels",
    "propensity_em",
    "propensity_from_interventions",
    "propensity_from_randomization",
    "randomize_top_k",
    "time_series_folds",
]
