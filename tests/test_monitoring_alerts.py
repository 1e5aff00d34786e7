"""Alert rules on a timeline and prediction drift (the PSI/KS they rest on: test_monitoring)."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from mlref.monitoring import (
    SOURCE_ALERT_RULES,
    AlertRule,
    evaluate_alert_rules,
    first_alerts,
    prediction_drift,
    psi_verdict,
)

BASELINE = {"ndcg": 0.50, "ctr": 0.10}


def _timeline():
    return pd.DataFrame(
        {
            "traffic": [1000, 1000, 50, 1000, 1000, 3000],
            "ndcg": [0.50, 0.495, 0.40, 0.489, 0.488, 0.491],
            "ctr": [0.10, 0.096, 0.05, 0.0949, 0.093, 0.094],
            "latency_p99_ms": [120.0, 130.0, 110.0, 140.0, 499.0, 650.0],
        },
        index=pd.date_range("2026-03-01", periods=6, freq="h"),
    )


def test_source_rules_fire_at_the_documented_thresholds():
    states = evaluate_alert_rules(_timeline(), baseline=BASELINE)
    # NDCG: drops of 1 %, 20 %, 2.2 %, 2.4 %, 1.8 %.
    assert states["NDCG drop > 2%"].tolist() == [False, False, True, True, True, False]
    assert states["CTR drop > 5%"].tolist() == [False, False, True, True, True, True]
    assert states["p99 latency > 500 ms"].tolist() == [False] * 5 + [True]


def test_min_traffic_and_for_windows_suppress_noise():
    rules = [r.replace(min_traffic=500, for_windows=2) for r in SOURCE_ALERT_RULES]
    states = evaluate_alert_rules(_timeline(), rules, baseline=BASELINE)
    # The 50-request window is not judged and breaks the run; two judged windows in a row fire.
    assert states["NDCG drop > 2%"].tolist() == [False] * 4 + [True, False]
    assert states["CTR drop > 5%"].tolist() == [False] * 4 + [True, True]
    assert not states["p99 latency > 500 ms"].any()


def test_first_alerts_orders_rules_by_firing_and_counts_traffic():
    first = first_alerts(_timeline(), baseline=BASELINE)
    assert first["rule"].tolist() == ["NDCG drop > 2%", "CTR drop > 5%", "p99 latency > 500 ms"]
    assert first["traffic_until_fired"].tolist() == [2050.0, 2050.0, 7050.0]
    assert first["action"].tolist() == ["alert", "roll back", "scale up"]
    assert first["window"].iloc[2] == pd.Timestamp("2026-03-01 05:00")
    quiet = _timeline().assign(latency_p99_ms=100.0)
    never = first_alerts(quiet, SOURCE_ALERT_RULES[2:], baseline=BASELINE)
    assert not never["fired"].iloc[0] and np.isnan(never["traffic_until_fired"].iloc[0])


def test_alert_rules_refuse_bad_input():
    with pytest.raises(ValueError, match="kind"):
        AlertRule("x", "ctr", "below", 0.1, "alert")
    with pytest.raises(ValueError, match="threshold"):
        AlertRule("x", "ctr", "relative_drop", 5.0, "alert")  # 500 % is not a fraction
    with pytest.raises(ValueError, match="for_windows"):
        AlertRule("x", "ctr", "above", 0.1, "alert", for_windows=0)
    with pytest.raises(ValueError, match="baseline"):
        evaluate_alert_rules(_timeline(), baseline={"ctr": 0.1})
    with pytest.raises(ValueError, match="baseline"):
        evaluate_alert_rules(_timeline(), baseline={"ctr": 0.1, "ndcg": 0.0})
    with pytest.raises(ValueError, match="not a timeline column"):
        evaluate_alert_rules(_timeline().drop(columns="ctr"), baseline=BASELINE)
    with pytest.raises(ValueError, match="traffic"):
        evaluate_alert_rules(_timeline().drop(columns="traffic"), baseline=BASELINE)
    with pytest.raises(ValueError, match="duplicate"):
        evaluate_alert_rules(_timeline(), [SOURCE_ALERT_RULES[2]] * 2)
    with pytest.raises(ValueError, match="empty"):
        evaluate_alert_rules(_timeline().iloc[:0], baseline=BASELINE)
    nan_traffic = _timeline().astype({"traffic": float})
    nan_traffic.iloc[0, 0] = np.nan
    with pytest.raises(ValueError, match="traffic"):
        evaluate_alert_rules(nan_traffic, baseline=BASELINE)


def test_prediction_drift_uses_psi_and_a_ks_equal_to_scipy():
    rng = np.random.default_rng(0)
    before = rng.beta(2, 30, 4000)
    after = np.minimum(before * rng.uniform(1.0, 1.6, before.size), 1.0)
    y = rng.binomial(1, before)
    drift = prediction_drift(before, after, y_current=y)
    assert abs(drift["ks"] - ks_2samp(before, after).statistic) < 1e-12
    assert psi_verdict(drift["psi"]) in ("moderate", "significant") and drift["mean_shift"] > 0.2
    # Labels drawn from the reference scores: the shifted scores over-predict (by about 1.3).
    assert drift["observed_over_predicted"] == pytest.approx(y.mean() / after.mean(), rel=1e-12)
    assert drift["observed_over_predicted"] < 0.85
    same = prediction_drift(before, before)
    assert same["psi"] == 0.0 and same["ks"] == 0.0 and psi_verdict(same["psi"]) == "stable"
    with pytest.raises(ValueError, match="length mismatch"):
        prediction_drift(before, after, y_current=y[:-1])
    with pytest.raises(ValueError, match="y_current"):
        prediction_drift(before, after, y_current=y * 2)
