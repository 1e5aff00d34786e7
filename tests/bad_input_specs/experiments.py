"""Battery entries of ``mlref.experiments`` (A/B statistics, peeking, interleaving, simulation).

Each valid call is small: a few dozen simulated experiments, three sessions of four candidates,
and one 10-search marketplace (built once) with five queries of four candidates, so the whole
battery of these names runs in well under a second.
"""

from __future__ import annotations

import numpy as np

from bad_input_specs import Func
from mlref.datasets import make_marketplace
from mlref.experiments import (
    balanced_interleave,
    candidate_table,
    noisy_ranker,
    team_draft_interleave,
)

MARKET = make_marketplace(
    random_state=0, n_retailers=10, n_brands=5, n_products=30, n_queries=10, n_searches=10
)
TABLE = candidate_table(MARKET, 4)
SCORES_A = noisy_ranker(TABLE, 1.5, random_state=1)
SCORES_B = noisy_ranker(TABLE, 1.0, random_state=2)

# Three sessions, four candidates each: rows are permutations of 0..3.
RANKING_A = np.array([[0, 1, 2, 3], [2, 0, 3, 1], [3, 2, 1, 0]])
RANKING_B = np.array([[1, 0, 3, 2], [2, 3, 0, 1], [0, 1, 2, 3]])
_, TEAM = team_draft_interleave(RANKING_A, RANKING_B, random_state=0)
SHOWN = balanced_interleave(RANKING_A, RANKING_B, random_state=0)
CLICKS = np.array([[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]])

# Cumulative counts of two arms over three looks (also three experiments for the z-test).
X_A = np.array([20.0, 41.0, 65.0])
X_B = np.array([30.0, 62.0, 100.0])
N_LOOKS = np.array([1000.0, 2000.0, 3000.0])

# The counts of two_proportion_ztest broadcast against each other (a grid of experiments, or one
# trial count for many experiments), so one dimension more is valid input there.
_BROADCAST = {"ndim"}

NO_INPUT = {
    "experiments.VARIANCE_CONVENTIONS": "a constant tuple of the names ab_sample_size accepts",
    "experiments.CandidateTable": "a result record returned by candidate_table",
}

SPECS = {
    # --- A/B statistics ---------------------------------------------------------------------
    "experiments.ab_sample_size": Func(
        {
            "baseline_rate": 0.02,
            "min_detectable_effect": 0.05,
            "relative": True,
            "alpha": 0.05,
            "power": 0.8,
            "variance": "pooled",
            "alternative": "two-sided",
            "round_up": True,
        }
    ),
    "experiments.ab_test_duration": Func(
        {"n_per_arm": 1000, "daily_users": 500.0, "traffic_share": 0.5, "n_arms": 2}
    ),
    "experiments.two_proportion_ztest": Func(
        {
            "successes_a": X_A,
            "n_a": N_LOOKS,
            "successes_b": X_B,
            "n_b": N_LOOKS.copy(),
            "alternative": "larger",
            "pooled": True,
        },
        skip={
            "successes_a": _BROADCAST,
            "n_a": _BROADCAST,
            "successes_b": _BROADCAST,
            "n_b": _BROADCAST,
        },
    ),
    "experiments.msprt_p_values": Func(
        {
            "successes_a": X_A,
            "n_a": N_LOOKS,
            "successes_b": X_B,
            "n_b": N_LOOKS.copy(),
            "tau": 0.01,
        },
    ),
    "experiments.simulate_ab_power": Func(
        {
            "baseline_rate": 0.1,
            "treatment_rate": 0.12,
            "n_per_arm": 100,
            "alpha": 0.05,
            "n_simulations": 50,
            "random_state": 0,
        }
    ),
    "experiments.simulate_peeking": Func(
        {
            "rate": 0.1,
            "users_per_look": 50,
            "n_looks": 3,
            "treatment_rate": 0.12,
            "alpha": 0.05,
            "method": "msprt",
            "tau": 0.01,
            "n_simulations": 50,
            "random_state": 0,
        }
    ),
    # --- interleaving -----------------------------------------------------------------------
    "experiments.team_draft_interleave": Func(
        {"ranking_a": RANKING_A, "ranking_b": RANKING_B, "length": 3, "random_state": 0}
    ),
    "experiments.balanced_interleave": Func(
        {"ranking_a": RANKING_A, "ranking_b": RANKING_B, "length": 3, "random_state": 0}
    ),
    "experiments.team_draft_credit": Func({"team": TEAM, "clicks": CLICKS}),
    "experiments.balanced_credit": Func(
        {"shown": SHOWN, "ranking_a": RANKING_A, "ranking_b": RANKING_B, "clicks": CLICKS}
    ),
    "experiments.preference_sample_size": Func(
        {"preferences": np.array([1.0, -1.0, 0.0, 1.0, 1.0, 0.0]), "alpha": 0.05, "power": 0.8}
    ),
    "experiments.sessions_for_power": Func(
        {
            "outcomes_a": np.array([0.0, 1.0, 0.0, 2.0, 1.0]),
            "outcomes_b": np.array([1.0, 1.0, 2.0, 0.0, 3.0]),
            "alpha": 0.05,
            "power": 0.8,
        },
        # The two arms of a pilot A/B test need not have the same number of sessions.
        skip={"outcomes_a": {"length"}, "outcomes_b": {"length"}},
    ),
    # --- simulation -------------------------------------------------------------------------
    "experiments.candidate_table": Func({"market": MARKET, "n_candidates": 4}),
    "experiments.noisy_ranker": Func({"table": TABLE, "noise": 1.0, "random_state": 0}),
    "experiments.simulate_ab_sessions": Func(
        {
            "market": MARKET,
            "table": TABLE,
            "scores": SCORES_A,
            "n_sessions": 20,
            "length": 3,
            "engagement_sigma": 0.5,
            "random_state": 0,
        }
    ),
    "experiments.simulate_interleaving_sessions": Func(
        {
            "market": MARKET,
            "table": TABLE,
            "scores_a": SCORES_A,
            "scores_b": SCORES_B,
            "n_sessions": 20,
            "method": "balanced",
            "length": 3,
            "engagement_sigma": 0.5,
            "random_state": 0,
        }
    ),
}
