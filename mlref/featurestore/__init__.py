"""A feature store: point-in-time offline joins, Redis and in-memory online stores, CDC sync."""

from mlref.featurestore.cdc import ChangeLogSync, feature_parity, serve_requests
from mlref.featurestore.offline import latest_values, point_in_time_join
from mlref.featurestore.online import (
    InMemoryOnlineStore,
    OnlineStoreUnavailableError,
    RedisOnlineStore,
    open_online_store,
)

__all__ = [
    "ChangeLogSync",
    "InMemoryOnlineStore",
    "OnlineStoreUnavailableError",
    "RedisOnlineStore",
    "feature_parity",
    "latest_values",
    "open_online_store",
    "point_in_time_join",
    "serve_requests",
]
