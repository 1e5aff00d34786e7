"""Scale-out training on Dask: XGBoost from row partitions, on a local or a real cluster."""

from mlref.distributed.xgboost_dask import (
    fit_xgboost_dask,
    partition_bounds,
    start_local_cluster,
)

__all__ = ["fit_xgboost_dask", "partition_bounds", "start_local_cluster"]
