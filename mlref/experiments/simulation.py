r"""Online experiments replayed on the marketplace simulator: A/B tests versus interleaving.

Two rankers re-rank the same retrieved candidates of each query. A session draws a query by its
search frequency and shows ``length`` results; the simulator's click model (examination
:math:`k^{-\eta}` times attractiveness of the true grade) produces the clicks. In an A/B test a
session sees one ranker and the metric is its clicks; with interleaving it sees a merged list
and yields a preference. :func:`sessions_for_power` turns per-session outcomes into the sessions
each design needs for a given power.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import stats

from mlref._validation import (
    check_array_1d,
    check_array_2d,
    check_option,
    check_positive_int,
    check_random_state,
    check_real,
)
from mlref.experiments.interleaving import (
    balanced_credit,
    balanced_interleave,
    team_draft_credit,
    team_draft_interleave,
)

__all__ = [
    "CandidateTable",
    "candidate_table",
    "noisy_ranker",
    "sessions_for_power",
    "simulate_ab_sessions",
    "simulate_interleaving_sessions",
]


class CandidateTable(NamedTuple):
    """The first ``n_candidates`` retrieved products of every query that has that many.

    ``query_ids`` (n_queries,), ``products`` and ``relevance`` (n_queries, n_candidates),
    ``frequency`` (n_queries,) renormalised to sum to 1.
    """

    query_ids: np.ndarray
    products: np.ndarray
    relevance: np.ndarray
    frequency: np.ndarray


def candidate_table(market, n_candidates: int = 20) -> CandidateTable:
    """Candidates of each query with enough of them, from ``market.judgments()``.

    Examples
    --------
    >>> from mlref.datasets import make_marketplace
    >>> table = candidate_table(make_marketplace(n_searches=100, random_state=0), 10)
    >>> table.products.shape[1], round(float(table.frequency.sum()), 6)
    (10, 1.0)
    """
    m = check_positive_int(n_candidates, "n_candidates")
    j = market.judgments()
    j = j[j["retrieval_rank"] <= m]
    counts = j.groupby("query_id").size()
    full = counts.index[counts.to_numpy() == m].to_numpy()
    if full.size == 0:
        raise ValueError(f"no query has {m} candidates; lower n_candidates")
    j = j[j["query_id"].isin(full)].sort_values(["query_id", "retrieval_rank"])
    products = j["product_id"].to_numpy().reshape(-1, m)
    relevance = j["true_relevance"].to_numpy().reshape(-1, m).astype(np.float64)
    freq = market.queries.set_index("query_id").loc[full, "frequency"].to_numpy()
    return CandidateTable(full, products, relevance, freq / freq.sum())


def noisy_ranker(table: CandidateTable, noise: float, *, random_state=None) -> np.ndarray:
    r"""Scores of a ranker that sees true relevance through fixed noise:
    :math:`s_{qd} = r_{qd} + \sigma \epsilon_{qd}`, :math:`\epsilon \sim N(0, 1)` drawn once.

    Returns
    -------
    ndarray of shape (n_queries, n_candidates)
    """
    _check_table(table)
    noise = check_real(noise, "noise", low=0.0)
    rng = check_random_state(random_state)
    return table.relevance + noise * rng.standard_normal(table.relevance.shape)


def _check_table(table) -> None:
    if not isinstance(table, CandidateTable):
        raise TypeError(
            f"table must be the CandidateTable that candidate_table returns, got "
            f"{type(table).__name__}"
        )


def _check_scores(scores, name: str, table: CandidateTable) -> np.ndarray:
    scores = check_array_2d(scores, name)
    if scores.shape != table.relevance.shape:
        raise ValueError(
            f"{name} has shape {scores.shape}, but table has {table.relevance.shape[0]} queries "
            f"of {table.relevance.shape[1]} candidates; score every candidate of table, e.g. "
            "with noisy_ranker(table, ...)"
        )
    return scores


def _check_length(length, table: CandidateTable) -> int:
    length = check_positive_int(length, "length")
    m = table.relevance.shape[1]
    if length > m:
        raise ValueError(f"length must be at most the number of candidates {m}, got {length}")
    return length


def _draw_sessions(table, n_sessions, rng):
    n = check_positive_int(n_sessions, "n_sessions")
    return rng.choice(len(table.query_ids), size=n, p=table.frequency)


def _rankings(scores, rows):
    return np.argsort(-scores[rows], axis=1, kind="stable")


def _clicks(market, table, rows, shown, rng, engagement_sigma):
    positions = np.arange(1, shown.shape[1] + 1)[None, :]
    relevance = table.relevance[rows[:, None], shown].astype(np.int64)
    prob = market.click_probability(positions, relevance)
    if engagement_sigma > 0:
        # Users differ: a log-normal multiplier per session with mean 1.
        s = engagement_sigma
        prob = np.minimum(1.0, prob * np.exp(s * rng.standard_normal((len(rows), 1)) - s * s / 2))
    return (rng.random(prob.shape) < prob).astype(np.int64)


def simulate_ab_sessions(
    market,
    table,
    scores,
    n_sessions,
    *,
    length: int = 10,
    engagement_sigma: float = 0.0,
    random_state=None,
) -> np.ndarray:
    r"""Clicks per session when every session sees the top ``length`` of ``scores``.

    ``engagement_sigma`` > 0 makes users differ: each session's click probabilities are
    multiplied by :math:`e^{\sigma z - \sigma^2/2}`, :math:`z \sim N(0, 1)` (capped at 1).

    Returns
    -------
    ndarray of int, shape (n_sessions,)
    """
    _check_table(table)
    scores = _check_scores(scores, "scores", table)
    length = _check_length(length, table)
    sigma = check_real(engagement_sigma, "engagement_sigma", low=0.0)
    rng = check_random_state(random_state)
    rows = _draw_sessions(table, n_sessions, rng)
    shown = _rankings(scores, rows)[:, :length]
    return _clicks(market, table, rows, shown, rng, sigma).sum(axis=1)


def simulate_interleaving_sessions(
    market,
    table,
    scores_a,
    scores_b,
    n_sessions,
    *,
    method: str = "team_draft",
    length: int = 10,
    engagement_sigma: float = 0.0,
    random_state=None,
) -> np.ndarray:
    """Per-session preferences (+1 for B, -1 for A, 0 tie) of an interleaving experiment.

    ``engagement_sigma`` as in :func:`simulate_ab_sessions`.

    Returns
    -------
    ndarray of int8, shape (n_sessions,)
    """
    _check_table(table)
    scores_a = _check_scores(scores_a, "scores_a", table)
    scores_b = _check_scores(scores_b, "scores_b", table)
    check_option(method, "method", ("team_draft", "balanced"))
    length = _check_length(length, table)
    sigma = check_real(engagement_sigma, "engagement_sigma", low=0.0)
    rng = check_random_state(random_state)
    rows = _draw_sessions(table, n_sessions, rng)
    a, b = _rankings(scores_a, rows), _rankings(scores_b, rows)
    if method == "team_draft":
        shown, team = team_draft_interleave(a, b, length=length, random_state=rng)
        return team_draft_credit(team, _clicks(market, table, rows, shown, rng, sigma))
    shown = balanced_interleave(a, b, length=length, random_state=rng)
    return balanced_credit(shown, a, b, _clicks(market, table, rows, shown, rng, sigma))


def sessions_for_power(
    outcomes_a, outcomes_b=None, *, alpha: float = 0.05, power: float = 0.8
) -> int:
    r"""Total sessions a two-sided z-test needs, from pilot per-session outcomes.

    A/B (two arrays, one per arm, equal split): :math:`2 (z_{1-\alpha/2} + z_{1-\beta})^2
    (s_A^2 + s_B^2) / (\bar x_B - \bar x_A)^2`. Interleaving (one array of preferences):
    :math:`(z_{1-\alpha/2} + z_{1-\beta})^2 s^2 / \bar d^{\,2}`.

    Examples
    --------
    >>> sessions_for_power([0, 1] * 50, [1, 1, 0] * 40)
    270
    """
    alpha = check_real(alpha, "alpha", low=0.0, high=1.0, low_inclusive=False)
    power = check_real(power, "power", low=0.0, high=1.0, low_inclusive=False)
    if alpha >= 1 or power >= 1:
        raise ValueError("alpha and power must lie strictly between 0 and 1")
    z2 = (stats.norm.isf(alpha / 2) + stats.norm.ppf(power)) ** 2
    arms = {"outcomes_a": outcomes_a}
    if outcomes_b is not None:
        arms["outcomes_b"] = outcomes_b
    for name, values in arms.items():
        arms[name] = check_array_1d(values, name)
        if arms[name].size < 2:
            raise ValueError(f"{name} must be a 1-D array of at least 2 finite values")
    # The ratio var / effect**2 does not depend on the scale; rescale huge outcomes so that
    # their squares do not overflow.
    scale = max(float(np.max(np.abs(v))) for v in arms.values())
    if scale > 1e100:
        arms = {name: v / scale for name, v in arms.items()}
    a = arms["outcomes_a"]
    if outcomes_b is None:
        effect, var, n_arms = a.mean(), a.var(ddof=1), 1
    else:
        b = arms["outcomes_b"]
        effect, var, n_arms = b.mean() - a.mean(), a.var(ddof=1) + b.var(ddof=1), 2
    if effect == 0:
        raise ValueError("the pilot shows exactly no effect: no sample size detects it")
    n = n_arms * z2 * var / effect**2
    if not math.isfinite(n):
        raise ValueError(
            "the pilot effect is too small for its variance: the number of sessions overflows"
        )
    return math.ceil(n - 1e-9)
