r"""Ad auctions: first price, second price, generalized second price (GSP) and VCG.

Every auction here sells ``K`` ad slots on one page to ``n`` bidders under the *separable* click
model of sponsored search: bidder :math:`i` shown in slot :math:`k` is clicked with probability

.. math::

    P(\text{click} \mid i, k) = \alpha_k \, q_i ,

where :math:`\alpha_1 \ge \alpha_2 \ge \dots \ge \alpha_K \ge 0` are the position CTRs (the
examination probability of each slot) and :math:`q_i` is the ad's own click-through rate at the
top, the predicted CTR (``quality``). Bids :math:`b_i` are per click (CPC). Bidders are ranked by
their **ad score** :math:`s_i = b_i q_i`, the expected revenue of showing them per unit of
:math:`\alpha` (the source's :math:`P(\text{click}) \times \text{bid} \times \text{quality}`).
The highest score gets slot 1, the next slot 2, and so on; ties go to the lower index.

The auctions differ in what a winner pays **per click**:

* first price — its own bid;
* second price (one slot) — the lowest bid that would still win: :math:`s_{(2)} / q_{(1)}`;
* GSP (several slots) — the lowest bid that keeps its slot: :math:`p_k = s_{(k+1)} / q_{(k)}`;
* VCG — the externality it imposes on the others, per click:

  .. math::

      p_k = \frac{1}{\alpha_k q_{(k)}} \sum_{j=k}^{K} (\alpha_j - \alpha_{j+1})\, s_{(j+1)},
      \qquad \alpha_{K+1} = 0,\ s_{(n+1)} = 0 .

With one slot the last two coincide with the second price. With several they do not: GSP charges
every winner at least as much as VCG at the same bids, and only VCG makes bidding one's value a
dominant strategy. **Reserve prices** :math:`r_i` (per click, one for all or one per bidder)
exclude bids below them and put a floor under every price; a reserve on the *score* (a minimum
eCPM :math:`R`) is the per-bidder reserve :math:`r_i = R / q_i`. With a reserve, VCG's payment is
the threshold (Myerson) payment
:math:`\sum_{j \ge k} (\alpha_j - \alpha_{j+1}) \max(s_{(j+1)}, r_{(k)} q_{(k)})`, which stays
truthful.

All functions accept one auction (1-D ``bids``) or a batch of independent auctions with the same
number of bidders (2-D ``bids``, one auction per row), vectorised over the batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlref._validation import check_array_1d, check_positive_int

__all__ = [
    "AuctionResult",
    "auction_utilities",
    "first_price_auction",
    "gsp_auction",
    "gsp_envy_free_bids",
    "second_price_auction",
    "vcg_auction",
    "vcg_externalities",
]


@dataclass(frozen=True)
class AuctionResult:
    r"""Outcome of an auction (or of a batch of auctions, one per row).

    Attributes
    ----------
    slot : numpy.ndarray of int
        0-based slot of each bidder, ``-1`` when it gets none; same shape as ``bids``.
    price_per_click : numpy.ndarray of float
        What each bidder pays per click (0 without a slot).
    click_prob : numpy.ndarray of float
        :math:`\alpha_{\text{slot}} q_i` (0 without a slot).
    """

    slot: np.ndarray
    price_per_click: np.ndarray
    click_prob: np.ndarray

    @property
    def expected_payment(self) -> np.ndarray:
        """Expected payment per page view of each bidder: click probability x price per click."""
        return self.click_prob * self.price_per_click

    @property
    def revenue(self):
        """Expected revenue of the page (a float), or of each auction of a batch (an array)."""
        return self.expected_payment.sum(axis=-1)

    def utility(self, values) -> np.ndarray:
        r"""Expected utility of each bidder, :math:`\alpha_k q_i (v_i - p_i)`, given values."""
        values = np.asarray(values, dtype=np.float64)
        return self.click_prob * (values - self.price_per_click)

    def welfare(self, values):
        r"""Expected value created, :math:`\sum_i \alpha_{k(i)} q_i v_i` (per auction)."""
        return (self.click_prob * np.asarray(values, dtype=np.float64)).sum(axis=-1)


def _check_nonnegative(values, name: str, what: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64) if np.ndim(values) else values
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of numbers ({what}), got {values!r}") from exc
    if np.ndim(arr) == 0:
        raise ValueError(f"{name} must be an array of {what}, got the scalar {values!r}")
    if arr.ndim > 2:
        raise ValueError(
            f"{name} must be 1-D (one auction) or 2-D (one auction per row), got shape {arr.shape}"
        )
    flat = check_array_1d(arr.ravel(), name)
    if flat.min() < 0:
        raise ValueError(f"{name} must be >= 0 ({what}), got a minimum of {flat.min():.4g}")
    return flat.reshape(arr.shape)


def _inputs(bids, quality, reserve, position_ctrs=None, *, name="bids"):
    """Validate and broadcast to 2-D (n_auctions, n_bidders); return a flag to squeeze back.

    ``name`` is what the caller calls ``bids`` (``values`` in :func:`gsp_envy_free_bids`).
    """
    bids = _check_nonnegative(bids, name, f"{name} per click")
    single = bids.ndim == 1
    bids2 = np.atleast_2d(bids)
    n = bids2.shape[1]
    if quality is None:
        q = np.ones_like(bids2)
    else:
        q = _check_nonnegative(quality, "quality", "predicted click-through rates")
        if q.shape != bids.shape:
            raise ValueError(
                f"quality must have the shape of {name} {bids.shape}, got {q.shape}; pass one "
                "predicted CTR per bidder"
            )
        q = np.atleast_2d(q)
        if (q <= 0).any():
            raise ValueError("quality must be > 0 for every bidder; drop ads with a zero pCTR")
    with np.errstate(over="ignore"):
        if not np.isfinite(bids2 * q).all():
            raise ValueError(f"{name} x quality overflows float64; express {name} in smaller units")
    r = np.asarray(reserve, dtype=np.float64) if not isinstance(reserve, str) else None
    if r is None or r.ndim > bids.ndim or (r.ndim and r.shape != bids.shape):
        raise ValueError(
            f"reserve must be a number >= 0 or an array of the shape of {name} {bids.shape}, got "
            f"{reserve!r}"
        )
    r = np.broadcast_to(
        _check_nonnegative(np.atleast_1d(r), "reserve", "reserve prices per click").reshape(
            r.shape
        ),
        bids.shape,
    )
    r = np.atleast_2d(r)
    if position_ctrs is None:
        alpha = np.ones(1)
    else:
        alpha = check_array_1d(position_ctrs, "position_ctrs")
        if alpha.min() < 0 or np.any(np.diff(alpha) > 0):
            raise ValueError(
                "position_ctrs must be >= 0 and non-increasing (slot 1 is the best), got "
                f"{np.round(alpha, 4).tolist()}"
            )
    if alpha.size > n:
        raise ValueError(
            f"position_ctrs has {alpha.size} slots for only {n} bidders; pass "
            f"position_ctrs[:{n}] (an empty slot earns nothing)"
        )
    return bids2, q, r, alpha, single


def _rank(bids, q, r):
    """Scores with ineligible bidders (bid below reserve) at -1, and the ranking of each row."""
    eligible = bids >= r
    score = np.where(eligible, bids * q, -1.0)
    order = np.argsort(-score, axis=1, kind="stable")
    return score, eligible, order


def _allocate(bids, q, r, alpha):
    score, eligible, order = _rank(bids, q, r)
    n_auctions, n = bids.shape
    K = alpha.size
    rows = np.arange(n_auctions)[:, None]
    winners = order[:, :K]
    won = eligible[rows, winners]
    slot = np.full((n_auctions, n), -1, dtype=np.int64)
    slot_index = np.broadcast_to(np.arange(K), winners.shape)
    slot[rows.repeat(K, axis=1)[won], winners[won]] = slot_index[won]
    sorted_score = np.take_along_axis(score, order, axis=1)
    # Scores of the bidders below each slot; an ineligible bidder or no bidder counts as 0.
    next_scores = np.concatenate(
        [np.maximum(sorted_score[:, 1:], 0.0), np.zeros((n_auctions, 1))], axis=1
    )
    return slot, order, winners, won, next_scores


def _result(slot, price_slot, winners, won, q, alpha, single):
    n_auctions, n = slot.shape
    rows = np.arange(n_auctions)[:, None].repeat(winners.shape[1], axis=1)
    price = np.zeros((n_auctions, n))
    price[rows[won], winners[won]] = price_slot[won]
    click = np.zeros((n_auctions, n))
    click[rows[won], winners[won]] = (alpha[None, :] * q[rows, winners])[won]
    if single:
        return AuctionResult(slot[0], price[0], click[0])
    return AuctionResult(slot, price, click)


def first_price_auction(bids, quality=None, *, position_ctrs=(1.0,), reserve=0.0):
    r"""First-price (pay-your-bid) auction: winners ranked by :math:`b_i q_i` pay their own bid.

    With several slots this is the "generalized first price" auction of early sponsored search
    (Overture, 1997-2002), whose bids cycled because every winner wants to shave its bid down to
    just above the next one.

    Parameters
    ----------
    bids : array-like of shape (n_bidders,) or (n_auctions, n_bidders)
        Bids per click, >= 0.
    quality : array-like of the shape of ``bids``, optional
        Predicted CTR (or quality score) :math:`q_i > 0`; default 1 (rank by bid).
    position_ctrs : sequence of float, default (1.0,)
        :math:`\alpha_k`, non-increasing; its length is the number of slots (at most n_bidders).
    reserve : float or array-like of the shape of ``bids``, default 0
        Minimum bid per click; bids below it are not eligible.

    Returns
    -------
    AuctionResult

    Examples
    --------
    >>> r = first_price_auction([2.0, 5.0, 3.0])
    >>> r.slot.tolist(), r.price_per_click.tolist()
    ([-1, 0, -1], [0.0, 5.0, 0.0])
    """
    bids2, q, r, alpha, single = _inputs(bids, quality, reserve, position_ctrs)
    slot, _, winners, won, _ = _allocate(bids2, q, r, alpha)
    price_slot = np.take_along_axis(bids2, winners, axis=1)
    return _result(slot, price_slot, winners, won, q, alpha, single)


def gsp_auction(bids, position_ctrs, quality=None, *, reserve=0.0):
    r"""Generalized second-price auction: slot :math:`k` pays :math:`\max(s_{(k+1)}/q_{(k)}, r)`.

    Each winner pays per click the smallest bid that would keep its slot: the next score divided
    by its own quality, and at least its reserve. Not truthful with more than one slot (see
    :func:`gsp_envy_free_bids`).

    Parameters
    ----------
    bids : array-like of shape (n_bidders,) or (n_auctions, n_bidders)
        Bids per click, >= 0.
    position_ctrs : sequence of float
        :math:`\alpha_1 \ge \dots \ge \alpha_K \ge 0`; ``K`` slots, at most n_bidders.
    quality : array-like of the shape of ``bids``, optional
        Predicted CTRs :math:`q_i > 0`; default 1.
    reserve : float or array-like of the shape of ``bids``, default 0
        Reserve price per click.

    Returns
    -------
    AuctionResult

    Examples
    --------
    >>> r = gsp_auction([10.0, 4.0, 6.0, 1.0], position_ctrs=[0.5, 0.2])
    >>> r.slot.tolist(), r.price_per_click.tolist(), float(r.revenue)
    ([0, -1, 1, -1], [6.0, 0.0, 4.0, 0.0], 3.8)
    """
    bids2, q, r, alpha, single = _inputs(bids, quality, reserve, position_ctrs)
    slot, _, winners, won, next_scores = _allocate(bids2, q, r, alpha)
    K = alpha.size
    q_w = np.take_along_axis(q, winners, axis=1)
    r_w = np.take_along_axis(r, winners, axis=1)
    price_slot = np.maximum(next_scores[:, :K] / q_w, r_w)
    return _result(slot, price_slot, winners, won, q, alpha, single)


def second_price_auction(bids, quality=None, *, reserve=0.0):
    r"""Second-price (Vickrey) auction for one slot: the winner pays the lowest winning bid.

    Ranked by :math:`b_i q_i`, the winner pays :math:`\max(s_{(2)} / q_{(1)}, r)` per click.
    Bidding one's value is a dominant strategy. It is both :func:`gsp_auction` and
    :func:`vcg_auction` with one slot.

    Examples
    --------
    >>> r = second_price_auction([2.0, 5.0, 3.0], quality=[0.1, 0.02, 0.05])
    >>> r.slot.tolist(), r.price_per_click.round(4).tolist()
    ([0, -1, -1], [1.5, 0.0, 0.0])
    """
    return gsp_auction(bids, (1.0,), quality, reserve=reserve)


def vcg_auction(bids, position_ctrs, quality=None, *, reserve=0.0):
    r"""Vickrey-Clarke-Groves auction for ad slots: each winner pays its externality.

    The allocation is GSP's (by score), and the winner of slot :math:`k` pays in expectation

    .. math::

        \alpha_k q_{(k)} p_k = \sum_{j=k}^{K} (\alpha_j - \alpha_{j+1})
            \max\big(s_{(j+1)},\ r_{(k)} q_{(k)}\big), \qquad \alpha_{K+1} = 0,

    which without reserve is the value the others would gain if it left (each bidder below
    moves up one slot; see :func:`vcg_externalities`). Truthful: bidding one's value per click
    is a dominant strategy.

    Parameters
    ----------
    bids, position_ctrs, quality, reserve
        As in :func:`gsp_auction`.

    Returns
    -------
    AuctionResult

    Examples
    --------
    >>> r = vcg_auction([10.0, 4.0, 6.0, 1.0], position_ctrs=[0.5, 0.2])
    >>> r.price_per_click.round(4).tolist(), round(float(r.revenue), 4)
    ([5.2, 0.0, 4.0, 0.0], 3.4)
    """
    bids2, q, r, alpha, single = _inputs(bids, quality, reserve, position_ctrs)
    slot, _, winners, won, next_scores = _allocate(bids2, q, r, alpha)
    K = alpha.size
    q_w = np.take_along_axis(q, winners, axis=1)
    floor = np.take_along_axis(r, winners, axis=1) * q_w  # (A, K): reserve score of slot k
    d_alpha = alpha - np.append(alpha[1:], 0.0)  # alpha_j - alpha_{j+1}
    # term[a, k, j] = d_alpha_j * max(s_(j+1), floor_k) for j >= k
    term = d_alpha[None, None, :] * np.maximum(next_scores[:, None, :K], floor[:, :, None])
    term = np.where(np.triu(np.ones((K, K), dtype=bool))[None], term, 0.0)
    total = term.sum(axis=2)
    # A slot nobody clicks (alpha_k = 0) earns nothing; quote GSP's price there.
    gsp_price = np.maximum(next_scores[:, :K], floor) / q_w
    clicked = alpha[None, :] > 0
    price_slot = np.where(clicked, total / np.where(clicked, alpha[None, :] * q_w, 1.0), gsp_price)
    return _result(slot, price_slot, winners, won, q, alpha, single)


def vcg_externalities(bids, position_ctrs, quality=None) -> np.ndarray:
    r"""Each bidder's externality, computed from its definition by re-running the allocation.

    .. math::

        E_i = W_{-i}(\text{allocation without } i) - W_{-i}(\text{allocation with } i),

    the others' total expected value (scores :math:`b_j q_j` times position CTRs) when :math:`i`
    is absent minus when it is present. It is an independent, brute-force check of
    :func:`vcg_auction` (one allocation per bidder); prefer that function in practice.

    Parameters
    ----------
    bids : array-like of shape (n_bidders,)
        One auction.
    position_ctrs, quality
        As in :func:`gsp_auction`.

    Returns
    -------
    numpy.ndarray of shape (n_bidders,)
        Expected externality per page view; 0 for losers.
    """
    bids = _check_nonnegative(bids, "bids", "bids per click")
    if bids.ndim != 1:
        raise ValueError(f"bids must be 1-D (one auction), got shape {bids.shape}")
    bids2, q, _, alpha, _ = _inputs(bids, quality, 0.0, position_ctrs)
    score = (bids2 * q)[0]
    n = score.size

    def others_value(present: np.ndarray, i: int) -> float:
        idx = np.flatnonzero(present)
        ranked = idx[np.argsort(-score[idx], kind="stable")][: alpha.size]
        return float(sum(alpha[k] * score[j] for k, j in enumerate(ranked) if j != i))

    everyone = np.ones(n, dtype=bool)
    out = np.zeros(n)
    for i in range(n):
        without = everyone.copy()
        without[i] = False
        out[i] = others_value(without, i) - others_value(everyone, i)
    return out


def gsp_envy_free_bids(values, position_ctrs, quality=None) -> np.ndarray:
    r"""Bids of GSP's lowest envy-free equilibrium (Edelman, Ostrovsky and Schwarz, 2007).

    With bidders sorted by value score :math:`v_{(1)} q_{(1)} \ge v_{(2)} q_{(2)} \ge \dots`, the
    bidder ranked :math:`k+1` bids the score :math:`B_{k+1}` defined from the bottom up by

    .. math::

        \alpha_k B_{k+1} = (\alpha_k - \alpha_{k+1})\, v_{(k+1)} q_{(k+1)}
            + \alpha_{k+1} B_{k+2}, \qquad k = 1, \dots, K,

    with :math:`B_{K+2} = v_{(K+2)} q_{(K+2)}` (bidders below the last slot bid their value);
    the top bidder bids its value. At these bids nobody wants to swap slots with anyone at the
    price that slot pays, and GSP charges every winner exactly its VCG payment at truthful bids.

    Parameters
    ----------
    values : array-like of shape (n_bidders,)
        Values per click, >= 0.
    position_ctrs : sequence of float
        Strictly positive and non-increasing position CTRs (one per slot, at most n_bidders).
    quality : array-like of shape (n_bidders,), optional
        CTRs :math:`q_i > 0`; default 1.

    Returns
    -------
    numpy.ndarray of shape (n_bidders,)
        Bids per click, in the order of ``values``.

    Examples
    --------
    >>> gsp_envy_free_bids([10.0, 4.0, 6.0, 1.0], position_ctrs=[0.5, 0.2]).round(4).tolist()
    [10.0, 4.0, 5.2, 1.0]
    """
    values = _check_nonnegative(values, "values", "values per click")
    if values.ndim != 1:
        raise ValueError(f"values must be 1-D (one auction), got shape {values.shape}")
    v2, q, _, alpha, _ = _inputs(values, quality, 0.0, position_ctrs, name="values")
    if alpha.min() <= 0:
        raise ValueError("position_ctrs must be > 0 here: a slot nobody clicks has no price")
    score = (v2 * q)[0]
    order = np.argsort(-score, kind="stable")
    n, K = score.size, alpha.size
    s = np.append(score[order], [0.0, 0.0])  # absent bidders below the last count as zero scores
    bid_score = s.copy()  # bidders below K+1 and the top bidder bid their value
    alpha_next = np.append(alpha[1:], 0.0)
    below = s[K + 1]  # 0 when nobody is below slot K + 1
    for k in range(K - 1, -1, -1):  # slot k (0-based) is priced by the bid ranked k + 1
        weighted = (alpha[k] - alpha_next[k]) * s[k + 1] + alpha_next[k] * below
        bid_score[k + 1] = weighted / alpha[k]
        below = bid_score[k + 1]
    bids = np.empty(n)
    bids[order] = bid_score[:n] / q[0][order]
    return bids


def auction_utilities(auction, bids, values, bidder: int, grid, **kwargs) -> np.ndarray:
    r"""Expected utility of one bidder for each bid on a grid, the others' bids fixed.

    Runs ``auction`` once on a batch of ``len(grid)`` auctions that differ only in the bid of
    ``bidder``. A bidding strategy is *dominant* when bidding the value is never beaten: compare
    ``utilities.max()`` with the utility at ``values[bidder]``.

    Parameters
    ----------
    auction : callable
        One of :func:`first_price_auction`, :func:`second_price_auction`, :func:`gsp_auction`,
        :func:`vcg_auction` (anything taking a 2-D ``bids`` and returning an
        :class:`AuctionResult`).
    bids : array-like of shape (n_bidders,)
        Everyone's bids; the entry of ``bidder`` is replaced by each grid value.
    values : array-like of shape (n_bidders,)
        Values per click.
    bidder : int
        Index of the deviating bidder.
    grid : array-like of float
        Bids to try, >= 0.
    **kwargs
        Passed to ``auction`` (``position_ctrs``, ``quality``, ``reserve``); a per-bidder
        ``quality`` or ``reserve`` is 1-D and repeated over the grid.

    Returns
    -------
    numpy.ndarray of shape (len(grid),)

    Examples
    --------
    >>> u = auction_utilities(gsp_auction, [10.0, 4.0, 6.0, 1.0], [10.0, 4.0, 6.0, 1.0], 0,
    ...                       [4.5, 10.0], position_ctrs=[0.5, 0.4])
    >>> u.round(4).tolist()  # shading to 4.5: slot 2 at price 4 pays more than slot 1 at 6
    [2.4, 2.0]
    """
    if not callable(auction):
        raise TypeError(f"auction must be an auction function such as gsp_auction, got {auction!r}")
    bids = _check_nonnegative(bids, "bids", "bids per click")
    values = _check_nonnegative(values, "values", "values per click")
    grid = _check_nonnegative(grid, "grid", "bids to try")
    if bids.ndim != 1 or values.shape != bids.shape or grid.ndim != 1:
        raise ValueError(
            f"bids and values must be 1-D of the same length and grid 1-D, got shapes "
            f"{bids.shape}, {values.shape}, {grid.shape}"
        )
    n = bids.size
    if isinstance(bidder, bool) or not isinstance(bidder, int | np.integer) or not 0 <= bidder < n:
        raise ValueError(f"bidder must be an index in 0..{n - 1}, got {bidder!r}")
    check_positive_int(grid.size, "len(grid)")
    batch = np.repeat(bids[None, :], grid.size, axis=0)
    batch[:, bidder] = grid
    for key in ("quality", "reserve"):
        if key in kwargs and np.ndim(kwargs[key]) == 1:
            kwargs[key] = np.repeat(np.asarray(kwargs[key], float)[None, :], grid.size, axis=0)
    result = auction(batch, **kwargs)
    return result.utility(values[None, :])[:, bidder]
