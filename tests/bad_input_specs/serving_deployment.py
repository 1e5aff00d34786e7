"""Battery entries of the deployment simulation in mlref.serving (shadow, canary, blue-green)."""

from __future__ import annotations

from bad_input_specs import Func
from mlref.serving import ModelBehaviour

BASELINE = ModelBehaviour(ctr=0.03, error_rate=0.001, p99_latency_ms=120.0, zero_result_rate=0.02)
CANDIDATE = ModelBehaviour(ctr=0.03, error_rate=0.05, p99_latency_ms=120.0, zero_result_rate=0.02)

NO_INPUT = {
    "serving.SOURCE_ROLLBACK_TRIGGERS": "a constant dict of the source's rollback thresholds",
    "serving.RolloutResult": "a result record returned by simulate_rollout",
}

SPECS = {
    "serving.ModelBehaviour": Func(
        {"ctr": 0.03, "error_rate": 0.001, "p99_latency_ms": 120.0, "zero_result_rate": 0.02}
    ),
    "serving.simulate_rollout": Func(
        {
            "strategy": "canary",
            "baseline": BASELINE,
            "candidate": CANDIDATE,
            "requests_per_step": 1000,
            "steps_per_stage": 1,
            "min_requests": 100,
            "min_requests_ctr": 500,
            "random_state": 0,
        }
    ),
}
