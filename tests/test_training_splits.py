import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import TimeSeriesSplit

from mlref.training import day_split, time_series_folds
from mlref.training import splits as splits_module


def test_doctests():
    result = doctest.testmod(splits_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


@given(n_days=st.integers(3, 60), n_splits=st.integers(2, 8), gap=st.integers(0, 3))
@settings(max_examples=60, deadline=None)
def test_one_row_per_day_equals_sklearn(n_days, n_splits, gap):
    first_block = n_days - n_days // (n_splits + 1) * n_splits
    if n_days < n_splits + 1 or first_block - gap <= 0:
        return
    day = np.arange(n_days) + 5
    ours = time_series_folds(day, n_splits=n_splits, gap=gap)
    theirs = list(TimeSeriesSplit(n_splits=n_splits, gap=gap).split(day))
    assert len(ours) == len(theirs)
    for (a_tr, a_te), (b_tr, b_te) in zip(ours, theirs, strict=True):
        assert np.array_equal(a_tr, b_tr) and np.array_equal(a_te, b_te)


def test_days_are_never_cut():
    rng = np.random.default_rng(0)
    day = np.sort(rng.integers(0, 30, 1000))
    rng.shuffle(day)  # any row order
    for train, test in time_series_folds(day, n_splits=4, gap=2):
        assert day[train].max() + 2 < day[test].min()
        assert not np.intersect1d(day[train], day[test]).size
    # scikit-learn on rows sorted by day does cut days: some day sits on both sides.
    sorted_day = np.sort(day)
    cut = [
        np.intersect1d(sorted_day[tr], sorted_day[te]).size > 0
        for tr, te in TimeSeriesSplit(n_splits=4).split(sorted_day)
    ]
    assert any(cut)


def test_day_split_shares():
    day = np.repeat(np.arange(90), np.r_[np.full(60, 1), np.full(30, 3)])
    train, valid, test, shares = day_split(day)
    assert shares["train"] == pytest.approx(60 / 150)
    assert (train | valid | test).all() and not (train & valid).any()
    assert day[valid].min() == 60 and day[test].min() == 75


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: day_split(np.arange(70)), "test part is empty"),
        (lambda: day_split([0.5, 1]), "whole day"),
        (lambda: day_split([]), "empty|non-empty"),
        (lambda: time_series_folds(np.arange(3), n_splits=5), "distinct days"),
        (lambda: time_series_folds(np.arange(10), n_splits=1), "n_splits"),
        (lambda: time_series_folds(np.arange(10), gap=-1), "gap"),
        (lambda: time_series_folds(np.arange(10), gap=True), "gap"),
        (lambda: time_series_folds(np.arange(6), n_splits=5, gap=1), "gap"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
