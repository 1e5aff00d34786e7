"""Diagnostics for the failures of section 8: leakage, training/serving skew, misleading slices."""

from mlref.diagnostics.leakage import (
    LeakageReport,
    LeakyClickLog,
    detect_leakage,
    entity_overlap,
    features_after_label,
    make_leaky_click_log,
    single_feature_auc,
)
from mlref.diagnostics.skew import bucketize, parity_check, simpsons_paradox

__all__ = [
    "LeakageReport",
    "LeakyClickLog",
    "bucketize",
    "detect_leakage",
    "entity_overlap",
    "features_after_label",
    "make_leaky_click_log",
    "parity_check",
    "simpsons_paradox",
    "single_feature_auc",
]
