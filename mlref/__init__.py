"""mlref: the implementations behind the executable course on ML for search, recs and ads."""

from mlref import (
    ads,
    b2b,
    calibration,
    datasets,
    diagnostics,
    distributed,
    exercises,
    experiments,
    features,
    featurestore,
    interpret,
    ltr,
    metrics,
    models,
    monitoring,
    nn,
    recsys,
    serving,
    training,
)
from mlref.show import show_source

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "ads",
    "b2b",
    "calibration",
    "datasets",
    "diagnostics",
    "distributed",
    "exercises",
    "experiments",
    "features",
    "featurestore",
    "interpret",
    "ltr",
    "metrics",
    "models",
    "monitoring",
    "nn",
    "recsys",
    "serving",
    "show_source",
    "training",
]
