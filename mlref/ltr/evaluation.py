"""The LETOR evaluation protocol: five folds, selection on validation, metrics on test.

LETOR 4.0 splits MQ2008 into partitions S1–S5 and rotates them through five folds (three to
train, one to validate, one to test). A result is the mean over the five test partitions of
metrics averaged over queries; the validation partition may be used to choose hyper-parameters
(or the number of trees), never the test partition.
"""

import numbers
import time
from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from mlref._validation import as_array, check_array_1d, check_positive_int, check_same_length
from mlref.datasets import MQ2008_FOLDS, RankingData, fetch_mq2008
from mlref.metrics import map_at_k, ndcg_at_k

__all__ = ["evaluate_ranking", "mq2008_folds", "run_letor_protocol"]


def evaluate_ranking(y, scores, group, *, ks: Sequence[int] = (1, 3, 5, 10)) -> dict:
    r"""NDCG@k for each k and MAP over the whole list, averaged over queries.

    Queries without a relevant document score 0 in every metric (the default of
    :mod:`mlref.metrics`, and what LETOR's evaluation script does).

    Parameters
    ----------
    y, scores, group : array-like of shape (n_rows,)
        Graded relevance, model scores and query id of each row.
    ks : sequence of int, default=(1, 3, 5, 10)
        Cut-offs for NDCG.

    Returns
    -------
    dict
        ``{"NDCG@1": ..., ..., "MAP": ...}``.

    Examples
    --------
    >>> evaluate_ranking([2, 0, 1], [0.9, 0.1, 0.5], [7, 7, 7], ks=(1,))
    {'NDCG@1': 1.0, 'MAP': 1.0}
    """
    if isinstance(ks, numbers.Integral):
        ks = (ks,)
    try:
        ks = [check_positive_int(k, "ks") for k in ks]
    except TypeError:
        raise ValueError(f"ks must be a sequence of cut-offs >= 1, got {ks!r}") from None
    if not ks:
        raise ValueError("ks is empty; pass at least one cut-off, e.g. ks=(10,)")
    y = check_array_1d(y, "y")
    scores = check_array_1d(scores, "scores")
    group = as_array(group, "group", None)
    if group.ndim != 1:
        raise ValueError(f"group must be 1-D, one query id per row, got shape {group.shape}")
    check_same_length(y=y, scores=scores, group=group)
    result = {f"NDCG@{k}": float(ndcg_at_k(y, scores, k, group)) for k in ks}
    longest = int(pd.Series(group).value_counts().max())
    result["MAP"] = float(map_at_k(y, scores, longest, group))
    return result


def mq2008_folds(
    folds: Sequence[int] = (1, 2, 3, 4, 5), **fetch_options
) -> Iterator[tuple[int, RankingData, RankingData, RankingData]]:
    """Yield ``(fold, train, vali, test)`` for the LETOR 4.0 MQ2008 folds.

    Each split is a :class:`~mlref.datasets.RankingData` ``(X, y, qid)`` with its rows sorted by
    query id (fold 4 trains on S4, S5, S1: the partitions are concatenated, then sorted); the
    partitions are read once and reused across folds.
    """
    folds = _check_folds(folds)
    return _iterate_folds(folds, fetch_options)


def _check_folds(folds) -> tuple[int, ...]:
    if isinstance(folds, numbers.Integral) and not isinstance(folds, bool):
        folds = (folds,)
    try:
        folds = tuple(folds)
    except TypeError:
        raise ValueError(
            f"folds must be a sequence of fold numbers in 1..5, got {folds!r}; e.g. folds=(1, 2)"
        ) from None
    bad = [f for f in folds if isinstance(f, bool) or f not in MQ2008_FOLDS]
    if not folds or bad or len(set(folds)) != len(folds):
        raise ValueError(
            f"folds must be a non-empty sequence of distinct fold numbers in 1..5, got {folds!r}"
        )
    return folds


def _iterate_folds(folds, fetch_options):
    partitions = {
        name: fetch_mq2008(partitions=(name,), **fetch_options)
        for name in sorted({p for f in folds for parts in MQ2008_FOLDS[f].values() for p in parts})
    }

    for fold in folds:
        splits = [
            RankingData.concatenate(partitions[n] for n in MQ2008_FOLDS[fold][split])
            for split in ("train", "vali", "test")
        ]
        yield fold, *splits


def run_letor_protocol(
    models: Mapping[str, Callable[[RankingData, RankingData], Callable[[np.ndarray], np.ndarray]]],
    *,
    folds: Sequence[int] = (1, 2, 3, 4, 5),
    ks: Sequence[int] = (1, 3, 5, 10),
) -> pd.DataFrame:
    """Run every model through the MQ2008 folds and collect test metrics and training time.

    Parameters
    ----------
    models : mapping of name to ``train(train, vali) -> score_function``
        Each ``train`` fits a model on the training split, may use the validation split for
        model selection, and returns a function mapping ``(X, qid)`` of the test split to scores.
    folds : sequence of int
        Which folds to run.

    Returns
    -------
    pandas.DataFrame
        One row per (model, fold): the metrics of :func:`evaluate_ranking` and ``train_s``, the
        seconds spent in ``train``.
    """
    if not isinstance(models, Mapping) or not models:
        raise ValueError(
            "models must be a non-empty mapping {name: train(train, vali) -> score(X, qid)}, got "
            f"{type(models).__name__}"
        )
    not_callable = [name for name, train in models.items() if not callable(train)]
    if not_callable:
        raise ValueError(
            f"models {not_callable} are not callable; each value must be a function "
            "train(train, vali) returning score(X, qid)"
        )
    rows = []
    for fold, train, vali, test in mq2008_folds(folds):
        for name, train_model in models.items():
            start = time.perf_counter()
            score = train_model(train, vali)
            seconds = time.perf_counter() - start
            metrics = evaluate_ranking(test.y, score(test.X, test.qid), test.qid, ks=ks)
            rows.append({"model": name, "fold": fold, **metrics, "train_s": seconds})
    return pd.DataFrame(rows)
