"""Probability calibration: Platt scaling, isotonic regression (PAV) and temperature scaling.

The measures of calibration (ECE, reliability curve, Brier score) live in :mod:`mlref.metrics`.
"""

from mlref.calibration.isotonic import IsotonicCalibrator, isotonic_regression
from mlref.calibration.platt import PlattCalibrator
from mlref.calibration.temperature import TemperatureScaling

__all__ = ["IsotonicCalibrator", "PlattCalibrator", "TemperatureScaling", "isotonic_regression"]
