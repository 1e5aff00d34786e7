r"""Position bias in click logs: estimating examination propensities and correcting for them.

Under the position-based model (PBM) a shown document :math:`d` of query :math:`q` at position
:math:`k` is clicked when it is examined *and* found attractive, independently:

.. math::

    P(C = 1 \mid q, d, k) = \theta_k \, \gamma_{qd}, \qquad
    \theta_k = P(E = 1 \mid k), \quad \gamma_{qd} = P(R = 1 \mid q, d).

A click is therefore a biased label: documents shown low are examined less and clicked less
whatever their relevance. Three ways to estimate :math:`\theta_k` (all up to a common factor;
here :math:`\theta_1 = 1`):

- **Result randomization** (:func:`randomize_top_k`, :func:`propensity_from_randomization`):
  shuffle the top :math:`K` of a small share of searches; there every position shows the same
  mix of documents, so :math:`\mathrm{CTR}_k / \mathrm{CTR}_1 = \theta_k / \theta_1`. Costs
  user experience on the randomized traffic.
- **Intervention harvesting** (:func:`propensity_from_interventions`, Agarwal et al., WSDM
  2019): when different rankings (several rankers, or one ranker with per-search noise) show the
  same :math:`(q, d)` at positions :math:`k` and :math:`k'`, the ratio of its click-through rates
  there estimates :math:`\theta_k / \theta_{k'}`. Free, but needs rankings that disagree.
- **Regression EM** (:func:`propensity_em`, Wang et al., WSDM 2018): maximise the PBM likelihood
  of ordinary logs with :math:`E` and :math:`R` latent; the relevance side is either one
  :math:`\gamma_{qd}` per pair or a classifier on features (the "regression" in regression-EM).

With :math:`\theta_k` known, :math:`E[C / \theta_k \mid q, d] = \gamma_{qd}`: inverse propensity
weighting (:func:`ipw_labels`) turns clicks into unbiased (but noisier) relevance labels.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from mlref._validation import (
    as_array,
    check_array_1d,
    check_array_2d,
    check_binary,
    check_positive_int,
    check_random_state,
    check_real,
    check_same_length,
)

__all__ = [
    "EMResult",
    "ipw_labels",
    "propensity_em",
    "propensity_from_interventions",
    "propensity_from_randomization",
    "randomize_top_k",
]


# Deeper than any ranked list; the estimators allocate one cell per position up to the largest.
_MAX_POSITION = 1_000_000


def _check_positions(position, name: str = "position") -> np.ndarray:
    pos = check_array_1d(position, name)
    if np.any(pos < 1) or np.any(pos != np.round(pos)):
        raise ValueError(f"{name} must hold 1-based integer positions (1, 2, ...)")
    if pos.max() > _MAX_POSITION:
        raise ValueError(
            f"{name} holds {pos.max():g}, deeper than any ranked list (at most "
            f"{_MAX_POSITION:,}); pass the 1-based rank of each row in its list"
        )
    return pos.astype(np.int64)


def _check_ids(ids, name: str) -> np.ndarray:
    """A 1-D, non-empty array of ids (numbers or strings) with none missing."""
    if isinstance(ids, str | bytes):
        raise ValueError(f"{name} must be an array of ids, one per row, got a string {ids!r}")
    arr = as_array(ids, name, None)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one id per row), got an array of shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty; pass one id per logged row")
    if arr.dtype.kind not in "biufUO":
        raise ValueError(f"{name} must hold ids (numbers or strings), got dtype {arr.dtype}")
    missing = (arr.dtype.kind == "f" and not np.isfinite(arr).all()) or (
        arr.dtype.kind == "O" and pd.isna(arr).any()
    )
    if missing:
        raise ValueError(f"{name} holds missing (NaN/None) or infinite ids; drop those rows first")
    return arr


def _check_log(position, clicked, **ids):
    """Positions, clicks and id columns of a click log, each checked, all of one length."""
    pos = _check_positions(position)
    clicks = check_binary(clicked, "clicked").astype(np.float64)
    checked = {name: _check_ids(values, name) for name, values in ids.items()}
    check_same_length(position=pos, clicked=clicks, **checked)
    return pos, clicks, checked


def _as_series(theta: np.ndarray) -> pd.Series:
    return pd.Series(
        theta, index=pd.RangeIndex(1, len(theta) + 1, name="position"), name="propensity"
    )


def randomize_top_k(search_id, position, *, k: int, share: float, random_state=None):
    r"""Shuffle positions :math:`1..K` of a random share of searches (RandTop-K).

    Parameters
    ----------
    search_id : array-like of shape (n_rows,)
        Search (list) of each shown row.
    position : array-like of shape (n_rows,)
        Logged 1-based positions; within a search each position appears once.
    k : int >= 2
        How many top positions to shuffle.
    share : float in (0, 1]
        Share of searches randomized (the "exploration" traffic).
    random_state : int, Generator or None

    Returns
    -------
    new_position : ndarray of int64, shape (n_rows,)
        Positions after the shuffle (unchanged outside the randomized searches and below ``k``).
    randomized : ndarray of bool, shape (n_rows,)
        True for every row of a randomized search.

    Examples
    --------
    >>> new, rand = randomize_top_k([0, 0, 0, 1, 1], [1, 2, 3, 1, 2], k=2, share=1.0,
    ...                             random_state=0)
    >>> sorted(new[:2].tolist()), new[2].item(), rand.all().item()
    ([1, 2], 3, True)
    """
    search_id = _check_ids(search_id, "search_id")
    pos = _check_positions(position)
    check_same_length(search_id=search_id, position=pos)
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 2:
        raise ValueError(
            f"k must be >= 2, a whole number (shuffling one position changes nothing), got {k!r}"
        )
    share = check_real(share, "share", low=0.0, high=1.0, low_inclusive=False)
    rng = check_random_state(random_state)
    searches, inverse = np.unique(search_id, return_inverse=True)
    chosen = rng.random(len(searches)) < share
    randomized = chosen[inverse]
    movable = randomized & (pos <= k)
    rows = np.flatnonzero(movable)
    # Within each search, rows sorted by a random key take the row positions sorted by value:
    # both orders list the searches in the same sequence, so row i gets a shuffled position.
    by_key = rows[np.lexsort((rng.random(rows.size), inverse[rows]))]
    by_position = rows[np.lexsort((pos[rows], inverse[rows]))]
    new_pos = pos.copy()
    new_pos[by_key] = pos[by_position]
    return new_pos, randomized


def propensity_from_randomization(position, clicked, *, k: int) -> pd.Series:
    r"""Relative propensities from randomized traffic: :math:`\hat\theta_k =
    \mathrm{CTR}_k / \mathrm{CTR}_1` for :math:`k = 1..K`.

    Parameters
    ----------
    position, clicked : array-like of shape (n_rows,)
        Positions and clicks of the *randomized* searches only (the top ``k`` rows of each).
    k : int
        The shuffled depth.

    Returns
    -------
    pandas.Series
        :math:`\hat\theta_k` indexed by position 1..k (1 at position 1).

    Examples
    --------
    >>> propensity_from_randomization([1, 1, 2, 2], [1, 1, 1, 0], k=2).tolist()
    [1.0, 0.5]
    """
    pos, clicks, _ = _check_log(position, clicked)
    k = check_positive_int(k, "k")
    top = pos <= k
    n = np.bincount(pos[top], minlength=k + 1)[1:]
    c = np.bincount(pos[top], weights=clicks[top], minlength=k + 1)[1:]
    if np.any(n == 0):
        missing = np.flatnonzero(n == 0) + 1
        raise ValueError(f"no randomized impressions at positions {missing.tolist()}; log more")
    if c[0] == 0:
        raise ValueError("no click at position 1 in the randomized traffic; log more traffic")
    ctr = c / n
    return _as_series(ctr / ctr[0])


def propensity_from_interventions(
    query_id, product_id, position, clicked, *, n_positions: int | None = None
) -> pd.Series:
    r"""Relative propensities harvested from rankings that disagree (intervention harvesting).

    For every pair of positions :math:`k < k'` at which the same (query, document) pairs were
    shown, with :math:`S_{kk'}` those pairs and :math:`\widehat{\mathrm{CTR}}_k(q, d)` the
    click-through rate of a pair at position :math:`k`,

    .. math::

        \hat r_{kk'} = \frac{\sum_{(q,d) \in S_{kk'}} w_{qd}\,\widehat{\mathrm{CTR}}_k(q, d)}
                            {\sum_{(q,d) \in S_{kk'}} w_{qd}\,\widehat{\mathrm{CTR}}_{k'}(q, d)}
        \approx \frac{\theta_k}{\theta_{k'}},
        \qquad w_{qd} = \min(n_k(q, d), n_{k'}(q, d)),

    since :math:`E[\widehat{\mathrm{CTR}}_k(q, d)] = \theta_k \gamma_{qd}` and the same pairs
    enter numerator and denominator (so which documents a ranker tends to put where cancels).
    The log-propensities then solve the weighted least-squares problem
    :math:`\min \sum_{k<k'} W_{kk'} (\log\theta_k - \log\theta_{k'} - \log \hat r_{kk'})^2`
    with :math:`\log\theta_1 = 0` and :math:`W_{kk'}` the clicks behind :math:`\hat r_{kk'}`.

    Parameters
    ----------
    query_id, product_id, position, clicked : array-like of shape (n_rows,)
        The pooled logs (of several rankers, or of one ranker with per-search noise).
    n_positions : int, optional
        Estimate positions 1..n_positions (default: the largest logged position).

    Returns
    -------
    pandas.Series
        :math:`\hat\theta_k`, :math:`\hat\theta_1 = 1`.

    Raises
    ------
    ValueError
        If the log is empty, or some position shares no clicked (query, document) pair with
        the others (then it cannot be linked: the rankings never disagreed there).
    """
    pos, clicks, ids = _check_log(position, clicked, query_id=query_id, product_id=product_id)
    n_pos = (
        int(pos.max()) if n_positions is None else check_positive_int(n_positions, "n_positions")
    )
    keep = pos <= n_pos
    kept_ids = [ids["query_id"][keep], ids["product_id"][keep]]
    pair = pd.MultiIndex.from_arrays(kept_ids).factorize()[0]
    table = (
        pd.DataFrame({"pair": pair, "k": pos[keep], "c": clicks[keep]})
        .groupby(["pair", "k"], sort=False)["c"]
        .agg(["size", "sum"])
        .reset_index()
    )
    # Only pairs seen at two or more positions carry information.
    multi = table["pair"].map(table["pair"].value_counts()) > 1
    table = table[multi]
    both = table.merge(table, on="pair", suffixes=("_a", "_b"))
    both = both[both["k_a"] < both["k_b"]]
    w = np.minimum(both["size_a"].to_numpy(), both["size_b"].to_numpy()).astype(np.float64)
    num = w * both["sum_a"].to_numpy() / both["size_a"].to_numpy()
    den = w * both["sum_b"].to_numpy() / both["size_b"].to_numpy()
    ka, kb = both["k_a"].to_numpy(), both["k_b"].to_numpy()
    cell = (ka - 1) * n_pos + (kb - 1)
    size = n_pos * n_pos
    num_sum = np.bincount(cell, num, minlength=size)
    den_sum = np.bincount(cell, den, minlength=size)
    support = np.bincount(cell, both["sum_a"].to_numpy() + both["sum_b"].to_numpy(), size)
    ok = (num_sum > 0) & (den_sum > 0)
    cells = np.flatnonzero(ok)
    a, b = cells // n_pos, cells % n_pos
    design = np.zeros((cells.size, n_pos))
    design[np.arange(cells.size), a] = 1.0
    design[np.arange(cells.size), b] = -1.0
    target = np.log(num_sum[cells] / den_sum[cells])
    sqrt_w = np.sqrt(support[cells])
    linked = np.zeros(n_pos, bool)
    linked[a] = linked[b] = True
    if cells.size == 0 or not linked.all() or not _connected(a, b, n_pos):
        raise ValueError(
            "some positions share no clicked (query, document) pair with the others, so their "
            "propensity cannot be linked; log rankings that disagree more, or lower n_positions"
        )
    # log theta_1 = 0: drop its column.
    solution = np.linalg.lstsq(design[:, 1:] * sqrt_w[:, None], target * sqrt_w, rcond=None)[0]
    return _as_series(np.exp(np.r_[0.0, solution]))


def _connected(a: np.ndarray, b: np.ndarray, n: int) -> bool:
    graph = sp.coo_matrix((np.ones(a.size), (a, b)), shape=(n, n))
    return connected_components(graph, directed=False)[0] == 1


class EMResult:
    """What :func:`propensity_em` estimates.

    Attributes
    ----------
    propensity : pandas.Series
        :math:`\\hat\\theta_k / \\hat\\theta_1`, indexed by position.
    relevance : ndarray of shape (n_rows,)
        :math:`\\hat\\gamma` of each logged row's (query, document), on the scale where
        :math:`\\hat\\theta_1 = 1`.
    log_likelihood : list of float
        Mean log-likelihood of the clicks after each iteration (non-decreasing for the
        per-pair model).
    n_iter : int
        Iterations run.
    """

    def __init__(self, propensity, relevance, log_likelihood, n_iter):
        self.propensity = propensity
        self.relevance = relevance
        self.log_likelihood = log_likelihood
        self.n_iter = n_iter

    def __repr__(self) -> str:
        return f"EMResult(n_positions={len(self.propensity)}, n_iter={self.n_iter})"


def propensity_em(
    query_id,
    product_id,
    position,
    clicked,
    *,
    X=None,
    relevance_model=None,
    n_iter: int = 100,
    tol: float = 1e-7,
) -> EMResult:
    r"""Position-based-model EM (regression-EM when given features), Wang et al., WSDM 2018.

    E-step, for each logged row (a non-click splits into three latent cases):

    .. math::

        P(E{=}1, R{=}0 \mid C{=}0) = \frac{\theta_k (1-\gamma)}{1 - \theta_k\gamma}, \qquad
        P(E{=}0, R{=}1 \mid C{=}0) = \frac{(1-\theta_k)\gamma}{1 - \theta_k\gamma},

    and a click means :math:`E = R = 1`. M-step: :math:`\theta_k` = mean over rows at :math:`k`
    of :math:`P(E = 1 \mid C)`; :math:`\gamma` = mean of :math:`P(R = 1 \mid C)` over the rows of
    each (query, document) pair, or, with ``X`` and ``relevance_model``, the classifier fitted to
    those posteriors (rows duplicated as positive with weight :math:`P(R=1 \mid C)` and negative
    with weight :math:`1 - P(R=1 \mid C)`, the expectation of Wang et al.'s sampled labels).

    Parameters
    ----------
    query_id, product_id, position, clicked : array-like of shape (n_rows,)
        An ordinary click log.
    X : array-like of shape (n_rows, n_features), optional
        Features of each row for the regression step.
    relevance_model : estimator, optional
        Classifier with ``fit(X, y, sample_weight=...)`` and ``predict_proba``; required with
        ``X``. Refitted at every iteration.
    n_iter : int, default 100
    tol : float, default 1e-7
        Stop when no propensity moves by more than ``tol``.

    Returns
    -------
    EMResult

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> n = 20_000
    >>> q, d, k = rng.integers(0, 50, n), rng.integers(0, 4, n), rng.integers(1, 6, n)
    >>> gamma = (d + 1) / 5
    >>> c = rng.random(n) < gamma / k
    >>> res = propensity_em(q, d, k, c)
    >>> res.propensity.round(2).tolist()
    [1.0, 0.49, 0.34, 0.26, 0.21]
    """
    pos, clicks, ids = _check_log(position, clicked, query_id=query_id, product_id=product_id)
    n_iter = check_positive_int(n_iter, "n_iter")
    tol = check_real(tol, "tol", low=0.0, low_inclusive=False)
    if (X is None) != (relevance_model is None):
        raise ValueError("pass both X and relevance_model for regression-EM, or neither")
    if X is not None:
        X = check_array_2d(X, "X")
        if X.shape[0] != len(pos):
            raise ValueError(f"X has {X.shape[0]} rows but the log has {len(pos)}; align them")
        if not all(hasattr(relevance_model, m) for m in ("fit", "predict_proba")):
            raise TypeError(
                "relevance_model must be a classifier with fit(X, y, sample_weight=...) and "
                f"predict_proba, got {type(relevance_model).__name__}"
            )
    pair = pd.MultiIndex.from_arrays([ids["query_id"], ids["product_id"]]).factorize()[0]
    n_pos = int(pos.max())
    at_k = np.bincount(pos, minlength=n_pos + 1)[1:].astype(np.float64)
    per_pair = np.bincount(pair).astype(np.float64)
    # Start: theta from raw CTR by position, gamma from each pair's raw CTR.
    ctr_k = np.bincount(pos, clicks, minlength=n_pos + 1)[1:] / np.maximum(at_k, 1)
    theta = np.clip(ctr_k / max(ctr_k.max(), 1e-12), 0.05, 0.95)
    gamma = np.clip(np.bincount(pair, clicks) / per_pair, 0.05, 0.95)[pair]
    history = []
    iteration = 0
    for iteration in range(1, n_iter + 1):  # noqa: B007 - the count is reported
        t = theta[pos - 1]
        denom = np.maximum(1.0 - t * gamma, 1e-12)
        p_exam = np.where(clicks == 1, 1.0, t * (1.0 - gamma) / denom)
        p_rel = np.where(clicks == 1, 1.0, (1.0 - t) * gamma / denom)
        new_theta = np.bincount(pos, p_exam, minlength=n_pos + 1)[1:] / np.maximum(at_k, 1)
        new_theta = np.clip(new_theta, 1e-6, 1.0 - 1e-9)
        if X is None:
            gamma = np.clip(np.bincount(pair, p_rel) / per_pair, 1e-6, 1.0 - 1e-9)[pair]
        else:
            n = len(pos)
            relevance_model.fit(
                np.vstack([X, X]),
                np.r_[np.ones(n), np.zeros(n)],
                sample_weight=np.r_[p_rel, 1.0 - p_rel] + 1e-12,
            )
            gamma = np.clip(relevance_model.predict_proba(X)[:, 1], 1e-6, 1.0 - 1e-9)
        shift = np.max(np.abs(new_theta - theta))
        theta = new_theta
        p_click = theta[pos - 1] * gamma
        history.append(float(np.mean(clicks * np.log(p_click) + (1 - clicks) * np.log1p(-p_click))))
        if shift < tol:
            break
    scale = theta[0]
    return EMResult(_as_series(theta / scale), gamma * scale, history, iteration)


def ipw_labels(clicked, propensity, *, clip: float | None = None) -> np.ndarray:
    r"""Inverse-propensity-weighted click labels :math:`C / \max(\theta_k, \tau)`.

    Their expectation given the document is :math:`\gamma_{qd}` (unbiased) when ``clip`` is
    None; clipping at :math:`\tau` caps each weight at :math:`1/\tau`, trading a little bias at
    low positions for much less variance (Joachims et al., WSDM 2017).

    Parameters
    ----------
    clicked : array-like of shape (n_rows,)
        0/1 clicks.
    propensity : array-like of shape (n_rows,)
        :math:`\theta_k` of each row's position, in (0, 1]. Note: the *examination*
        probability, not :math:`P(\text{click} \mid k)`.
    clip : float in (0, 1], optional

    Returns
    -------
    ndarray of shape (n_rows,)

    Examples
    --------
    >>> ipw_labels([1, 0, 1], [1.0, 0.5, 0.1]).tolist()
    [1.0, 0.0, 10.0]
    >>> ipw_labels([1, 0, 1], [1.0, 0.5, 0.1], clip=0.2).tolist()
    [1.0, 0.0, 5.0]
    """
    clicks = check_binary(clicked, "clicked").astype(np.float64)
    theta = check_array_1d(propensity, "propensity")
    check_same_length(clicked=clicks, propensity=theta)
    if np.any(theta <= 0) or np.any(theta > 1):
        raise ValueError(
            "propensity must lie in (0, 1]: it is an examination probability; a propensity of 0 "
            "means the position is never seen and its clicks cannot be reweighted"
        )
    if clip is not None:
        clip = check_real(clip, "clip", low=0.0, high=1.0, low_inclusive=False)
        theta = np.maximum(theta, clip)
    return clicks / theta
