import numpy as np
import pandas as pd
import pytest

from mlref.datasets import make_marketplace
from mlref.training import retraining_evaluation

# Hashes of the default simulator's tables before preference_drift existed (seed 0): the default
# output must stay bit-identical so that notebooks 00-05 do not change.
PINNED = {
    "searches": 133843144089,
    "impressions": 643398068263,
    "orders": 815827234889,
    "products": 743971827793,
}


def _hashes(market):
    return {
        t: int(pd.util.hash_pandas_object(getattr(market, t), index=True).sum()) % 10**12
        for t in PINNED
    }


def test_default_is_bit_identical_to_the_simulator_without_drift():
    assert _hashes(make_marketplace(random_state=0)) == PINNED
    assert _hashes(make_marketplace(random_state=0, preference_drift=0.0)) == PINNED


def test_drift_moves_clicks_not_relevance():
    base = make_marketplace(random_state=1, n_searches=3000)
    drift = make_marketplace(random_state=1, n_searches=3000, preference_drift=3.0)
    a, b = base.impressions, drift.impressions
    assert a[["search_id", "product_id", "position"]].equals(
        b[["search_id", "product_id", "position"]]
    )
    assert np.array_equal(a.true_relevance, b.true_relevance)
    ratio = b.click_prob / a.click_prob
    day = base.searches.day.to_numpy()[a.search_id]
    assert np.allclose(ratio[day == 0], 1.0)  # no drift yet on the first day
    late = day >= 80
    assert ratio[late].std() > 0.5  # late in the window tastes have moved
    assert (b.click_prob <= 1).all()
    categories = base.products.category.cat.codes.to_numpy()[a.product_id]
    rising, fading = categories == 8, categories == 0  # trend +1 and -1
    assert ratio[late & rising].mean() > 1 > ratio[late & fading].mean()


def test_retraining_uses_only_past_days():
    day = np.repeat(np.arange(20), 5)
    y = np.arange(100.0)
    seen = []

    def fit_predict(train, test):
        seen.append((day[train].min(), day[train].max(), day[test].min(), day[test].max()))
        return np.zeros(len(test))

    out = retraining_evaluation(
        day, y, fit_predict, lambda t, s: 0.0, start=10, end=20, every=3, window=4
    )
    assert out.day.tolist() == list(range(10, 20))
    assert out.model_age.tolist() == [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]
    for tr_lo, tr_hi, te_lo, te_hi in seen:
        assert tr_hi < te_lo and te_lo - tr_lo == 4 and te_hi - te_lo <= 2


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"start": 5, "end": 5, "every": 1, "window": 2}, "end must be after start"),
        ({"start": 0, "end": 5, "every": 1, "window": 2}, "no training rows"),
        ({"start": 3, "end": 5, "every": 0, "window": 2}, "every"),
        ({"start": 3, "end": 5, "every": 1, "window": 0}, "window"),
    ],
)
def test_retraining_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        retraining_evaluation(
            np.arange(10), np.zeros(10), lambda a, b: np.zeros(len(b)), lambda t, s: 0.0, **kwargs
        )


def test_drift_bad_input():
    with pytest.raises(ValueError, match="preference_drift"):
        make_marketplace(n_searches=10, preference_drift=-1.0)
