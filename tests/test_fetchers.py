"""Tests of the real-data fetchers: cache, mirror, download, checksums, and the loaded data.

Tests that read the real data need a mirror: ``MLREF_DATA_MIRROR`` if it is set, else
``<repo>/../shared/data``; without one they are skipped. Every other test builds tiny synthetic
files in ``tmp_path`` and serves them from a loopback HTTP server, so it always runs and never
touches the internet.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import http.server
import io
import os
import pathlib
import re
import shutil
import socket
import threading
import time
import zipfile
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from mlref.datasets import (
    MQ2008_FOLDS,
    ChecksumError,
    DataUnavailableError,
    RankingData,
    _fetch,
    fetch_avazu_sample,
    fetch_criteo_sample,
    fetch_ipinyou,
    fetch_movielens_small,
    fetch_mq2008,
    fetch_yahoo_ltr_sample,
    get_data_home,
)
from mlref.datasets._fetch import DATASETS, RemoteFile, fetch_file, fetch_files
from mlref.datasets.ctr import IPINYOU_FIELDS, IPINYOU_N_FEATURES

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _find_mirror() -> pathlib.Path | None:
    candidates = [os.environ.get("MLREF_DATA_MIRROR"), ROOT.parent / "shared" / "data"]
    for candidate in candidates:
        if candidate and pathlib.Path(candidate).is_dir():
            return pathlib.Path(candidate)
    return None


MIRROR = _find_mirror()
needs_mirror = pytest.mark.skipif(
    MIRROR is None,
    reason="real-data mirror not found: set MLREF_DATA_MIRROR or put shared/data beside the repo",
)


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _no_proxy(monkeypatch) -> None:
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")


def _closed_port_url(path: str) -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/{path}"


def _files_in(directory: pathlib.Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


# --------------------------------------------------------------------------------------------
# Fixtures: a synthetic dataset, a loopback HTTP server, the real mirror
# --------------------------------------------------------------------------------------------

TOY = "toy-dataset"
A_TEXT = b"alpha 1\nalpha 2\n"
B_TEXT = b"beta\n" * 100


@pytest.fixture
def env(monkeypatch, tmp_path):
    """An isolated environment: empty cache in tmp_path, no mirror, no proxy."""
    home = tmp_path / "home"
    monkeypatch.setenv("MLREF_DATA_HOME", str(home))
    monkeypatch.delenv("MLREF_DATA_MIRROR", raising=False)
    _no_proxy(monkeypatch)
    return SimpleNamespace(home=home, cache=home / TOY, tmp=tmp_path)


@pytest.fixture
def server(tmp_path):
    """Serve ``tmp_path/www`` on 127.0.0.1; ``requests`` lists the paths asked for."""
    root = tmp_path / "www"
    root.mkdir()
    requests: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(
            root=root, url=f"http://127.0.0.1:{httpd.server_address[1]}", requests=requests
        )
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def toy(env, monkeypatch):
    """Register a two-file synthetic dataset whose URLs point at a closed loopback port."""
    table = {
        "a.txt": RemoteFile(_closed_port_url("a.txt"), _md5(A_TEXT)),
        "b.txt": RemoteFile(_closed_port_url("b.txt"), _md5(B_TEXT)),
    }
    monkeypatch.setitem(DATASETS, TOY, table)
    return table


def _serve_toy(monkeypatch, server, a: bytes = A_TEXT, b: bytes = B_TEXT) -> None:
    (server.root / "a.txt").write_bytes(a)
    (server.root / "b.txt").write_bytes(b)
    for name in ("a.txt", "b.txt"):
        remote = dataclasses.replace(DATASETS[TOY][name], url=f"{server.url}/{name}")
        monkeypatch.setitem(DATASETS[TOY], name, remote)


def _make_mirror(root: pathlib.Path, a: bytes = A_TEXT, b: bytes = B_TEXT) -> pathlib.Path:
    folder = root / TOY
    folder.mkdir(parents=True)
    (folder / "a.txt").write_bytes(a)
    (folder / "b.txt.gz").write_bytes(gzip.compress(b))
    return root


@pytest.fixture(scope="module")
def real_env(tmp_path_factory):
    """The real mirror and an empty cache, for the module's real-data tests."""
    if MIRROR is None:
        pytest.skip("real-data mirror not found: set MLREF_DATA_MIRROR or put shared/data beside")
    with pytest.MonkeyPatch.context() as mp:
        home = tmp_path_factory.mktemp("real-home")
        mp.setenv("MLREF_DATA_MIRROR", str(MIRROR))
        mp.setenv("MLREF_DATA_HOME", str(home))
        yield SimpleNamespace(mirror=MIRROR, home=home)


@pytest.fixture(scope="module")
def mq2008_all(real_env):
    return fetch_mq2008(download_if_missing=False)


# --------------------------------------------------------------------------------------------
# get_data_home and the URL table
# --------------------------------------------------------------------------------------------


def test_get_data_home_argument_then_env_then_default(monkeypatch, tmp_path):
    target = tmp_path / "given" / "nested"
    assert get_data_home(target) == target and target.is_dir()
    monkeypatch.setenv("MLREF_DATA_HOME", str(tmp_path / "from-env"))
    assert get_data_home() == tmp_path / "from-env" and (tmp_path / "from-env").is_dir()
    monkeypatch.delenv("MLREF_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert get_data_home() == tmp_path / "user" / ".cache" / "mlref"
    assert (tmp_path / "user" / ".cache" / "mlref").is_dir()


def test_url_table_is_pinned_and_matches_the_mirror_layout():
    assert set(DATASETS) == {
        "ltr-letor4-mq2008",
        "ltr-yahoo-lightgbm-sample",
        "recsys-movielens-latest-small",
        "ctr-ipinyou-2997-sample",
        "ctr-criteo-avazu-deepctr-samples",
    }
    for folder, files in DATASETS.items():
        for name, remote in files.items():
            assert re.fullmatch(r"[0-9a-f]{32}", remote.md5), (folder, name)
            if folder == "recsys-movielens-latest-small":
                assert (
                    remote.url
                    == "https://files.grouplens.org/datasets/movielens/ml-latest-small.zip"
                )
                assert remote.member == f"ml-latest-small/{name}"
            else:
                # GitHub raw at an exact 40-hex commit, ending in the upstream file name.
                assert re.fullmatch(
                    r"https://raw\.githubusercontent\.com/[\w.-]+/[\w.-]+/[0-9a-f]{40}/\S+",
                    remote.url,
                ), remote.url
                assert remote.url.endswith("/" + name) and remote.member is None
            if MIRROR is not None:
                assert any((MIRROR / folder / n).is_file() for n in (name, name + ".gz")), name


# --------------------------------------------------------------------------------------------
# Cache and mirror (synthetic files; always run)
# --------------------------------------------------------------------------------------------


def test_mirror_files_are_verified_and_read_in_place(toy, env, monkeypatch):
    mirror = _make_mirror(env.tmp / "mirror")
    monkeypatch.setenv("MLREF_DATA_MIRROR", str(mirror))
    paths = fetch_files(TOY)
    assert paths == {"a.txt": mirror / TOY / "a.txt", "b.txt": mirror / TOY / "b.txt.gz"}
    assert _files_in(env.cache) == []  # documented: the mirror is read in place, not copied
    # The mirror= argument overrides the environment variable.
    monkeypatch.setenv("MLREF_DATA_MIRROR", str(env.tmp / "nowhere"))
    assert fetch_file(TOY, "b.txt", mirror=mirror) == mirror / TOY / "b.txt.gz"


@pytest.mark.parametrize("stored", ["plain", "gzip"])
def test_mirror_with_one_byte_changed_raises_checksum_error(toy, env, monkeypatch, stored):
    bad = bytearray(B_TEXT)
    bad[7] ^= 0x01
    mirror = env.tmp / "mirror"
    (mirror / TOY).mkdir(parents=True)
    if stored == "plain":
        (mirror / TOY / "b.txt").write_bytes(bytes(bad))
    else:
        (mirror / TOY / "b.txt.gz").write_bytes(gzip.compress(bytes(bad)))
    monkeypatch.setenv("MLREF_DATA_MIRROR", str(mirror))
    with pytest.raises(ChecksumError) as info:
        fetch_file(TOY, "b.txt")
    message = str(info.value)
    assert "b.txt" in message and _md5(B_TEXT) in message and _md5(bytes(bad)) in message
    assert "MLREF_DATA_MIRROR" in message
    assert isinstance(info.value, OSError)
    assert _files_in(env.cache) == []


def test_cached_file_is_used_without_mirror_or_network(toy, env):
    env.cache.mkdir(parents=True)
    (env.cache / "a.txt").write_bytes(A_TEXT)
    (env.cache / "b.txt.gz").write_bytes(gzip.compress(B_TEXT))  # cache may hold .gz too
    paths = fetch_files(TOY, download_if_missing=False)
    assert paths == {"a.txt": env.cache / "a.txt", "b.txt": env.cache / "b.txt.gz"}
    assert fetch_files(TOY) == paths  # URLs point at a closed port: no download was tried


@pytest.mark.parametrize("corruption", ["byte-flip", "truncated-gzip"])
def test_corrupt_cache_file_is_deleted_and_replaced_from_mirror(toy, env, monkeypatch, corruption):
    env.cache.mkdir(parents=True)
    if corruption == "byte-flip":
        bad = env.cache / "a.txt"
        bad.write_bytes(A_TEXT.replace(b"1", b"7"))
    else:
        bad = env.cache / "a.txt.gz"
        bad.write_bytes(gzip.compress(A_TEXT)[:-6])
    mirror = _make_mirror(env.tmp / "mirror")
    monkeypatch.setenv("MLREF_DATA_MIRROR", str(mirror))
    assert fetch_file(TOY, "a.txt") == mirror / TOY / "a.txt"
    assert not bad.exists()


def test_cache_comes_before_the_mirror(toy, env, monkeypatch):
    env.cache.mkdir(parents=True)
    (env.cache / "a.txt").write_bytes(A_TEXT)
    mirror = _make_mirror(env.tmp / "mirror", a=b"corrupt mirror copy\n")
    monkeypatch.setenv("MLREF_DATA_MIRROR", str(mirror))
    assert fetch_file(TOY, "a.txt") == env.cache / "a.txt"  # the bad mirror copy is never read
    with pytest.raises(ChecksumError):
        fetch_file(TOY, "a.txt", data_home=env.tmp / "other-home")


def test_corrupt_cache_file_is_replaced_by_a_download(toy, env, monkeypatch, server):
    _serve_toy(monkeypatch, server)
    env.cache.mkdir(parents=True)
    (env.cache / "a.txt").write_bytes(b"stale version\n")
    path = fetch_file(TOY, "a.txt")
    assert path == env.cache / "a.txt" and path.read_bytes() == A_TEXT
    assert server.requests == ["/a.txt"]


# --------------------------------------------------------------------------------------------
# Download over loopback HTTP (always run)
# --------------------------------------------------------------------------------------------


def test_download_populates_the_cache_then_the_cache_is_used(toy, env, monkeypatch, server):
    _serve_toy(monkeypatch, server)
    paths = fetch_files(TOY)
    assert paths == {"a.txt": env.cache / "a.txt", "b.txt": env.cache / "b.txt"}
    assert paths["a.txt"].read_bytes() == A_TEXT and paths["b.txt"].read_bytes() == B_TEXT
    assert _files_in(env.cache) == ["a.txt", "b.txt"]  # no temporary files left
    assert sorted(server.requests) == ["/a.txt", "/b.txt"]
    # Second call: verified from the cache, no request.
    assert fetch_files(TOY) == paths
    assert len(server.requests) == 2


def test_download_with_wrong_checksum_raises_and_leaves_nothing(toy, env, monkeypatch, server):
    _serve_toy(monkeypatch, server, b=B_TEXT + b"tampered\n")
    with pytest.raises(ChecksumError) as info:
        fetch_file(TOY, "b.txt")
    message = str(info.value)
    assert "b.txt" in message and _md5(B_TEXT) in message and server.url in message
    assert _files_in(env.cache) == []


def test_http_error_becomes_data_unavailable(toy, env, monkeypatch, server):
    _serve_toy(monkeypatch, server)
    (server.root / "a.txt").unlink()
    with pytest.raises(DataUnavailableError) as info:
        fetch_file(TOY, "a.txt")
    assert "404" in str(info.value) and f"{server.url}/a.txt" in str(info.value)
    assert _files_in(env.cache) == []


def test_offline_without_cache_or_mirror_says_how_to_get_the_data(toy, env):
    with pytest.raises(DataUnavailableError) as info:
        fetch_files(TOY)
    message = str(info.value)
    assert isinstance(info.value, OSError)
    assert toy["a.txt"].url in message and toy["b.txt"].url in message
    assert str(env.cache / "a.txt") in message  # where to put a hand-downloaded file
    assert "MLREF_DATA_MIRROR" in message and "MLREF_DATA_HOME" in message
    assert "refused" in message.lower()  # the underlying network error
    assert _files_in(env.cache) == []


def test_download_if_missing_false_never_touches_the_network(toy, env, monkeypatch, server):
    _serve_toy(monkeypatch, server)
    with pytest.raises(DataUnavailableError) as info:
        fetch_files(TOY, download_if_missing=False)
    assert "download_if_missing=False" in str(info.value)
    assert "MLREF_DATA_MIRROR" in str(info.value)
    assert server.requests == []


def _movielens_zip(tables: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ml-latest-small/README.txt", "synthetic\n")
        for name, data in tables.items():
            archive.writestr(f"ml-latest-small/{name}", data)
    return buffer.getvalue()


ML_TABLES = {
    "ratings.csv": b"userId,movieId,rating,timestamp\r\n1,10,4.0,964982703\r\n"
    b"2,20,0.5,1445714994\r\n",
    "movies.csv": b'movieId,title,genres\n10,"Heat, The (1995)",Action|Crime\n20,Nothing (2000),'
    b"(no genres listed)\n",
    "tags.csv": b"userId,movieId,tag,timestamp\n2,20,NA,1445714996\n",
    "links.csv": b"movieId,imdbId,tmdbId\n10,0113277,949\n20,0000001,\n",
}


def _point_movielens_at(monkeypatch, server, md5s: dict[str, str]) -> None:
    folder = "recsys-movielens-latest-small"
    table = {
        name: dataclasses.replace(remote, url=f"{server.url}/ml-latest-small.zip", md5=md5s[name])
        for name, remote in DATASETS[folder].items()
    }
    monkeypatch.setitem(DATASETS, folder, table)


def test_movielens_zip_is_downloaded_once_extracted_and_verified(env, monkeypatch, server):
    (server.root / "ml-latest-small.zip").write_bytes(_movielens_zip(ML_TABLES))
    _point_movielens_at(monkeypatch, server, {n: _md5(d) for n, d in ML_TABLES.items()})
    ml = fetch_movielens_small()
    assert server.requests == ["/ml-latest-small.zip"]  # one archive for the four members
    cache = env.home / "recsys-movielens-latest-small"
    assert _files_in(cache) == sorted(ML_TABLES)  # members only: no zip, no temporary files
    for name, data in ML_TABLES.items():
        assert (cache / name).read_bytes() == data
    assert ml.ratings["rating"].tolist() == [4.0, 0.5]
    assert ml.ratings["timestamp"].tolist() == [964982703, 1445714994]
    assert ml.ratings["datetime"].iloc[0] == pd.Timestamp("2000-07-30 18:45:03")
    assert ml.movies["title"].iloc[0] == "Heat, The (1995)"
    assert ml.movies["genres"].tolist() == ["Action|Crime", "(no genres listed)"]
    assert ml.tags["tag"].tolist() == ["NA"]  # a literal tag, not a missing value
    assert ml.links["imdbId"].tolist() == ["0113277", "0000001"]
    assert ml.links["tmdbId"].isna().tolist() == [False, True]
    # Served again from the cache.
    fetch_movielens_small(download_if_missing=False)
    assert len(server.requests) == 1


def test_movielens_zip_member_with_wrong_checksum_leaves_nothing(env, monkeypatch, server):
    (server.root / "ml-latest-small.zip").write_bytes(_movielens_zip(ML_TABLES))
    md5s = {n: _md5(d) for n, d in ML_TABLES.items()}
    md5s["tags.csv"] = "0" * 32
    _point_movielens_at(monkeypatch, server, md5s)
    with pytest.raises(ChecksumError, match=r"tags\.csv.*0{32}"):
        fetch_movielens_small()
    assert _files_in(env.home / "recsys-movielens-latest-small") == []


def test_download_that_is_not_a_zip_raises_checksum_error(env, monkeypatch, server):
    (server.root / "ml-latest-small.zip").write_bytes(b"<html>not found</html>")
    _point_movielens_at(monkeypatch, server, {n: _md5(d) for n, d in ML_TABLES.items()})
    with pytest.raises(ChecksumError, match="not a valid zip"):
        fetch_movielens_small()
    assert _files_in(env.home / "recsys-movielens-latest-small") == []


# --------------------------------------------------------------------------------------------
# Argument checking (no data needed: checked before any file is looked up)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: fetch_mq2008(fold=0, subset="train"), r"fold=0.*1\.\.5"),
        (lambda: fetch_mq2008(fold=6, subset="test"), r"fold=6.*1\.\.5"),
        (lambda: fetch_mq2008(fold=True, subset="test"), r"fold=True"),
        (lambda: fetch_mq2008(fold=1), r"subset='all'.*'train', 'vali' or 'test'"),
        (lambda: fetch_mq2008(fold=1, subset="valid"), r"subset='valid'"),
        (lambda: fetch_mq2008(subset="train"), r"subset='train' needs a fold.*fold=1\.\.5"),
        (lambda: fetch_mq2008(subset="everything"), r"subset='everything'"),
        (lambda: fetch_mq2008(fold=1, partitions=("S1",)), r"either fold=.*or partitions="),
        (lambda: fetch_mq2008(partitions=("S6",)), r"partitions=.*S6"),
        (lambda: fetch_mq2008(partitions=()), r"non-empty"),
        (lambda: fetch_mq2008(partitions=("S1", "S1")), r"twice"),
        (lambda: fetch_mq2008(partitions=("S1",), subset="test"), r"subset='test'.*fold="),
        (lambda: fetch_yahoo_ltr_sample(subset="vali"), r"subset='vali'.*'train' or 'test'"),
        (lambda: fetch_ipinyou(subset="all"), r"fetch_ipinyou: subset='all'.*'train' or 'test'"),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_fix(env, call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_unknown_file_name_is_a_value_error(toy):
    with pytest.raises(ValueError, match=r"no file 'c\.txt'"):
        fetch_file(TOY, "c.txt")


# --------------------------------------------------------------------------------------------
# The real data, read from the mirror (skipped without one)
# --------------------------------------------------------------------------------------------

MQ2008_SOURCE = {  # SOURCE.md: rows, queries, labels 0/1/2
    "S1": (2933, 157, (2316, 427, 190)),
    "S2": (3635, 157, (3080, 385, 170)),
    "S3": (3062, 157, (2424, 411, 227)),
    "S4": (2707, 157, (2140, 400, 167)),
    "S5": (2874, 156, (2319, 378, 177)),
}


def _assert_ranking(data: RankingData, n_rows: int, n_queries: int, n_features: int) -> None:
    X, y, qid = data
    assert isinstance(data, RankingData)
    assert X.shape == (n_rows, n_features) and X.dtype == np.float64
    assert isinstance(X, np.ndarray) and not sp.issparse(X)
    assert y.shape == qid.shape == (n_rows,)
    assert y.dtype == np.int64 and qid.dtype == np.int64
    assert (np.diff(qid) >= 0).all()  # sorted, so each query's rows are contiguous
    assert len(np.unique(qid)) == n_queries
    assert np.count_nonzero(np.diff(qid)) + 1 == n_queries


@needs_mirror
def test_mq2008_all_partitions(mq2008_all, real_env):
    _assert_ranking(mq2008_all, 15211, 784, 46)
    assert np.bincount(mq2008_all.y).tolist() == [12279, 2001, 931]
    assert mq2008_all.X.min() >= 0.0 and mq2008_all.X.max() <= 1.0
    assert _files_in(real_env.home) == []  # the mirror is read in place


@needs_mirror
@pytest.mark.parametrize("partition", sorted(MQ2008_SOURCE))
def test_mq2008_each_partition_matches_source_md(real_env, partition):
    n_rows, n_queries, labels = MQ2008_SOURCE[partition]
    data = fetch_mq2008(partitions=(partition,), download_if_missing=False)
    _assert_ranking(data, n_rows, n_queries, 46)
    assert tuple(np.bincount(data.y, minlength=3)) == labels


@needs_mirror
def test_mq2008_qids_never_span_partitions(real_env, mq2008_all):
    qids = {p: set(fetch_mq2008(partitions=p, download_if_missing=False).qid) for p in ("S1", "S5")}
    assert not qids["S1"] & qids["S5"]
    # S1 is also the first 2,933 rows of "all": partitions are in ascending qid ranges, and
    # each query keeps its rows in file order.
    s1 = fetch_mq2008(partitions="S1", download_if_missing=False)
    np.testing.assert_array_equal(mq2008_all.X[:2933], s1.X)


@needs_mirror
def test_mq2008_rows_are_sorted_by_qid_whatever_the_partition_order(real_env):
    forward = fetch_mq2008(partitions=("S1", "S2"), download_if_missing=False)
    backward = fetch_mq2008(partitions=("S2", "S1"), download_if_missing=False)
    for a, b in zip(forward, backward, strict=True):
        np.testing.assert_array_equal(a, b)


def test_mq2008_fold_table_is_the_standard_protocol():
    assert sorted(MQ2008_FOLDS) == [1, 2, 3, 4, 5]
    tests = []
    for k, fold in MQ2008_FOLDS.items():
        assert set(fold) == {"train", "vali", "test"}
        parts = fold["train"] + fold["vali"] + fold["test"]
        assert sorted(parts) == ["S1", "S2", "S3", "S4", "S5"]  # a disjoint cover
        assert len(fold["train"]) == 3 and len(fold["vali"]) == len(fold["test"]) == 1
        tests.append(fold["test"][0])
        assert fold["test"] == (f"S{(k + 3) % 5 + 1}",)  # Fold1 tests S5, Fold2 S1, ...
    assert sorted(tests) == ["S1", "S2", "S3", "S4", "S5"]  # each partition is tested once


@needs_mirror
@pytest.mark.parametrize("fold", [1, 2, 3, 4, 5])
def test_mq2008_folds_partition_the_data(real_env, mq2008_all, fold):
    parts = {
        s: fetch_mq2008(fold=fold, subset=s, download_if_missing=False) for s in MQ2008_FOLDS[1]
    }
    for subset, data in parts.items():
        expected = sum(MQ2008_SOURCE[p][0] for p in MQ2008_FOLDS[fold][subset])
        assert data.X.shape == (expected, 46)
        assert (np.diff(data.qid) >= 0).all()
    qids = {s: set(d.qid.tolist()) for s, d in parts.items()}
    assert not (qids["train"] & qids["vali"] or qids["train"] & qids["test"])
    assert not qids["vali"] & qids["test"]
    assert qids["train"] | qids["vali"] | qids["test"] == set(mq2008_all.qid.tolist())
    assert sum(len(d.y) for d in parts.values()) == 15211


@needs_mirror
def test_yahoo_ltr_sample(real_env):
    train = fetch_yahoo_ltr_sample(download_if_missing=False)
    test = fetch_yahoo_ltr_sample(subset="test", download_if_missing=False)
    _assert_ranking(train, 3005, 201, 300)
    _assert_ranking(test, 768, 50, 300)
    assert np.bincount(train.y).tolist() == [645, 1211, 858, 222, 69]
    assert np.bincount(test.y).tolist() == [206, 256, 252, 44, 10]
    assert train.qid.min() == 0 and train.qid.max() == 200
    assert test.qid.min() == 1000 and test.qid.max() == 1049
    # Query sizes are the upstream group file, in order.
    sizes = np.loadtxt(
        real_env.mirror / "ltr-yahoo-lightgbm-sample" / "rank.train.query", dtype=int
    )
    np.testing.assert_array_equal(np.unique(train.qid, return_counts=True)[1], sizes)
    used = (np.vstack([train.X, test.X]) != 0).any(axis=0)
    assert used.sum() == 218 and used[-1]  # 218 feature ids occur, up to id 300
    assert train.X.max() <= 1.0 and train.X[train.X > 0].min() >= 0.01


@needs_mirror
def test_movielens_small(real_env):
    ml = fetch_movielens_small(download_if_missing=False)
    assert ml.ratings.shape == (100836, 5)
    assert list(ml.ratings.columns) == ["userId", "movieId", "rating", "timestamp", "datetime"]
    assert ml.ratings["userId"].nunique() == 610
    assert ml.ratings["rating"].dtype == np.float64
    assert set(ml.ratings["rating"].unique()) == {x / 2 for x in range(1, 11)}
    assert ml.ratings["timestamp"].dtype == np.int64
    assert ml.ratings["datetime"].min() >= pd.Timestamp("1996-03-29")
    assert ml.ratings["datetime"].max() < pd.Timestamp("2018-09-25")
    assert ml.movies.shape == (9742, 3) and ml.movies["movieId"].is_unique
    assert ml.tags.shape == (3683, 5) and ml.links.shape == (9742, 3)
    assert ml.ratings["movieId"].isin(ml.movies["movieId"]).all()
    assert ml.links["tmdbId"].isna().sum() == 8
    assert (ml.links["imdbId"].str.len() == 7).all()
    for frame in (ml.movies, ml.tags, ml.links):  # no CR from ratings.csv's CRLF (or anywhere)
        for column in frame.select_dtypes(exclude="number").columns:
            if frame[column].dtype.kind not in "Mm":
                assert not frame[column].astype(str).str.contains("\r").any(), column
    assert "100,836" in repr(ml)


@needs_mirror
@pytest.mark.parametrize(("subset", "rows", "clicks"), [("train", 26773, 255), ("test", 21150, 50)])
def test_ipinyou(real_env, subset, rows, clicks):
    ads = fetch_ipinyou(subset=subset, download_if_missing=False)
    assert list(ads.columns) == ["click", *IPINYOU_FIELDS] and len(IPINYOU_FIELDS) == 16
    assert ads.shape == (rows, 17) and ads["click"].dtype == np.int64
    assert int(ads["click"].sum()) == clicks
    for field in IPINYOU_FIELDS:
        assert isinstance(ads[field].dtype, pd.CategoricalDtype), field
        assert ads[field].notna().all(), field
    assert (ads["advertiser"] == "2997").all()
    assert (ads["slotwidth"] == "320").all() and (ads["slotheight"] == "50").all()
    assert ads["useragent"].cat.categories.size == 14 and ads["IP"].cat.categories.size == 131235
    X, y = fetch_ipinyou(subset=subset, return_X_y=True, download_if_missing=False)
    assert sp.issparse(X) and X.format == "csr" and X.shape == (rows, IPINYOU_N_FEATURES)
    assert (np.diff(X.indptr) == 16).all() and (X.data == 1).all()
    np.testing.assert_array_equal(y, ads["click"].to_numpy())
    # Re-encoding the decoded strings with featindex gives back the one-hot indices.
    featindex = pd.read_csv(
        real_env.mirror / "ctr-ipinyou-2997-sample" / "featindex.fm.txt.gz",
        sep="\t",
        header=None,
        names=["key", "index"],
        keep_default_na=False,
        quoting=3,
    )
    lookup = pd.Series(featindex["index"].to_numpy(), index=featindex["key"].to_numpy())
    codes = np.column_stack(
        [
            lookup.reindex(field + ":" + ads[field].astype(str)).to_numpy()
            for field in IPINYOU_FIELDS
        ]
    )
    indices = X.indices.reshape(rows, 16)
    np.testing.assert_array_equal(np.sort(codes, axis=1), np.sort(indices, axis=1))


@needs_mirror
def test_criteo_and_avazu_samples(real_env):
    criteo = fetch_criteo_sample(download_if_missing=False)
    assert criteo.shape == (200, 40)
    assert criteo["label"].dtype == np.int64 and int(criteo["label"].sum()) == 49
    assert all(criteo[f"I{i}"].dtype == np.float64 for i in range(1, 14))
    assert all(isinstance(criteo[f"C{i}"].dtype, pd.CategoricalDtype) for i in range(1, 27))
    assert criteo["I1"].isna().any() and criteo.isna().sum().sum() == 1101
    avazu = fetch_avazu_sample(download_if_missing=False)
    assert avazu.shape == (100, 24) and int(avazu["click"].sum()) == 20
    assert avazu["id"].iloc[1] == "10000169349117863715"  # larger than int64: kept as a string
    assert avazu["hour"].iloc[0] == 14102100
    assert isinstance(avazu["site_id"].dtype, pd.CategoricalDtype)


@needs_mirror
def test_real_mirror_file_with_one_byte_changed(real_env, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror" / "ltr-letor4-mq2008"
    mirror.mkdir(parents=True)
    with gzip.open(real_env.mirror / "ltr-letor4-mq2008" / "S1.txt.gz", "rb") as fh:
        data = bytearray(fh.read())
    data[0] = ord("2") if data[0] != ord("2") else ord("1")
    (mirror / "S1.txt").write_bytes(bytes(data))
    shutil.copy(real_env.mirror / "ltr-letor4-mq2008" / "S2.txt.gz", mirror / "S2.txt.gz")
    monkeypatch.setenv("MLREF_DATA_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.setenv("MLREF_DATA_HOME", str(tmp_path / "home"))
    assert fetch_mq2008(partitions=("S2",), download_if_missing=False).X.shape == (3635, 46)
    with pytest.raises(ChecksumError, match=r"S1\.txt.*3282f8739013bee5b50c34ceb61aa709"):
        fetch_mq2008(partitions=("S1", "S2"), download_if_missing=False)


def test_network_timeouts_are_short():
    assert 0 < _fetch.CONNECT_TIMEOUT <= 15 and 0 < _fetch.READ_TIMEOUT <= 60


@pytest.fixture
def silent_server():
    """A loopback server that accepts connections and never answers (or answers headers only)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    accepted, stop = [], threading.Event()
    headers_only = {"on": False}

    def accept_forever():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(conn)
            if headers_only["on"]:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial")

    thread = threading.Thread(target=accept_forever, daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(
            url=f"http://127.0.0.1:{listener.getsockname()[1]}",
            accepted=accepted,
            headers_only=headers_only,
        )
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()


@pytest.mark.parametrize("stall", ["before the answer", "in the middle of the body"])
def test_a_server_that_stalls_fails_fast_with_a_clear_error(
    env, toy, silent_server, stall, monkeypatch
):
    monkeypatch.setattr(_fetch, "CONNECT_TIMEOUT", 0.5)
    monkeypatch.setattr(_fetch, "READ_TIMEOUT", 0.5)
    silent_server.headers_only["on"] = stall == "in the middle of the body"
    remote = dataclasses.replace(DATASETS[TOY]["a.txt"], url=f"{silent_server.url}/a.txt")
    monkeypatch.setitem(DATASETS[TOY], "a.txt", remote)
    start = time.monotonic()
    with pytest.raises(DataUnavailableError, match=r"did not answer within 0\.5 s"):
        fetch_files(TOY, ["a.txt"])
    assert time.monotonic() - start < 5
    assert silent_server.accepted, "the client never reached the server"
    assert not list(env.cache.glob("*")), "nothing may be left in the cache"


def test_a_mirror_folder_that_does_not_exist_is_named_in_the_error(env, toy, tmp_path):
    missing = tmp_path / "no-such-mirror"
    with pytest.raises(DataUnavailableError, match=r"mirror folder .*no-such-mirror.* not exist"):
        fetch_files(TOY, ["a.txt"], mirror=missing)


def test_a_data_home_that_is_a_file_is_refused(tmp_path):
    a_file = tmp_path / "cache.txt"
    a_file.write_text("not a folder")
    with pytest.raises(ValueError, match=r"data_home .* is a file, not a folder"):
        get_data_home(a_file)


@pytest.mark.parametrize("flag", ["no", 1, None])
def test_download_if_missing_must_be_a_bool(env, toy, flag):
    with pytest.raises(ValueError, match="download_if_missing must be True or False"):
        fetch_files(TOY, ["a.txt"], download_if_missing=flag)


@needs_mirror
def test_movielens_with_lf_line_endings_is_accepted_and_reads_the_same(tmp_path, monkeypatch):
    folder = "recsys-movielens-latest-small"
    lf_mirror = tmp_path / "mirror"
    (lf_mirror / folder).mkdir(parents=True)
    for name in DATASETS[folder]:
        crlf = (MIRROR / folder / name).read_bytes()
        (lf_mirror / folder / name).write_bytes(crlf.replace(b"\r\n", b"\n"))
    monkeypatch.setenv("MLREF_DATA_MIRROR", str(MIRROR))
    crlf = fetch_movielens_small(data_home=tmp_path / "cache1", download_if_missing=False)
    monkeypatch.setenv("MLREF_DATA_MIRROR", str(lf_mirror))
    lf = fetch_movielens_small(data_home=tmp_path / "cache2", download_if_missing=False)
    pd.testing.assert_frame_equal(lf.ratings, crlf.ratings)
    pd.testing.assert_frame_equal(lf.movies, crlf.movies)
    (lf_mirror / folder / "tags.csv").write_bytes(b"userId,movieId,tag,timestamp\n")
    with pytest.raises(ChecksumError, match=r"tags\.csv"):
        fetch_movielens_small(data_home=tmp_path / "cache3", download_if_missing=False)


def test_mq2008_feature_names_follow_the_letor4_layout():
    from mlref.datasets.letor import MQ2008_FEATURE_NAMES, MQ2008_N_FEATURES

    assert len(MQ2008_FEATURE_NAMES) == MQ2008_N_FEATURES == 46
    assert len(set(MQ2008_FEATURE_NAMES)) == 46
    assert MQ2008_FEATURE_NAMES[0] == "TF body" and MQ2008_FEATURE_NAMES[24] == "BM25 document"
    assert MQ2008_FEATURE_NAMES[40:] == (
        "PageRank", "inlinks", "outlinks", "URL slashes", "URL length", "child pages"
    )  # fmt: skip
