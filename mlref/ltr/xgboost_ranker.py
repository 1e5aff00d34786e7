"""XGBoost ``rank:ndcg`` with the course's LambdaMART configuration, as a reference ranker.

A thin layer over :class:`xgboost.XGBRanker`: the source's parameters (eta 0.1, depth 6,
subsample 0.8) plus the options that make it comparable, setting for setting, with
:class:`mlref.ltr.lambdamart.LambdaMART`; and a ``fit`` helper that sorts the rows by query,
since XGBoost needs the rows of each query to be contiguous.
"""

import xgboost

from mlref._validation import check_positive_int, check_real, check_seed
from mlref.ltr.groups import check_ranking_data

# lambdarank_num_pair_per_sample larger than any query: "topk" then keeps every pair.
ALL_PAIRS = 2**31 - 1


def xgboost_ranker(*, ndcg_at=None, **overrides) -> xgboost.XGBRanker:
    """An unfitted ``XGBRanker(objective="rank:ndcg")`` configured like ``LambdaMART()``.

    Parameters
    ----------
    ndcg_at : int or None, default None
        Pair truncation, as ``LambdaMART(ndcg_at=...)``: sets ``lambdarank_num_pair_per_sample``
        with ``lambdarank_pair_method="topk"``. ``None`` keeps every pair (XGBoost's own default
        would be 32).
    **overrides
        Any ``XGBRanker`` parameter, replacing the defaults below.

    Returns
    -------
    xgboost.XGBRanker

    Notes
    -----
    Defaults: the source's ``objective="rank:ndcg"``, ``eval_metric="ndcg@10"``,
    ``learning_rate=0.1`` (eta), ``max_depth=6``, ``subsample=0.8``, plus
    ``n_estimators=100``, ``tree_method="hist"``, ``max_bin=256``, ``reg_lambda=1``,
    ``min_child_weight=1``, ``gamma=0``, ``grow_policy="depthwise"``, ``ndcg_exp_gain=True``,
    ``lambdarank_normalization=True``, ``lambdarank_score_normalization=True`` (all XGBoost 3.2
    defaults, written out so that a change of default upstream cannot silently break the
    comparison), ``n_jobs=1`` (deterministic; faster than threads on a shared machine) and
    ``random_state=0``. See the Notes of :class:`~mlref.ltr.lambdamart.LambdaMART` for how each
    maps to the from-scratch implementation.

    Examples
    --------
    >>> model = xgboost_ranker(n_estimators=20)
    >>> model.get_params()["objective"], model.get_params()["n_estimators"]
    ('rank:ndcg', 20)
    """
    if ndcg_at is not None:
        ndcg_at = check_positive_int(ndcg_at, "ndcg_at")
    # XGBoost's own errors for these do not name the parameter; check the usual ones here.
    for name in ("n_estimators", "max_depth", "max_bin"):
        if name in overrides:
            check_positive_int(overrides[name], name)
    for name in ("learning_rate", "subsample", "reg_lambda", "min_child_weight", "gamma"):
        if name in overrides:
            check_real(overrides[name], name, low=0.0)
    if "random_state" in overrides:
        check_seed(overrides["random_state"])
    params = {
        "objective": "rank:ndcg",
        "eval_metric": "ndcg@10",
        "n_estimators": 100,
        "learning_rate": 0.1,
        "max_depth": 6,
        "subsample": 0.8,
        "tree_method": "hist",
        "max_bin": 256,
        "reg_lambda": 1.0,
        "min_child_weight": 1.0,
        "gamma": 0.0,
        "grow_policy": "depthwise",
        "lambdarank_pair_method": "topk",
        "lambdarank_num_pair_per_sample": ALL_PAIRS if ndcg_at is None else ndcg_at,
        "ndcg_exp_gain": True,
        "lambdarank_normalization": True,
        "lambdarank_score_normalization": True,
        "n_jobs": 1,
        "random_state": 0,
    }
    params.update(overrides)
    return xgboost.XGBRanker(**params)


def fit_xgboost_ranker(X, y, group, *, ndcg_at=None, **overrides) -> xgboost.XGBRanker:
    """Fit :func:`xgboost_ranker` on rows in any order, grouped by query id.

    Parameters
    ----------
    X : array-like of shape (n_rows, n_features)
    y : array-like of shape (n_rows,)
        Non-negative integer relevance grades (XGBoost's exponential gain needs integers).
    group : array-like of shape (n_rows,)
        Query id of each row (ints or strings), in any order.
    ndcg_at, **overrides
        Passed to :func:`xgboost_ranker`.

    Returns
    -------
    xgboost.XGBRanker
        Fitted; its ``predict(X)`` scores rows in any order (no query ids needed).

    Notes
    -----
    The rows are stably sorted by query id and passed with integer ``qid`` codes, because
    XGBoost reads each query as one contiguous block.

    Examples
    --------
    >>> import numpy as np
    >>> from mlref.metrics.ranking import ndcg_at_k
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = (X[:, 0] > 0.5).astype(int) + (X[:, 0] > 1.0)
    >>> group = rng.permutation(np.repeat(np.arange(20), 10))  # rows in any order
    >>> model = fit_xgboost_ranker(X, y, group, n_estimators=20, max_depth=3)
    >>> ndcg_model = ndcg_at_k(y, model.predict(X), 10, group)
    >>> bool(np.isclose(ndcg_model, ndcg_at_k(y, y, 10, group)))  # as good as the ideal ranking
    True
    """
    X, y, groups = check_ranking_data(X, y, group)
    model = xgboost_ranker(ndcg_at=ndcg_at, **overrides)
    return model.fit(X[groups.order], y[groups.order], qid=groups.position)
