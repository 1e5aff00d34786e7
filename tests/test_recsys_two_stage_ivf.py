"""IVFRetriever: a two-tower model's candidates from an IVF index, exact with every cell probed,
never an excluded item, and usable as a stage-1 retriever of build_candidates."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError

from mlref.metrics.retrieval import top_k_items
from mlref.models import TwoTowerModel
from mlref.recsys import IVFRetriever, Popularity, build_candidates


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    n_users, n_items = 40, 300
    users = np.repeat(np.arange(n_users), 8)
    items = (rng.integers(0, 30, size=users.size) + 30 * (users % 10)) % n_items
    model = TwoTowerModel(
        embedding_dim=8, id_embedding_dim=8, hidden_layer_sizes=(), n_epochs=3, random_state=0
    ).fit(users, items, n_users=n_users, n_items=n_items)
    return model, users, items


def test_every_cell_probed_gives_the_models_exact_top_n_with_exclusions(fitted):
    model, _, _ = fitted
    retriever = IVFRetriever(n_lists=8, n_probe=8, random_state=0).fit(model)
    users = np.arange(40)
    exact = top_k_items(model.score_items(users), 25, exclude=model.interactions_[users])
    got = retriever.retrieve(users, 25, exclude=model.interactions_[users])
    np.testing.assert_array_equal(got, exact)
    np.testing.assert_array_equal(retriever.score_items(users[:3]), model.score_items(users[:3]))


def test_few_cells_probed_approximate_and_never_excluded(fitted):
    model, _, _ = fitted
    users = np.arange(40)
    seen = model.interactions_[users]
    exact = top_k_items(model.score_items(users), 20, exclude=seen)
    recalls = []
    for n_probe in (1, 2, 4, 16):
        got = (
            IVFRetriever(n_lists=16, n_probe=n_probe, random_state=0)
            .fit(model)
            .retrieve(users, 20, exclude=seen)
        )
        assert not seen.toarray()[users[:, None], np.where(got >= 0, got, 0)][got >= 0].any()
        padded = got < 0  # padding only at the end of a row
        assert (np.diff(padded.astype(int), axis=1) >= 0).all()
        hits = [len(set(g[g >= 0]) & set(e)) / 20 for g, e in zip(got, exact, strict=True)]
        recalls.append(np.mean(hits))
    assert recalls == sorted(recalls) and recalls[-1] == 1.0 and recalls[0] < 1.0


def test_build_candidates_takes_the_ivf_lists(fitted):
    model, users, items = fitted
    train = sp.csr_matrix((np.ones(users.size), (users, items)), shape=(40, 300))
    train.data[:] = 1.0
    rows = np.arange(0, 40, 3)
    exact = build_candidates({"tt": model, "pop": Popularity().fit(train)}, rows,
                             n_per_retriever=15, seen=train[rows], train=train)  # fmt: skip
    full = IVFRetriever(n_lists=8, n_probe=8, random_state=0).fit(model)
    via_ivf = build_candidates({"tt": full, "pop": Popularity().fit(train)}, rows,
                               n_per_retriever=15, seen=train[rows], train=train)  # fmt: skip
    # every cell probed: the same candidates, ranks and features as exact scoring
    assert exact.equals(via_ivf)
    coarse = IVFRetriever(n_lists=16, n_probe=1, random_state=0).fit(model)
    approx = build_candidates({"tt": coarse}, rows, n_per_retriever=15, seen=train[rows],
                              train=train)  # fmt: skip
    lists = coarse.retrieve(rows, 15, exclude=train[rows])
    for r, row in enumerate(lists):
        proposed = approx[(approx.user_row == r) & (approx.rank_tt <= 15)]
        assert set(proposed.item) == set(row[row >= 0].tolist())
    exact_lists = top_k_items(model.score_items(rows), 15, exclude=train[rows])
    overlap = np.mean([len(set(a) & set(b)) / 15 for a, b in zip(lists, exact_lists, strict=True)])
    assert 0.0 < overlap < 1.0  # one cell of 16 probed: an approximation


def test_ivf_retriever_rejects_bad_input(fitted):
    model, _, _ = fitted
    with pytest.raises(NotFittedError):
        IVFRetriever().retrieve([0], 5)
    with pytest.raises(ValueError, match="model must be a fitted two-tower model"):
        IVFRetriever().fit("two-tower")
    retriever = IVFRetriever(n_lists=4, n_probe=2, random_state=0).fit(model)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        retriever.retrieve([0], 0)
    with pytest.raises(ValueError, match="n=301 exceeds the number of items"):
        retriever.retrieve([0], 301)
    with pytest.raises(ValueError, match=r"exclude must be a scipy\.sparse matrix of shape"):
        retriever.retrieve([0, 1], 5, exclude=sp.csr_matrix((1, 300)))
    with pytest.raises(ValueError, match="users holds id 40"):
        retriever.retrieve([40], 5)


def test_blocks_of_users_give_the_same_lists(fitted, monkeypatch):
    model, _, _ = fitted
    users = np.arange(40)
    retriever = IVFRetriever(n_lists=16, n_probe=3, random_state=0).fit(model)
    whole = retriever.retrieve(users, 12, exclude=model.interactions_[users])
    monkeypatch.setattr(IVFRetriever, "_BLOCK_ENTRIES", 50)  # one user per block
    np.testing.assert_array_equal(
        retriever.retrieve(users, 12, exclude=model.interactions_[users]), whole
    )
