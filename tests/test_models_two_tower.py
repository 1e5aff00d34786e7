"""Tests of the retrieval metrics, the in-batch softmax loss, TwoTowerModel and the popularity
baseline: brute-force references, central finite differences, determinism and bad inputs."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import mlref.metrics.retrieval as retrieval
from mlref.metrics.retrieval import hit_rate_at_k, recall_at_k, top_k_items
from mlref.models.two_tower import (
    PopularityRecommender,
    TwoTowerModel,
    _L2Normalize,
    in_batch_softmax_loss,
)
from mlref.nn.gradcheck import numerical_gradient

# ------------------------------------------------------------------------------------------------
# Brute-force references


def _brute_recall(recommended, relevant, k, normalize="relevant"):
    values, hits_any = [], []
    for row, rel_row in zip(recommended, relevant, strict=True):
        rel = set(np.flatnonzero(rel_row).tolist())
        if not rel:
            continue
        hits = len(set(row[:k].tolist()) & rel)
        values.append(hits / (len(rel) if normalize == "relevant" else min(k, len(rel))))
        hits_any.append(float(hits > 0))
    return np.mean(values), np.mean(hits_any)


def _brute_top_k(scores, k, exclude=None):
    out = []
    for u, row in enumerate(scores):
        ids = [j for j in range(len(row)) if exclude is None or not exclude[u, j]]
        ids.sort(key=lambda j: (-row[j], j))
        ids = ids[:k]
        out.append(ids + [-1] * (k - len(ids)))
    return np.array(out)


@st.composite
def _retrieval_case(draw):
    n_users = draw(st.integers(1, 6))
    n_items = draw(st.integers(1, 12))
    k = draw(st.integers(1, n_items))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    relevant = rng.random((n_users, n_items)) < draw(st.floats(0.05, 0.9))
    relevant[0, rng.integers(n_items)] = True  # at least one user with a relevant item
    recommended = np.array([rng.permutation(n_items) for _ in range(n_users)])
    pad = rng.random(recommended.shape) < 0.2
    recommended = np.where(pad, -1, recommended)
    return recommended, relevant, k


# ------------------------------------------------------------------------------------------------
# recall_at_k, hit_rate_at_k


@settings(max_examples=60, deadline=None)
@given(_retrieval_case())
def test_recall_and_hit_rate_match_brute_force(case):
    recommended, relevant, k = case
    for normalize in ("relevant", "min"):
        expected, expected_hr = _brute_recall(recommended, relevant, k, normalize)
        got = recall_at_k(recommended, sp.csr_matrix(relevant), k=k, normalize=normalize)
        assert got == pytest.approx(expected, abs=1e-12)
        assert recall_at_k(recommended, relevant, k=k, normalize=normalize) == got  # dense input
    assert hit_rate_at_k(recommended, relevant, k=k) == pytest.approx(expected_hr, abs=1e-12)


def test_recall_per_user_leaves_users_without_relevant_items_out():
    relevant = sp.csr_matrix([[1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0]])
    recommended = [[0, 3], [0, 1], [3, 2]]
    per_user = recall_at_k(recommended, relevant, k=2, per_user=True)
    assert per_user[0] == 0.5 and np.isnan(per_user[1]) and per_user[2] == 1.0
    assert recall_at_k(recommended, relevant, k=2) == 0.75
    assert recall_at_k(recommended, relevant, k=1) == 0.25  # only the first slot counts
    hits = hit_rate_at_k(recommended, relevant, k=2, per_user=True)
    assert hits[0] == 1.0 and np.isnan(hits[1]) and hits[2] == 1.0


def test_recall_normalize_min_scores_a_perfect_list_one():
    relevant = sp.csr_matrix(np.ones((1, 5)))
    assert recall_at_k([[0, 1]], relevant, k=2) == 0.4
    assert recall_at_k([[0, 1]], relevant, k=2, normalize="min") == 1.0


def test_recall_tiny_inputs_and_ignores_explicit_zeros_and_padding():
    assert recall_at_k([[0]], [[1]], k=1) == 1.0
    assert recall_at_k([[-1]], [[1]], k=1) == 0.0
    explicit_zero = sp.csr_matrix((np.array([0.0, 1.0]), (np.array([0, 0]), np.array([0, 1]))))
    assert recall_at_k([[0, 1]], explicit_zero, k=1) == 0.0
    assert recall_at_k([[1, 0]], explicit_zero, k=1) == 1.0


@pytest.mark.parametrize(
    ("recommended", "relevant", "k", "match"),
    [
        ([[0, 1]], [[1, 0]], 0, "k must be an integer >= 1"),
        ([[0, 1]], [[1, 0]], 3, "at least k columns"),
        ([[0, 0]], [[1, 0]], 2, "repeats an item"),
        ([[0, 5]], [[1, 0]], 2, "only 2 columns"),
        ([[0, -2]], [[1, 0]], 2, "negative item ids"),
        ([[0.0, 1.0]], [[1, 0]], 1, "integer item ids"),
        ([0, 1], [[1, 0]], 1, "2-D"),
        ([[0, 1]], [[1, 0], [0, 1]], 1, "rows"),
        ([[0, 1]], [[4, 0]], 1, "0/1 indicator"),
        ([[0, 1]], [[0, 0]], 1, "no user has a relevant item"),
        ([[0, 1]], [1, 0], 1, "2-D"),
    ],
)
def test_recall_rejects_bad_input(recommended, relevant, k, match):
    with pytest.raises(ValueError, match=match):
        recall_at_k(recommended, relevant, k=k)


def test_recall_rejects_unknown_normalize():
    with pytest.raises(ValueError, match="normalize must be one of"):
        recall_at_k([[0]], [[1]], k=1, normalize="k")


# ------------------------------------------------------------------------------------------------
# top_k_items


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 5),
    st.integers(1, 10),
    st.integers(0, 2**31 - 1),
    st.booleans(),
    st.booleans(),
)
def test_top_k_items_matches_stable_full_sort(n_users, n_items, seed, ties, with_exclude):
    rng = np.random.default_rng(seed)
    scores = (
        rng.integers(0, 3, (n_users, n_items)) * 1.0 if ties else rng.random((n_users, n_items))
    )
    exclude = rng.random((n_users, n_items)) < 0.4 if with_exclude else None
    k = int(rng.integers(1, n_items + 1))
    got = top_k_items(scores, k, exclude=None if exclude is None else sp.csr_matrix(exclude))
    np.testing.assert_array_equal(got, _brute_top_k(scores, k, exclude))


def test_top_k_items_blocks_give_the_same_answer(monkeypatch):
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 4, (37, 50)).astype(float)
    exclude = sp.csr_matrix(rng.random((37, 50)) < 0.3)
    whole = top_k_items(scores, 7, exclude=exclude)
    monkeypatch.setattr(retrieval, "_BLOCK_CELLS", 120)  # two rows per block
    np.testing.assert_array_equal(top_k_items(scores, 7, exclude=exclude), whole)
    np.testing.assert_array_equal(whole, _brute_top_k(scores, 7, exclude.toarray()))


def test_top_k_items_tiny_and_all_excluded():
    assert top_k_items([[3.0]], 1).tolist() == [[0]]
    assert top_k_items([[3.0]], 1, exclude=[[1]]).tolist() == [[-1]]
    assert top_k_items([[1.0, 1.0], [2.0, 5.0]], 2).tolist() == [[0, 1], [1, 0]]


@pytest.mark.parametrize(
    ("scores", "k", "exclude", "match"),
    [
        ([[1.0, np.nan]], 1, None, "NaN or infinite"),
        ([[1.0, -np.inf]], 1, None, "NaN or infinite"),
        ([1.0, 2.0], 1, None, "2-D"),
        (np.zeros((0, 3)), 1, None, "empty"),
        ([[1.0, 2.0]], 3, None, "exceeds the number of items"),
        ([[1.0, 2.0]], 0, None, "k must be"),
        ([[1.0, 2.0]], 1, [[1, 0, 0]], "shape of scores"),
        ([["a", "b"]], 1, None, "array of numbers"),
    ],
)
def test_top_k_items_rejects_bad_input(scores, k, exclude, match):
    with pytest.raises(ValueError, match=match):
        top_k_items(scores, k, exclude=exclude)


# ------------------------------------------------------------------------------------------------
# in_batch_softmax_loss


def _brute_in_batch_loss(q, v, tau, log_q, ids):
    total = 0.0
    for i in range(len(q)):
        logits = []
        for j in range(len(v)):
            if ids is not None and j != i and ids[j] == ids[i]:
                continue
            logits.append(q[i] @ v[j] / tau - (0.0 if log_q is None else log_q[j]))
        own = q[i] @ v[i] / tau - (0.0 if log_q is None else log_q[i])
        total += np.log(np.sum(np.exp(logits))) - own
    return total / len(q)


@pytest.mark.parametrize("use_log_q", [False, True])
@pytest.mark.parametrize("use_ids", [False, True])
@pytest.mark.parametrize("tau", [1.0, 0.2])
def test_in_batch_loss_value_and_gradient(use_log_q, use_ids, tau):
    rng = np.random.default_rng(1)
    q, v = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    log_q = np.log(rng.dirichlet(np.ones(5))) if use_log_q else None
    ids = np.array([0, 1, 0, 2, 1]) if use_ids else None
    loss = in_batch_softmax_loss(q, v, temperature=tau, log_q=log_q, item_ids=ids)
    assert loss.value == pytest.approx(_brute_in_batch_loss(q, v, tau, log_q, ids), rel=1e-12)

    def value():
        return in_batch_softmax_loss(q, v, temperature=tau, log_q=log_q, item_ids=ids).value

    np.testing.assert_allclose(loss.d_query, numerical_gradient(value, q), atol=1e-7)
    np.testing.assert_allclose(loss.d_item, numerical_gradient(value, v), atol=1e-7)


def test_in_batch_loss_masks_repeats_like_dropping_the_columns():
    rng = np.random.default_rng(2)
    q, v = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    v[2] = v[0]  # the same item twice
    masked = in_batch_softmax_loss(q, v, item_ids=[7, 8, 7]).value
    unmasked = in_batch_softmax_loss(q, v).value
    assert masked < unmasked


def test_in_batch_loss_single_pair_is_zero():
    loss = in_batch_softmax_loss([[1.0, 2.0]], [[3.0, -1.0]], temperature=0.1, log_q=[-2.0])
    assert loss.value == 0.0
    assert not loss.d_query.any() and not loss.d_item.any()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"query_emb": np.ones((2, 3)), "item_emb": np.ones((3, 3))}, "same shape"),
        ({"temperature": 0.0}, "temperature"),
        ({"log_q": [0.0]}, "length mismatch"),
        ({"item_ids": [0, 1.5]}, "whole numbers"),
        ({"query_emb": [[np.nan, 0.0], [0.0, 1.0]]}, "NaN"),
    ],
)
def test_in_batch_loss_rejects_bad_input(kwargs, match):
    args = {"query_emb": np.eye(2), "item_emb": np.eye(2), **kwargs}
    with pytest.raises(ValueError, match=match):
        in_batch_softmax_loss(args.pop("query_emb"), args.pop("item_emb"), **args)


def test_l2_normalize_gradient():
    rng = np.random.default_rng(3)
    x, g = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    layer = _L2Normalize()
    out = layer.forward(x)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0)
    d_x = layer.backward(g)
    numeric = numerical_gradient(lambda: float(np.sum(_L2Normalize().forward(x) * g)), x)
    np.testing.assert_allclose(d_x, numeric, atol=1e-7)


# ------------------------------------------------------------------------------------------------
# TwoTowerModel


def _tiny_data():
    users = np.array([0, 0, 1, 2, 2, 1])
    items = np.array([0, 3, 1, 3, 2, 3])
    return users, items


@pytest.mark.parametrize(
    "config",
    [
        {"normalize": True, "logq_correction": True, "features": True},
        {"normalize": False, "logq_correction": False, "features": False},
        {"normalize": True, "logq_correction": False, "features": True, "hidden": ()},
        {"normalize": False, "logq_correction": True, "features": False, "hidden": (3, 2)},
    ],
)
def test_two_tower_gradient_of_every_parameter(config):
    rng = np.random.default_rng(4)
    users, items = _tiny_data()
    features = {}
    if config["features"]:
        features = {
            "user_features": rng.normal(size=(3, 2)),
            "item_features": rng.normal(size=(4, 2)),
        }
    model = TwoTowerModel(
        embedding_dim=2,
        id_embedding_dim=3,
        hidden_layer_sizes=config.get("hidden", (4,)),
        normalize=config["normalize"],
        temperature=0.3,
        logq_correction=config["logq_correction"],
        batch_size=6,
        n_epochs=1,
        learning_rate=0.05,
        random_state=0,
    ).fit(users, items, **features)
    params = model.user_tower_.params + model.item_tower_.params
    for p in params:  # move biases off 0, where a ReLU of an all-zero input sits on its kink
        p += rng.normal(scale=0.1, size=p.shape)
    model._batch_loss(users, items)
    analytic = [g.copy() for g in model.user_tower_.grads + model.item_tower_.grads]
    n_linear = len(config.get("hidden", (4,))) + 1
    assert len(params) == 2 * (1 + 2 * n_linear)  # per tower: embedding, then weight and bias
    for p, g in zip(params, analytic, strict=True):
        numeric = numerical_gradient(lambda: model._batch_loss(users, items), p)
        np.testing.assert_allclose(g, numeric, atol=1e-6, rtol=1e-5)


def test_two_tower_is_deterministic_for_a_seed():
    users, items = _tiny_data()
    kwargs = {"embedding_dim": 3, "id_embedding_dim": 3, "batch_size": 4, "n_epochs": 3}
    a = TwoTowerModel(random_state=5, **kwargs).fit(users, items)
    b = TwoTowerModel(random_state=5, **kwargs).fit(users, items)
    c = TwoTowerModel(random_state=6, **kwargs).fit(users, items)
    np.testing.assert_array_equal(a.score_items(), b.score_items())
    assert a.loss_curve_ == b.loss_curve_
    assert not np.array_equal(a.score_items(), c.score_items())


def _clustered_pairs(n_groups=4, users_per_group=10, items_per_group=10, per_user=6, seed=0):
    rng = np.random.default_rng(seed)
    users, items = [], []
    for u in range(n_groups * users_per_group):
        group = u // users_per_group
        chosen = rng.choice(items_per_group, per_user, replace=False) + group * items_per_group
        users += [u] * per_user
        items += chosen.tolist()
    return np.array(users), np.array(items)


def test_two_tower_learns_clusters_and_loss_decreases():
    users, items = _clustered_pairs()
    model = TwoTowerModel(
        embedding_dim=8, id_embedding_dim=8, batch_size=64, n_epochs=40, learning_rate=0.02,
        random_state=0,
    ).fit(users, items)  # fmt: skip
    assert model.loss_curve_[-1] < 0.8 * model.loss_curve_[0]
    recommended = model.recommend(k=4)
    same_group = recommended // 10 == (np.arange(40) // 10)[:, None]
    assert same_group.mean() > 0.7  # chance: 4 of the 34 unseen items are in the group
    seen = model.interactions_.toarray()
    assert not seen[np.arange(40)[:, None], recommended].any()


def test_logq_correction_restores_popularity():
    # Items drawn from a Zipf law independently of the user: the full softmax's ideal score is
    # log P(item); uncorrected in-batch negatives learn log P(item) - log Q(item) = constant.
    rng = np.random.default_rng(0)
    n_items = 30
    p = 1.0 / np.arange(1, n_items + 1)
    p /= p.sum()
    items = rng.choice(n_items, 6000, p=p)
    users = rng.integers(0, 50, 6000)
    correlations = {}
    for logq in (False, True):
        model = TwoTowerModel(
            embedding_dim=4, id_embedding_dim=4, hidden_layer_sizes=(), normalize=False,
            temperature=1.0, logq_correction=logq, batch_size=256, n_epochs=5,
            learning_rate=0.02, random_state=0,
        ).fit(users, items, n_items=n_items)  # fmt: skip
        mean_score = model.score_items().mean(axis=0)
        correlations[logq] = np.corrcoef(mean_score, np.log(p))[0, 1]
    assert correlations[True] > 0.9
    assert correlations[True] > correlations[False] + 0.3


def test_recommend_exclusions_and_padding():
    users, items = _tiny_data()
    model = TwoTowerModel(embedding_dim=2, id_embedding_dim=2, n_epochs=2, random_state=0)
    model.fit(users, items)
    scores = model.score_items([1])
    assert model.recommend([1], k=4, exclude=None).tolist() == [
        np.lexsort((np.arange(4), -scores[0])).tolist()
    ]
    # user 1 saw items 1 and 3 in training: two slots stay empty
    row = model.recommend([1], k=4)[0]
    assert sorted(row[:2].tolist()) == [0, 2] and row[2:].tolist() == [-1, -1]
    mask = sp.csr_matrix([[1, 0, 0, 0]])
    assert 0 not in model.recommend([1], k=3, exclude=mask)[0].tolist()
    assert model.user_embeddings().shape == (3, 2)
    assert model.item_embeddings([0, 2]).shape == (2, 2)
    np.testing.assert_allclose(np.linalg.norm(model.item_embeddings(), axis=1), 1.0)


def test_two_tower_counts_ids_from_tables_and_n_items():
    users, items = _tiny_data()
    model = TwoTowerModel(n_epochs=1, embedding_dim=2, id_embedding_dim=2, random_state=0)
    model.fit(users, items, item_features=np.ones((6, 1)), n_users=5)
    assert (model.n_users_, model.n_items_) == (5, 6)
    assert model.item_counts_.tolist() == [1, 1, 1, 3, 0, 0]
    assert model.recommend([4], k=6, exclude="train").shape == (1, 6)


@pytest.mark.parametrize(
    ("fit_kwargs", "match"),
    [
        ({"user_ids": [0, 1], "item_ids": [0]}, "length mismatch"),
        ({"user_ids": [0, -1], "item_ids": [0, 1]}, "non-negative"),
        ({"user_ids": [0, 1], "item_ids": [0, 1.5]}, "whole numbers"),
        ({"user_ids": [], "item_ids": []}, "empty"),
        ({"item_features": np.ones((1, 2))}, "one row per id"),
        ({"item_features": np.full((2, 1), np.nan)}, "NaN"),
        ({"n_items": 1}, "ids"),
    ],
)
def test_two_tower_fit_rejects_bad_input(fit_kwargs, match):
    kwargs = {"user_ids": [0, 1], "item_ids": [0, 1], **fit_kwargs}
    with pytest.raises(ValueError, match=match):
        TwoTowerModel(n_epochs=1).fit(kwargs.pop("user_ids"), kwargs.pop("item_ids"), **kwargs)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"temperature": 0}, "temperature"),
        ({"embedding_dim": 0}, "embedding_dim"),
        ({"hidden_layer_sizes": (4, 0)}, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": "4"}, "hidden_layer_sizes"),
        ({"batch_size": 1.5}, "batch_size"),
        ({"learning_rate": -1.0}, "learning_rate"),
    ],
)
def test_two_tower_rejects_bad_params(params, match):
    with pytest.raises(ValueError, match=match):
        TwoTowerModel(**params).fit([0, 1], [0, 1])


def test_two_tower_rejects_unfitted_and_bad_recommend_input():
    with pytest.raises(ValueError, match="not fitted"):
        TwoTowerModel().recommend([0], k=1)
    model = TwoTowerModel(n_epochs=1, embedding_dim=2, id_embedding_dim=2).fit([0, 1], [0, 1])
    with pytest.raises(ValueError, match=r"ids 0\.\.1"):
        model.recommend([2], k=1)
    with pytest.raises(ValueError, match="exclude must be None"):
        model.recommend([0], k=1, exclude="seen")
    with pytest.raises(ValueError, match="exclude must have shape"):
        model.recommend([0], k=1, exclude=np.ones((2, 2)))
    with pytest.raises(ValueError, match="exceeds the number of items"):
        model.recommend([0], k=3)


# ------------------------------------------------------------------------------------------------
# PopularityRecommender


def test_popularity_matches_brute_force_with_ties_and_exclusions():
    rng = np.random.default_rng(7)
    users, items = rng.integers(0, 5, 40), rng.integers(0, 8, 40)
    pop = PopularityRecommender().fit(users, items, n_items=9)
    counts = np.bincount(items, minlength=9)
    seen = np.zeros((5, 9), bool)
    seen[users, items] = True
    expected = _brute_top_k(np.tile(counts, (5, 1)).astype(float), 9, seen)
    np.testing.assert_array_equal(pop.recommend(k=9), expected)
    np.testing.assert_array_equal(
        pop.recommend([2], k=3, exclude=None)[0], np.argsort(-counts, kind="stable")[:3]
    )


def test_popularity_rejects_bad_input():
    with pytest.raises(ValueError, match="not fitted"):
        PopularityRecommender().recommend([0], k=1)
    with pytest.raises(ValueError, match="length mismatch"):
        PopularityRecommender().fit([0, 1], [0])
    with pytest.raises(ValueError, match="n_items=1"):
        PopularityRecommender().fit([0], [3], n_items=1)


@pytest.mark.parametrize("make", [lambda: TwoTowerModel(n_epochs=2, embedding_dim=4,
                                                        id_embedding_dim=4, hidden_layer_sizes=(),
                                                        batch_size=8, random_state=1),
                                  PopularityRecommender])  # fmt: skip
def test_retrievers_clone_and_refit_identically(make):
    from sklearn.base import clone

    rng = np.random.default_rng(0)
    users, items = rng.integers(0, 10, 60), rng.integers(0, 15, 60)
    model = make()
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    np.testing.assert_array_equal(
        twin.fit(users, items).recommend(np.arange(10), 5),
        model.fit(users, items).recommend(np.arange(10), 5),
    )
