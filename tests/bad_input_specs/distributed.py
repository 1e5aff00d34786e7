"""Battery entries of ``mlref.distributed`` (XGBoost on Dask).

One thread-based LocalCluster, started on first use and shared by the entries: every bad input
is refused before the cluster is touched, so only the valid calls use it. XGBoost's own
parameters (``**params``) are XGBoost's to check, except ``n_estimators``.
"""

from __future__ import annotations

import atexit

import numpy as np

from bad_input_specs import Func

_rng = np.random.default_rng(5)
X = _rng.normal(size=(24, 3))
Y = np.tile([0.0, 1.0], 12)
GROUP = np.repeat(np.arange(6), 4)
_CLIENT: list = []


def _client():
    if not _CLIENT:
        from mlref.distributed import start_local_cluster

        client = start_local_cluster(n_workers=2, processes=False)
        atexit.register(lambda: (client.close(), client.cluster.close()))
        _CLIENT.append(client)
    return _CLIENT[0]


def _fit(target, **kwargs):
    import xgboost

    with xgboost.config_context(verbosity=0):
        return target(_client(), **kwargs)


def _start_and_close(target, **kwargs):
    client = target(**kwargs)
    client.close()
    client.cluster.close()


SPECS = {
    "distributed.start_local_cluster": Func(
        {"n_workers": 1, "threads_per_worker": 1, "processes": False}, call=_start_and_close
    ),
    "distributed.partition_bounds": Func({"n_rows": 24, "n_partitions": 3, "group": GROUP}),
    "distributed.fit_xgboost_dask": Func(
        {
            "X": X,
            "y": Y,
            "task": "ranking",
            "group": GROUP,
            "n_partitions": 2,
            "n_estimators": 2,
        },
        call=_fit,
    ),
}
