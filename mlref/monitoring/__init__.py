"""Monitoring: feature and prediction drift between training and serving.

:mod:`mlref.monitoring.drift` holds the statistics a feature monitor computes (population
stability index and Kolmogorov–Smirnov) and a per-feature drift table.
"""

from mlref.monitoring.drift import (
    PSI_THRESHOLDS,
    feature_drift,
    ks_statistic,
    population_stability_index,
    psi_verdict,
)

__all__ = [
    "PSI_THRESHOLDS",
    "feature_drift",
    "ks_statistic",
    "population_stability_index",
    "psi_verdict",
]
