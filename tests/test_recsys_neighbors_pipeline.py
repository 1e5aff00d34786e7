"""Tests of neighbourhood CF (against scikit-learn's NearestNeighbors and brute force), list NDCG
(against scikit-learn's ndcg_score), candidate merging, top-k per user and the ratings split."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.metrics import ndcg_score
from sklearn.neighbors import NearestNeighbors

from mlref.recsys import ItemKNN, UserKNN, list_ndcg_at_k, top_k_cosine_neighbors
from mlref.recsys.data import split_ratings
from mlref.recsys.two_stage import merge_candidates, top_k_per_user


def _brute_neighbors(V, k, shrinkage):
    dense = V.toarray()
    norms = np.linalg.norm(dense, axis=1)
    denom = norms[:, None] * norms[None, :] + shrinkage
    sims = np.divide(dense @ dense.T, denom, out=np.zeros((len(dense),) * 2), where=denom > 0)
    out = np.zeros_like(sims)
    for i, row in enumerate(sims):
        order = sorted((j for j in range(len(row)) if j != i and row[j] > 0),
                       key=lambda j: (-row[j], j))[:k]  # fmt: skip
        out[i, order] = row[order]
    return out


@pytest.mark.parametrize("seed", range(4))
def test_neighbors_equal_scikit_learn_nearest_neighbors(seed):
    V = sp.random(70, 30, density=0.3, format="csr", random_state=seed)
    V = V[np.diff(V.indptr) > 0]  # cosine is undefined for an all-zero row
    S = top_k_cosine_neighbors(V, 6)
    distances, ids = NearestNeighbors(n_neighbors=7, metric="cosine").fit(V).kneighbors(V)
    for i in range(V.shape[0]):
        theirs = [j for j in ids[i] if j != i][:6]
        ours = S[i].indices[np.argsort(-S[i].data, kind="stable")]
        assert set(ours) == set(theirs)
        np.testing.assert_allclose(np.sort(S[i].data), np.sort(1 - distances[i][ids[i] != i][:6]))


@pytest.mark.parametrize(("seed", "shrinkage", "k"), [(0, 0.0, 3), (1, 2.0, 5), (2, 10.0, 1)])
def test_neighbors_with_ties_and_shrinkage_equal_brute_force(seed, shrinkage, k):
    V = sp.random(40, 12, density=0.25, format="csr", random_state=seed)
    V.data[:] = 1.0  # binary rows: many tied similarities
    np.testing.assert_allclose(
        top_k_cosine_neighbors(V, k, shrinkage=shrinkage).toarray(),
        _brute_neighbors(V, k, shrinkage),
        atol=1e-12,
    )


def test_neighbors_tiny_and_degenerate_cases():
    assert top_k_cosine_neighbors(sp.csr_matrix([[1.0, 0.0]]), 3).nnz == 0  # one row
    V = sp.csr_matrix([[1.0, 0.0], [0.0, 1.0]])  # orthogonal: no neighbour at all
    assert top_k_cosine_neighbors(V, 5).nnz == 0
    with pytest.raises(ValueError, match="k must"):
        top_k_cosine_neighbors(V, 0)
    with pytest.raises(ValueError, match="shrinkage"):
        top_k_cosine_neighbors(V, 1, shrinkage=-1.0)


def test_item_and_user_knn_scores_are_the_neighbourhood_sums():
    R = sp.random(50, 40, density=0.15, format="csr", random_state=3)
    R.data[:] = 1.0
    items = ItemKNN(k=5, shrinkage=1.0).fit(R)
    S = _brute_neighbors(R.T.tocsr(), 5, 1.0)
    np.testing.assert_allclose(items.score_items(), R.toarray() @ S, atol=1e-12)
    users = UserKNN(k=4).fit(R)
    np.testing.assert_allclose(
        users.score_items([1, 2]), _brute_neighbors(R, 4, 0.0)[[1, 2]] @ R.toarray(), atol=1e-12
    )
    recs = items.recommend(k=3)
    assert not R.toarray()[np.arange(50)[:, None], np.maximum(recs, 0)][recs >= 0].any()
    with pytest.raises(ValueError, match="users"):
        items.recommend([50])


def test_list_ndcg_equals_scikit_learn_on_ranked_lists():
    rng = np.random.default_rng(0)
    for _ in range(20):
        n_users, n_items, k = 6, 15, int(rng.integers(1, 8))
        relevant = (rng.random((n_users, n_items)) < 0.25).astype(float)
        relevant[relevant.sum(axis=1) == 0, 0] = 1.0
        recommended = np.argsort(rng.random((n_users, n_items)), axis=1)[:, :k]
        scores = np.zeros((n_users, n_items))
        np.put_along_axis(scores, recommended, np.arange(k, 0, -1)[None, :] + 100.0, axis=1)
        expected = ndcg_score(relevant, scores, k=k)
        ours = list_ndcg_at_k(recommended, sp.csr_matrix(relevant), k=k)
        assert ours == pytest.approx(expected, abs=1e-12)


def test_merge_candidates_and_top_k_per_user():
    merged = merge_candidates({"a": [[4, 2, -1], [0, 1, 2]], "b": [[2, 3], [5, 0]]}, n_items=6)
    assert merged["user_row"].tolist() == [0, 0, 0, 1, 1, 1, 1]
    assert merged["item"].tolist() == [2, 3, 4, 0, 1, 2, 5]
    assert merged["rank_a"].tolist() == [2, 4, 1, 1, 2, 3, 4]
    assert merged["rank_b"].tolist() == [1, 2, 3, 2, 3, 3, 1]
    with pytest.raises(ValueError, match="same users"):
        merge_candidates({"a": [[1]], "b": [[1], [2]]}, n_items=3)
    with pytest.raises(ValueError, match="outside"):
        merge_candidates({"a": [[7]]}, n_items=3)
    top = top_k_per_user([1, 1, 1, 0], [3, 1, 2, 9], [0.5, 0.5, 0.9, 0.1], n_users=3, k=2)
    assert top.tolist() == [[9, -1], [2, 1], [-1, -1]]  # tie 0.5: smaller id first
    with pytest.raises(ValueError, match="same length"):
        top_k_per_user([0], [1, 2], [0.1], n_users=1, k=1)


def test_split_ratings_per_user_and_global():
    log = pd.DataFrame({
        "userId": [1, 1, 1, 1, 2, 2],
        "movieId": [10, 20, 30, 40, 10, 30],
        "rating": [5.0, 3.0, 4.0, 4.5, 4.0, 2.0],
        "timestamp": [1, 2, 3, 4, 5, 6],
    })  # fmt: skip
    s = split_ratings(log, test_fraction=0.5)
    assert s.test_ratings.nnz == 3 and s.test_positives.nnz == 2
    assert s.evaluable_users.tolist() == [0]
    g = split_ratings(log, split="global", cut=4)
    assert g.test_mask.tolist() == [False, False, False, True, True, True]
    inner = split_ratings(log[~g.test_mask], user_ids=g.user_ids, item_ids=g.item_ids)
    assert inner.train_ratings.shape == g.train_ratings.shape
    with pytest.raises(ValueError, match="cut"):
        split_ratings(log, split="global")
    with pytest.raises(ValueError, match="NaN"):
        split_ratings(log.assign(rating=[np.nan] * 6))
    with pytest.raises(ValueError, match="split"):
        split_ratings(log, split="random")
    with pytest.raises(ValueError, match="missing from item_ids"):
        split_ratings(log, item_ids=[10, 20])


def test_build_candidates_merges_each_retrievers_recommendations():
    from mlref.recsys import Popularity, build_candidates, evaluate_recommendations

    R = sp.random(30, 25, density=0.2, format="csr", random_state=4)
    R.data[:] = 1.0
    models = {"pop": Popularity().fit(R), "knn": ItemKNN(k=5).fit(R)}
    users = np.array([3, 0, 7])
    frame = build_candidates(models, users, n_per_retriever=6, seen=R[users], train=R)
    expected = merge_candidates(
        {name: m.recommend(users, k=6, exclude=R[users]) for name, m in models.items()}, n_items=25
    )
    pd.testing.assert_frame_equal(frame[expected.columns], expected)
    rows, items = frame["user_row"].to_numpy(), frame["item"].to_numpy()
    np.testing.assert_allclose(frame["score_knn"], models["knn"].score_items(users)[rows, items])
    assert (frame["user"] == users[rows]).all()
    assert not np.asarray(R[users][rows, items]).any()  # nothing seen is proposed
    np.testing.assert_allclose(frame["item_log_count"], np.log1p(np.diff(R.tocsc().indptr))[items])
    report = evaluate_recommendations([[1, 0]], sp.csr_matrix([[0, 1]]), ks=(1, 2))
    assert report.index.tolist() == ["recall@1", "ndcg@1", "recall@2", "ndcg@2"]


def test_popularity_ranks_by_number_of_users():
    from mlref.recsys import Popularity

    R = sp.csr_matrix(np.array([[1, 0, 1, 0], [1, 0, 0, 0], [1, 1, 0, 0]], dtype=float))
    model = Popularity().fit(R)
    assert model.item_counts_.tolist() == [3, 1, 1, 0]
    assert model.recommend([1], k=3).tolist() == [[1, 2, 3]]  # tie 1 vs 2: smaller id first
    with pytest.raises(ValueError, match="no interaction"):
        Popularity().fit(sp.csr_matrix((2, 2)))


@pytest.mark.parametrize(
    "module_name",
    ["_base", "als", "data", "evaluation", "mf", "neighbors", "neural", "popularity", "two_stage"],
)
def test_docstring_examples_run(module_name):
    import doctest
    import importlib

    module = importlib.import_module(f"mlref.recsys.{module_name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_dot_interaction_docstring_example_runs():
    import doctest

    import mlref.nn.interactions as interactions

    assert doctest.testmod(interactions).failed == 0
