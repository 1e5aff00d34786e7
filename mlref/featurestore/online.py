"""The online store: the latest feature values per entity, for reads at serving time.

Two backends behind one interface: :class:`RedisOnlineStore` keeps one Redis hash per entity
(written with pipelined, conditional upserts, read with pipelined ``HMGET``) and
:class:`InMemoryOnlineStore` keeps the same records in a Python dict, for readers without a
Redis server. :func:`open_online_store` connects to Redis and falls back to memory when no
server answers within a bounded time.

Each stored record carries the event time (and created time) of its values; a write only
replaces a record with an older or equal ``(event_timestamp, created_timestamp)``, so changes
that arrive out of order never overwrite newer values with older ones.
"""

from __future__ import annotations

import numbers
import os

import numpy as np
import pandas as pd

from mlref._validation import check_bool, check_dataframe, check_real
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

__all__ = [
    "InMemoryOnlineStore",
    "OnlineStoreUnavailableError",
    "RedisOnlineStore",
    "open_online_store",
]

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

# Write the hash only if the stored version is not newer (versions are fixed-width digit
# strings, so Lua's string order is time order). Returns 1 when written, 0 when kept.
_UPSERT_IF_NEWER = """
local current = redis.call('HGET', KEYS[1], '_version')
if current and current > ARGV[1] then
    return 0
end
redis.call('HSET', KEYS[1], '_version', ARGV[1], unpack(ARGV, 2))
return 1
"""


class OnlineStoreUnavailableError(ConnectionError):
    """The online store's server did not answer within the timeout."""


def _version(time_ns: np.ndarray, created_ns: np.ndarray) -> np.ndarray:
    """Order-preserving fixed-width strings of (event time, created time) in nanoseconds."""
    # Flipping the sign bit maps int64 order onto uint64 order (times before 1970 included).
    shift = np.uint64(1 << 63)
    event = time_ns.view(np.uint64) ^ shift
    made = created_ns.view(np.uint64) ^ shift
    return np.char.add(np.char.add(np.char.zfill(event.astype(str), 20), ":"), made.astype(str))


def _event_ns(version: str) -> int:
    """The event time (int64 nanoseconds) of a stored version string."""
    unsigned = int(version.split(":", 1)[0]) ^ (1 << 63)
    return unsigned - (1 << 64) if unsigned >= 1 << 63 else unsigned


class _OnlineStore:
    """What both backends share: validation of writes and reads, TTL on read."""

    backend = "abstract"

    def _prepare_write(self, table, rows, entity, timestamp, created, features):
        table = _column_name(table, "table")
        entity = _column_name(entity, "entity")
        timestamp = _column_name(timestamp, "timestamp")
        if created is not None:
            created = _column_name(created, "created")
        rows = check_dataframe(
            rows, "rows", columns=[entity, timestamp] + ([created] if created else []),
            hint=_RENAME_HINT,
        )  # fmt: skip
        reserved = {entity, timestamp} | ({created} if created else set())
        columns = _feature_columns(rows, features, reserved, "rows")
        keys = _entity_values(rows, entity, "rows").astype(str).to_numpy()
        time, kind = _time_values(rows, timestamp, "rows")
        if kind != "datetime":
            raise ValueError(
                f"rows[{timestamp!r}] must hold datetimes for an online store (it serves the "
                "present); convert it with pandas.to_datetime"
            )
        made = (
            _time_values(rows, created, "rows")[0] if created is not None else np.zeros_like(time)
        )
        values = rows[columns]
        non_numeric = [c for c in columns if not pd.api.types.is_numeric_dtype(values[c].dtype)]
        if non_numeric:
            raise ValueError(
                f"feature column(s) {non_numeric} of rows are not numeric; an online store here "
                "serves numbers (encode categories first)"
            )
        matrix = values.to_numpy(dtype=np.float64)
        return table, keys, _version(time, made), columns, matrix

    @staticmethod
    def _prepare_read(table, entities, features):
        table = _column_name(table, "table")
        if isinstance(entities, str) or np.ndim(entities) != 1:
            raise ValueError(
                f"entities must be a 1-D list or array of entity keys, got {entities!r:.60}"
            )
        keys = np.asarray(entities, dtype=object)
        if keys.size == 0:
            raise ValueError("entities is empty; pass at least one entity key")
        if pd.isna(keys).any():
            raise ValueError("entities holds a missing key (None/NaN); drop it first")
        return table, np.array([str(k) for k in keys]), _feature_names(features)

    @staticmethod
    def _fresh(versions, as_of, ttl) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(known, fresh, event ns) of stored versions read at ``as_of`` with ``ttl``."""
        known = np.array([v is not None for v in versions], dtype=bool)
        event = np.full(len(versions), np.iinfo(np.int64).min, dtype=np.int64)
        if known.any():
            event[known] = [_event_ns(v) for v in np.asarray(versions, dtype=object)[known]]
        fresh = known.copy()
        if as_of is not None:
            moment = _moment(as_of, "datetime", "as_of")
            ttl_ns = _ttl_value(ttl, "datetime")
            fresh &= event <= moment
            if ttl_ns is not None:
                fresh &= event >= moment - ttl_ns
        elif ttl is not None:
            raise ValueError("ttl needs as_of: a time-to-live counts back from a moment")
        return known, fresh, event

    @staticmethod
    def _check_schema(table: str, features, known) -> None:
        unknown = [f for f in features if f not in known]
        if unknown:
            raise ValueError(
                f"features {unknown} are not in online table {table!r} (it holds "
                f"{sorted(known)}); check the names or write those features first"
            )

    def read(
        self, table: str, entities, features, *, as_of=None, ttl=None, on_missing: str = "nan"
    ) -> pd.DataFrame:
        """Feature values of ``entities`` (one row each, in order) and their event time.

        Unknown entities, values newer than ``as_of`` and values older than ``as_of - ttl``
        come back missing; ``on_missing="raise"`` raises :class:`KeyError` for unknown ones. A
        feature name the table never received raises :class:`ValueError` (a typo would
        otherwise read as "missing everywhere").
        """
        _check_on_missing(on_missing)
        table, keys, features = self._prepare_read(table, entities, features)
        matrix, versions = self._read_arrays(table, keys, features)
        known, fresh, event = self._fresh(versions, as_of, ttl)
        if on_missing == "raise" and not known.all():
            absent = [str(e) for e in keys[~known][:5]]
            raise KeyError(
                f"entities {absent} have no record in the online store; materialize them or "
                "read with on_missing='nan'"
            )
        matrix = np.where(fresh[:, None], matrix, np.nan)
        nat = np.iinfo(np.int64).min  # NaT's integer value
        columns = {"event_timestamp": np.where(fresh, event, nat).view("datetime64[ns]")}
        columns.update({f: matrix[:, j] for j, f in enumerate(features)})
        return pd.DataFrame(columns)

    def write(
        self,
        table: str,
        rows: pd.DataFrame,
        *,
        entity: str,
        timestamp: str = "event_timestamp",
        created: str | None = "created_timestamp",
        features=None,
    ) -> int:
        """Upsert one record per row; returns how many rows replaced or created a record.

        A row is applied only if its ``(timestamp, created)`` is not older than the stored
        record's, so out-of-order writes never replace newer values with older ones.
        """
        return self._write_arrays(
            *self._prepare_write(table, rows, entity, timestamp, created, features)
        )


def _check_on_missing(on_missing) -> None:
    if on_missing not in ("nan", "raise"):
        raise ValueError(f"on_missing must be 'nan' or 'raise', got {on_missing!r}")


class InMemoryOnlineStore(_OnlineStore):
    """An online store in a Python dict, with the same interface and semantics as Redis.

    For readers without a Redis server, and for tests: every read and write behaves as in
    :class:`RedisOnlineStore` (conditional upserts, missing values for unknown entities, TTL on
    read), without the network round trip.

    Examples
    --------
    >>> store = InMemoryOnlineStore()
    >>> rows = pd.DataFrame({"user": [7], "event_timestamp": [pd.Timestamp("2026-01-01")],
    ...                      "created_timestamp": [pd.Timestamp("2026-01-01")], "ctr": [0.25]})
    >>> store.write("user_stats", rows, entity="user")
    1
    >>> store.read("user_stats", [7, 8], ["ctr"])["ctr"].tolist()
    [0.25, nan]
    """

    backend = "memory"

    def __init__(self):
        self._records: dict[str, dict[str, tuple[str, dict[str, float]]]] = {}
        self._schemas: dict[str, set[str]] = {}

    def _write_arrays(self, table, keys, versions, columns, matrix) -> int:
        records = self._records.setdefault(table, {})
        self._schemas.setdefault(table, set()).update(columns)
        written = 0
        for key, version, values in zip(keys, versions, matrix.tolist(), strict=True):
            current = records.get(key)
            if current is not None and current[0] > version:
                continue
            merged = dict(current[1]) if current is not None else {}
            merged.update(zip(columns, values, strict=True))
            records[key] = (str(version), merged)
            written += 1
        return written

    def _declare(self, table, columns) -> None:
        self._schemas.setdefault(table, set()).update(columns)

    def _read_arrays(self, table, keys, features):
        self._check_schema(table, features, self._schemas.get(table, set()))
        records = self._records.get(table, {})
        matrix = np.full((len(keys), len(features)), np.nan)
        versions = []
        for i, key in enumerate(keys):
            record = records.get(key)
            versions.append(None if record is None else record[0])
            if record is not None:
                matrix[i] = [record[1].get(f, np.nan) for f in features]
        return matrix, versions

    def clear(self, table: str | None = None) -> None:
        """Delete one table's records (or every table's)."""
        if table is None:
            self._records.clear()
            self._schemas.clear()
        else:
            self._records.pop(_column_name(table, "table"), None)
            self._schemas.pop(table, None)

    def close(self) -> None:
        """Nothing to release (present for the common interface)."""


class RedisOnlineStore(_OnlineStore):
    """An online store on a Redis server: one hash per entity, pipelined reads and writes.

    The record of entity ``e`` of table ``t`` is the hash ``{namespace}:{t}:{e}`` with one field
    per feature (the value as a round-trip decimal string) and a ``_version`` field (event and
    created time); the set ``{namespace}:__schema__:{t}`` names the table's features. Writes run
    a server-side script per row that upserts only when the row is not older than the stored
    record, sent in pipelines of ``batch_size`` commands; reads send one ``HMGET`` per entity in
    one pipeline (a single round trip for a batch).

    Parameters
    ----------
    url : str, optional
        ``redis://host:port/db``; default the ``MLREF_REDIS_URL`` environment variable, else
        ``redis://127.0.0.1:6379/0``.
    namespace : str, default "mlref"
        Prefix of every key, so that :meth:`clear` deletes only this store's keys.
    timeout : float, default 1.0
        Seconds to wait for a connection or a reply; a server that is down raises
        :class:`OnlineStoreUnavailableError` within about this time, never hangs.
    batch_size : int, default 1000
        Commands per pipeline when writing.

    Raises
    ------
    OnlineStoreUnavailableError
        When the server does not answer ``PING`` within ``timeout``.
    ImportError
        When the ``redis`` client package is not installed.
    """

    backend = "redis"

    def __init__(
        self,
        url: str | None = None,
        *,
        namespace: str = "mlref",
        timeout: float = 1.0,
        batch_size: int = 1000,
    ):
        try:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry
        except ImportError as exc:  # pragma: no cover - redis is a dependency
            raise ImportError(
                "RedisOnlineStore needs the redis client: pip install redis (or use "
                "InMemoryOnlineStore)"
            ) from exc
        self.url = url if url is not None else os.environ.get("MLREF_REDIS_URL", DEFAULT_REDIS_URL)
        if not isinstance(self.url, str) or not self.url.startswith(("redis://", "unix://")):
            raise ValueError(f"url must be a redis:// or unix:// URL, got {self.url!r}")
        self.namespace = _column_name(namespace, "namespace")
        self.timeout = check_real(timeout, "timeout", low=0.0, low_inclusive=False, high=60.0)
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
            raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        self.batch_size = int(batch_size)
        self._client = redis.Redis.from_url(
            self.url,
            socket_connect_timeout=self.timeout,
            socket_timeout=self.timeout,
            retry=Retry(NoBackoff(), 0),
            retry_on_timeout=False,
        )
        self._errors = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
        self._not_redis = redis.exceptions.RedisError
        try:
            self._client.ping()
        except self._not_redis as exc:  # down, timed out, or not speaking Redis's protocol
            self._client.close()
            raise OnlineStoreUnavailableError(
                f"no Redis server answered at {self.url} within {self.timeout:g} s ({exc}); start "
                "one (redis-server --port 6379 --daemonize yes), set MLREF_REDIS_URL, or use "
                "InMemoryOnlineStore / open_online_store(fallback=True)"
            ) from None
        self._upsert = self._client.register_script(_UPSERT_IF_NEWER)

    def _key(self, table: str, entity: str) -> str:
        return f"{self.namespace}:{table}:{entity}"

    def _schema_key(self, table: str) -> str:
        return f"{self.namespace}:__schema__:{table}"

    def _run(self, pipeline):
        try:
            return pipeline.execute()
        except self._errors as exc:
            raise OnlineStoreUnavailableError(
                f"the Redis server at {self.url} stopped answering ({exc})"
            ) from None

    def _write_arrays(self, table, keys, versions, columns, matrix) -> int:
        text = matrix.astype(str)  # shortest strings that round-trip (NumPy's Dragon4)
        written = 0
        for start in range(0, len(keys), self.batch_size):
            pipe = self._client.pipeline(transaction=False)
            pipe.sadd(self._schema_key(table), *columns)
            for i in range(start, min(start + self.batch_size, len(keys))):
                pairs = [x for pair in zip(columns, text[i], strict=True) for x in pair]
                self._upsert(
                    keys=[self._key(table, keys[i])], args=[versions[i], *pairs], client=pipe
                )
            written += int(sum(self._run(pipe)[1:]))
        return written

    def _declare(self, table, columns) -> None:
        pipe = self._client.pipeline(transaction=False)
        pipe.sadd(self._schema_key(table), *columns)
        self._run(pipe)

    def _read_arrays(self, table, keys, features):
        pipe = self._client.pipeline(transaction=False)
        pipe.smembers(self._schema_key(table))
        for key in keys:
            pipe.hmget(self._key(table, key), ["_version", *features])
        schema, *replies = self._run(pipe)
        self._check_schema(table, features, {f.decode() for f in schema})
        versions = [None if r[0] is None else r[0].decode() for r in replies]
        raw = [[b"nan" if v is None else v for v in r[1:]] for r in replies]
        matrix = np.asarray(raw, dtype=bytes).astype(np.float64)
        return matrix.reshape(len(keys), len(features)), versions

    def clear(self, table: str | None = None) -> None:
        """Delete this namespace's keys of one table (or of every table)."""
        pattern = self._key(_column_name(table, "table"), "*") if table else f"{self.namespace}:*"
        try:
            if table:
                self._client.unlink(self._schema_key(table))
            batch = []
            for key in self._client.scan_iter(match=pattern, count=1000):
                batch.append(key)
                if len(batch) == 1000:
                    self._client.unlink(*batch)
                    batch = []
            if batch:
                self._client.unlink(*batch)
        except self._errors as exc:
            raise OnlineStoreUnavailableError(
                f"the Redis server at {self.url} stopped answering ({exc})"
            ) from None

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def open_online_store(
    url: str | None = None,
    *,
    namespace: str = "mlref",
    timeout: float = 0.5,
    fallback: bool = True,
):
    """A :class:`RedisOnlineStore` if a server answers, else (with ``fallback``) in memory.

    Parameters
    ----------
    url : str, optional
        As in :class:`RedisOnlineStore` (default ``MLREF_REDIS_URL`` or the local default port).
    namespace : str, default "mlref"
        Key prefix.
    timeout : float, default 0.5
        Seconds to wait for the server.
    fallback : bool, default True
        Return an :class:`InMemoryOnlineStore` when Redis is not reachable (or its client is not
        installed); False raises :class:`OnlineStoreUnavailableError` instead.

    Returns
    -------
    RedisOnlineStore or InMemoryOnlineStore
        Its ``backend`` attribute says which (``"redis"`` or ``"memory"``).

    Examples
    --------
    >>> store = open_online_store("redis://127.0.0.1:1/0", timeout=0.2)
    >>> store.backend
    'memory'
    """
    fallback = check_bool(fallback, "fallback")
    try:
        return RedisOnlineStore(url, namespace=namespace, timeout=timeout)
    except (OnlineStoreUnavailableError, ImportError):
        if not fallback:
            raise
        return InMemoryOnlineStore()
