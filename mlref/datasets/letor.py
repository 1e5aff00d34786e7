"""Learning-to-rank data: LETOR 4.0 MQ2008 and LightGBM's sample of the Yahoo! LTR Challenge.

Both fetchers return a :class:`RankingData` ``(X, y, qid)`` with a dense float64 ``X``, integer
relevance labels ``y`` and integer query ids ``qid`` sorted ascending, so the rows of one query are
contiguous (ready for ``XGBRanker(...).fit(X, y, qid=qid)`` or for group sizes via
``np.unique(qid, return_counts=True)``).
"""

from __future__ import annotations

import os
from typing import NamedTuple

import numpy as np
from sklearn.datasets import load_svmlight_file

from mlref.datasets._fetch import fetch_files

__all__ = [
    "MQ2008_FEATURE_NAMES",
    "MQ2008_FOLDS",
    "MQ2008_N_FEATURES",
    "MQ2008_PARTITIONS",
    "YAHOO_N_FEATURES",
    "YAHOO_TEST_QID_OFFSET",
    "RankingData",
    "fetch_mq2008",
    "fetch_yahoo_ltr_sample",
]

MQ2008_PARTITIONS = ("S1", "S2", "S3", "S4", "S5")
MQ2008_N_FEATURES = 46

#: The standard LETOR 4.0 five-fold protocol (MQ2008 ``readme.txt``): fold k -> partitions.
MQ2008_FOLDS: dict[int, dict[str, tuple[str, ...]]] = {
    1: {"train": ("S1", "S2", "S3"), "vali": ("S4",), "test": ("S5",)},
    2: {"train": ("S2", "S3", "S4"), "vali": ("S5",), "test": ("S1",)},
    3: {"train": ("S3", "S4", "S5"), "vali": ("S1",), "test": ("S2",)},
    4: {"train": ("S4", "S5", "S1"), "vali": ("S2",), "test": ("S3",)},
    5: {"train": ("S5", "S1", "S2"), "vali": ("S3",), "test": ("S4",)},
}

#: Feature ids in the Yahoo sample run from 1 to 300 in both files (218 of them occur); column
#: ``j`` of ``X`` is feature id ``j + 1``.
_LETOR4_FIELDS = ("body", "anchor", "title", "url", "document")
#: Names of MQ2008's 46 features, in column order (LETOR 4.0, Qin & Liu 2013): eight text
#: statistics per document field, then six link and URL features.
MQ2008_FEATURE_NAMES: tuple[str, ...] = (
    *(
        f"{statistic} {field}"
        for statistic in ("TF", "IDF", "TF*IDF", "DL", "BM25", "LMIR.ABS", "LMIR.DIR", "LMIR.JM")
        for field in _LETOR4_FIELDS
    ),
    "PageRank",
    "inlinks",
    "outlinks",
    "URL slashes",
    "URL length",
    "child pages",
)

YAHOO_N_FEATURES = 300
#: Test query ids are ``YAHOO_TEST_QID_OFFSET + k`` for the k-th test query, so they never collide
#: with the train ids ``0..200``.
YAHOO_TEST_QID_OFFSET = 1000

_MQ2008_DIR = "ltr-letor4-mq2008"
_YAHOO_DIR = "ltr-yahoo-lightgbm-sample"


class RankingData(NamedTuple):
    """A learning-to-rank dataset: one row per query-document pair.

    Attributes
    ----------
    X : numpy.ndarray of shape (n_rows, n_features), float64
        Dense features.
    y : numpy.ndarray of shape (n_rows,), int64
        Graded relevance labels.
    qid : numpy.ndarray of shape (n_rows,), int64
        Query ids, sorted ascending; the rows of each query are contiguous and in file order.
    """

    X: np.ndarray
    y: np.ndarray
    qid: np.ndarray

    @classmethod
    def concatenate(cls, parts) -> RankingData:
        """Stack several ranking datasets into one, rows sorted by query id (stably).

        Concatenating LETOR partitions in fold order (S4, S5, S1) would leave the query ids out of
        order; sorting keeps the documented invariant, so ``XGBRanker(qid=...)`` and group sizes
        from ``np.unique`` see each query as one contiguous block.
        """
        parts = list(parts)
        if not parts:
            raise ValueError("parts is empty; pass at least one RankingData to concatenate")
        return _sorted_by_qid(
            np.vstack([p.X for p in parts]),
            np.concatenate([p.y for p in parts]),
            np.concatenate([p.qid for p in parts]),
        )


def _sorted_by_qid(X, y, qid) -> RankingData:
    order = np.argsort(qid, kind="stable")
    return RankingData(
        np.ascontiguousarray(X[order], dtype=np.float64),
        y[order].astype(np.int64),
        qid[order].astype(np.int64),
    )


def _mq2008_partitions(fold, subset, partitions) -> tuple[str, ...]:
    if fold is not None and partitions is not None:
        raise ValueError(
            "fetch_mq2008: pass either fold= (with subset='train'|'vali'|'test') or partitions=, "
            "not both"
        )
    if partitions is not None:
        if subset != "all":
            raise ValueError(
                f"fetch_mq2008: subset={subset!r} only applies with fold=; with partitions= leave "
                f"subset='all'"
            )
        if isinstance(partitions, str):
            partitions = (partitions,)
        partitions = tuple(partitions)
        unknown = [p for p in partitions if p not in MQ2008_PARTITIONS]
        if unknown or not partitions:
            raise ValueError(
                f"fetch_mq2008: partitions={partitions!r} must be a non-empty selection of "
                f"{MQ2008_PARTITIONS}; unknown: {unknown}"
            )
        if len(set(partitions)) != len(partitions):
            raise ValueError(
                f"fetch_mq2008: partitions={partitions!r} names a partition twice; each may "
                f"appear once"
            )
        return partitions
    if fold is not None:
        if isinstance(fold, bool) or fold not in MQ2008_FOLDS:
            raise ValueError(f"fetch_mq2008: fold={fold!r} is not valid; use an int in 1..5")
        if subset not in ("train", "vali", "test"):
            raise ValueError(
                f"fetch_mq2008: with fold={fold}, subset={subset!r} is not valid; use 'train', "
                f"'vali' or 'test' (or drop fold= and use subset='all' for all five partitions)"
            )
        return MQ2008_FOLDS[fold][subset]
    if subset != "all":
        raise ValueError(
            f"fetch_mq2008: subset={subset!r} needs a fold; pass fold=1..5 (for example "
            f"fetch_mq2008(fold=1, subset={subset!r})), or use subset='all'"
        )
    return MQ2008_PARTITIONS


def fetch_mq2008(
    *,
    fold: int | None = None,
    subset: str = "all",
    partitions=None,
    data_home: str | os.PathLike[str] | None = None,
    download_if_missing: bool = True,
) -> RankingData:
    """Load LETOR 4.0 MQ2008: 15,211 query-document pairs of 784 queries, 46 features, labels 0-2.

    The data comes as five partitions ``S1``..``S5`` (about 157 queries each). A query id occurs in
    exactly one partition (the partitions hold disjoint, ascending qid ranges), so concatenated
    partitions never merge queries. The 46 features are already normalised to [0, 1] per query.

    Parameters
    ----------
    fold : int in 1..5, optional
        Use the standard five-fold protocol of :data:`MQ2008_FOLDS` with ``subset``.
    subset : {'all', 'train', 'vali', 'test'}, default 'all'
        With ``fold``: which part of the fold. Without it: only ``'all'`` (all five partitions).
    partitions : sequence of {'S1', 'S2', 'S3', 'S4', 'S5'}, optional
        Load exactly these partitions (instead of ``fold``).
    data_home : str or path-like, optional
        Cache folder; default ``MLREF_DATA_HOME`` or ``~/.cache/mlref``.
    download_if_missing : bool, default True
        If False, raise :class:`~mlref.datasets.DataUnavailableError` instead of downloading.

    Returns
    -------
    RankingData
        ``(X, y, qid)``: X float64 of shape (n, 46), y int64 in {0, 1, 2}, qid int64 sorted
        ascending (stable: each query's rows keep their file order).

    Examples
    --------
    >>> X, y, qid = fetch_mq2008(fold=1, subset="test")  # doctest: +SKIP
    >>> X.shape, len(np.unique(qid))  # doctest: +SKIP
    ((2874, 46), 156)
    """
    names = _mq2008_partitions(fold, subset, partitions)
    paths = fetch_files(
        _MQ2008_DIR,
        [f"{p}.txt" for p in names],
        data_home=data_home,
        download_if_missing=download_if_missing,
    )
    Xs, ys, qids = [], [], []
    for path in paths.values():
        X, y, qid = load_svmlight_file(
            str(path), n_features=MQ2008_N_FEATURES, query_id=True, zero_based=False
        )
        Xs.append(X.toarray())
        ys.append(y)
        qids.append(qid)
    return _sorted_by_qid(np.vstack(Xs), np.concatenate(ys), np.concatenate(qids))


def fetch_yahoo_ltr_sample(
    *,
    subset: str = "train",
    data_home: str | os.PathLike[str] | None = None,
    download_if_missing: bool = True,
) -> RankingData:
    """Load LightGBM's lambdarank example: a small sample of the Yahoo! Learning to Rank Challenge.

    Train has 3,005 documents of 201 queries, test 768 documents of 50 queries; labels are graded
    relevance 0-4. The upstream files carry no query ids, only group sizes (``rank.*.query``); the
    k-th query gets ``qid = k`` in train and ``qid = YAHOO_TEST_QID_OFFSET + k`` (1000 + k) in
    test. ``X`` always has :data:`YAHOO_N_FEATURES` = 300 columns (feature ids 1..300; column ``j``
    is feature ``j + 1``), so train and test line up; features that never occur are all zero.

    Parameters
    ----------
    subset : {'train', 'test'}, default 'train'
        Which file to load.
    data_home : str or path-like, optional
        Cache folder; default ``MLREF_DATA_HOME`` or ``~/.cache/mlref``.
    download_if_missing : bool, default True
        If False, raise :class:`~mlref.datasets.DataUnavailableError` instead of downloading.

    Returns
    -------
    RankingData
        ``(X, y, qid)``: X float64 of shape (n, 300), y int64 in 0..4, qid int64 sorted ascending.

    Examples
    --------
    >>> X, y, qid = fetch_yahoo_ltr_sample(subset="test")  # doctest: +SKIP
    >>> X.shape, qid.min(), qid.max()  # doctest: +SKIP
    ((768, 300), 1000, 1049)
    """
    if subset not in ("train", "test"):
        raise ValueError(
            f"fetch_yahoo_ltr_sample: subset={subset!r} is not valid; use 'train' or 'test'"
        )
    paths = fetch_files(
        _YAHOO_DIR,
        [f"rank.{subset}", f"rank.{subset}.query"],
        data_home=data_home,
        download_if_missing=download_if_missing,
    )
    X, y = load_svmlight_file(
        str(paths[f"rank.{subset}"]), n_features=YAHOO_N_FEATURES, zero_based=False
    )
    sizes = np.loadtxt(paths[f"rank.{subset}.query"], dtype=np.int64, ndmin=1)
    if sizes.sum() != X.shape[0] or (sizes <= 0).any():
        raise ValueError(
            f"rank.{subset}.query: group sizes sum to {sizes.sum()} but rank.{subset} has "
            f"{X.shape[0]} rows; the files do not belong together"
        )
    offset = 0 if subset == "train" else YAHOO_TEST_QID_OFFSET
    qid = np.repeat(np.arange(len(sizes), dtype=np.int64) + offset, sizes)
    return _sorted_by_qid(X.toarray(), y, qid)
