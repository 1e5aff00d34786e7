"""SMOTE against imbalanced-learn, class weights and the focal-loss logistic regression against
scikit-learn."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.utils.class_weight import compute_sample_weight

from mlref.nn import focal_loss_with_logits
from mlref.training import SMOTE, FocalLogisticRegression, balanced_class_weights

imblearn = pytest.importorskip("imblearn")


def _imbalanced(seed, n=300, d=3, rate=0.1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (rng.random(n) < rate).astype(int)
    y[:6] = 1
    X[y == 1] += 1.5
    return X, y


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("k", [1, 3, 5])
def test_smote_samples_lie_on_imblearn_neighbour_segments(seed, k):
    X, y = _imbalanced(seed)
    ours = SMOTE(k_neighbors=k, random_state=seed)
    Xr, yr = ours.fit_resample(X, y)
    ref = imblearn.over_sampling.SMOTE(k_neighbors=k, random_state=seed)
    Xi, yi = ref.fit_resample(X, y)
    # Same sizes and labels as imbalanced-learn.
    assert Xr.shape == Xi.shape
    np.testing.assert_array_equal(np.sort(yr), np.sort(yi))
    np.testing.assert_array_equal(Xr[: len(X)], X)
    # Same neighbours as imbalanced-learn's fitted nn_k_ (it returns each point first).
    X_min = X[y == 1]
    ref_nn = ref.nn_k_.kneighbors(X_min, return_distance=False)[:, 1:]
    np.testing.assert_array_equal(np.sort(ours.neighbors_, axis=1), np.sort(ref_nn, axis=1))
    # Every synthetic sample is x_i + u (x_j - x_i) with x_j one of x_i's neighbours, u in [0, 1).
    new = Xr[len(X) :]
    i, j, u = ours.sample_indices_, ours.neighbor_indices_, ours.steps_
    assert np.all((u >= 0) & (u < 1))
    assert (ref_nn[i] == j[:, None]).any(axis=1).all()
    np.testing.assert_allclose(new, X_min[i] + u[:, None] * (X_min[j] - X_min[i]), atol=1e-12)


def test_smote_distribution_matches_imblearn():
    X, y = _imbalanced(0, n=2000, rate=0.05)
    new = SMOTE(random_state=1).fit_resample(X, y)[0][len(X) :]
    ref = imblearn.over_sampling.SMOTE(random_state=1).fit_resample(X, y)[0][len(X) :]
    assert len(new) == len(ref) > 1500
    np.testing.assert_allclose(new.mean(0), ref.mean(0), atol=0.06)
    np.testing.assert_allclose(new.std(0), ref.std(0), atol=0.06)


def test_smote_ratio_and_errors():
    X, y = _imbalanced(2)
    n_max = int((y == 0).sum())
    _, yr = SMOTE(sampling_strategy=0.5, random_state=0).fit_resample(X, y)
    assert yr.sum() == int(0.5 * n_max)
    with pytest.raises(ValueError, match="k_neighbors"):
        SMOTE(k_neighbors=50).fit_resample(X[:60], np.r_[np.ones(3), np.zeros(57)])
    with pytest.raises(ValueError, match="sampling_strategy"):
        SMOTE(sampling_strategy=0.01).fit_resample(X, y)
    with pytest.raises(ValueError, match="y"):
        SMOTE().fit_resample(X, np.zeros(len(X)))


@pytest.mark.parametrize("seed", range(3))
def test_balanced_class_weights_equal_sklearn(seed):
    y = (np.random.default_rng(seed).random(50) < 0.2).astype(int)
    y[0], y[1] = 0, 1
    np.testing.assert_allclose(balanced_class_weights(y), compute_sample_weight("balanced", y))


@pytest.mark.parametrize("class_weight", [None, "balanced", {0: 1.0, 1: 7.0}])
def test_focal_with_gamma_zero_is_sklearn_logistic_regression(class_weight):
    X, y = _imbalanced(3, n=400)
    ours = FocalLogisticRegression(gamma=0.0, class_weight=class_weight, C=0.7).fit(X, y)
    ref = LogisticRegression(C=0.7, class_weight=class_weight, tol=1e-10, max_iter=5000)
    ref.fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-5)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-5)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)


def test_focal_fit_reaches_the_minimum_of_the_focal_objective():
    X, y = _imbalanced(4, n=300)
    model = FocalLogisticRegression(gamma=2.0, alpha=0.25, C=1.0).fit(X, y)

    def objective(w, b):
        z = X @ w + b
        return len(y) * focal_loss_with_logits(z, y, gamma=2.0, alpha=0.25).value + 0.5 * w @ w

    best = objective(model.coef_[0], model.intercept_[0])
    rng = np.random.default_rng(0)
    for _ in range(20):
        dw, db = rng.normal(scale=1e-3, size=3), rng.normal(scale=1e-3)
        assert objective(model.coef_[0] + dw, model.intercept_[0] + db) >= best - 1e-9


def test_focal_and_weights_inflate_predicted_probabilities():
    X, y = _imbalanced(5, n=2000, rate=0.03)
    plain = FocalLogisticRegression(gamma=0.0).fit(X, y).predict_proba(X)[:, 1].mean()
    weighted = FocalLogisticRegression(gamma=0.0, class_weight="balanced").fit(X, y)
    assert abs(plain - y.mean()) < 0.005
    assert weighted.predict_proba(X)[:, 1].mean() > 3 * y.mean()


def test_focal_errors():
    X, y = _imbalanced(6)
    with pytest.raises(ValueError, match="class_weight"):
        FocalLogisticRegression(class_weight="auto").fit(X, y)
    with pytest.raises(ValueError, match="gamma"):
        FocalLogisticRegression(gamma=-1).fit(X, y)
    model = FocalLogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict_proba(X[:, :2])
