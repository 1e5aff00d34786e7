"""mlref: the implementations behind the executable course on ML for search, recs and ads."""

from mlref import datasets, experiments, features, ltr, metrics, models, nn, training
from mlref.show import show_source

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "datasets",
    "experiments",
    "features",
    "ltr",
    "metrics",
    "models",
    "nn",
    "show_source",
    "training",
]
