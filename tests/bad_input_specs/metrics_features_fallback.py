"""Battery entries of the names added for the appendix walkthroughs (issue 19).

``metrics.bootstrap_interval`` (and its record), ``features.point_in_time_ctr`` and the serving
fallbacks ``serving.ResilientRanker`` (and its record). Each valid call is tiny: 20 labelled
scores with 30 resamples, five rows of history, one request through a ranker of plain callables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bad_input_specs import Func

_rng = np.random.default_rng(0)
Y = np.array([0, 1] * 10)
SCORES = np.round(_rng.random(20) * 0.5 + 0.3 * Y, 3)
BASELINE = np.round(_rng.random(20), 3)

NO_INPUT = {
    "metrics.BootstrapInterval": "a result record returned by bootstrap_interval",
    "serving.ServedList": "a result record returned by ResilientRanker.serve",
}


def _serve(target, popular_items, default_features, timeout_ms, feature_cache_size, k):
    with target(
        retrieve=lambda user: np.array([4, 2, 7]),
        user_features=lambda user: np.array([0.5, 1.0]),
        rank=lambda user, features, items: features[0] * np.asarray(items, float),
        fallback_rank=lambda user, items: -np.asarray(items, float),
        popular_items=popular_items,
        default_features=default_features,
        timeout_ms=timeout_ms,
        feature_cache_size=feature_cache_size,
    ) as ranker:
        return ranker.serve(1, k=k).items


SPECS = {
    "metrics.bootstrap_interval": Func(
        {
            "y_true": Y,
            "y_score": SCORES,
            "metric": "auc",
            "y_score_baseline": BASELINE,
            "n_resamples": 30,
            "confidence_level": 0.9,
            "method": "percentile",
            "stratify": True,
            "random_state": 0,
        }
    ),
    "features.point_in_time_ctr": Func(
        {
            "keys": pd.DataFrame({"user": [1, 1, 2, 1, 2], "ad": ["a", "a", "a", "b", "a"]}),
            "clicks": np.array([1, 0, 1, 1, 0]),
            "times": np.array([0.0, 1.0, 1.0, 2.0, 3.0]),
            "prior_ctr": 0.1,
            "smoothing": 2.0,
        }
    ),
    "serving.ResilientRanker": Func(
        {
            "popular_items": np.array([9, 8, 7, 6]),
            "default_features": np.array([0.0, 0.0]),
            "timeout_ms": 500.0,
            "feature_cache_size": 10,
            "k": 5,
        },
        call=_serve,
    ),
}
