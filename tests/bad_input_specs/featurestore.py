"""Battery entries of ``mlref.featurestore`` and of the alert/prediction names of monitoring.

Feature tables are DataFrames (the battery mutates arrays and parameters, not frames); the
frame-level bad input — missing columns, NaT, out-of-order writes, an unknown entity, a server
that is down — is tested in tests/test_featurestore.py. The online stores are swept through the
in-memory backend and the Redis constructor against a port where no server listens.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bad_input_specs import Func
from mlref.featurestore import InMemoryOnlineStore

T0 = pd.Timestamp("2026-01-01")
TABLE = pd.DataFrame(
    {
        "user": [1, 1, 2, 2],
        "event_timestamp": T0 + pd.to_timedelta([0, 2, 1, 3], unit="h"),
        "created_timestamp": T0 + pd.to_timedelta([0, 2, 1, 3], unit="h"),
        "ctr": [0.1, 0.2, 0.3, 0.4],
    }
)
ROWS = pd.DataFrame({"user": [1, 2, 3], "event_timestamp": T0 + pd.to_timedelta([1, 2, 3], "h")})
ENTITIES = np.array([1, 2, 3])

NO_INPUT = {
    "featurestore.OnlineStoreUnavailableError": "an exception class",
    "monitoring.SOURCE_ALERT_RULES": "a constant tuple of the source's three rules",
}


def _memory_read(target, *, entities, features, on_missing):
    store = target()
    store.write("t", TABLE, entity="user")
    return store.read("t", entities, features, on_missing=on_missing)


def _redis_down(target, *, timeout, batch_size):
    """No server listens on port 1: a valid call raises the documented unavailability error."""
    from mlref.featurestore import OnlineStoreUnavailableError

    try:
        return target("redis://127.0.0.1:1/0", timeout=timeout, batch_size=batch_size)
    except OnlineStoreUnavailableError:
        return None


def _sync(target, *, table_name, entity):
    sync = target(InMemoryOnlineStore(), table_name, TABLE, entity=entity)
    return sync.advance(T0 + pd.Timedelta("2h"))


def _serve(target, *, ttl):
    from mlref.featurestore import ChangeLogSync

    sync = ChangeLogSync(InMemoryOnlineStore(), "t", TABLE, entity="user")
    return target(sync, ROWS, ttl=ttl)


def _timeline():
    return pd.DataFrame(
        {"traffic": [100.0, 100.0], "ndcg": [0.5, 0.45], "ctr": [0.1, 0.09],
         "latency_p99_ms": [100.0, 600.0]}
    )  # fmt: skip


SPECS = {
    "featurestore.point_in_time_join": Func(
        {"rows": ROWS, "table": TABLE, "entity": "user", "ttl": pd.Timedelta("2h")}
    ),
    "featurestore.latest_values": Func(
        {"table": TABLE, "entity": "user", "as_of": T0 + pd.Timedelta("2h")}
    ),
    "featurestore.InMemoryOnlineStore": Func(
        {"entities": ENTITIES, "features": ["ctr"], "on_missing": "nan"},
        call=_memory_read,
        skip={"entities": {"nan", "inf"}},  # keys are labels: 1.5 or inf is just an unknown key
    ),
    "featurestore.RedisOnlineStore": Func({"timeout": 0.2, "batch_size": 10}, call=_redis_down),
    "featurestore.open_online_store": Func(
        {"url": "redis://127.0.0.1:1/0", "timeout": 0.2, "fallback": True}
    ),
    "featurestore.ChangeLogSync": Func({"table_name": "t", "entity": "user"}, call=_sync),
    "featurestore.serve_requests": Func({"ttl": pd.Timedelta("1h")}, call=_serve),
    "featurestore.feature_parity": Func(
        {"online": TABLE, "offline": TABLE.assign(ctr=0.1), "features": ["ctr"], "atol": 0.0}
    ),
    "monitoring.AlertRule": Func(
        {
            "name": "ctr",
            "metric": "ctr",
            "kind": "relative_drop",
            "threshold": 0.05,
            "action": "roll back",
            "for_windows": 2,
            "min_traffic": 10.0,
        }
    ),
    "monitoring.evaluate_alert_rules": Func(
        {"timeline": _timeline(), "baseline": {"ndcg": 0.5, "ctr": 0.1}}
    ),
    "monitoring.first_alerts": Func(
        {"timeline": _timeline(), "baseline": {"ndcg": 0.5, "ctr": 0.1}}
    ),
    "monitoring.prediction_drift": Func(
        {
            "reference": np.linspace(0.01, 0.3, 20),
            "current": np.linspace(0.02, 0.4, 12),
            "y_current": np.array([0, 1] * 6),
            "n_bins": 4,
        }
    ),
}
