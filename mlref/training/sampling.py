r"""Negative sampling for implicit-feedback training, and undoing its effect on probabilities.

A click log holds far more negatives (shown, not clicked) than positives. Training on all of them
is slow; the usual fix keeps every positive and a share :math:`w` of the negatives, at a ratio of
1 positive to 5-10 (or 100) negatives. The strategies differ in *which* negatives are kept:

- ``"random"``: uniformly among the candidates;
- ``"popularity"``: proportionally to a popularity count raised to a power (word2vec's 0.75),
  so frequent items appear as negatives as often as they appear as positives;
- ``"hard"``: the highest-scoring negatives under the current model (re-mined every epoch, they
  teach the fine distinctions a two-tower model needs).

Keeping a share :math:`w` of the negatives multiplies the odds of a positive by :math:`1/w`; a
model trained on the sample predicts :math:`p_s` with :math:`\mathrm{odds}(p_s) =
\mathrm{odds}(p)/w`, so the calibrated probability is recovered in log-odds space
(He et al., 2014):

.. math::

    \operatorname{logit} p = \operatorname{logit} p_s + \log w, \qquad
    p = \frac{p_s}{p_s + (1 - p_s)/w}.
"""

from __future__ import annotations

import numpy as np

from mlref._validation import (
    check_array_1d,
    check_array_2d,
    check_binary,
    check_option,
    check_positive_int,
    check_probabilities,
    check_random_state,
    check_real,
)

__all__ = ["downsample_negatives", "recalibrate_downsampled", "sample_negatives"]


def downsample_negatives(y, *, ratio: float, random_state=None):
    """Keep every positive and a random share of the negatives, ``ratio`` negatives per positive.

    Returns
    -------
    keep : ndarray of bool, shape (n_rows,)
        Rows kept.
    negative_rate : float
        :math:`w`, the share of negatives kept (pass it to :func:`recalibrate_downsampled`).

    Examples
    --------
    >>> y = np.r_[np.ones(10), np.zeros(990)]
    >>> keep, w = downsample_negatives(y, ratio=5, random_state=0)
    >>> int(keep.sum()), round(w, 4)
    (60, 0.0505)
    """
    labels = check_binary(y, "y", require_both=True)
    ratio = check_real(ratio, "ratio", low=0.0, low_inclusive=False)
    rng = check_random_state(random_state)
    positives = np.flatnonzero(labels == 1)
    negatives = np.flatnonzero(labels == 0)
    n_keep = round(ratio * positives.size)
    if n_keep > negatives.size:
        raise ValueError(
            f"ratio={ratio:g} asks for {n_keep} negatives but there are {negatives.size}; lower it"
        )
    if n_keep == 0:
        raise ValueError(f"ratio={ratio:g} keeps no negative; raise it")
    keep = np.zeros(labels.size, bool)
    keep[positives] = True
    keep[rng.choice(negatives, n_keep, replace=False)] = True
    return keep, n_keep / negatives.size


def recalibrate_downsampled(p, negative_rate):
    r"""Undo negative downsampling: :math:`p = p_s / (p_s + (1 - p_s)/w)`.

    Parameters
    ----------
    p : array-like of probabilities
        Predictions of a model trained on the downsampled data.
    negative_rate : float in (0, 1]
        :math:`w`, the share of negatives that was kept.

    Examples
    --------
    >>> recalibrate_downsampled([0.5, 0.9], 0.1).round(4).tolist()
    [0.0909, 0.4737]
    """
    probs = check_probabilities(p, "p")
    w = check_real(negative_rate, "negative_rate", low=0.0, high=1.0, low_inclusive=False)
    return probs / (probs + (1.0 - probs) / w)


def sample_negatives(
    n_items: int,
    positives,
    n_negatives: int,
    *,
    strategy: str = "random",
    popularity=None,
    scores=None,
    power: float = 0.75,
    random_state=None,
) -> np.ndarray:
    """Negative item ids for each positive (user, item) example.

    Parameters
    ----------
    n_items : int
        Items are ids ``0..n_items-1``.
    positives : array-like of int, shape (n_examples,)
        The positive item of each example; it is never returned as its own negative.
    n_negatives : int
        Negatives per example (the sampling ratio).
    strategy : {"random", "popularity", "hard"}
    popularity : array-like of shape (n_items,), for ``"popularity"``
        Counts; items are drawn with probability proportional to ``popularity ** power``.
    scores : array-like of shape (n_examples, n_items), for ``"hard"``
        Current model scores; the ``n_negatives`` highest-scoring items other than the positive
        are returned (re-mine them every epoch as the model changes).
    power : float, default 0.75
    random_state : int, Generator or None

    Returns
    -------
    ndarray of int64, shape (n_examples, n_negatives)

    Examples
    --------
    >>> scores = np.array([[0.9, 0.8, 0.1, 0.7], [0.2, 0.1, 0.3, 0.0]])
    >>> sample_negatives(4, [0, 2], 2, strategy="hard", scores=scores).tolist()
    [[1, 3], [0, 1]]
    """
    n_items = check_positive_int(n_items, "n_items")
    k = check_positive_int(n_negatives, "n_negatives")
    pos = check_array_1d(positives, "positives")
    if np.any(pos != np.round(pos)) or np.any(pos < 0) or np.any(pos >= n_items):
        raise ValueError(f"positives must be item ids in 0..{n_items - 1}")
    pos = pos.astype(np.int64)
    if k >= n_items:
        raise ValueError(f"n_negatives must be below n_items ({n_items}), got {k}")
    check_option(strategy, "strategy", ("random", "popularity", "hard"))
    rng = check_random_state(random_state)
    n = pos.size
    if strategy == "hard":
        if scores is None:
            raise ValueError("strategy='hard' needs scores (n_examples, n_items) from the model")
        # A copy: the positives are masked in place.
        s = check_array_2d(scores, "scores").copy()
        if s.shape != (n, n_items):
            raise ValueError(
                f"scores has shape {s.shape}, but positives has {n} examples and n_items is "
                f"{n_items}; pass scores of shape ({n}, {n_items}), one row per example"
            )
        s[np.arange(n), pos] = -np.inf
        top = np.argpartition(-s, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(s, top, axis=1), axis=1, kind="stable")
        return np.take_along_axis(top, order, axis=1)
    if strategy == "popularity":
        if popularity is None:
            raise ValueError("strategy='popularity' needs popularity (one count per item)")
        pop = check_array_1d(popularity, "popularity")
        if pop.size != n_items or np.any(pop < 0) or pop.sum() == 0:
            raise ValueError(f"popularity must hold {n_items} non-negative counts, not all zero")
        weight = pop ** check_real(power, "power", low=0.0)
        if not np.isfinite(weight.sum()):
            raise ValueError(
                "popularity ** power overflows to infinity; pass counts (or rescale popularity, "
                "e.g. divide it by its maximum)"
            )
        drawable = weight > 0
        if drawable.sum() == 1 and drawable[pos].any():
            raise ValueError(
                f"popularity gives weight only to item {int(np.flatnonzero(drawable)[0])}, a "
                "positive: there is no negative to draw; pass counts for the other items too"
            )
    else:
        weight = np.ones(n_items)
    draws = rng.choice(n_items, size=(n, k), p=weight / weight.sum())
    # A draw of the example's own positive is redrawn from the distribution without it (exact,
    # and it ends even when the positive holds nearly all the weight).
    rows, cols = np.nonzero(draws == pos[:, None])
    for item in np.unique(pos[rows]):
        at = pos[rows] == item
        rest = weight.copy()
        rest[item] = 0.0
        draws[rows[at], cols[at]] = rng.choice(n_items, size=int(at.sum()), p=rest / rest.sum())
    return draws
