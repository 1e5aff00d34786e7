"""TwoTowerModel's sampled and hard negatives and its lazy-Adam option: the mixed softmax
against a direct computation and finite differences, the hard pool against a brute-force
ranking re-mined every epoch, lazy = dense Adam when every id is in every batch, bad input."""

import numpy as np
import pytest
from scipy.special import logsumexp

from mlref.models.two_tower import TwoTowerModel, _in_batch_plus_sampled_loss
from mlref.nn.gradcheck import numerical_gradient


def _mixed_reference(q, v, v_extra, tau, log_count, log_count_extra, item_ids, extra_ids):
    """Row by row: the positive against every other batch item and the row's own extras."""
    values = []
    for i in range(q.shape[0]):
        logits = [q[i] @ v[i] / tau - (0 if log_count is None else log_count[i])]
        for j in range(q.shape[0]):
            if j != i and item_ids[j] != item_ids[i]:
                logits.append(q[i] @ v[j] / tau - (0 if log_count is None else log_count[j]))
        for m in range(extra_ids.shape[1]):
            if extra_ids[i, m] != item_ids[i]:
                correction = 0 if log_count is None else log_count_extra[i, m]
                logits.append(q[i] @ v_extra[i, m] / tau - correction)
        values.append(logsumexp(logits) - logits[0])
    return float(np.mean(values))


@pytest.mark.parametrize("corrected", [False, True])
def test_mixed_softmax_value_and_gradients(corrected):
    rng = np.random.default_rng(0)
    batch, k, d, tau = 5, 3, 4, 0.7
    q, v = rng.normal(size=(batch, d)), rng.normal(size=(batch, d))
    v_extra = rng.normal(size=(batch, k, d))
    item_ids = np.array([0, 1, 2, 1, 4])  # a repeat of item 1
    extra_ids = np.array([[5, 0, 6], [7, 8, 9], [2, 3, 3], [9, 1, 5], [6, 6, 7]])  # hits masked
    log_count = rng.normal(size=batch) if corrected else None
    log_count_extra = rng.normal(size=(batch, k)) if corrected else None
    kwargs = {
        "temperature": tau,
        "log_count": log_count,
        "log_count_extra": log_count_extra,
        "item_ids": item_ids,
        "extra_ids": extra_ids,
    }
    loss = _in_batch_plus_sampled_loss(q, v, v_extra, **kwargs)
    expected = _mixed_reference(q, v, v_extra, tau, log_count, log_count_extra, item_ids, extra_ids)
    assert loss.value == pytest.approx(expected, rel=1e-12)

    def value():
        return _in_batch_plus_sampled_loss(q, v, v_extra, **kwargs).value

    for array, analytic in ((q, loss.d_query), (v, loss.d_item), (v_extra, loss.d_extra)):
        np.testing.assert_allclose(analytic, numerical_gradient(value, array), atol=1e-8)


def _pairs(seed=0, n_users=30, n_items=40, per_user=5):
    rng = np.random.default_rng(seed)
    users = np.repeat(np.arange(n_users), per_user)
    items = np.concatenate(
        [rng.choice(n_items // 2, per_user, replace=False) + (u % 2) * n_items // 2
         for u in range(n_users)]
    )  # fmt: skip
    return users, items


SMALL = {"embedding_dim": 4, "id_embedding_dim": 4, "hidden_layer_sizes": (6,), "batch_size": 32}


def test_hard_pool_is_the_ranked_unseen_items_and_is_remined_every_epoch(monkeypatch):
    users, items = _pairs()
    pools = []
    original = TwoTowerModel._hard_pool

    def recording(self):
        pool = original(self)
        scores = self.user_embeddings() @ self.item_embeddings().T
        seen = self.interactions_.toarray().astype(bool)
        for u in range(self.n_users_):
            order = np.lexsort((np.arange(self.n_items_), -scores[u]))
            ranked = [j for j in order if not seen[u, j]]
            np.testing.assert_array_equal(pool[u], ranked[3:12])
        pools.append(pool)
        return pool

    monkeypatch.setattr(TwoTowerModel, "_hard_pool", recording)
    model = TwoTowerModel(
        **SMALL, negatives="hard", n_negatives=4, hard_negative_ranks=(3, 12), n_epochs=3,
        random_state=0,
    ).fit(users, items)  # fmt: skip
    assert len(pools) == 3  # mined at the start of each epoch, from the current towers
    assert not np.array_equal(pools[0], pools[2])
    seen = model.interactions_.toarray().astype(bool)
    assert not any(seen[u, pool[u]].any() for pool in pools for u in range(30))


def test_sampled_negatives_are_drawn_from_the_pool_or_uniformly():
    users, items = _pairs()
    rng = np.random.default_rng(0)
    hard = TwoTowerModel(
        **SMALL, negatives="hard", n_negatives=30, hard_negative_ranks=(0, 5), n_epochs=1,
        random_state=0,
    ).fit(users, items)  # fmt: skip
    pool = hard._hard_pool()
    extra = hard._sample_extra(users[:20], items[:20], pool, rng)
    assert extra.shape == (20, 30)
    for row, u in zip(extra, users[:20], strict=True):
        assert set(row.tolist()) == set(pool[u].tolist())  # 30 draws cover a pool of 5
    uniform = TwoTowerModel(**SMALL, negatives="random", n_negatives=39, n_epochs=1, random_state=0)
    uniform.fit(users, items)
    extra = uniform._sample_extra(users, items, None, rng)
    assert (extra != items[:, None]).all()  # never the pair's own positive
    assert np.unique(extra).size == 40


@pytest.mark.parametrize("negatives", ["random", "hard"])
def test_two_tower_gradient_with_sampled_negatives(negatives):
    users, items = _pairs(n_users=6, n_items=10, per_user=2)
    model = TwoTowerModel(
        embedding_dim=3, id_embedding_dim=3, hidden_layer_sizes=(4,), temperature=0.5,
        negatives=negatives, n_negatives=3, hard_negative_ranks=(1, 4), batch_size=12,
        n_epochs=1, random_state=0,
    ).fit(users, items)  # fmt: skip
    rng = np.random.default_rng(1)
    params = model.user_tower_.params + model.item_tower_.params
    for p in params:
        p += rng.normal(scale=0.1, size=p.shape)
    pool = model._hard_pool() if negatives == "hard" else None
    extra = model._sample_extra(users, items, pool, rng)
    model._batch_loss(users, items, extra)
    analytic = [g.copy() for g in model.user_tower_.grads + model.item_tower_.grads]
    for p, g in zip(params, analytic, strict=True):
        numeric = numerical_gradient(lambda: model._batch_loss(users, items, extra), p)
        np.testing.assert_allclose(g, numeric, atol=1e-6, rtol=1e-5)


def test_hard_negatives_learn_the_clusters_and_are_deterministic():
    users, items = _pairs(n_users=40)
    kwargs = {**SMALL, "n_epochs": 30, "learning_rate": 0.03, "random_state": 3}
    fits = [
        TwoTowerModel(**kwargs, negatives="hard", hard_negative_ranks=(2, 12)).fit(users, items)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(fits[0].score_items(), fits[1].score_items())
    recommended = fits[0].recommend(k=5)
    same_half = recommended // 20 == (np.arange(40) % 2)[:, None]
    assert same_half.mean() > 0.8  # chance: 15 of the 35 unseen items are in the user's half


def test_lazy_adam_fit_equals_dense_adam_when_every_id_is_in_every_batch():
    """One batch holding every user and item: every embedding row is touched at every step."""
    users = np.array([0, 1, 2, 3, 0, 2])
    items = np.array([1, 0, 3, 2, 2, 0])
    kwargs = {**SMALL, "batch_size": 6, "n_epochs": 5, "random_state": 0}
    dense = TwoTowerModel(**kwargs).fit(users, items)
    lazy = TwoTowerModel(**kwargs, optimizer="lazy_adam").fit(users, items)
    np.testing.assert_allclose(lazy.score_items(), dense.score_items(), rtol=1e-12)
    assert lazy.loss_curve_ == pytest.approx(dense.loss_curve_, rel=1e-12)


def test_lazy_adam_fit_leaves_untouched_rows_alone():
    users, items = _pairs()
    model = TwoTowerModel(**SMALL, optimizer="lazy_adam", n_epochs=2, random_state=0)
    model.fit(users, items, n_items=45)  # items 40-44 never appear in a pair
    initial = TwoTowerModel(**SMALL, n_epochs=1, random_state=0)
    initial.fit(users[:1], items[:1], n_users=30, n_items=45)  # the same initial tables
    np.testing.assert_array_equal(
        model.item_tower_.embedding.params[0][40:], initial.item_tower_.embedding.params[0][40:]
    )


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"negatives": "semi-hard"}, "negatives must be one of"),
        ({"negatives": "random", "n_negatives": 0}, "n_negatives must be an integer >= 1"),
        ({"negatives": "random", "n_negatives": 40}, "n_negatives=40 must be below"),
        ({"negatives": "hard", "hard_negative_ranks": (5, 2)}, "hard_negative_ranks must be"),
        ({"negatives": "hard", "hard_negative_ranks": (0, 1.5)}, "hard_negative_ranks must be"),
        ({"negatives": "hard", "hard_negative_ranks": "top"}, "hard_negative_ranks must be"),
        ({"negatives": "hard", "hard_negative_ranks": (0, 36)}, "a user has only 35 items"),
        ({"optimizer": "sgd"}, "optimizer must be one of"),
    ],
)
def test_negatives_reject_bad_params(params, match):
    users, items = _pairs()
    with pytest.raises(ValueError, match=match):
        TwoTowerModel(**SMALL, n_epochs=1, random_state=0, **params).fit(users, items)
