"""The feature store: as-of joins against pandas.merge_asof and DuckDB's ASOF JOIN, online stores,
CDC parity.

The Redis tests run against a real server at ``MLREF_REDIS_URL`` (``.ci/run`` starts one). In CI
(``CI`` set) a missing server FAILS those tests; on a developer machine they are skipped with the
reason.
"""

import os
import shutil
import socket
import subprocess
import time

import numpy as np
import pandas as pd
import pytest

from mlref.featurestore import (
    ChangeLogSync,
    InMemoryOnlineStore,
    OnlineStoreUnavailableError,
    RedisOnlineStore,
    feature_parity,
    latest_values,
    open_online_store,
    point_in_time_join,
    serve_requests,
)

T0 = pd.Timestamp("2026-01-01")


def _random_tables(seed, n_entities=6, n_features=40, n_rows=60, *, datetimes=True):
    """A feature table with many equal event times (ties) and rows to join onto it."""
    rng = np.random.default_rng(seed)
    event = rng.integers(0, 30, n_features).astype(float)
    created = event + rng.integers(0, 3, n_features)
    table = pd.DataFrame(
        {
            "user": rng.integers(0, n_entities, n_features),
            "event_timestamp": event,
            "created_timestamp": created,
            "f1": rng.normal(size=n_features),
            "f2": rng.integers(0, 100, n_features).astype(float),
        }
    )
    # Make created times unique within equal (user, event) so the tie-break is well defined.
    table["created_timestamp"] += np.arange(n_features) * 1e-3 * rng.permutation(n_features)
    rows = pd.DataFrame(
        {
            "user": rng.integers(0, n_entities + 1, n_rows),  # one entity never has features
            "event_timestamp": rng.integers(-2, 34, n_rows).astype(float),
            "label": rng.integers(0, 2, n_rows),
        },
        index=rng.permutation(n_rows) + 100,
    )
    if datetimes:
        for column in ("event_timestamp", "created_timestamp"):
            table[column] = T0 + pd.to_timedelta(table[column], unit="h")
        rows["event_timestamp"] = T0 + pd.to_timedelta(rows["event_timestamp"], unit="h")
    return rows, table


def _merge_asof_reference(rows, table, ttl=None):
    """pandas.merge_asof: rows sorted by time; features sorted by (time, created) so the
    latest created is the last among equal times, which merge_asof takes."""
    left = rows.reset_index().sort_values("event_timestamp", kind="stable")
    right = table.sort_values(["event_timestamp", "created_timestamp"], kind="stable")
    merged = pd.merge_asof(
        left,
        right.drop(columns="created_timestamp"),
        on="event_timestamp",
        by="user",
        direction="backward",
        allow_exact_matches=True,
        tolerance=ttl,
    )
    return merged.set_index("index").loc[rows.index]


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("datetimes", [True, False])
def test_point_in_time_join_equals_merge_asof_row_for_row(seed, datetimes):
    rows, table = _random_tables(seed, datetimes=datetimes)
    ttl = [None, pd.Timedelta("5h") if datetimes else 5.0][seed % 2]
    ours = point_in_time_join(rows, table, entity="user", ttl=ttl)
    reference = _merge_asof_reference(rows, table, ttl=ttl)
    assert ours.index.equals(rows.index)
    for column in ("f1", "f2"):
        np.testing.assert_array_equal(ours[column].to_numpy(), reference[column].to_numpy())
    assert ours["f1"].isna().any() and ours["f1"].notna().any()


def _duckdb_asof_reference(rows, table, ttl=None):
    """DuckDB's ``ASOF LEFT JOIN`` (an independent engine): equal event times are first reduced
    to their latest created row with a window function, then each row takes the latest feature
    row at or before its time; the TTL is applied to the matched feature time afterwards."""
    import duckdb

    connection = duckdb.connect()
    connection.register("ask", rows.reset_index())
    connection.register("features", table)
    joined = connection.execute(
        """
        WITH newest AS (
            SELECT * FROM features
            QUALIFY row_number() OVER (
                PARTITION BY "user", event_timestamp ORDER BY created_timestamp DESC) = 1
        )
        SELECT ask."index", ask.event_timestamp AS asked_at,
               newest.event_timestamp AS known_at, newest.f1, newest.f2
        FROM ask ASOF LEFT JOIN newest
          ON ask."user" = newest."user" AND ask.event_timestamp >= newest.event_timestamp
        """
    ).df()
    connection.close()
    joined = joined.set_index("index").loc[rows.index]
    if ttl is not None:
        too_old = (joined["asked_at"] - joined["known_at"]) > ttl
        joined.loc[too_old, ["f1", "f2"]] = np.nan
    return joined


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("datetimes", [True, False])
def test_point_in_time_join_equals_duckdb_asof_join_row_for_row(seed, datetimes):
    rows, table = _random_tables(seed + 50, datetimes=datetimes)
    ttl = [None, pd.Timedelta("5h") if datetimes else 5.0][seed % 2]
    ours = point_in_time_join(rows, table, entity="user", ttl=ttl)
    reference = _duckdb_asof_reference(rows, table, ttl=ttl)
    for column in ("f1", "f2"):
        np.testing.assert_array_equal(ours[column].to_numpy(), reference[column].to_numpy())
    assert ours["f1"].isna().any() and ours["f1"].notna().any()


def test_ties_in_event_time_are_broken_by_the_latest_created_time_not_row_order():
    table = pd.DataFrame(
        {
            "user": [1, 1, 1],
            "event_timestamp": [5.0, 5.0, 5.0],
            "created_timestamp": [9.0, 7.0, 8.0],
            "f": [0.9, 0.7, 0.8],
        }
    )
    rows = pd.DataFrame({"user": [1, 1], "event_timestamp": [4.0, 5.0]})
    joined = point_in_time_join(rows, table, entity="user")
    assert joined["f"].tolist()[1] == 0.9 and np.isnan(joined["f"].tolist()[0])
    assert latest_values(table, entity="user")["f"].tolist() == [0.9]
    no_created = point_in_time_join(rows, table, entity="user", created=None)
    assert no_created["f"].tolist()[1] == 0.8  # last row wins without a created column


def test_ttl_boundary_is_inclusive_and_a_value_at_t_is_known_at_t():
    table = pd.DataFrame({"user": ["a"], "event_timestamp": [T0], "created_timestamp": [T0],
                          "f": [1.5]})  # fmt: skip
    times = [T0, T0 + pd.Timedelta("2D"), T0 + pd.Timedelta("2D1s")]
    rows = pd.DataFrame({"user": ["a"] * 3, "event_timestamp": times})
    joined = point_in_time_join(rows, table, entity="user", ttl=pd.Timedelta("2D"))
    assert joined["f"].tolist()[:2] == [1.5, 1.5] and np.isnan(joined["f"].iloc[2])


def test_latest_values_as_of_equals_the_join_at_that_moment():
    _, table = _random_tables(3)
    moment = T0 + pd.Timedelta("17h")
    snapshot = latest_values(table, entity="user", as_of=moment, ttl=pd.Timedelta("6h"))
    ask = pd.DataFrame({"user": snapshot["user"], "event_timestamp": moment})
    joined = point_in_time_join(ask, table, entity="user", ttl=pd.Timedelta("6h"))
    np.testing.assert_array_equal(joined["f1"].to_numpy(), snapshot["f1"].to_numpy())


def test_point_in_time_join_refuses_bad_tables():
    rows, table = _random_tables(0)
    with pytest.raises(ValueError, match="no column"):
        point_in_time_join(rows, table.drop(columns="created_timestamp"), entity="user")
    with pytest.raises(ValueError, match="no column"):
        point_in_time_join(rows, table, entity="retailer")
    nat = table.copy()
    nat.loc[0, "event_timestamp"] = pd.NaT
    with pytest.raises(ValueError, match="NaT"):
        point_in_time_join(rows, nat, entity="user")
    numeric_rows, _ = _random_tables(0, datetimes=False)
    with pytest.raises(ValueError, match="same kind"):
        point_in_time_join(numeric_rows, table, entity="user")
    with pytest.raises(ValueError, match="already has"):
        point_in_time_join(rows.assign(f1=0.0), table, entity="user")
    with pytest.raises(TypeError, match="ttl"):
        point_in_time_join(rows, table, entity="user", ttl=5)
    with pytest.raises(ValueError, match="ttl"):
        point_in_time_join(rows, table, entity="user", ttl=pd.Timedelta("-1h"))
    missing_key = table.astype({"user": float})
    missing_key.loc[0, "user"] = np.nan
    with pytest.raises(ValueError, match="missing entity"):
        point_in_time_join(rows, missing_key, entity="user")


# ------------------------------------------------------------------------------------------
# Online stores: the in-memory one always, Redis against a real server
# ------------------------------------------------------------------------------------------


def _redis_url():
    return os.environ.get("MLREF_REDIS_URL")


def _redis_store(namespace):
    url = _redis_url()
    try:
        if url is None:
            raise OnlineStoreUnavailableError("MLREF_REDIS_URL is not set")
        return RedisOnlineStore(url, namespace=namespace, timeout=2.0)
    except OnlineStoreUnavailableError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must test against a real Redis server (.ci/run starts one): {exc}")
        pytest.skip(f"no Redis server (start redis-server and set MLREF_REDIS_URL): {exc}")


@pytest.fixture(params=["memory", "redis"])
def store(request):
    if request.param == "memory":
        yield InMemoryOnlineStore()
        return
    redis_store = _redis_store(f"mlref-test-{os.getpid()}-{time.monotonic_ns()}")
    yield redis_store
    redis_store.clear()
    redis_store.close()


def _updates():
    hours = pd.to_timedelta([0, 1, 1, 3, 2], unit="h")
    return pd.DataFrame(
        {
            "user": [1, 2, 1, 1, 2],
            "event_timestamp": T0 + hours,
            "created_timestamp": T0 + hours + pd.to_timedelta([0, 0, 5, 0, 0], unit="min"),
            "ctr": [0.1, 0.2, 1 / 3, np.pi, -0.0],
            "orders": [1.0, 0.0, 2.0, 7.0, np.nan],
        }
    )


def test_online_store_keeps_the_newest_record_whatever_the_write_order(store):
    updates = _updates()
    newest_last = updates.iloc[::-1]  # out of order: the newest record of user 1 is written first
    store.write("stats", newest_last, entity="user")
    read = store.read("stats", [1, 2, 3], ["ctr", "orders"])
    assert read["ctr"].iloc[0] == np.pi and read["orders"].iloc[0] == 7.0
    assert read["ctr"].iloc[1] == 0.0 and np.isnan(read["orders"].iloc[1])  # event 2h > 1h
    assert read[["ctr", "orders"]].iloc[2].isna().all()  # unknown entity
    assert read["event_timestamp"].iloc[0] == T0 + pd.Timedelta("3h")
    assert pd.isna(read["event_timestamp"].iloc[2])
    with pytest.raises(KeyError, match="no record"):
        store.read("stats", [1, 3], ["ctr"], on_missing="raise")
    as_of = store.read("stats", [1], ["ctr"], as_of=T0 + pd.Timedelta("5h"), ttl=pd.Timedelta("1h"))
    assert np.isnan(as_of["ctr"].iloc[0])  # 3h old value is older than the 1h TTL
    with pytest.raises(ValueError, match="not in online table"):
        store.read("stats", [1], ["ctr", "crt"])  # a typo is an error, not a missing value
    store.clear("stats")
    with pytest.raises(ValueError, match="not in online table"):
        store.read("stats", [1], ["ctr"])


def test_values_round_trip_bit_for_bit(store):
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(size=200) * 10.0 ** rng.integers(-300, 300, 200),
                             [5e-324, 1.7976931348623157e308, -0.0, 0.1 + 0.2]])  # fmt: skip
    rows = pd.DataFrame(
        {
            "item": np.arange(values.size),
            "event_timestamp": T0,
            "created_timestamp": T0,
            "x": values,
        }
    )
    assert store.write("items", rows, entity="item") == values.size
    read = store.read("items", np.arange(values.size), ["x"])
    np.testing.assert_array_equal(read["x"].to_numpy(), values)


def test_online_store_refuses_bad_writes_and_reads(store):
    updates = _updates()
    with pytest.raises(ValueError, match="no column"):
        store.write("stats", updates.drop(columns="created_timestamp"), entity="user")
    with pytest.raises(ValueError, match="datetimes"):
        store.write("stats", updates.assign(event_timestamp=1.0), entity="user")
    with pytest.raises(ValueError, match="not numeric"):
        store.write("stats", updates.assign(ctr="high"), entity="user")
    with pytest.raises(ValueError, match="entities"):
        store.read("stats", [], ["ctr"])
    with pytest.raises(ValueError, match="on_missing"):
        store.read("stats", [1], ["ctr"], on_missing="skip")


@pytest.fixture
def closed_port():
    """A port that is bound but not listening: connecting to it is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


def test_a_down_server_gives_a_clear_error_within_the_timeout_never_a_hang(closed_port):
    url = f"redis://127.0.0.1:{closed_port}/0"
    start = time.perf_counter()
    with pytest.raises(OnlineStoreUnavailableError, match="no Redis server answered"):
        RedisOnlineStore(url, timeout=0.5)
    assert time.perf_counter() - start < 3.0
    # A non-routable address: the connect timeout, not the OS's minutes-long default, bounds it.
    start = time.perf_counter()
    with pytest.raises(OnlineStoreUnavailableError):
        RedisOnlineStore("redis://10.255.255.1:6379/0", timeout=0.3)
    assert time.perf_counter() - start < 3.0
    fallback = open_online_store(url, timeout=0.3)
    assert fallback.backend == "memory"
    with pytest.raises(OnlineStoreUnavailableError):
        open_online_store(url, timeout=0.3, fallback=False)


def test_a_server_that_goes_away_mid_session_raises_quickly():
    """A dedicated redis-server, shut down while the store holds a connection to it."""
    if shutil.which("redis-server") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have redis-server installed (.ci/run installs it)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--daemonize", "yes"],
        check=True, capture_output=True, timeout=10,
    )  # fmt: skip
    store = None
    for _ in range(50):
        try:
            store = RedisOnlineStore(f"redis://127.0.0.1:{port}/0", timeout=0.5)
            break
        except OnlineStoreUnavailableError:
            time.sleep(0.05)
    assert store is not None, "the test's redis-server did not start"
    store.write("stats", _updates(), entity="user")
    subprocess.run(
        ["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True, timeout=10
    )
    start = time.perf_counter()
    with pytest.raises(OnlineStoreUnavailableError, match="stopped answering"):
        store.read("stats", [1], ["ctr"])
    assert time.perf_counter() - start < 3.0


# ------------------------------------------------------------------------------------------
# CDC: parity with the offline join at lag 0, skew with a lag
# ------------------------------------------------------------------------------------------


def _feature_log(seed, n_users=30, n_changes=400):
    rng = np.random.default_rng(seed)
    minutes = np.sort(rng.integers(0, 600, n_changes))
    event = T0 + pd.to_timedelta(minutes, unit="min")
    return pd.DataFrame(
        {
            "user": rng.integers(0, n_users, n_changes),
            "event_timestamp": event,
            "created_timestamp": event + pd.to_timedelta(rng.integers(0, 3, n_changes), unit="s"),
            "clicks_7d": rng.poisson(3.0, n_changes).astype(float),
            "ctr_7d": rng.beta(2, 20, n_changes),
        }
    ), pd.DataFrame(
        {
            "user": rng.integers(0, n_users + 3, 300),
            "event_timestamp": T0 + pd.to_timedelta(rng.integers(-30, 660, 300), unit="min"),
        }
    )


@pytest.mark.parametrize("ttl", [None, pd.Timedelta("90min")])
def test_online_serving_with_zero_lag_equals_the_offline_point_in_time_value(store, ttl):
    changes, requests = _feature_log(1)
    sync = ChangeLogSync(store, "user_stats", changes, entity="user")
    online = serve_requests(sync, requests, ttl=ttl)
    offline = point_in_time_join(requests, changes, entity="user", ttl=ttl)
    parity = feature_parity(online, offline, ["clicks_7d", "ctr_7d"])
    assert parity.max() == 0.0, parity
    assert offline["ctr_7d"].notna().mean() > 0.5
    assert sync.n_applied == int(
        (changes["event_timestamp"] <= requests["event_timestamp"].max()).sum()
    )


def test_a_sync_lag_serves_stale_values_exactly_the_join_lag_earlier(store):
    changes, requests = _feature_log(2)
    lag = pd.Timedelta("20min")
    sync = ChangeLogSync(store, "user_stats", changes, entity="user", lag=lag)
    online = serve_requests(sync, requests)
    offline = point_in_time_join(requests, changes, entity="user")
    assert feature_parity(online, offline, ["ctr_7d"])["ctr_7d"] > 0.05
    earlier = requests.assign(event_timestamp=requests["event_timestamp"] - lag)
    lagged = point_in_time_join(earlier, changes, entity="user")
    assert feature_parity(online, lagged, ["ctr_7d", "clicks_7d"]).max() == 0.0
    with pytest.raises(ValueError, match="only moves forward"):
        sync.advance(T0)


def test_cdc_refuses_bad_input():
    changes, requests = _feature_log(0)
    with pytest.raises(TypeError, match="store"):
        ChangeLogSync({}, "t", changes, entity="user")
    with pytest.raises(ValueError, match="no column"):
        ChangeLogSync(InMemoryOnlineStore(), "t", changes, entity="retailer")
    with pytest.raises(ValueError, match="lag"):
        ChangeLogSync(InMemoryOnlineStore(), "t", changes, entity="user", lag=pd.Timedelta("-1s"))
    with pytest.raises(ValueError, match="length mismatch"):
        feature_parity(requests, requests.iloc[1:], ["user"])
    nat = requests.copy()
    nat.loc[0, "event_timestamp"] = pd.NaT
    with pytest.raises(ValueError, match="NaT"):
        serve_requests(ChangeLogSync(InMemoryOnlineStore(), "t", changes, entity="user"), nat)
