"""The training pipeline: labels, click bias, propensity estimation and IPW labels."""

from mlref.training.labels import hybrid_labels, implicit_labels
from mlref.training.propensity import (
    EMResult,
    ipw_labels,
    propensity_em,
    propensity_from_interventions,
    propensity_from_randomization,
    randomize_top_k,
)

__all__ = [
    "EMResult",
    "hybrid_labels",
    "implicit_labels",
    "ipw_labels",
    "propensity_em",
    "propensity_from_interventions",
    "propensity_from_randomization",
    "randomize_top_k",
]
