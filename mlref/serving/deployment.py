r"""Deployment strategies simulated: shadow, canary ramp and blue-green, with rollback triggers.

A new model reaches users through a *strategy* that decides which share of requests it serves
at each step; after each step the strategy checks the source's rollback triggers on the new
model's requests (against the baseline's requests of the same step) and sends all traffic back
to the baseline when one fires:

* **shadow** — the candidate scores a copy of every request but serves none: latency, errors
  and zero-result rate are observed on full traffic at no risk, but **CTR cannot be observed**,
  since users never see the candidate's results;
* **canary** — the candidate serves 1 % → 5 % → 10 % → 50 % → 100 % of requests, a few steps per
  stage, and the triggers are checked on its share;
* **blue-green** — the candidate (the idle "green" environment) takes 100 % at once, and the
  switch back is instant when a trigger fires.

Each request is served by a model with a true click rate, error rate, zero-result rate and a
log-normal latency; observed rates are binomial draws and the p99 latency is the 99th percentile
of sampled latencies, so small canary shares give noisy metrics. A trigger is only checked once
the candidate has served ``min_requests`` requests so far (``min_requests_ctr`` for the CTR
rule: otherwise a 1 % canary "detects" a 5 % CTR drop from noise alone), which is the main lever
between the two ways a rollout fails: exposing many users to a bad model, or rolling back a good
one.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlref._validation import (
    check_option,
    check_positive_int,
    check_random_state,
    check_real,
)

__all__ = ["SOURCE_ROLLBACK_TRIGGERS", "ModelBehaviour", "RolloutResult", "simulate_rollout"]

SOURCE_ROLLBACK_TRIGGERS = {
    "p99_latency_ratio": 2.0,  # candidate p99 > 2x the baseline's
    "error_rate": 0.01,  # > 1 % of requests fail
    "ctr_drop": 0.05,  # relative CTR drop > 5 %
    "zero_result_rate": 0.10,  # > 10 % of searches return nothing
}

_LATENCY_SAMPLE = 4000  # latencies drawn per arm and step to estimate the p99
_LATENCY_SIGMA = 0.5  # log-normal shape of a model's latency


@dataclass(frozen=True)
class ModelBehaviour:
    """The true behaviour of a served model, which the simulation observes with noise.

    Parameters
    ----------
    ctr : float
        Click-through rate of a served request, in (0, 1).
    error_rate : float
        Share of requests that fail, in [0, 1).
    p99_latency_ms : float
        99th percentile of the (log-normal) latency, > 0.
    zero_result_rate : float
        Share of requests that return no result, in [0, 1).
    """

    ctr: float
    error_rate: float
    p99_latency_ms: float
    zero_result_rate: float

    def __post_init__(self):
        check_real(self.ctr, "ctr", low=0, high=1, low_inclusive=False)
        check_real(self.error_rate, "error_rate", low=0, high=1)
        check_real(self.p99_latency_ms, "p99_latency_ms", low=0, low_inclusive=False)
        check_real(self.zero_result_rate, "zero_result_rate", low=0, high=1)


@dataclass(frozen=True)
class RolloutResult:
    """Outcome of one simulated rollout.

    Attributes
    ----------
    strategy : str
    rolled_back : bool
    trigger : str or None
        The first rule that fired (None if none did).
    exposed_requests : int
        Requests the candidate *served* to users before the rollout ended or was rolled back.
    timeline : pandas.DataFrame
        One row per step: share served, requests served by the candidate, observed metrics of
        both arms, and the rule that fired.
    """

    strategy: str
    rolled_back: bool
    trigger: str | None
    exposed_requests: int
    timeline: pd.DataFrame


def _observe(model: ModelBehaviour, n: int, rng: np.random.Generator) -> dict:
    """Observed metrics of ``n`` requests served (or shadow-scored) by ``model``."""
    mu = np.log(model.p99_latency_ms) - 2.3263478740408408 * _LATENCY_SIGMA
    latency = rng.lognormal(mu, _LATENCY_SIGMA, size=min(n, _LATENCY_SAMPLE))
    return {
        "ctr": rng.binomial(n, model.ctr) / n,
        "error_rate": rng.binomial(n, model.error_rate) / n,
        "zero_result_rate": rng.binomial(n, model.zero_result_rate) / n,
        "p99_ms": float(np.quantile(latency, 0.99)),
    }


def _fired(candidate: dict, baseline: dict, *, check_ctr: bool) -> str | None:
    rules = SOURCE_ROLLBACK_TRIGGERS
    if candidate["p99_ms"] > rules["p99_latency_ratio"] * baseline["p99_ms"]:
        return "p99 latency > 2x baseline"
    if candidate["error_rate"] > rules["error_rate"]:
        return "error rate > 1%"
    if check_ctr and candidate["ctr"] < (1 - rules["ctr_drop"]) * baseline["ctr"]:
        return "CTR drop > 5%"
    if candidate["zero_result_rate"] > rules["zero_result_rate"]:
        return "zero-result rate > 10%"
    return None


def _schedule(strategy: str, stages, steps_per_stage: int) -> list[float]:
    if strategy == "canary":
        return [share for share in stages for _ in range(steps_per_stage)]
    if strategy == "blue-green":
        return [1.0] * steps_per_stage
    return [0.0] * steps_per_stage  # shadow: scores a copy of all traffic, serves none


def simulate_rollout(
    strategy,
    baseline: ModelBehaviour,
    candidate: ModelBehaviour,
    *,
    requests_per_step=100_000,
    stages=(0.01, 0.05, 0.10, 0.50, 1.00),
    steps_per_stage=2,
    min_requests=2_000,
    min_requests_ctr=50_000,
    random_state=None,
) -> RolloutResult:
    r"""Simulate rolling ``candidate`` out over ``baseline`` with one deployment strategy.

    At step :math:`t` the candidate serves a share :math:`s_t` of ``requests_per_step``
    (shadow: :math:`s_t = 0`, but it scores all of them). After each step the source's triggers
    (:data:`SOURCE_ROLLBACK_TRIGGERS`) are checked on the candidate's cumulative metrics against
    the baseline's, measured on one stage of traffic before the rollout, once the candidate has
    served (or, in shadow mode, scored) enough requests; the rollout stops at the first that
    fires. Users exposed to the
    candidate:

    .. math::

        E = \sum_{t \le t_{\text{stop}}} s_t \cdot \text{requests\_per\_step}.

    Parameters
    ----------
    strategy : {"shadow", "canary", "blue-green"}
    baseline, candidate : ModelBehaviour
    requests_per_step : int, default=100_000
    stages : sequence of float, default=(0.01, 0.05, 0.10, 0.50, 1.00)
        Canary shares, increasing, ending at 1.
    steps_per_stage : int, default=2
        Steps spent at each canary share (shadow and blue-green run this many steps).
    min_requests : int, default=2_000
        Candidate requests needed before the guardrail triggers (latency, errors, zero results)
        are checked.
    min_requests_ctr : int, default=50_000
        Candidate requests needed before the CTR trigger is checked: a 5 % relative CTR drop is
        within the noise of a few thousand requests (try a small value to see good models
        rolled back).
    random_state : int, numpy.random.Generator or None

    Returns
    -------
    RolloutResult

    Examples
    --------
    >>> base = ModelBehaviour(ctr=0.03, error_rate=0.001, p99_latency_ms=120, zero_result_rate=0.02)
    >>> bad = ModelBehaviour(ctr=0.03, error_rate=0.05, p99_latency_ms=120, zero_result_rate=0.02)
    >>> result = simulate_rollout("canary", base, bad, random_state=0)
    >>> result.rolled_back, result.trigger, result.exposed_requests
    (True, 'error rate > 1%', 2000)
    """
    strategy = check_option(strategy, "strategy", ("shadow", "canary", "blue-green"))
    for name, model in (("baseline", baseline), ("candidate", candidate)):
        if not isinstance(model, ModelBehaviour):
            raise ValueError(f"{name} must be a ModelBehaviour, got {type(model).__name__}")
    requests_per_step = check_positive_int(requests_per_step, "requests_per_step")
    steps_per_stage = check_positive_int(steps_per_stage, "steps_per_stage")
    min_requests = check_positive_int(min_requests, "min_requests")
    min_requests_ctr = check_positive_int(min_requests_ctr, "min_requests_ctr")
    if isinstance(stages, str) or np.ndim(stages) != 1 or len(stages) == 0:
        raise ValueError(f"stages must be a non-empty sequence of shares, got {stages!r}")
    stages = [check_real(s, "stages", low=0, high=1, low_inclusive=False) for s in stages]
    if any(b <= a for a, b in itertools.pairwise(stages)) or stages[-1] != 1.0:
        raise ValueError(f"stages must increase strictly and end at 1.0, got {stages}")
    rng = check_random_state(random_state)
    schedule = _schedule(strategy, stages, steps_per_stage)
    # The baseline's reference metrics: one stage's worth of its traffic before the rollout.
    reference = _observe(baseline, requests_per_step * steps_per_stage, rng)
    rows, exposed, trigger = [], 0, None
    n = clicks = errors = zero = 0.0
    for step, share in enumerate(schedule):
        if strategy == "shadow":
            scored = requests_per_step
        else:
            scored = max(round(share * requests_per_step), 1)
        seen = _observe(candidate, scored, rng)
        n += scored
        clicks += seen["ctr"] * scored
        errors += seen["error_rate"] * scored
        zero += seen["zero_result_rate"] * scored
        served = 0 if strategy == "shadow" else scored
        exposed += served
        cumulative = {
            "ctr": clicks / n,
            "error_rate": errors / n,
            "zero_result_rate": zero / n,
            "p99_ms": seen["p99_ms"],
        }
        fired = None
        if n >= min_requests:
            check_ctr = strategy != "shadow" and n >= min_requests_ctr
            fired = _fired(cumulative, reference, check_ctr=check_ctr)
        rows.append(
            {
                "step": step,
                "share_served": share,
                "served_to_users": served,
                "candidate_requests_so_far": int(n),
                "candidate_ctr": cumulative["ctr"] if strategy != "shadow" else np.nan,
                "candidate_error_rate": cumulative["error_rate"],
                "candidate_p99_ms": seen["p99_ms"],
                "trigger": fired or "",
            }
        )
        if fired:
            trigger = fired
            break
    return RolloutResult(strategy, trigger is not None, trigger, int(exposed), pd.DataFrame(rows))
