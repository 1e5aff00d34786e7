"""The LETOR evaluation protocol: five folds, selection on validation, metrics on test.

LETOR 4.0 splits MQ2008 into partitions S1–S5 and rotates them through five folds (three to
train, one to validate, one to test). A result is the mean over the five test partitions of
metrics averaged over queries; the validation partition may be used to choose hyper-parameters
(or the number of trees), never the test partition.
"""

import time
from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

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
    y, scores, group = np.asarray(y), np.asarray(scores), np.asarray(group)
    result = {f"NDCG@{k}": float(ndcg_at_k(y, scores, k, group)) for k in ks}
    longest = int(pd.Series(group).value_counts().max())
    result["MAP"] = float(map_at_k(y, scores, longest, group))
    return result


def mq2008_folds(
    folds: Sequence[int] = (1, 2, 3, 4, 5), **fetch_options
) -> Iterator[tuple[int, RankingData, RankingData, RankingData]]:
    """Yield ``(fold, train, vali, test)`` for the LETOR 4.0 MQ2008 folds.

    Each split is a :class:`~mlref.datasets.RankingData` ``(X, y, qid)``; the partitions are read
    once and reused across folds.
    """
    partitions = {
        name: fetch_mq2008(partitions=(name,), **fetch_options)
        for name in sorted({p for f in folds for parts in MQ2008_FOLDS[f].values() for p in parts})
    }

    for fold in folds:
        splits = []
        for split in ("train", "vali", "test"):
            parts = [partitions[n] for n in MQ2008_FOLDS[fold][split]]
            splits.append(
                RankingData(
                    X=np.concatenate([p.X for p in parts]),
                    y=np.concatenate([p.y for p in parts]),
                    qid=np.concatenate([p.qid for p in parts]),
                )
            )
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
    rows = []
    for fold, train, vali, test in mq2008_folds(folds):
        for name, train_model in models.items():
            start = time.perf_counter()
            score = train_model(train, vali)
            seconds = time.perf_counter() - start
            metrics = evaluate_ranking(test.y, score(test.X, test.qid), test.qid, ks=ks)
            rows.append({"model": name, "fold": fold, **metrics, "train_s": seconds})
    return pd.DataFrame(rows)
