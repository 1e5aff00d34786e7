"""ResilientRanker: each failure of section 7 is simulated and the service keeps answering."""

import threading
import time

import numpy as np
import pytest

from mlref.serving import ResilientRanker

POPULAR = np.array([10, 11, 12, 13, 14, 15])
DEFAULT = np.array([0.0, 0.0])


class FakeStore:
    """An online feature store that can be switched off."""

    def __init__(self):
        self.up = True
        self.calls = 0

    def __call__(self, user):
        self.calls += 1
        if not self.up:
            raise ConnectionError("feature store unreachable")
        return np.array([float(user), 1.0])


def _model(user, features, items):  # prefers small ids for user features[0] > 0
    return -np.asarray(items, float) * np.sign(features[0] + 0.5)


def _fallback(user, items):
    return np.asarray(items, float)  # prefers large ids


def _ranker(**overrides):
    params = {
        "retrieve": lambda user: np.array([5, 3, 9, 1]),
        "user_features": FakeStore(),
        "rank": _model,
        "fallback_rank": _fallback,
        "popular_items": POPULAR,
        "default_features": DEFAULT,
        "timeout_ms": 200.0,
    }
    params.update(overrides)
    return ResilientRanker(**params)


def test_normal_path_ranks_with_the_model():
    with _ranker() as r:
        s = r.serve(1, k=3)
    assert s.items.tolist() == [1, 3, 5]
    assert (s.ranker, s.features, s.candidates, s.reason) == ("model", "online", "retrieval", "")
    np.testing.assert_array_equal(s.scores, [-1.0, -3.0, -5.0])


def test_model_timeout_serves_the_fallback_ranker_within_the_deadline():
    release = threading.Event()

    def hung_model(user, features, items):
        release.wait(2.0)
        return _model(user, features, items)

    with _ranker(rank=hung_model, timeout_ms=30.0, max_workers=1) as r:
        start = time.perf_counter()
        first = r.serve(1, k=3)
        second = r.serve(2, k=3)  # the only worker is still held: queued, then timed out
        elapsed = time.perf_counter() - start
        release.set()
    for s in (first, second):
        assert s.ranker == "fallback" and "model timeout" in s.reason
        assert s.items.tolist() == [9, 5, 3]
    assert elapsed < 1.0  # two deadlines of 30 ms, not the model's 2 s
    assert r.counts_[("ranker", "fallback")] == 2


def test_close_can_wait_for_a_late_model_call():
    finished = threading.Event()

    def slow_model(user, features, items):
        time.sleep(0.1)
        finished.set()
        return _model(user, features, items)

    r = _ranker(rank=slow_model, timeout_ms=10.0)
    assert r.serve(1).ranker == "fallback"
    r.close(wait=True)
    assert finished.is_set()
    with pytest.raises(ValueError, match="wait"):
        r.close(wait=1)


def test_model_error_or_bad_scores_fall_back():
    def broken(user, features, items):
        raise RuntimeError("CUDA out of memory")

    with _ranker(rank=broken) as r:
        s = r.serve(1, k=2)
    assert s.ranker == "fallback" and "RuntimeError: CUDA out of memory" in s.reason
    with _ranker(rank=lambda u, f, items: np.full(len(items), np.nan)) as r:
        assert r.serve(1).ranker == "fallback"
    with _ranker(rank=lambda u, f, items: np.zeros(len(items) + 1)) as r:
        assert r.serve(1).ranker == "fallback"


def test_both_rankers_down_keeps_the_candidate_order():
    def broken(*args):
        raise RuntimeError("down")

    with _ranker(rank=broken, fallback_rank=broken) as r:
        s = r.serve(1, k=3)
    assert s.ranker == "candidate_order" and s.items.tolist() == [5, 3, 9]
    assert np.isnan(s.scores).all()


def test_feature_store_down_uses_cached_then_default_features():
    store = FakeStore()
    with _ranker(user_features=store) as r:
        assert r.serve(3).features == "online"
        store.up = False
        cached = r.serve(3, k=4)
        fresh_user = r.serve(4, k=4)
    assert cached.features == "cached" and "ConnectionError" in cached.reason
    assert cached.items.tolist() == [1, 3, 5, 9]  # same features as online: same list
    assert fresh_user.features == "default"
    # default features [0, 0]: the model's sign flips to +: same preference here
    assert fresh_user.ranker == "model"
    assert r.counts_[("features", "cached")] == 1 and r.counts_[("features", "default")] == 1


def test_malformed_features_count_as_a_failure_and_cache_is_bounded():
    with _ranker(user_features=lambda u: np.array([1.0, np.nan])) as r:
        assert r.serve(1).features == "default"
    with _ranker(user_features=lambda u: np.array([1.0])) as r:
        assert r.serve(1).features == "default"
    store = FakeStore()
    with _ranker(user_features=store, feature_cache_size=2) as r:
        for user in (1, 2, 3):
            r.serve(user)
        store.up = False
        assert r.serve(1).features == "default"  # evicted (least recently used)
        assert r.serve(3).features == "cached"


def test_no_candidates_serves_popular_items_and_short_lists_are_padded():
    with _ranker(retrieve=lambda u: np.array([], dtype=np.int64)) as r:
        s = r.serve(1, k=3)
    assert s.candidates == "popular" and s.reason == "no candidates"
    assert s.items.tolist() == [10, 11, 12]  # the model orders the popular items

    def down(user):
        raise TimeoutError("ANN shard down")

    with _ranker(retrieve=down) as r:
        s = r.serve(1, k=2)
    assert s.candidates == "popular" and "ANN shard down" in s.reason
    with _ranker(retrieve=lambda u: [12, 2, 2]) as r:
        s = r.serve(1, k=4)
    assert s.candidates == "retrieval+popular"
    assert sorted(s.items.tolist()) == [2, 10, 11, 12]  # repeats and popular overlap dropped


def test_bad_parameters():
    with pytest.raises(TypeError, match="retrieve"):
        _ranker(retrieve=3)
    with pytest.raises(ValueError, match="timeout_ms"):
        _ranker(timeout_ms=0.0)
    with pytest.raises(ValueError, match="popular_items"):
        _ranker(popular_items=[1, 1])
    with pytest.raises(ValueError, match="default_features"):
        _ranker(default_features=[np.nan])
    with pytest.raises(ValueError, match="max_workers"):
        _ranker(max_workers=0)
    with _ranker() as r, pytest.raises(ValueError, match="k"):
        r.serve(1, k=0)
