"""The B2B wholesale marketplace: Net-60 credit risk, retailer behaviour, ranking policies.

:mod:`mlref.b2b.credit` (expected loss, expected profit, the break-even default probability,
realised profit by threshold), :mod:`mlref.b2b.behaviour` (reorder rate, AOV, first-order
success, sell-through from order logs) and :mod:`mlref.b2b.ranking` (exploration bonus for new
brands, free-returns boost for new retailers, personalization, inventory-aware ranking, scored
in expectation on the simulator's truth).
"""

from mlref.b2b.behaviour import retailer_behaviour
from mlref.b2b.credit import (
    break_even_default_probability,
    expected_credit_loss,
    expected_credit_profit,
    profit_by_threshold,
)
from mlref.b2b.ranking import evaluate_ranking_policy, policy_scores

__all__ = [
    "break_even_default_probability",
    "evaluate_ranking_policy",
    "expected_credit_loss",
    "expected_credit_profit",
    "policy_scores",
    "profit_by_threshold",
    "retailer_behaviour",
]
