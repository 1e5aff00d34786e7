import doctest

import numpy as np
import pytest

from mlref.metrics import ndcg_at_k
from mlref.training import hybrid_labels, implicit_labels, ipw_labels
from mlref.training import labels as labels_module


def test_doctests():
    result = doctest.testmod(labels_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_implicit_labels_follow_the_funnel():
    rng = np.random.default_rng(0)
    click = rng.random(1000) < 0.3
    cart = click & (rng.random(1000) < 0.5)
    order = cart & (rng.random(1000) < 0.5)
    y = implicit_labels(click, cart, order)
    assert np.array_equal(y, click.astype(int) + cart + order)
    assert np.array_equal(implicit_labels(click), click.astype(np.int8))
    assert y.dtype == np.int8


def test_hybrid_uses_raters_where_judged():
    explicit = np.array([3, 2, 0, 1])
    implicit = np.array([0, 1, 3, 1])
    judged = np.array([True, False, True, False])
    assert hybrid_labels(explicit, implicit, judged).tolist() == [3, 1, 0, 1]


def test_ipw_removes_a_feature_that_only_predicts_position():
    """A logging ranker shows items by a feature x_pos unrelated to relevance; naive click
    regression learns x_pos as relevance, IPW regression does not and ranks closer to truth."""
    rng = np.random.default_rng(0)
    n_lists, m = 4000, 10
    x_rel = rng.normal(size=(n_lists, m))
    x_pos = rng.normal(size=(n_lists, m))
    relevance = 1 / (1 + np.exp(-(x_rel - 1)))
    position = (
        np.argsort(np.argsort(-(x_pos + 0.3 * rng.normal(size=(n_lists, m))), axis=1), axis=1) + 1
    )
    theta = 1.0 / position
    clicks = (rng.random((n_lists, m)) < theta * relevance).astype(int)
    X = np.column_stack([x_rel.ravel(), x_pos.ravel(), np.ones(n_lists * m)])
    naive = np.linalg.lstsq(X, clicks.ravel(), rcond=None)[0]
    ipw = np.linalg.lstsq(X, ipw_labels(clicks.ravel(), theta.ravel()), rcond=None)[0]
    # The naive model credits x_pos with a weight comparable to x_rel's; IPW removes it.
    assert naive[1] > 0.3 * naive[0]
    assert abs(ipw[1]) < 0.1 * ipw[0]
    group = np.repeat(np.arange(n_lists), m)
    grades = np.digitize(relevance.ravel(), [0.2, 0.4, 0.6])
    ndcg_naive = ndcg_at_k(grades, X @ naive, 5, group)
    ndcg_ipw = ndcg_at_k(grades, X @ ipw, 5, group)
    assert ndcg_ipw > ndcg_naive + 0.02


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: implicit_labels([1, 0], [0, 1]), "nested"),
        (lambda: implicit_labels([1, 0], [1]), "length"),
        (lambda: implicit_labels([1, 2]), "clicked"),
        (lambda: implicit_labels([1, 1], [1, 1], [1, 2]), "ordered"),
        (lambda: hybrid_labels([3, 4], [0, 0], [True, True]), "explicit"),
        (lambda: hybrid_labels([3, 1], [0, 0.5], [True, True]), "implicit"),
        (lambda: hybrid_labels([3, 1], [0, 0], [1, 0]), "boolean"),
        (lambda: hybrid_labels([3], [0, 0], [True, True]), "length"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
