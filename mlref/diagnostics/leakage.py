r"""Data leakage: a click log with every leak of section 8 injected, and a detector that finds them.

A leaked feature carries information the model will not have when it serves: the label itself
(``click_time`` exists only for clicked rows), an aggregate that includes the row being predicted
(a session's click-through rate, a count that includes this click) or the future (a rate over
the whole log). Offline metrics computed with it look excellent; online, where the feature takes
its serve-time value, the model falls apart.

Three checks catch them:

- **too good to be true**: a single feature that separates the classes almost perfectly on its
  own, :math:`\max(\mathrm{AUC}, 1 - \mathrm{AUC}) \ge` a threshold;
- **computed after the label**: a feature whose value was known only after the label's
  timestamp on some rows;
- **entities on both sides of a split**: a session (or user) in training and in test when the
  test is meant to be new ones.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from mlref._validation import (
    as_array,
    check_array_1d,
    check_binary,
    check_random_state,
    check_real,
    check_same_length,
)
from mlref.features.history import point_in_time_ctr
from mlref.metrics import auc_roc

__all__ = [
    "LeakageReport",
    "LeakyClickLog",
    "detect_leakage",
    "entity_overlap",
    "features_after_label",
    "make_leaky_click_log",
    "single_feature_auc",
]


def _frame(X, name: str = "X") -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        frame = X
    else:
        arr = as_array(X, name, np.float64)
        if arr.ndim != 2:
            raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {arr.shape}")
        frame = pd.DataFrame(arr, columns=[f"x{j}" for j in range(arr.shape[1])])
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {frame.shape}); pass rows and columns")
    return frame


def _times(t, name: str) -> np.ndarray:
    """Timestamps (datetime64 or numbers) as float64 seconds."""
    arr = np.asarray(t) if not isinstance(t, pd.Series) else t.to_numpy()
    if arr.dtype.kind == "M":
        if pd.isna(arr).any():
            raise ValueError(f"{name} holds missing timestamps (NaT); fill or drop them first")
        return arr.astype("datetime64[ns]").astype(np.int64) / 1e9
    return check_array_1d(t, name)


def single_feature_auc(X, y) -> pd.Series:
    r"""Each column's AUC as a score on its own, folded: :math:`\max(\mathrm{AUC}, 1-\mathrm{AUC})`.

    A feature that alone ranks the positives above the negatives at 0.95 or more is rarely a
    feature: it is usually the label in disguise.

    Examples
    --------
    >>> X = pd.DataFrame({"leak": [0, 0, 1, 1], "noise": [1, 0, 1, 0]})
    >>> single_feature_auc(X, [0, 0, 1, 1]).tolist()
    [1.0, 0.5]
    """
    frame = _frame(X)
    labels = check_binary(y, "y", require_both=True)
    check_same_length(X=frame, y=labels)
    out = {}
    for col in frame.columns:
        values = check_array_1d(frame[col].to_numpy(dtype=np.float64), f"X[{col!r}]")
        auc = auc_roc(labels, values)
        out[col] = max(auc, 1.0 - auc)
    return pd.Series(out, name="single_feature_auc", dtype=np.float64)


def features_after_label(feature_times: dict, label_time) -> pd.Series:
    """Share of rows on which each feature's value was known only after the label's timestamp.

    Parameters
    ----------
    feature_times : dict of name -> array of timestamps
        When each row's feature value became known (datetime64 or seconds).
    label_time : array of timestamps
        When each row's label was decided (the request time for a click label).

    Examples
    --------
    >>> features_after_label({"ok": [0, 5], "late": [2, 9]}, [1, 8]).tolist()
    [0.0, 0.5]
    """
    if not isinstance(feature_times, dict) or not feature_times:
        raise ValueError("feature_times must be a non-empty dict {feature name: timestamps}")
    label = _times(label_time, "label_time")
    out = {}
    for name, times in feature_times.items():
        t = _times(times, f"feature_times[{name!r}]")
        check_same_length(**{f"feature_times[{name!r}]": t, "label_time": label})
        out[name] = float(np.mean(t > label))
    return pd.Series(out, name="after_label_share", dtype=np.float64)


def entity_overlap(train_ids, test_ids) -> float:
    """Share of test rows whose entity (session, user...) also appears in training.

    Examples
    --------
    >>> entity_overlap([1, 2, 3], [3, 4, 4, 5])
    0.25
    """
    train = check_array_1d(train_ids, "train_ids", dtype=None)
    test = check_array_1d(test_ids, "test_ids", dtype=None)
    return float(np.isin(test, train).mean())


class LeakageReport(NamedTuple):
    """What :func:`detect_leakage` found.

    Attributes
    ----------
    features : pandas.DataFrame
        One row per feature: ``single_feature_auc``, ``after_label_share``, ``flagged``,
        ``reason``.
    entities : pandas.DataFrame
        One row per split entity: ``overlap`` (share of test rows seen in training), ``flagged``.
    flagged : list of str
        Flagged features, then flagged entities as ``"split:<name>"``.
    """

    features: pd.DataFrame
    entities: pd.DataFrame
    flagged: list


def detect_leakage(
    X,
    y,
    *,
    label_time=None,
    feature_times=None,
    splits=None,
    auc_threshold: float = 0.9,
    max_overlap: float = 0.0,
) -> LeakageReport:
    r"""Run the three leakage checks and say which features and splits to distrust.

    A feature is flagged when its folded single-feature AUC reaches ``auc_threshold`` or when it
    was known after the label on any row; a split entity when more than ``max_overlap`` of the
    test rows' entities are in training.

    Parameters
    ----------
    X : pandas.DataFrame or 2-D array
        Features (finite).
    y : array-like of 0/1
    label_time, feature_times : timestamps and dict of name -> timestamps, optional
        Both or neither; features missing from ``feature_times`` are not time-checked.
    splits : dict of name -> (train_ids, test_ids), optional
        Entities that must not be on both sides (e.g. ``{"search_id": (train, test)}``).
    auc_threshold : float in (0.5, 1], default=0.9
    max_overlap : float in [0, 1), default=0.0

    Examples
    --------
    >>> X = pd.DataFrame({"leak": [0, 0, 1, 1], "ok": [1, 0, 1, 0]})
    >>> detect_leakage(X, [0, 0, 1, 1], splits={"user": ([1, 2], [2, 3])}).flagged
    ['leak', 'split:user']
    """
    frame = _frame(X)
    threshold = check_real(auc_threshold, "auc_threshold", low=0.5, high=1.0, low_inclusive=False)
    overlap_limit = check_real(max_overlap, "max_overlap", low=0.0, high=1.0)
    auc = single_feature_auc(frame, y)
    after = pd.Series(np.nan, index=auc.index, name="after_label_share")
    if (label_time is None) != (feature_times is None):
        raise ValueError("pass label_time and feature_times together (or neither)")
    if feature_times is not None:
        if not isinstance(feature_times, dict):
            raise ValueError("feature_times must be a dict {feature name: timestamps}")
        unknown = sorted(set(feature_times) - set(map(str, frame.columns)))
        if unknown:
            raise ValueError(f"feature_times names columns not in X: {unknown}; check the names")
        label = _times(label_time, "label_time")
        check_same_length(X=frame, label_time=label)
        if feature_times:
            after.update(features_after_label(feature_times, label))
    by_auc = auc >= threshold
    by_time = after.fillna(0.0) > 0
    reasons = np.where(
        by_auc & by_time,
        "single-feature AUC and known after the label",
        np.where(by_auc, "single-feature AUC", np.where(by_time, "known after the label", "")),
    )
    features = pd.DataFrame(
        {
            "single_feature_auc": auc,
            "after_label_share": after,
            "flagged": by_auc | by_time,
            "reason": reasons,
        }
    )
    rows = {}
    if splits is not None:
        if not isinstance(splits, dict):
            raise ValueError("splits must be a dict {entity name: (train_ids, test_ids)}")
        for name, pair in splits.items():
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                raise ValueError(f"splits[{name!r}] must be a pair (train_ids, test_ids)")
            rows[name] = entity_overlap(*pair)
    entities = pd.DataFrame({"overlap": pd.Series(rows, dtype=np.float64)})
    entities["flagged"] = entities["overlap"] > overlap_limit
    flagged = [str(c) for c in features.index[features["flagged"]]]
    flagged += [f"split:{n}" for n in entities.index[entities["flagged"]]]
    return LeakageReport(features, entities, flagged)


class LeakyClickLog(NamedTuple):
    """A click log with clean and leaked features (see :func:`make_leaky_click_log`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per impression: ``search_id``, ``retailer_id``, ``product_id``, ``day``,
        ``clicked`` and every feature.
    served : pandas.DataFrame
        The same features as production computes them at request time (clean features equal).
    label_time : numpy.ndarray
        Seconds since the window's start at which each label was decided (the request).
    feature_times : dict of str -> numpy.ndarray
        When each feature's logged value became known, in the same seconds.
    clean : tuple of str
    leaks : dict of str -> str
        Leaked feature -> the source's name for its kind of leak.
    """

    table: pd.DataFrame
    served: pd.DataFrame
    label_time: np.ndarray
    feature_times: dict
    clean: tuple
    leaks: dict


def make_leaky_click_log(market, *, random_state=0, prior: float = 0.05, smoothing=20.0):
    r"""Build click-prediction features from a simulated marketplace, five of them leaked.

    Clean (point in time, known at the request): ``position``, ``log_reviews``, ``log_price``,
    and smoothed click-through rates of the product, the (query, product) pair and the retailer
    over the days before the request, :math:`(c + m\,p_0)/(n + m)`.

    Leaked, one per kind the source lists (the label is ``clicked``):

    - ``session_ctr`` (target leakage): the click-through rate of the same search, this row
      included; known at the end of the session;
    - ``product_ctr_all_days`` (temporal leakage): the product's rate over the whole log,
      future days included; known at the end of the window;
    - ``click_count`` (label in the features, the source's ``purchase.count``): the retailer's
      clicks on this product up to and including this impression;
    - ``click_time`` (proxy leakage): seconds from the request to the click, 0 without a click.

    Train–test contamination (the same session on both sides of a random split) is a property
    of the split, checked with :func:`entity_overlap` on ``search_id``.

    Parameters
    ----------
    market : mlref.datasets.Marketplace
    random_state : int, numpy.random.Generator or None, default=0
        Seeds the click delays (2 s + 4 s per position + an exponential with mean 20 s).
    prior : float in (0, 1), default=0.05
    smoothing : float >= 0, default=20.0

    Returns
    -------
    LeakyClickLog
    """
    if not all(hasattr(market, a) for a in ("impressions", "searches", "products")):
        raise ValueError("market must be a Marketplace from mlref.datasets.make_marketplace")
    rng = check_random_state(random_state)
    prior = check_real(prior, "prior", low=0.0, high=1.0, low_inclusive=False)
    m = check_real(smoothing, "smoothing", low=0.0)
    imp = market.impressions
    start = pd.Timestamp(market.params["start_date"])
    t = (imp["timestamp"] - start).dt.total_seconds().to_numpy()
    day = market.searches["day"].to_numpy()[imp["search_id"].to_numpy()]
    clicked = imp["clicked"].to_numpy().astype(np.int64)
    position = imp["position"].to_numpy()
    products = market.products
    pid = imp["product_id"].to_numpy()
    delay = 2.0 + 4.0 * position + rng.exponential(20.0, len(imp))
    click_at = np.where(clicked == 1, t + delay, t)
    session_end = t + 1800.0
    window_end = float(market.params["n_days"]) * 86_400.0

    keys = imp[["product_id", "query_id", "retailer_id"]]

    def ctr_before(columns):
        return point_in_time_ctr(keys[columns], clicked, day, prior_ctr=prior, smoothing=m)[
            "ctr"
        ].to_numpy()

    product_ctr_before = ctr_before(["product_id"])
    clean = {
        "position": position.astype(np.float64),
        "log_reviews": np.log1p(products["review_count"].to_numpy()[pid]),
        "log_price": np.log(products["wholesale_price"].to_numpy()[pid]),
        "product_ctr_before": product_ctr_before,
        "query_product_ctr_before": ctr_before(["query_id", "product_id"]),
        "retailer_ctr_before": ctr_before(["retailer_id"]),
    }
    by_product = pd.Series(clicked).groupby(pid)
    n_prod = by_product.transform("size").to_numpy()
    c_prod = by_product.transform("sum").to_numpy()
    order = np.argsort(t, kind="stable")
    pair = imp["retailer_id"].to_numpy() * (int(pid.max()) + 1) + pid
    cum = np.empty(len(imp))
    cum[order] = pd.Series(clicked[order]).groupby(pair[order]).cumsum().to_numpy()
    leaks = {
        "session_ctr": imp.groupby("search_id")["clicked"].transform("mean").to_numpy(),
        "product_ctr_all_days": (c_prod + m * prior) / (n_prod + m),
        "click_count": cum,
        "click_time": np.where(clicked == 1, delay, 0.0),
    }
    served = {
        "session_ctr": np.zeros(len(imp)),
        "product_ctr_all_days": product_ctr_before,
        "click_count": cum - clicked,
        "click_time": np.zeros(len(imp)),
    }
    times = {name: np.minimum(t, day * 86_400.0) for name in clean}
    times["position"] = t
    times |= {
        "session_ctr": session_end,
        "product_ctr_all_days": np.full(len(imp), window_end),
        "click_count": click_at,
        "click_time": np.where(clicked == 1, click_at, session_end),
    }
    ids = imp[["search_id", "retailer_id", "product_id"]].assign(day=day, clicked=clicked)
    table = pd.concat([ids, pd.DataFrame(clean), pd.DataFrame(leaks)], axis=1)
    served_table = pd.concat([pd.DataFrame(clean), pd.DataFrame(served)], axis=1)
    return LeakyClickLog(
        table=table,
        served=served_table,
        label_time=t,
        feature_times=times,
        clean=tuple(clean),
        leaks={
            "session_ctr": "target leakage",
            "product_ctr_all_days": "temporal leakage",
            "click_count": "label in features",
            "click_time": "proxy leakage",
        },
    )
