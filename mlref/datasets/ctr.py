"""Click-through-rate data: an iPinYou RTB sample and DeepCTR's tiny Criteo and Avazu samples."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.datasets import load_svmlight_file

from mlref._validation import check_bool
from mlref.datasets._fetch import fetch_files

__all__ = [
    "AVAZU_CATEGORICAL",
    "CRITEO_CATEGORICAL",
    "CRITEO_NUMERIC",
    "IPINYOU_FIELDS",
    "IPINYOU_N_FEATURES",
    "fetch_avazu_sample",
    "fetch_criteo_sample",
    "fetch_ipinyou",
]

_IPINYOU_DIR = "ctr-ipinyou-2997-sample"
_DEEPCTR_DIR = "ctr-criteo-avazu-deepctr-samples"

#: The 16 fields of the iPinYou sample, in the column order of :func:`fetch_ipinyou`.
IPINYOU_FIELDS = (
    "weekday",
    "hour",
    "useragent",
    "IP",
    "region",
    "city",
    "adexchange",
    "domain",
    "slotid",
    "slotwidth",
    "slotheight",
    "slotvisibility",
    "slotformat",
    "slotprice",
    "creative",
    "advertiser",
)
#: Number of one-hot columns (feature indices 0..133,464 of ``featindex.fm.txt``).
IPINYOU_N_FEATURES = 133_465

CRITEO_NUMERIC = tuple(f"I{i}" for i in range(1, 14))
CRITEO_CATEGORICAL = tuple(f"C{i}" for i in range(1, 27))
AVAZU_CATEGORICAL = (
    "site_id",
    "site_domain",
    "site_category",
    "app_id",
    "app_domain",
    "app_category",
    "device_id",
    "device_ip",
    "device_model",
)


def _check_subset(func: str, subset: str) -> None:
    if subset not in ("train", "test"):
        raise ValueError(f"{func}: subset={subset!r} is not valid; use 'train' or 'test'")


def _read_featindex(path) -> tuple[np.ndarray, np.ndarray, list[pd.Index]]:
    """Return, per feature index, its field number and its code within the field's categories."""
    table = pd.read_csv(
        path,
        sep="\t",
        header=None,
        names=["key", "index"],
        dtype={"key": "str", "index": "int64"},
        keep_default_na=False,
        quoting=3,  # csv.QUOTE_NONE: the values are raw strings
    )
    if not (table["index"].to_numpy() == np.arange(IPINYOU_N_FEATURES)).all():
        raise ValueError("featindex.fm.txt: expected indices 0..133464 in order")
    parts = table["key"].str.split(":", n=1, expand=True)
    field_of = parts[0].map({name: i for i, name in enumerate(IPINYOU_FIELDS)})
    if field_of.isna().any():
        unknown = sorted(set(parts[0][field_of.isna()]))
        raise ValueError(f"featindex.fm.txt: unknown fields {unknown}")
    field_of = field_of.to_numpy(dtype=np.int64)
    values = parts[1].to_numpy(dtype=object)
    code_of = np.empty(IPINYOU_N_FEATURES, dtype=np.int64)
    categories = []
    for f in range(len(IPINYOU_FIELDS)):  # one pass per field, not per row
        idx = np.flatnonzero(field_of == f)
        code_of[idx] = np.arange(len(idx))
        categories.append(pd.Index(values[idx], dtype="str"))
    return field_of, code_of, categories


def fetch_ipinyou(
    *,
    subset: str = "train",
    return_X_y: bool = False,
    data_home: str | os.PathLike[str] | None = None,
    download_if_missing: bool = True,
):
    """Load the iPinYou RTB sample of advertiser 2997 (from wnzhang/deep-ctr).

    Train has 26,773 impressions with 255 clicks (CTR 0.95%), test 21,150 with 50 clicks (0.24%):
    the two CTRs differ, as in the source split. Each impression has 16 categorical fields, stored
    upstream one-hot as ``<click> <index>:1 ...`` (one index per field) with a dictionary
    ``featindex.fm.txt`` of ``<field>:<value>`` -> index.

    Parameters
    ----------
    subset : {'train', 'test'}, default 'train'
        Which file to load.
    return_X_y : bool, default False
        If True, return the upstream one-hot matrix and the labels instead of a DataFrame.
    data_home : str or path-like, optional
        Cache folder; default ``MLREF_DATA_HOME`` or ``~/.cache/mlref``.
    download_if_missing : bool, default True
        If False, raise :class:`~mlref.datasets.DataUnavailableError` instead of downloading.

    Returns
    -------
    pandas.DataFrame or (scipy.sparse.csr_matrix, numpy.ndarray)
        By default a DataFrame with ``click`` (int64, 0/1) and the 16 fields of
        :data:`IPINYOU_FIELDS` (``weekday``, ``hour``, ``useragent``, ``IP``, ``region``, ``city``,
        ``adexchange``, ``domain``, ``slotid``, ``slotwidth``, ``slotheight``, ``slotvisibility``,
        ``slotformat``, ``slotprice``, ``creative``, ``advertiser``) decoded to their string values
        as ``category`` columns. Each field's categories are all its values in the dictionary
        (including the ``"other"`` bucket), in dictionary order, so train and test share them.
        With ``return_X_y=True``: ``X`` a float64 CSR matrix of shape (n, 133465) with sixteen 1s
        per row (column ``j`` is dictionary index ``j``) and ``y`` the int64 clicks.

    Examples
    --------
    >>> ads = fetch_ipinyou(subset="test")  # doctest: +SKIP
    >>> len(ads), int(ads["click"].sum())  # doctest: +SKIP
    (21150, 50)
    """
    _check_subset("fetch_ipinyou", subset)
    return_X_y = check_bool(return_X_y, "return_X_y")
    names = [f"{subset}.fm.txt"] + ([] if return_X_y else ["featindex.fm.txt"])
    paths = fetch_files(
        _IPINYOU_DIR, names, data_home=data_home, download_if_missing=download_if_missing
    )
    X, y = load_svmlight_file(
        str(paths[f"{subset}.fm.txt"]), n_features=IPINYOU_N_FEATURES, zero_based=True
    )
    X = sp.csr_matrix(X, dtype=np.float64)
    y = y.astype(np.int64)
    if return_X_y:
        return X, y
    field_of, code_of, categories = _read_featindex(paths["featindex.fm.txt"])
    n_fields = len(IPINYOU_FIELDS)
    if not (np.diff(X.indptr) == n_fields).all():
        raise ValueError(f"{subset}.fm.txt: every row should have exactly {n_fields} features")
    index = X.indices.reshape(-1, n_fields)
    fields = field_of[index]
    order = np.argsort(fields, axis=1, kind="stable")
    index = np.take_along_axis(index, order, axis=1)
    if not (np.take_along_axis(fields, order, axis=1) == np.arange(n_fields)).all():
        raise ValueError(f"{subset}.fm.txt: every row should have one feature of each field")
    codes = code_of[index]
    columns = {"click": y}
    for f, name in enumerate(IPINYOU_FIELDS):
        columns[name] = pd.Categorical.from_codes(codes[:, f], categories=categories[f])
    return pd.DataFrame(columns)


def fetch_criteo_sample(
    *,
    data_home: str | os.PathLike[str] | None = None,
    download_if_missing: bool = True,
) -> pd.DataFrame:
    """Load DeepCTR's 200-row sample of the Criteo display-advertising (Kaggle 2014) data.

    Only big enough for "does the pipeline run" demos; 49 of the 200 rows are clicks.

    Parameters
    ----------
    data_home : str or path-like, optional
        Cache folder; default ``MLREF_DATA_HOME`` or ``~/.cache/mlref``.
    download_if_missing : bool, default True
        If False, raise :class:`~mlref.datasets.DataUnavailableError` instead of downloading.

    Returns
    -------
    pandas.DataFrame
        The columns of ``criteo_sample.txt``: ``label`` (int64, 0/1), ``I1``..``I13`` (float64
        counts, NaN where missing) and ``C1``..``C26`` (``category`` of 8-hex-digit hashes, NaN
        where missing).

    Examples
    --------
    >>> criteo = fetch_criteo_sample()  # doctest: +SKIP
    >>> criteo.shape, int(criteo["label"].sum())  # doctest: +SKIP
    ((200, 40), 49)
    """
    path = fetch_files(
        _DEEPCTR_DIR,
        ["criteo_sample.txt"],
        data_home=data_home,
        download_if_missing=download_if_missing,
    )["criteo_sample.txt"]
    dtype = {"label": "int64"}
    dtype.update(dict.fromkeys(CRITEO_NUMERIC, "float64"))
    dtype.update(dict.fromkeys(CRITEO_CATEGORICAL, "category"))
    return pd.read_csv(path, dtype=dtype)


def fetch_avazu_sample(
    *,
    data_home: str | os.PathLike[str] | None = None,
    download_if_missing: bool = True,
) -> pd.DataFrame:
    """Load DeepCTR's 100-row sample of the Avazu mobile-ad CTR (Kaggle 2014) data.

    Only big enough for "does the pipeline run" demos; 20 of the 100 rows are clicks.

    Parameters
    ----------
    data_home : str or path-like, optional
        Cache folder; default ``MLREF_DATA_HOME`` or ``~/.cache/mlref``.
    download_if_missing : bool, default True
        If False, raise :class:`~mlref.datasets.DataUnavailableError` instead of downloading.

    Returns
    -------
    pandas.DataFrame
        The 24 columns of ``avazu_sample.txt`` in file order: ``id`` (str: the ids exceed int64),
        ``click`` (int64, 0/1), ``hour`` (int64, ``YYMMDDHH``), the hashed string fields
        ``site_id``, ``site_domain``, ``site_category``, ``app_id``, ``app_domain``,
        ``app_category``, ``device_id``, ``device_ip``, ``device_model`` as ``category``, and the
        integer-coded fields ``C1``, ``banner_pos``, ``device_type``, ``device_conn_type``,
        ``C14``..``C21`` as int64.

    Examples
    --------
    >>> avazu = fetch_avazu_sample()  # doctest: +SKIP
    >>> avazu.shape, int(avazu["click"].sum())  # doctest: +SKIP
    ((100, 24), 20)
    """
    path = fetch_files(
        _DEEPCTR_DIR,
        ["avazu_sample.txt"],
        data_home=data_home,
        download_if_missing=download_if_missing,
    )["avazu_sample.txt"]
    integer = ("click", "hour", "C1", "banner_pos", "device_type", "device_conn_type")
    dtype = {"id": "str"}
    dtype.update(dict.fromkeys(integer, "int64"))
    dtype.update(dict.fromkeys((f"C{i}" for i in range(14, 22)), "int64"))
    dtype.update(dict.fromkeys(AVAZU_CATEGORICAL, "category"))
    return pd.read_csv(path, dtype=dtype)
