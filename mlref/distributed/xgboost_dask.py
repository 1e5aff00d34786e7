"""Scale-out training on an existing engine: XGBoost on a Dask cluster.

The data is cut into row partitions (never splitting a query's rows, for ranking); each Dask
worker builds the histogram of its partitions and XGBoost's collective (allreduce) sums them,
so every worker grows the same trees as one process would on all the data — up to the merged
quantile sketch that places the bin edges. The same code runs on a laptop's
``LocalCluster`` and on a real cluster: only the client changes, ``Client("tcp://scheduler:8786")``
instead of :func:`start_local_cluster`.
"""

from __future__ import annotations

import itertools
import numbers

import numpy as np

from mlref._validation import (
    check_array_1d,
    check_array_2d,
    check_bool,
    check_option,
    check_positive_int,
    check_same_length,
)

__all__ = ["fit_xgboost_dask", "partition_bounds", "start_local_cluster"]

_TASKS = ("classification", "ranking")


def start_local_cluster(
    *, n_workers: int = 2, threads_per_worker: int = 1, processes: bool = True,
    memory_limit: str = "1GB",
):  # fmt: skip
    """A ``dask.distributed.Client`` on a new ``LocalCluster`` that needs no network.

    Workers, and the scheduler's HTTP server (dashboard), listen on 127.0.0.1 only, the latter
    on a free port, so it starts offline and in a sandbox. Close it with ``client.close();
    client.cluster.close()`` (or use it as a context manager). In a script, create it under
    ``if __name__ == "__main__":`` — worker processes re-import the main module.

    Parameters
    ----------
    n_workers : int, default 2
        Worker processes (or threads with ``processes=False``).
    threads_per_worker : int, default 1
        Threads of each worker (XGBoost's ``nthread`` there).
    processes : bool, default True
        Workers in their own processes (as on a real cluster) or as threads of this one
        (starts faster; fine for tests).
    memory_limit : str, default "1GB"
        Per worker; Dask spills and then pauses a worker above it.

    Returns
    -------
    distributed.Client
        ``client.cluster`` is the ``LocalCluster``.
    """
    n_workers = check_positive_int(n_workers, "n_workers")
    threads_per_worker = check_positive_int(threads_per_worker, "threads_per_worker")
    processes = check_bool(processes, "processes")
    if not isinstance(memory_limit, str):
        raise TypeError(f"memory_limit must be a str such as '1GB', got {memory_limit!r}")
    import logging

    from distributed import Client, LocalCluster

    # Thread workers talk in-process (inproc://); process workers over TCP on loopback only.
    network = {"host": "127.0.0.1"} if processes else {}
    cluster = LocalCluster(
        n_workers=n_workers,
        threads_per_worker=threads_per_worker,
        processes=processes,
        memory_limit=memory_limit,
        # The scheduler always serves HTTP (health, metrics, the dashboard if bokeh is there);
        # dashboard_address=None would still bind it to every interface on port 8787.
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
        **network,
    )
    return Client(cluster)


def partition_bounds(n_rows: int, n_partitions: int, group=None) -> np.ndarray:
    """Row offsets that cut ``n_rows`` into about equal partitions without splitting a group.

    Parameters
    ----------
    n_rows : int
        Rows in all.
    n_partitions : int
        Partitions wanted (fewer come back when there are fewer groups).
    group : array-like of int, optional
        Query id of each row, each query's rows contiguous; a cut only falls between queries.

    Returns
    -------
    numpy.ndarray
        Increasing offsets from 0 to ``n_rows``; partition i is ``bounds[i]:bounds[i+1]``.

    Examples
    --------
    >>> partition_bounds(10, 3).tolist()
    [0, 3, 7, 10]
    >>> partition_bounds(6, 2, group=[0, 0, 0, 0, 1, 1]).tolist()
    [0, 4, 6]
    """
    if isinstance(n_rows, bool) or not isinstance(n_rows, numbers.Integral) or n_rows < 1:
        raise ValueError(f"n_rows must be an integer >= 1, got {n_rows!r}")
    n_partitions = check_positive_int(n_partitions, "n_partitions")
    if group is None:
        starts = np.arange(n_rows)
    else:
        ids = check_array_1d(group, "group", dtype=np.int64)
        if ids.size != n_rows:
            raise ValueError(f"length mismatch: group has {ids.size} rows, n_rows is {n_rows}")
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
        if np.unique(ids).size != starts.size:
            raise ValueError("group must keep each query's rows contiguous; sort by query id")
    ideal = np.linspace(0, n_rows, n_partitions + 1)[1:-1]
    cuts = starts[np.clip(np.searchsorted(starts, ideal), 0, starts.size - 1)]
    return np.unique(np.concatenate([[0], cuts[cuts > 0], [n_rows]]))


def fit_xgboost_dask(
    client,
    X,
    y,
    *,
    task: str = "classification",
    group=None,
    n_partitions: int = 2,
    **params,
):
    """Train XGBoost on a Dask cluster from row partitions of ``X`` and ``y``.

    Parameters
    ----------
    client : distributed.Client
        A client of the cluster (:func:`start_local_cluster`, or ``Client(address)``).
    X : array-like of shape (n_rows, n_features)
        Features (rows of a query contiguous, for ranking).
    y : array-like of shape (n_rows,)
        0/1 labels (classification) or graded relevance (ranking).
    task : {"classification", "ranking"}, default "classification"
        ``xgboost.dask.DaskXGBClassifier`` or ``DaskXGBRanker`` (``rank:ndcg``).
    group : array-like of int, optional
        Query id per row; required for ranking.
    n_partitions : int, default 2
        Row partitions (Dask chunks); about one per worker or more.
    **params
        XGBoost parameters (``n_estimators``, ``max_depth``, ``learning_rate``, ...).

    Returns
    -------
    xgboost.dask.DaskXGBClassifier or xgboost.dask.DaskXGBRanker
        Fitted; ``model.get_booster()`` predicts locally without the cluster.

    Examples
    --------
    >>> client = start_local_cluster(n_workers=2, processes=False)  # doctest: +SKIP
    >>> model = fit_xgboost_dask(client, X, y, n_estimators=50)  # doctest: +SKIP
    >>> model.get_booster().inplace_predict(X_test)  # doctest: +SKIP
    """
    import xgboost.dask

    task = check_option(task, "task", _TASKS)
    if "n_estimators" in params:
        params["n_estimators"] = check_positive_int(params["n_estimators"], "n_estimators")
    X = check_array_2d(X, "X")
    if task == "ranking":
        if group is None:
            raise ValueError("group is required for ranking: pass the query id of each row")
        y = check_array_1d(y, "y")
        ids = check_array_1d(group, "group", dtype=np.int64)
        check_same_length(X=X, y=y, group=ids)
    else:
        y = check_array_1d(y, "y")
        if not np.isin(y, (0, 1)).all():
            raise ValueError("y must be 0/1 labels for classification")
        check_same_length(X=X, y=y)
        ids = None
    bounds = partition_bounds(len(y), n_partitions, group=ids)
    if not hasattr(client, "scheduler_info"):
        raise TypeError(f"client must be a distributed.Client, got {type(client).__name__}")
    dX, dy = _scatter_partitions(client, X, bounds), _scatter_partitions(client, y, bounds)
    if task == "ranking":
        # The partitions never split a query, so XGBoost may take them as they are
        # (allow_group_split=False would re-shuffle the rows by query through a data frame).
        model = xgboost.dask.DaskXGBRanker(allow_group_split=True, **params)
        model.client = client
        return model.fit(dX, dy, qid=_scatter_partitions(client, ids, bounds))
    model = xgboost.dask.DaskXGBClassifier(**params)
    model.client = client
    return model.fit(dX, dy)


def _scatter_partitions(client, values, bounds):
    """A Dask array whose partition i is sent once, straight to worker i mod n_workers.

    ``dask.array.from_array`` would instead embed the whole array in the task graph, which the
    scheduler then forwards (and warns about above ~10 MB). Partition i of ``X``, ``y`` and
    ``qid`` land on the same worker, so XGBoost finds each worker's rows complete. On a real
    cluster the workers would read their partitions from shared storage instead.
    """
    import dask.array as da

    workers = sorted(client.scheduler_info()["workers"])
    pieces = []
    for i, (start, stop) in enumerate(itertools.pairwise(bounds)):
        piece = values[start:stop]
        future = client.scatter(piece, workers=[workers[i % len(workers)]], hash=False)
        pieces.append(da.from_delayed(future, shape=piece.shape, dtype=piece.dtype))
    return da.concatenate(pieces)
