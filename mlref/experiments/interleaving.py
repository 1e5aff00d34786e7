r"""Interleaving: compare two rankers inside the same session instead of across two arms.

Both rankers rank the same candidates; the user sees one merged list, and clicks are credited to
the ranker that contributed the clicked result. Since every session sees both rankers, the
user-to-user variance that dominates an A/B test cancels, which is why interleaving needs far
fewer sessions (Chapelle et al., 2012; Netflix and DoorDash report 10-100x).

- **Team draft** (Radlinski et al., 2008): in each round a coin decides which ranker picks first;
  each picks its highest-ranked result not yet in the list. A click counts for the picking team.
- **Balanced** (Joachims, 2002): the merged list alternates between the two rankings (a coin
  decides who starts), skipping results already in it; at the lowest click, compare how many
  clicked results each ranker has in its top :math:`k`, with :math:`k` the smaller of the two
  rankers' ranks for that result.

Rankings here are 2-D arrays, one row per session, each row a permutation of the session's
candidate indices ``0..m-1`` (both rankers re-rank the same retrieved candidates); all
operations are vectorised over sessions.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from mlref._validation import (
    as_array,
    check_array_1d,
    check_positive_int,
    check_random_state,
    check_real,
)

__all__ = [
    "balanced_credit",
    "balanced_interleave",
    "preference_sample_size",
    "team_draft_credit",
    "team_draft_interleave",
]


def _check_rankings(ranking_a, ranking_b, length):
    a = as_array(ranking_a, "ranking_a", None)
    b = as_array(ranking_b, "ranking_b", None)
    if a.ndim != 2 or a.shape != b.shape or a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(
            "ranking_a and ranking_b must be non-empty 2-D arrays of the same shape "
            f"(n_sessions, n_candidates), got {a.shape} and {b.shape}"
        )
    for name, r in (("ranking_a", a), ("ranking_b", b)):
        if r.dtype.kind not in "iu":
            raise ValueError(
                f"{name} must hold integer candidate indices 0..n_candidates-1, got dtype {r.dtype}"
            )
    m = a.shape[1]
    expected = np.arange(m)
    for name, r in (("ranking_a", a), ("ranking_b", b)):
        if not np.array_equal(np.sort(r, axis=1), np.broadcast_to(expected, r.shape)):
            raise ValueError(
                f"each row of {name} must be a permutation of 0..{m - 1} (both rankers rank the "
                "same candidates); use argsort(-scores, axis=1)"
            )
    length = m if length is None else check_positive_int(length, "length")
    if length > m:
        raise ValueError(f"length must be at most the number of candidates {m}, got {length}")
    return a.astype(np.int64), b.astype(np.int64), length


def _first_unchosen(ranking: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    rows = np.arange(len(ranking))[:, None]
    return np.argmax(~chosen[rows, ranking], axis=1)


def team_draft_interleave(ranking_a, ranking_b, *, length=None, random_state=None):
    """Team-draft interleaving of two rankings per session.

    Parameters
    ----------
    ranking_a, ranking_b : array-like of int, shape (n_sessions, n_candidates)
        Candidate indices in ranked order (each row a permutation of ``0..n_candidates-1``).
    length : int, optional
        Results shown (default: all candidates).
    random_state : int, Generator or None
        Coin flips of each round.

    Returns
    -------
    shown : ndarray of shape (n_sessions, length)
        The interleaved list (candidate indices).
    team : ndarray of int8, shape (n_sessions, length)
        0 where ranker A picked the result, 1 where B did.

    Examples
    --------
    >>> shown, team = team_draft_interleave([[0, 1, 2, 3]], [[1, 0, 3, 2]], random_state=0)
    >>> shown.tolist(), team.tolist()
    ([[1, 0, 2, 3]], [[1, 0, 0, 1]])
    """
    a, b, length = _check_rankings(ranking_a, ranking_b, length)
    rng = check_random_state(random_state)
    n, m = a.shape
    rows = np.arange(n)
    chosen = np.zeros((n, m), bool)
    shown = np.empty((n, length), np.int64)
    team = np.empty((n, length), np.int8)
    count = np.zeros((n, 2), np.int64)
    a_first = np.zeros(n, bool)
    for t in range(length):
        new_round = count[:, 0] == count[:, 1]
        a_first = np.where(new_round, rng.random(n) < 0.5, a_first)
        a_turn = (count[:, 0] < count[:, 1]) | (new_round & a_first)
        pick_a = a[rows, _first_unchosen(a, chosen)]
        pick_b = b[rows, _first_unchosen(b, chosen)]
        pick = np.where(a_turn, pick_a, pick_b)
        shown[:, t] = pick
        team[:, t] = ~a_turn
        chosen[rows, pick] = True
        count[rows, (~a_turn).astype(np.int64)] += 1
    return shown, team


def team_draft_credit(team, clicks) -> np.ndarray:
    """Per-session preference: +1 if B's results got more clicks, -1 if A's did, 0 on a tie.

    Examples
    --------
    >>> team_draft_credit([[0, 1, 1], [0, 1, 0]], [[1, 1, 1], [1, 0, 0]]).tolist()
    [1, -1]
    """
    team = _check_matrix(team, "team", "an interleaved list", kinds="biuf")
    if not np.all((team == 0) | (team == 1)):
        raise ValueError("team must hold 0 (ranker A picked) or 1 (ranker B picked)")
    clicks = _check_clicks(clicks, team.shape, "team")
    wins_b = np.sum(clicks * (team == 1), axis=1)
    wins_a = np.sum(clicks * (team == 0), axis=1)
    return np.sign(wins_b - wins_a).astype(np.int8)


def _check_matrix(x, name: str, row: str, kinds: str = "biu") -> np.ndarray:
    """A non-empty 2-D array of whole numbers, one row per session."""
    arr = as_array(x, name, None)
    if arr.ndim != 2 or arr.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 2-D array, one row per session ({row}), got shape "
            f"{arr.shape}"
        )
    if arr.dtype.kind not in kinds:
        raise ValueError(f"{name} must hold integers, got dtype {arr.dtype}")
    return arr


def _check_clicks(clicks, shape, like: str) -> np.ndarray:
    c = as_array(clicks, "clicks", None)
    if c.shape != shape:
        raise ValueError(
            f"clicks must have the shape of {like} {shape} (one 0/1 per shown result), got "
            f"{c.shape}"
        )
    if c.dtype.kind not in "biuf" or not np.all((c == 0) | (c == 1)):
        raise ValueError("clicks must hold 0/1 values")
    return c.astype(np.int64)


def balanced_interleave(ranking_a, ranking_b, *, length=None, random_state=None):
    """Balanced interleaving (Joachims, 2002) of two rankings per session.

    Returns
    -------
    shown : ndarray of shape (n_sessions, length)
        The interleaved list; credit it with :func:`balanced_credit`.

    Examples
    --------
    >>> balanced_interleave([[0, 1, 2, 3]], [[1, 0, 3, 2]], random_state=0).tolist()
    [[1, 0, 3, 2]]
    """
    a, b, length = _check_rankings(ranking_a, ranking_b, length)
    rng = check_random_state(random_state)
    n, m = a.shape
    rows = np.arange(n)
    a_first = rng.random(n) < 0.5
    chosen = np.zeros((n, m), bool)
    shown = np.empty((n, length), np.int64)
    filled = np.zeros(n, np.int64)
    ka = np.zeros(n, np.int64)
    kb = np.zeros(n, np.int64)
    while np.any(filled < length):
        active = filled < length
        a_turn = (ka < kb) | ((ka == kb) & a_first)
        item = np.where(a_turn, a[rows, np.minimum(ka, m - 1)], b[rows, np.minimum(kb, m - 1)])
        new = active & ~chosen[rows, item]
        shown[rows[new], filled[new]] = item[new]
        chosen[rows[new], item[new]] = True
        filled += new
        ka += active & a_turn
        kb += active & ~a_turn
    return shown


def balanced_credit(shown, ranking_a, ranking_b, clicks) -> np.ndarray:
    r"""Per-session preference of balanced interleaving: +1 for B, -1 for A, 0 on a tie.

    With :math:`d` the clicked result lowest in the shown list and :math:`k = \min(r_A(d),
    r_B(d))` its better rank in the two rankings, each ranker scores the clicked results among
    its own top :math:`k`. Sessions without a click are ties.

    Examples
    --------
    >>> shown = balanced_interleave([[0, 1, 2, 3]], [[1, 0, 3, 2]], random_state=0)
    >>> balanced_credit(shown, [[0, 1, 2, 3]], [[1, 0, 3, 2]], [[0, 0, 1, 0]]).tolist()
    [1]
    """
    a, b, _ = _check_rankings(ranking_a, ranking_b, None)
    n, m = a.shape
    shown = _check_matrix(shown, "shown", "the list balanced_interleave returned").astype(np.int64)
    if shown.shape[0] != n or shown.shape[1] > m:
        raise ValueError(
            f"shown has shape {shown.shape}, but ranking_a and ranking_b have {n} sessions of "
            f"{m} candidates; pass the lists balanced_interleave returned for them"
        )
    ordered = np.sort(shown, axis=1)
    if (
        ordered[:, 0].min() < 0
        or ordered[:, -1].max() >= m
        or np.any(ordered[:, 1:] == ordered[:, :-1])
    ):
        raise ValueError(
            f"each row of shown must hold distinct candidate indices 0..{m - 1}; pass the "
            "lists balanced_interleave returned"
        )
    clicks = _check_clicks(clicks, shown.shape, "shown")
    rows = np.arange(n)
    rank_a = np.empty_like(a)
    rank_b = np.empty_like(b)
    rank_a[rows[:, None], a] = np.arange(m)
    rank_b[rows[:, None], b] = np.arange(m)
    any_click = clicks.any(axis=1)
    lowest = shown.shape[1] - 1 - np.argmax(clicks[:, ::-1], axis=1)
    last = shown[rows, lowest]
    k = np.minimum(rank_a[rows, last], rank_b[rows, last])
    clicked_item = np.zeros((n, m), bool)
    clicked_item[rows[:, None], shown] = clicks.astype(bool)
    h_a = np.sum(clicked_item[rows[:, None], a] & (np.arange(m) <= k[:, None]), axis=1)
    h_b = np.sum(clicked_item[rows[:, None], b] & (np.arange(m) <= k[:, None]), axis=1)
    return np.where(any_click, np.sign(h_b - h_a), 0).astype(np.int8)


def preference_sample_size(preferences, *, alpha: float = 0.05, power: float = 0.8) -> int:
    r"""Sessions an interleaving experiment needs, from pilot per-session preferences.

    Testing :math:`H_0: E[D] = 0` for per-session preferences :math:`D \in \{-1, 0, 1\}` with a
    two-sided z-test needs

    .. math::

        n = \left\lceil (z_{1-\alpha/2} + z_{1-\beta})^2 \,
        \frac{\widehat{\mathrm{Var}}(D)}{\bar D^2} \right\rceil.

    Examples
    --------
    >>> preference_sample_size([1] * 60 + [-1] * 40 + [0] * 100)
    387
    """
    d = check_array_1d(preferences, "preferences")
    if d.size < 2:
        raise ValueError("preferences must be a 1-D array of at least 2 finite values")
    if not np.all(np.isin(d, (-1.0, 0.0, 1.0))):
        raise ValueError(
            "preferences must hold per-session preferences -1, 0 or +1 (what team_draft_credit "
            "and balanced_credit return); use sessions_for_power for other outcomes"
        )
    alpha = check_real(alpha, "alpha", low=0.0, high=1.0, low_inclusive=False)
    power = check_real(power, "power", low=0.0, high=1.0, low_inclusive=False)
    if alpha >= 1 or power >= 1:
        raise ValueError("alpha and power must lie strictly between 0 and 1")
    mean = d.mean()
    if mean == 0:
        raise ValueError(
            "the pilot preferences average exactly 0: no sample size detects a zero effect"
        )
    z = stats.norm.isf(alpha / 2) + stats.norm.ppf(power)
    return math.ceil(z * z * d.var(ddof=1) / mean**2 - 1e-9)
