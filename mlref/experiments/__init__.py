"""Online experiments: A/B-test statistics (sample size, z-test, power, peeking), interleaving."""

from mlref.experiments.ab_testing import (
    VARIANCE_CONVENTIONS,
    ab_sample_size,
    ab_test_duration,
    msprt_p_values,
    simulate_ab_power,
    simulate_peeking,
    two_proportion_ztest,
)
from mlref.experiments.interleaving import (
    balanced_credit,
    balanced_interleave,
    preference_sample_size,
    team_draft_credit,
    team_draft_interleave,
)
from mlref.experiments.simulation import (
    CandidateTable,
    candidate_table,
    noisy_ranker,
    sessions_for_power,
    simulate_ab_sessions,
    simulate_interleaving_sessions,
)

__all__ = [
    "VARIANCE_CONVENTIONS",
    "CandidateTable",
    "ab_sample_size",
    "ab_test_duration",
    "balanced_credit",
    "balanced_interleave",
    "candidate_table",
    "msprt_p_values",
    "noisy_ranker",
    "preference_sample_size",
    "sessions_for_power",
    "simulate_ab_power",
    "simulate_ab_sessions",
    "simulate_interleaving_sessions",
    "simulate_peeking",
    "team_draft_credit",
    "team_draft_interleave",
    "two_proportion_ztest",
]
