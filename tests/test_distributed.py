"""XGBoost on a Dask LocalCluster: the same quality as one process, partitions that keep queries.

The cluster runs its two workers as threads (processes=False starts in about a second); the
notebook and benchmarks/bench_dask_scaling.py use worker processes.
"""

import numpy as np
import pytest
import xgboost

from mlref.distributed import fit_xgboost_dask, partition_bounds, start_local_cluster
from mlref.metrics import auc_roc, ndcg_at_k

PARAMS = {"n_estimators": 40, "max_depth": 4, "tree_method": "hist", "random_state": 0}


@pytest.fixture(scope="module")
def client():
    client = start_local_cluster(n_workers=2, threads_per_worker=1, processes=False)
    yield client
    client.close()
    client.cluster.close()


def test_the_scheduler_listens_on_loopback_only(client):
    http = client.cluster.scheduler.http_server
    addresses = [sock.getsockname()[0] for sock in http._sockets.values()]
    assert addresses and set(addresses) == {"127.0.0.1"}, addresses


def _data(seed, n=8000, d=8):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    logit = X[:, 0] + 0.5 * X[:, 1] * X[:, 2] - 0.3 * X[:, 3] ** 2
    return X, rng, logit


def test_two_workers_have_the_cluster_we_asked_for(client):
    workers = client.scheduler_info()["workers"].values()
    assert len(workers) == 2 and all(w["nthreads"] == 1 for w in workers)


def test_dask_classifier_matches_the_single_process_auc(client):
    X, rng, logit = _data(0)
    y = (logit + rng.logistic(size=len(X)) > 0).astype(int)
    train, test = slice(0, 6000), slice(6000, None)
    with xgboost.config_context(verbosity=0):
        model = fit_xgboost_dask(client, X[train], y[train], n_partitions=4, **PARAMS)
    dask_auc = auc_roc(y[test], model.get_booster().inplace_predict(X[test]))
    single = xgboost.XGBClassifier(**PARAMS, n_jobs=1).fit(X[train], y[train])
    single_auc = auc_roc(y[test], single.predict_proba(X[test])[:, 1])
    assert abs(dask_auc - single_auc) < 0.005, (dask_auc, single_auc)
    assert dask_auc > 0.7


def test_dask_ranker_equals_the_single_process_ranker_when_bins_are_exact(client):
    """Features with fewer distinct values than max_bin: both sketches give the same bin edges,
    and the two workers' summed histograms grow exactly the single process's trees."""
    X, rng, logit = _data(1)
    X = np.round(X, 1)  # about 80 distinct values per feature, below max_bin = 256
    y = np.clip(np.round(logit + rng.normal(size=len(X))), 0, 3)
    group = np.repeat(np.arange(len(X) // 20), 20)
    train, test = group < 300, group >= 300
    with xgboost.config_context(verbosity=0):
        model = fit_xgboost_dask(
            client, X[train], y[train], task="ranking", group=group[train], **PARAMS
        )
    single = xgboost.XGBRanker(**PARAMS, n_jobs=1).fit(X[train], y[train], qid=group[train])
    dask_scores = model.get_booster().inplace_predict(X[test])
    np.testing.assert_allclose(dask_scores, single.predict(X[test]), rtol=1e-5, atol=1e-5)
    dask_ndcg = ndcg_at_k(y[test], dask_scores, k=10, group=group[test])
    single_ndcg = ndcg_at_k(y[test], single.predict(X[test]), k=10, group=group[test])
    assert abs(dask_ndcg - single_ndcg) < 1e-6


def test_partitions_never_split_a_query():
    rng = np.random.default_rng(3)
    sizes = rng.integers(1, 30, 200)
    group = np.repeat(np.arange(sizes.size), sizes)
    for n_partitions in (1, 2, 3, 7, 500):
        bounds = partition_bounds(group.size, n_partitions, group=group)
        assert bounds[0] == 0 and bounds[-1] == group.size and (np.diff(bounds) > 0).all()
        assert len(bounds) - 1 <= n_partitions
        inner = bounds[1:-1]
        assert (group[inner] != group[inner - 1]).all()  # every cut is between two queries
    even = np.diff(partition_bounds(group.size, 4, group=group))
    assert even.max() - even.min() < 2 * sizes.max()
    with pytest.raises(ValueError, match="contiguous"):
        partition_bounds(4, 2, group=[0, 1, 0, 1])
    with pytest.raises(ValueError, match="length mismatch"):
        partition_bounds(5, 2, group=[0, 1])


def test_fit_refuses_bad_input(client):
    X, _, _ = _data(2, n=40)
    with pytest.raises(ValueError, match="group is required"):
        fit_xgboost_dask(client, X, np.zeros(40), task="ranking")
    with pytest.raises(ValueError, match="0/1"):
        fit_xgboost_dask(client, X, np.full(40, 2.0))
    with pytest.raises(TypeError, match="client"):
        fit_xgboost_dask("tcp://127.0.0.1:8786", X, np.zeros(40))
