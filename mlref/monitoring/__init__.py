"""Monitoring: feature and prediction drift between training and serving.

:mod:`mlref.monitoring.drift` holds the statistics a feature monitor computes (population
stability index and Kolmogorov–Smirnov) and a per-feature drift table;
:mod:`mlref.monitoring.prediction` the drift of the model's scores;
:mod:`mlref.monitoring.alerts` alert rules evaluated on a timeline of windows.
"""

from mlref.monitoring.alerts import (
    SOURCE_ALERT_RULES,
    AlertRule,
    evaluate_alert_rules,
    first_alerts,
)
from mlref.monitoring.drift import (
    PSI_THRESHOLDS,
    feature_drift,
    ks_statistic,
    population_stability_index,
    psi_verdict,
)
from mlref.monitoring.prediction import prediction_drift

__all__ = [
    "PSI_THRESHOLDS",
    "SOURCE_ALERT_RULES",
    "AlertRule",
    "evaluate_alert_rules",
    "feature_drift",
    "first_alerts",
    "ks_statistic",
    "population_stability_index",
    "prediction_drift",
    "psi_verdict",
]
