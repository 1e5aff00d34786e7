"""Battery entries of ``mlref.training``.

No function of ``mlref.training`` takes a marketplace: each works on the columns of a click log
(ids, positions, clicks, days), so every valid call here is a hand-made log of a few dozen rows
and no simulator is built. Positions, clicks and days are given as floats, as pandas hands them
over after a merge, so the battery also tries NaN, inf and 1e308 in them.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from bad_input_specs import Func

_rng = np.random.default_rng(6)

# --- labels ---------------------------------------------------------------------------------
CLICKED = np.array([1.0, 1.0, 0.0, 1.0, 0.0, 1.0])
CART = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 1.0])
ORDERED = np.array([1.0, 0.0, 0.0, 0.0, 0.0, 1.0])
EXPLICIT = np.array([3.0, 0.0, 2.0, 1.0, 3.0, 0.0])
IMPLICIT = np.array([1.0, 1.0, 0.0, 2.0, 3.0, 0.0])
JUDGED = np.array([True, True, False, True, False, False])

# --- a click log: 2 queries x 3 products, each pair shown at positions 1, 2 and 3 -----------
_QUERY, _PRODUCT, _POSITION = np.meshgrid([0, 1], [0, 1, 2], [1, 2, 3], indexing="ij")
QUERY_ID, PRODUCT_ID = _QUERY.ravel(), _PRODUCT.ravel() + 10
POSITION = _POSITION.ravel().astype(np.float64)
# Clicks at every position, fewer lower down, so that every propensity is estimable.
LOG_CLICKED = np.ones(POSITION.size)
LOG_CLICKED[POSITION == 2] = [1, 0, 1, 0, 1, 0]
LOG_CLICKED[POSITION == 3] = [0, 1, 0, 0, 0, 1]
LOG_X = _rng.normal(size=(POSITION.size, 2))

SEARCH_ID = np.repeat([0, 1, 2], 3)
SEARCH_POSITION = np.tile([1.0, 2.0, 3.0], 3)
PROPENSITY = np.array([1.0, 0.6, 0.35, 1.0, 0.6, 0.35])

# --- splits: ten days, two rows a day ----------------------------------------------------------
DAY = np.repeat(np.arange(10.0), 2)
Y_DAY = _rng.normal(size=DAY.size)

# --- sampling ---------------------------------------------------------------------------------
Y_DOWN = np.array([1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
P_SAMPLED = np.array([0.1, 0.5, 0.9, 0.3])
POSITIVES = np.array([0, 2, 5, 1])
POPULARITY = np.array([50.0, 20.0, 10.0, 5.0, 1.0, 0.0])
SCORES = _rng.normal(size=(POSITIVES.size, POPULARITY.size))

NO_INPUT = {"training.EMResult": "a result record returned by propensity_em"}


def _both_strategies(target, *, scores, popularity, power, **common):
    """sample_negatives with the popularity strategy, then with the hard one.

    One entry sweeps both: a mutation of ``popularity`` or ``power`` reaches the first call, a
    mutation of ``scores`` the second, and a mutation of a shared argument the first.
    """
    by_popularity = target(**common, strategy="popularity", popularity=popularity, power=power)
    hard = target(**common, strategy="hard", scores=scores)
    return by_popularity, hard


SPECS = {
    # --- labels ---------------------------------------------------------------------------
    "training.implicit_labels": Func(
        {"clicked": CLICKED, "added_to_cart": CART, "ordered": ORDERED}
    ),
    "training.hybrid_labels": Func({"explicit": EXPLICIT, "implicit": IMPLICIT, "judged": JUDGED}),
    # --- propensity -----------------------------------------------------------------------
    "training.randomize_top_k": Func(
        {
            "search_id": SEARCH_ID,
            "position": SEARCH_POSITION,
            "k": 2,
            "share": 0.5,
            "random_state": 0,
        }
    ),
    "training.propensity_from_randomization": Func(
        {"position": POSITION, "clicked": LOG_CLICKED, "k": 3}
    ),
    "training.propensity_from_interventions": Func(
        {
            "query_id": QUERY_ID,
            "product_id": PRODUCT_ID,
            "position": POSITION,
            "clicked": LOG_CLICKED,
            "n_positions": 3,
        }
    ),
    # Regression-EM (with X and a classifier), so that X is swept too; three iterations.
    "training.propensity_em": Func(
        {
            "query_id": QUERY_ID,
            "product_id": PRODUCT_ID,
            "position": POSITION,
            "clicked": LOG_CLICKED,
            "X": LOG_X,
            "relevance_model": LogisticRegression(),
            "n_iter": 3,
            "tol": 1e-4,
        }
    ),
    "training.ipw_labels": Func({"clicked": CLICKED, "propensity": PROPENSITY, "clip": 0.5}),
    # --- splits ---------------------------------------------------------------------------
    "training.day_split": Func({"day": DAY, "train_days": 6, "valid_days": 2}),
    "training.time_series_folds": Func({"day": DAY, "n_splits": 3, "gap": 1}),
    "training.retraining_evaluation": Func(
        {
            "day": DAY,
            "y": Y_DAY,
            "fit_predict": lambda train, test: np.zeros(len(test)),
            "metric": lambda y_true, scores: float(np.mean(np.abs(y_true - scores))),
            "start": 4,
            "end": 8,
            "every": 2,
            "window": 3,
        }
    ),
    # --- sampling -------------------------------------------------------------------------
    "training.downsample_negatives": Func({"y": Y_DOWN, "ratio": 2.0, "random_state": 0}),
    "training.recalibrate_downsampled": Func({"p": P_SAMPLED, "negative_rate": 0.1}),
    "training.sample_negatives": Func(
        {
            "n_items": POPULARITY.size,
            "positives": POSITIVES,
            "n_negatives": 2,
            "popularity": POPULARITY,
            "power": 0.75,
            "scores": SCORES,
            "random_state": 0,
        },
        call=_both_strategies,
    ),
}
