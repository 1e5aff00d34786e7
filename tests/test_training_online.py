"""Online learning: the SGD logistic model against scikit-learn, and the update-strategy replay."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import roc_auc_score

from mlref.training import OnlineLogisticRegression, replay_update_strategy


def _data(seed, n=400, d=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (X @ rng.normal(size=d) + rng.logistic(size=n) > 0).astype(int)
    return X, y


@pytest.mark.parametrize("seed", range(4))
def test_one_row_per_step_is_sklearn_sgdclassifier_step_for_step(seed):
    X, y = _data(seed)
    ours = OnlineLogisticRegression(eta0=0.03, alpha=1e-3, batch_size=1)
    ref = SGDClassifier(loss="log_loss", learning_rate="constant", eta0=0.03, alpha=1e-3,
                        shuffle=False, tol=None)  # fmt: skip
    for chunk in np.array_split(np.arange(len(y)), 5):  # several partial_fit calls, in order
        ours.partial_fit(X[chunk], y[chunk])
        ref.partial_fit(X[chunk], y[chunk], classes=[0, 1])
        np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-9, atol=1e-12)
    assert ours.n_steps_ == len(y)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-10)


def test_mini_batch_fit_reaches_the_quality_of_sklearn_logistic_regression():
    X, y = _data(7, n=3000)
    ours = OnlineLogisticRegression(eta0=0.5, alpha=1e-5, batch_size=64, n_epochs=20).fit(X, y)
    ref = LogisticRegression(C=1e4).fit(X, y)
    ours_auc = roc_auc_score(y, ours.decision_function(X))
    ref_auc = roc_auc_score(y, ref.decision_function(X))
    assert abs(ours_auc - ref_auc) < 0.002, (ours_auc, ref_auc)
    cosine = (
        (ours.coef_ @ ref.coef_.T).item() / np.linalg.norm(ours.coef_) / np.linalg.norm(ref.coef_)
    )
    assert cosine > 0.999


def test_groups_take_one_step_per_request():
    X, y = _data(1, n=12)
    groups = np.repeat([5, 9, 2], 4)  # ids need not be sorted, only contiguous
    model = OnlineLogisticRegression(eta0=0.1).partial_fit(X, y, groups=groups)
    assert model.n_steps_ == 3
    manual = OnlineLogisticRegression(eta0=0.1, batch_size=4).partial_fit(X, y)
    np.testing.assert_allclose(model.coef_, manual.coef_)


def _stream(seed=0, n_days=12, per_day=300):
    """A stream whose decision boundary rotates day by day (concept drift)."""
    rng = np.random.default_rng(seed)
    day = np.repeat(np.arange(n_days), per_day)
    X = rng.normal(size=(day.size, 3))
    angle = day / n_days * np.pi / 2
    logit = 2.5 * (np.cos(angle) * X[:, 0] + np.sin(angle) * X[:, 1])
    y = (logit + rng.logistic(size=day.size) > 0).astype(int)
    request = np.arange(day.size) // 10
    return X, y, day, request


def test_replay_is_prequential_and_counts_its_updates():
    X, y, day, request = _stream()
    kwargs = {"start": 6, "end": 12, "window": 4, "request": request, "eta0": 0.1}
    frozen = replay_update_strategy(X, y, day, strategy="batch", every=100, **kwargs)
    weekly = replay_update_strategy(X, y, day, strategy="batch", every=3, **kwargs)
    daily = replay_update_strategy(X, y, day, strategy="daily", **kwargs)
    online = replay_update_strategy(X, y, day, strategy="per_request", **kwargs)
    # Day 6 is scored by the same first model in every schedule except per_request, which has
    # already stepped on the earlier requests of day 6 when scoring the later ones.
    assert frozen.auc.iloc[0] == weekly.auc.iloc[0] == daily.auc.iloc[0]
    assert weekly.n_updates.tolist() == [0, 0, 0, 1, 0, 0]
    assert daily.n_updates.tolist() == [0, 1, 1, 1, 1, 1]
    assert online.n_updates.tolist() == [30] * 6
    assert weekly.rows_processed.sum() == 4 * 300 * 5  # one refit: 4 days, 5 epochs
    # The frozen model falls behind the rotating boundary; every update schedule keeps up.
    assert frozen.auc.iloc[-1] < min(weekly.auc.iloc[-1], daily.auc.iloc[-1], online.auc.iloc[-1])
    # The AUC is the ordinary one of each day's prequential scores.
    X_first = (day >= 2) & (day < 6)
    Z = (X - X[X_first].mean(0)) / X[X_first].std(0)
    first = OnlineLogisticRegression(eta0=0.1).fit(Z[X_first], y[X_first])
    today = day == 6
    assert frozen.auc.iloc[0] == pytest.approx(
        roc_auc_score(y[today], first.decision_function(Z[today])), abs=1e-12
    )


def test_replay_refuses_bad_input():
    X, y, day, _ = _stream()
    with pytest.raises(ValueError, match="non-decreasing"):
        replay_update_strategy(X, y, day[::-1], strategy="daily", start=6, end=8)
    with pytest.raises(ValueError, match="strategy"):
        replay_update_strategy(X, y, day, strategy="hourly", start=6, end=8)
    with pytest.raises(ValueError, match="no rows"):
        replay_update_strategy(X, y, day, strategy="daily", start=0, end=8)
    with pytest.raises(ValueError, match="end must be after start"):
        replay_update_strategy(X, y, day, strategy="daily", start=8, end=8)
    with pytest.raises(ValueError, match="eta0"):
        OnlineLogisticRegression(eta0=10.0, alpha=0.5).fit(X, y)
