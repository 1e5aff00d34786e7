"""Incremental sync (change data capture) from the offline feature table to the online store.

Every row of a feature table is a change: "entity e's features became these values at
``event_timestamp``". :class:`ChangeLogSync` replays the change log into an online store as
the clock advances, each change arriving ``lag`` after its event time. With ``lag = 0`` the
online value served at time t equals the offline point-in-time value at t (training/serving
parity, :func:`feature_parity`); with a lag, serving reads stale values that training never saw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlref._validation import check_dataframe, check_real
from mlref.featurestore.offline import (
    _RENAME_HINT,
    _column_name,
    _entity_values,
    _feature_columns,
    _feature_names,
    _moment,
    _time_values,
    _ttl_value,
)
from mlref.featurestore.online import _OnlineStore

__all__ = ["ChangeLogSync", "feature_parity", "serve_requests"]


class ChangeLogSync:
    """Replays a feature table's change log into an online store, ``lag`` behind real time.

    A change with event time :math:`\\tau` becomes visible online at :math:`\\tau + \\text{lag}`;
    :meth:`advance` applies, in order of event then created time, every change visible by the
    given moment that was not applied yet (the stores' conditional upserts would also tolerate
    any order).

    Parameters
    ----------
    store : InMemoryOnlineStore or RedisOnlineStore
        Where the changes go.
    table_name : str
        The online table to write.
    changes : pandas.DataFrame
        The feature table (entity, event and created times, features), in any order.
    entity : str
        The entity key column.
    lag : timedelta, optional
        Delay between a change's event time and its arrival online (None: no delay).
    timestamp, created, features
        As in :func:`mlref.featurestore.point_in_time_join`.

    Attributes
    ----------
    clock : pandas.Timestamp or None
        The last moment :meth:`advance` reached.
    n_applied : int
        Changes applied so far.

    Examples
    --------
    >>> from mlref.featurestore import InMemoryOnlineStore
    >>> t = pd.Timestamp("2026-01-01")
    >>> times = [t, t + pd.Timedelta("1h")]
    >>> changes = pd.DataFrame({"user": [1, 1], "event_timestamp": times,
    ...                         "created_timestamp": times, "ctr": [0.1, 0.3]})
    >>> sync = ChangeLogSync(InMemoryOnlineStore(), "stats", changes, entity="user",
    ...                      lag=pd.Timedelta("30min"))
    >>> sync.advance(t + pd.Timedelta("1h"))
    1
    """

    def __init__(
        self,
        store,
        table_name: str,
        changes: pd.DataFrame,
        *,
        entity: str,
        lag=None,
        timestamp: str = "event_timestamp",
        created: str | None = "created_timestamp",
        features=None,
    ):
        if not isinstance(store, _OnlineStore):
            raise TypeError(
                f"store must be an online store (InMemoryOnlineStore or RedisOnlineStore), got "
                f"{type(store).__name__}"
            )
        self.store = store
        self.table_name = _column_name(table_name, "table_name")
        self.entity = _column_name(entity, "entity")
        self.timestamp = _column_name(timestamp, "timestamp")
        self.created = None if created is None else _column_name(created, "created")
        changes = check_dataframe(
            changes, "changes",
            columns=[self.entity, self.timestamp] + ([self.created] if self.created else []),
            hint=_RENAME_HINT,
        )  # fmt: skip
        reserved = {self.entity, self.timestamp} | ({self.created} if self.created else set())
        self.features = _feature_columns(changes, features, reserved, "changes")
        _entity_values(changes, self.entity, "changes")
        time, kind = _time_values(changes, self.timestamp, "changes")
        if kind != "datetime":
            raise ValueError(f"changes[{timestamp!r}] must hold datetimes; use pandas.to_datetime")
        self.lag = pd.Timedelta(0 if lag is None else _ttl_value(lag, "datetime", "lag"))
        tie = (
            _time_values(changes, self.created, "changes")[0]
            if self.created
            else np.arange(len(changes), dtype=np.int64)
        )
        order = np.lexsort((tie, time))
        columns = [self.entity, self.timestamp] + ([self.created] if self.created else [])
        log = changes.iloc[order][columns + self.features].reset_index(drop=True)
        self._prepared = store._prepare_write(
            self.table_name, log, self.entity, self.timestamp, self.created, self.features
        )
        self._arrival = time[order] + self.lag.value
        store._declare(self.table_name, self.features)  # the table exists before its first value
        self.n_applied = 0
        self.clock = None

    def advance(self, until) -> int:
        """Apply every change that has arrived by ``until``; returns how many were applied.

        Raises
        ------
        ValueError
            If ``until`` is earlier than a moment already reached (time only moves forward).
        """
        moment = _moment(until, "datetime", "until")
        if self.clock is not None and moment < self.clock.value:
            raise ValueError(
                f"until={pd.Timestamp(moment)} is before the sync's clock {self.clock}; time "
                "only moves forward (build a new ChangeLogSync to replay from the start)"
            )
        stop = int(np.searchsorted(self._arrival, moment, side="right"))
        if stop > self.n_applied:
            table, keys, versions, columns, matrix = self._prepared
            done = slice(self.n_applied, stop)
            self.store._write_arrays(table, keys[done], versions[done], columns, matrix[done])
        applied = stop - self.n_applied
        self.n_applied = stop
        self.clock = pd.Timestamp(moment)
        return applied


def serve_requests(
    sync: ChangeLogSync, requests: pd.DataFrame, *, ttl=None, timestamp: str = "event_timestamp"
) -> pd.DataFrame:
    """Replay serving: for each request in time order, sync the store up to it, then read.

    Requests that share a moment are read in one batch. This is what the model sees online.

    Parameters
    ----------
    sync : ChangeLogSync
        A fresh sync (its clock must not be past the first request).
    requests : pandas.DataFrame
        Columns ``sync.entity`` and ``timestamp`` (datetimes).
    ttl : timedelta, optional
        Values older than this at the request's moment are served as missing.
    timestamp : str, default "event_timestamp"
        The requests' time column.

    Returns
    -------
    pandas.DataFrame
        ``requests`` (same order and index) with ``sync.features`` added as served online.

    Examples
    --------
    >>> from mlref.featurestore import InMemoryOnlineStore
    >>> t = pd.Timestamp("2026-01-01")
    >>> changes = pd.DataFrame({"user": [1], "event_timestamp": [t], "created_timestamp": [t],
    ...                         "ctr": [0.1]})
    >>> sync = ChangeLogSync(InMemoryOnlineStore(), "stats", changes, entity="user")
    >>> requests = pd.DataFrame({"user": [1, 1], "event_timestamp": [t - pd.Timedelta("1h"), t]})
    >>> serve_requests(sync, requests)["ctr"].tolist()
    [nan, 0.1]
    """
    if not isinstance(sync, ChangeLogSync):
        raise TypeError(f"sync must be a ChangeLogSync, got {type(sync).__name__}")
    timestamp = _column_name(timestamp, "timestamp")
    requests = check_dataframe(
        requests, "requests", columns=[sync.entity, timestamp], hint=_RENAME_HINT
    )
    clash = [f for f in sync.features if f in requests.columns]
    if clash:
        raise ValueError(f"requests already has column(s) {clash}; drop or rename them first")
    _entity_values(requests, sync.entity, "requests")
    time, kind = _time_values(requests, timestamp, "requests")
    if kind != "datetime":
        raise ValueError(f"requests[{timestamp!r}] must hold datetimes; use pandas.to_datetime")
    ttl_ns = _ttl_value(ttl, "datetime")
    order = np.argsort(time, kind="stable")
    served = np.full((len(requests), len(sync.features)), np.nan)
    keys = np.array([str(e) for e in requests[sync.entity].to_numpy()])
    moments, starts = np.unique(time[order], return_index=True)
    bounds = np.append(starts, order.size)
    for m, moment in enumerate(moments):
        rows = order[bounds[m] : bounds[m + 1]]
        sync.advance(pd.Timestamp(moment))
        matrix, versions = sync.store._read_arrays(sync.table_name, keys[rows], sync.features)
        ttl_value = None if ttl_ns is None else pd.Timedelta(ttl_ns)
        _, fresh, _ = sync.store._fresh(versions, pd.Timestamp(moment), ttl_value)
        served[rows] = np.where(fresh[:, None], matrix, np.nan)
    out = requests.copy()
    for j, feature in enumerate(sync.features):
        out[feature] = served[:, j]
    return out


def feature_parity(online: pd.DataFrame, offline: pd.DataFrame, features, *, atol: float = 0.0):
    """Share of rows where the served value differs from the training value, per feature.

    Two missing values agree; a missing value against a present one disagrees.

    Parameters
    ----------
    online, offline : pandas.DataFrame
        The same rows (equal length, same order) as served and as joined for training.
    features : list of str
        Columns to compare.
    atol : float, default 0.0
        Absolute tolerance (0: bit-for-bit equal, as parity should be).

    Returns
    -------
    pandas.Series
        Mismatch rate per feature, in [0, 1].

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1.0, np.nan, 3.0]})
    >>> b = pd.DataFrame({"x": [1.0, np.nan, 2.0]})
    >>> float(feature_parity(a, b, ["x"])["x"])
    0.3333333333333333
    """
    online = check_dataframe(online, "online")
    offline = check_dataframe(offline, "offline")
    if len(online) != len(offline):
        raise ValueError(
            f"length mismatch: online has {len(online)} rows, offline has {len(offline)}; "
            "compare the same requests"
        )
    features = _feature_names(features)
    for frame, frame_name in ((online, "online"), (offline, "offline")):
        missing = [f for f in features if f not in frame.columns]
        if missing:
            raise ValueError(f"features {missing} are not columns of {frame_name}; check the names")
    atol = check_real(atol, "atol", low=0.0)
    rates = {}
    for feature in features:
        a = online[feature].to_numpy(dtype=np.float64)
        b = offline[feature].to_numpy(dtype=np.float64)
        both_missing = np.isnan(a) & np.isnan(b)
        close = np.abs(a - b) <= atol
        rates[feature] = float(np.mean(~(both_missing | close)))
    return pd.Series(rates, name="mismatch_rate")
