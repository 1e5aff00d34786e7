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

__all__ = [
    "VARIANCE_CONVENTIONS",
    "ab_sample_size",
    "ab_test_duration",
    "msprt_p_values",
    "simulate_ab_power",
    "simulate_peeking",
    "two_proportion_ztest",
]
