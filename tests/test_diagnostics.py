"""The leakage detector on fresh simulated logs, parity checks, bucketing and Simpson's paradox."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from mlref.datasets import make_marketplace
from mlref.diagnostics import (
    bucketize,
    detect_leakage,
    entity_overlap,
    features_after_label,
    make_leaky_click_log,
    parity_check,
    simpsons_paradox,
    single_feature_auc,
)


@pytest.fixture(scope="module", params=[101, 202, 303])
def leaky(request):
    market = make_marketplace(n_searches=2500, random_state=request.param)
    return make_leaky_click_log(market, random_state=request.param)


def test_detector_flags_every_leak_and_no_clean_feature(leaky):
    features = list(leaky.clean) + list(leaky.leaks)
    report = detect_leakage(
        leaky.table[features],
        leaky.table["clicked"],
        label_time=leaky.label_time,
        feature_times=leaky.feature_times,
    )
    assert set(report.flagged) == set(leaky.leaks)
    assert not report.features.loc[list(leaky.clean), "flagged"].any()


def test_contamination_is_flagged_for_a_random_split_only(leaky):
    table = leaky.table
    rng = np.random.default_rng(0)
    random_test = rng.random(len(table)) < 0.2
    by_time = table["day"].to_numpy() >= 60
    ids = table["search_id"].to_numpy()
    X, y = table[list(leaky.clean)], table["clicked"]
    shuffled = detect_leakage(X, y, splits={"search_id": (ids[~random_test], ids[random_test])})
    timed = detect_leakage(X, y, splits={"search_id": (ids[~by_time], ids[by_time])})
    assert shuffled.flagged == ["split:search_id"]
    assert shuffled.entities.loc["search_id", "overlap"] > 0.95
    assert timed.flagged == []


def test_served_values_hide_the_leaks(leaky):
    y = leaky.table["clicked"].to_numpy()
    for name in leaky.leaks:
        served = leaky.served[name].to_numpy()
        assert np.all(leaky.feature_times[name] >= leaky.label_time)
        if np.ptp(served) > 0:
            assert max(roc_auc_score(y, served), 1 - roc_auc_score(y, served)) < 0.8
    pd.testing.assert_frame_equal(
        leaky.served[list(leaky.clean)], leaky.table[list(leaky.clean)], check_dtype=False
    )


def test_clean_rates_use_only_earlier_days():
    market = make_marketplace(n_searches=800, random_state=4)
    log = make_leaky_click_log(market)
    t = log.table
    row = t.index[t["day"] == t["day"].max()][0]
    product, day = t.loc[row, "product_id"], t.loc[row, "day"]
    past = t[(t["product_id"] == product) & (t["day"] < day)]
    expected = (past["clicked"].sum() + 20 * 0.05) / (len(past) + 20)
    assert t.loc[row, "product_ctr_before"] == pytest.approx(expected)
    first = t["day"] == t["day"].min()
    np.testing.assert_allclose(t.loc[first, "product_ctr_before"], 0.05)


def test_single_feature_auc_equals_sklearn_folded():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=list("abc"))
    y = (X["a"] + rng.normal(size=200) > 0).astype(int)
    X["c"] = -X["a"]
    ours = single_feature_auc(X, y)
    for col in X:
        auc = roc_auc_score(y, X[col])
        assert ours[col] == pytest.approx(max(auc, 1 - auc))


def test_small_helpers():
    assert entity_overlap([1, 2], [2, 2, 3, 4]) == 0.5
    shares = features_after_label({"a": [1, 2, 3]}, np.array([1, 1, 1]))
    assert shares["a"] == pytest.approx(2 / 3)
    np.testing.assert_array_equal(bucketize([0, 0.5, 1, 10, 10.5]), [0, 1, 1, 1, 2])
    with pytest.raises(ValueError, match="increasing"):
        bucketize([1.0], edges=(5, 1))
    with pytest.raises(ValueError, match="together"):
        detect_leakage(np.ones((4, 1)), [0, 1, 0, 1], label_time=[1, 2, 3, 4])


def test_parity_check_finds_a_default_value_mismatch():
    a = pd.DataFrame({"x": np.arange(10.0), "rating": np.r_[np.full(7, 4.0), np.nan, 3.0, 5.0]})
    b = a.assign(rating=a["rating"].fillna(0.0))
    table = parity_check(a, b)
    assert table.loc["x", "mismatch_share"] == 0
    assert table.loc["rating", "mismatch_share"] == pytest.approx(0.1)
    with pytest.raises(ValueError, match="columns"):
        parity_check(a, b[["x"]])


def test_simpsons_paradox_against_hand_counts():
    # B gets mostly easy traffic: better overall, worse in both slices.
    y = np.r_[np.ones(8), np.zeros(2), np.ones(1), np.zeros(9), np.ones(70), np.zeros(20),
              np.ones(2), np.zeros(8)]  # fmt: skip
    v = np.r_[np.zeros(20), np.ones(100)]
    s = np.r_[["easy"] * 10, ["hard"] * 10, ["easy"] * 90, ["hard"] * 10]
    table = simpsons_paradox(y, v, s)
    assert table.loc["easy", "mean_a"] == 0.8 and table.loc["easy", "mean_b"] == pytest.approx(
        7 / 9
    )
    assert table.loc["hard", "delta"] == pytest.approx(0.2 - 0.1)
    assert table.loc["all", "delta"] == pytest.approx(0.72 - 0.45)
    s2 = np.r_[["easy"] * 10, ["hard"] * 10, ["easy"] * 90, ["hard"] * 10]
    y2 = y.copy()
    y2[110:112] = 0  # B's hard slice now 0/10: worse than A's 1/10
    assert simpsons_paradox(y2, v, s2).attrs["paradox"]
    assert not table.attrs["paradox"]
