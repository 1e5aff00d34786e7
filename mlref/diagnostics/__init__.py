"""Diagnostics for section 8: leakage, skew, misleading slices, the wrong objective, latency."""

from mlref.diagnostics.leakage import (
    LeakageReport,
    LeakyClickLog,
    detect_leakage,
    entity_overlap,
    features_after_label,
    make_leaky_click_log,
    single_feature_auc,
)
from mlref.diagnostics.mismatch import latency_break_even, ranking_outcomes, traffic_retained
from mlref.diagnostics.skew import bucketize, parity_check, simpsons_paradox

__all__ = [
    "LeakageReport",
    "LeakyClickLog",
    "bucketize",
    "detect_leakage",
    "entity_overlap",
    "features_after_label",
    "latency_break_even",
    "make_leaky_click_log",
    "parity_check",
    "ranking_outcomes",
    "simpsons_paradox",
    "single_feature_auc",
    "traffic_retained",
]
