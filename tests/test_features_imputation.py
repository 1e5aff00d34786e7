"""Imputers against scikit-learn's SimpleImputer, KNNImputer and IterativeImputer(Ridge);
missingness mechanisms against their definitions."""

import numpy as np
import pytest
from sklearn import impute
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.linear_model import Ridge

from mlref.features import (
    IterativeImputer,
    KNNImputer,
    SimpleImputer,
    inject_missing,
    multiple_imputation,
)


def _with_nan(seed, n=80, d=4, rate=0.25, integers=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) @ rng.normal(size=(d, d))
    if integers:
        X = np.round(X)
    X[rng.random((n, d)) < rate] = np.nan
    X[0] = np.where(np.isnan(X[0]), 1.0, X[0])
    return X


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("strategy", ["mean", "median", "most_frequent", "constant"])
@pytest.mark.parametrize("add_indicator", [False, True])
def test_simple_imputer_equals_sklearn(seed, strategy, add_indicator):
    X = _with_nan(seed, integers=strategy == "most_frequent")
    X_new = _with_nan(seed + 100, n=20, integers=strategy == "most_frequent")
    ours = SimpleImputer(strategy=strategy, add_indicator=add_indicator).fit(X)
    ref = impute.SimpleImputer(strategy=strategy, fill_value=-999.0, add_indicator=add_indicator)
    ref.fit(X)
    np.testing.assert_allclose(ours.transform(X_new), ref.transform(X_new))


def test_simple_imputer_needs_an_observed_value():
    X = np.array([[np.nan, 1.0], [np.nan, 2.0]])
    with pytest.raises(ValueError, match="no observed value"):
        SimpleImputer().fit(X)
    with pytest.raises(ValueError, match="infinite"):
        SimpleImputer().fit([[np.inf, 1.0]])


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("k", [1, 3, 5, 200])
def test_knn_imputer_equals_sklearn(seed, k):
    X = _with_nan(seed)
    X_new = _with_nan(seed + 50, n=30)
    X_new[3] = np.nan  # a row with nothing observed: every distance undefined, column means
    ours = KNNImputer(n_neighbors=k).fit(X)
    ref = impute.KNNImputer(n_neighbors=k).fit(X)
    np.testing.assert_allclose(ours.transform(X), ref.transform(X), atol=1e-10)
    np.testing.assert_allclose(ours.transform(X_new), ref.transform(X_new), atol=1e-10)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("max_iter", [1, 3, 8])
def test_iterative_imputer_equals_sklearn_with_ridge(seed, max_iter):
    X = _with_nan(seed, n=120, d=5, rate=0.2)
    X_new = _with_nan(seed + 9, n=25, d=5, rate=0.3)
    ours = IterativeImputer(max_iter=max_iter, alpha=0.5)
    ref = impute.IterativeImputer(estimator=Ridge(alpha=0.5), max_iter=max_iter, tol=0)
    np.testing.assert_allclose(ours.fit_transform(X), ref.fit_transform(X), atol=1e-8)
    np.testing.assert_allclose(ours.transform(X_new), ref.transform(X_new), atol=1e-8)


def test_iterative_imputer_recovers_a_linear_column():
    rng = np.random.default_rng(0)
    x = rng.normal(size=500)
    X = np.c_[x, 3 * x - 1 + 0.01 * rng.normal(size=500), rng.normal(size=500)]
    truth = X[:, 1].copy()
    X[rng.random(500) < 0.3, 1] = np.nan
    filled = IterativeImputer(alpha=1e-6).fit_transform(X)
    hidden = np.isnan(X[:, 1])
    assert np.abs(filled[hidden, 1] - truth[hidden]).max() < 0.1


def test_multiple_imputation_spreads_like_the_residuals():
    rng = np.random.default_rng(1)
    x = rng.normal(size=400)
    X = np.c_[x, x + rng.normal(scale=0.5, size=400)]
    X[:100, 1] = np.nan
    copies = multiple_imputation(X, n_imputations=20, random_state=0)
    spread = np.std([c[:100, 1] for c in copies], axis=0).mean()
    assert 0.35 < spread < 0.6  # residual standard deviation 0.5
    np.testing.assert_array_equal(copies[0][100:], X[100:])


@pytest.mark.parametrize("mechanism", ["mcar", "mar", "mnar"])
@pytest.mark.parametrize("rate", [0.2, 0.3])
def test_inject_missing_rates_and_mechanisms(mechanism, rate):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(20_000, 3))
    out = inject_missing(X, rate=rate, mechanism=mechanism, columns=[0], random_state=3)
    hidden = np.isnan(out[:, 0])
    assert abs(hidden.mean() - rate) < 0.01
    assert not np.isnan(out[:, 1:]).any()
    own_gap = X[hidden, 0].mean() - X[~hidden, 0].mean()
    other_gap = X[hidden, 1].mean() - X[~hidden, 1].mean()
    if mechanism == "mcar":
        assert abs(own_gap) < 0.05 and abs(other_gap) < 0.05
    elif mechanism == "mar":
        assert abs(own_gap) < 0.05 and other_gap > 0.4
    else:
        assert own_gap > 0.4 and abs(other_gap) < 0.05


def test_inject_missing_errors():
    with pytest.raises(ValueError, match="rate"):
        inject_missing(np.ones((5, 2)), rate=0.9)
    with pytest.raises(ValueError, match="mechanism"):
        inject_missing(np.ones((5, 2)), rate=0.2, mechanism="random")
    with pytest.raises(ValueError, match="columns"):
        inject_missing(np.ones((5, 2)), rate=0.2, columns=[3])
