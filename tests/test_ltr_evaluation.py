import os
import pathlib

import numpy as np
import pytest

from mlref.datasets import MQ2008_FOLDS
from mlref.ltr import evaluate_ranking, mq2008_folds, run_letor_protocol
from mlref.metrics import map_at_k, ndcg_at_k

_MIRROR = os.environ.get("MLREF_DATA_MIRROR")
needs_mirror = pytest.mark.skipif(
    not (_MIRROR and pathlib.Path(_MIRROR).is_dir()),
    reason="real-data mirror not found: set MLREF_DATA_MIRROR or put shared/data beside the repo",
)


def test_evaluate_ranking_is_ndcg_at_each_k_and_full_list_map():
    rng = np.random.default_rng(0)
    group = rng.integers(0, 20, 300)
    y, scores = rng.integers(0, 3, 300), rng.integers(0, 4, 300)
    result = evaluate_ranking(y, scores, group, ks=(1, 5))
    assert list(result) == ["NDCG@1", "NDCG@5", "MAP"]
    assert result["NDCG@5"] == pytest.approx(ndcg_at_k(y, scores, 5, group), abs=1e-15)
    assert result["MAP"] == pytest.approx(map_at_k(y, scores, 300, group), abs=1e-15)


@needs_mirror
def test_folds_follow_the_letor_table_and_the_protocol_scores_every_fold():
    seen = {}
    for fold, train, vali, test in mq2008_folds():
        seen[fold] = (len(train.y), len(vali.y), len(test.y))
        assert not set(train.qid) & set(test.qid) and not set(vali.qid) & set(test.qid)
    sizes = {"S1": 2933, "S2": 3635, "S3": 3062, "S4": 2707, "S5": 2874}
    for fold, (n_train, n_vali, n_test) in seen.items():
        table = MQ2008_FOLDS[fold]
        assert n_train == sum(sizes[p] for p in table["train"])
        assert (n_vali, n_test) == (sizes[table["vali"][0]], sizes[table["test"][0]])

    def first_feature(train, vali):
        return lambda X, qid: X[:, 24]  # BM25 of the whole document: no training

    table = run_letor_protocol({"BM25": first_feature}, folds=(1, 2))
    assert table.fold.tolist() == [1, 2] and (table.train_s >= 0).all()
    fold1 = next(mq2008_folds((1,)))[3]
    assert table.loc[0, "NDCG@10"] == pytest.approx(
        ndcg_at_k(fold1.y, fold1.X[:, 24], 10, fold1.qid)
    )


@needs_mirror
@pytest.mark.parametrize("fold", [1, 2, 3, 4, 5])
def test_every_fold_split_is_sorted_by_query_id_so_group_sizes_are_right(fold):
    # Regression: folds 4 and 5 concatenated S4, S5, S1 unsorted, so XGBRanker(qid=...) refused
    # them and group sizes taken from np.unique silently described other queries.
    import xgboost

    _, train, vali, test = next(iter(mq2008_folds((fold,))))
    for split in (train, vali, test):
        assert (np.diff(split.qid) >= 0).all()
        ids, sizes = np.unique(split.qid, return_counts=True)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        assert (split.qid[starts] == ids).all()
    ranker = xgboost.XGBRanker(n_estimators=2, max_depth=2, n_jobs=1)
    ranker.fit(train.X, train.y, qid=train.qid)
    assert ranker.predict(test.X).shape == test.y.shape


@pytest.mark.parametrize("folds", [(6,), (0, 1), (), (1, 1), 3.5, "S1", None])
def test_bad_fold_numbers_are_refused_before_any_data_is_read(folds):
    with pytest.raises(ValueError, match="folds must be"):
        mq2008_folds(folds)


@pytest.mark.parametrize("ks", [0, (0, 5), (), "10", (1.5,)])
def test_bad_cutoffs_are_refused(ks):
    with pytest.raises(ValueError, match="ks"):
        evaluate_ranking([1, 0], [0.5, 0.2], [1, 1], ks=ks)
