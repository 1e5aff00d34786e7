r"""Categorical encodings: one-hot, target (out-of-fold), frequency and the hashing trick.

Which one to use depends on the cardinality and the model (section 5 of the course):

* **one-hot** (:class:`OneHotEncoder`) for a handful of categories (device, segment, category
  of a small catalogue), rare ones grouped into an "other" column;
* **target encoding** (:class:`TargetEncoder`) for high cardinality (query, brand, retailer):
  replace a category by the smoothed mean of the label. Computed in-sample it leaks the label
  (:func:`naive_target_encode`, kept for the demonstration), so the training rows get
  out-of-fold estimates;
* **frequency encoding** (:class:`FrequencyEncoder`): the share of rows with the category, a
  popularity prior that needs no label;
* **the hashing trick** (:class:`HashingEncoder`): hash ``"column=value"`` into a fixed number
  of columns, for unbounded vocabularies and wide linear models, with no dictionary to store.

Inputs are DataFrames or 2-D arrays of category values (strings, integers...). Missing values
raise :class:`ValueError`: fill them with an explicit category such as ``"missing"`` first, so the
model sees "missing" as information rather than silently.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.model_selection import KFold
from sklearn.utils.validation import check_is_fitted

from mlref._validation import (
    OneToOneFeatureNames,
    as_array,
    check_array_1d,
    check_bool,
    check_input_features,
    check_option,
    check_positive_int,
    check_real,
    check_same_length,
    check_seed,
)
from mlref.features.numeric import _record_or_check_columns

__all__ = [
    "FrequencyEncoder",
    "HashingEncoder",
    "OneHotEncoder",
    "TargetEncoder",
    "murmurhash3_32",
    "naive_target_encode",
]


# --------------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------------


def _check_category_values(values: np.ndarray, name: str) -> np.ndarray:
    missing = pd.isna(values)
    if missing.any():
        raise ValueError(
            f"{name} holds {int(missing.sum())} missing value(s) (None/NaN); fill them with an "
            "explicit category such as 'missing' first"
        )
    return values


def _categorical_input(estimator, X, *, reset: bool) -> list[np.ndarray]:
    """Return the columns of ``X`` as 1-D arrays, checking shape and missing values."""
    if isinstance(X, pd.DataFrame):
        columns = [X[c].to_numpy() for c in X.columns]
        shape = X.shape
    else:
        arr = as_array(X, "X", None)
        if arr.ndim != 2:
            raise ValueError(
                f"X must be 2-D (n_samples, n_features), got shape {arr.shape}; pass a "
                "DataFrame, df[['column']] or x.reshape(-1, 1) for a single column"
            )
        columns = list(arr.T)
        shape = arr.shape
    if shape[0] == 0 or shape[1] == 0:
        raise ValueError(f"X is empty (shape {shape}); pass at least one row and column")
    for j, column in enumerate(columns):
        _check_category_values(column, f"X column {j}")
    _record_or_check_columns(estimator, X, shape[1], reset=reset)
    return columns


def _unique(values: np.ndarray, name: str):
    """Sorted categories, the code of every value and the count of every category."""
    try:
        codes, categories = pd.factorize(values, sort=True)
    except TypeError as exc:
        raise ValueError(
            f"{name} holds values that cannot be categories (unhashable, such as lists, or "
            "not comparable); convert the column to strings, e.g. .astype(str)"
        ) from exc
    return np.asarray(categories), codes, np.bincount(codes, minlength=len(categories))


def _codes(categories: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Index of each value in ``categories``, -1 for a value not among them."""
    return pd.Index(categories).get_indexer(values)


# --------------------------------------------------------------------------------------------
# One-hot
# --------------------------------------------------------------------------------------------


class OneHotEncoder(TransformerMixin, BaseEstimator):
    r"""One column per category, for low-cardinality features; rare and unseen values handled.

    A value :math:`v` of feature :math:`j` becomes the indicator vector
    :math:`\big([v = c]\big)_{c \in C_j}` over the categories :math:`C_j` kept in ``fit``.

    Parameters
    ----------
    max_categories : int or None, default=None
        If a feature has more than ``max_categories`` categories, keep the
        ``max_categories - 1`` most frequent ones (ties: the smaller category first) and group
        the rest into one ``"<feature>_other"`` column, so the feature gives at most
        ``max_categories`` columns (scikit-learn's rule). ``None`` keeps every category.
    handle_unknown : {"ignore", "other"}, default="ignore"
        A category not seen in ``fit`` becomes a row of zeros (``"ignore"``) or a 1 in the
        ``"<feature>_other"`` column, which every feature then has (``"other"``).
    sparse_output : bool, default=False
        Return a ``scipy.sparse.csr_matrix`` instead of a dense array.

    Attributes
    ----------
    categories_ : list of numpy.ndarray
        Categories given their own column, sorted, per feature.
    infrequent_categories_ : list of numpy.ndarray
        Categories grouped into the other column, per feature (empty when none).
    n_features_in_, feature_names_in_
        Input columns seen in ``fit``.

    Notes
    -----
    With ``max_categories=None`` and ``handle_unknown="ignore"`` the output equals
    ``sklearn.preprocessing.OneHotEncoder(handle_unknown="ignore")``, and with ``max_categories``
    too when the counts that decide which categories are rare are distinct. On tied counts
    scikit-learn groups the smaller categories, this class keeps them.

    Examples
    --------
    >>> enc = OneHotEncoder().fit([["mobile"], ["desktop"], ["mobile"]])
    >>> enc.transform([["desktop"], ["tablet"]]).tolist()
    [[1.0, 0.0], [0.0, 0.0]]
    >>> enc.get_feature_names_out().tolist()
    ['x0_desktop', 'x0_mobile']
    """

    def __init__(
        self,
        *,
        max_categories: int | None = None,
        handle_unknown: str = "ignore",
        sparse_output: bool = False,
    ):
        self.max_categories = max_categories
        self.handle_unknown = handle_unknown
        self.sparse_output = sparse_output

    def fit(self, X, y=None):
        """Learn the categories (and the rare ones) of each column of ``X``."""
        check_option(self.handle_unknown, "handle_unknown", ("ignore", "other"))
        check_bool(self.sparse_output, "sparse_output")
        if self.max_categories is not None:
            check_positive_int(self.max_categories, "max_categories")
        columns = _categorical_input(self, X, reset=True)
        self.categories_, self.infrequent_categories_ = [], []
        for j, column in enumerate(columns):
            categories, _, counts = _unique(column, f"X column {j}")
            if self.max_categories is not None and categories.size > self.max_categories:
                # stable sort on -count: equal counts keep the sorted order of the categories
                by_frequency = np.argsort(-counts, kind="stable")
                frequent = np.sort(by_frequency[: self.max_categories - 1])
                rare = np.setdiff1d(np.arange(categories.size), frequent)
                self.categories_.append(categories[frequent])
                self.infrequent_categories_.append(categories[rare])
            else:
                self.categories_.append(categories)
                self.infrequent_categories_.append(categories[:0])
        return self

    def _has_other(self) -> list[bool]:
        return [
            self.handle_unknown == "other" or rare.size > 0 for rare in self.infrequent_categories_
        ]

    def transform(self, X):
        """Return the indicator matrix, dense or ``csr_matrix`` (``sparse_output``)."""
        check_is_fitted(self, "categories_")
        columns = _categorical_input(self, X, reset=False)
        n_samples = len(columns[0])
        rows, cols = [], []
        offset = 0
        for column, categories, rare, has_other in zip(
            columns, self.categories_, self.infrequent_categories_, self._has_other(), strict=True
        ):
            codes = _codes(categories, column)
            if has_other:
                to_other = codes < 0
                if self.handle_unknown == "ignore":
                    to_other &= _codes(rare, column) >= 0
                codes = np.where(to_other, categories.size, codes)
            hit = codes >= 0
            rows.append(np.flatnonzero(hit))
            cols.append(codes[hit] + offset)
            offset += categories.size + has_other
        rows, cols = np.concatenate(rows), np.concatenate(cols)
        out = sparse.csr_matrix(
            (np.ones(rows.size), (rows, cols)), shape=(n_samples, offset), dtype=np.float64
        )
        return out if self.sparse_output else out.toarray()

    def get_feature_names_out(self, input_features=None):
        """Names ``"<feature>_<category>"``, plus ``"<feature>_other"`` where grouped."""
        check_is_fitted(self, "categories_")
        names = []
        for feature, categories, has_other in zip(
            check_input_features(self, input_features),
            self.categories_,
            self._has_other(),
            strict=True,
        ):
            names += [f"{feature}_{c}" for c in categories]
            if has_other:
                names.append(f"{feature}_other")
        return np.asarray(names, dtype=object)


# --------------------------------------------------------------------------------------------
# Target encoding
# --------------------------------------------------------------------------------------------


def _check_target(y, n_samples: int, x_name: str = "X") -> np.ndarray:
    """A binary or continuous target; integer class ids (more than two values) are refused."""
    y = check_array_1d(y, "y", dtype=None)
    check_same_length(**{x_name: np.empty(n_samples), "y": y})
    if y.dtype.kind in "iu" and np.unique(y).size > 2:
        raise ValueError(
            f"y holds {np.unique(y).size} distinct integers, which look like multiclass ids; "
            "target encoding averages y, which means nothing for class ids: encode one 0/1 "
            "target per class, or pass y.astype(float) if y is a count or a grade"
        )
    return y.astype(np.float64)


def _smoothed_mean(sums, counts, prior, smoothing):
    r""":math:`(s + m p) / (n + m)`, the prior itself where a category has no row and m = 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        encoded = (sums + smoothing * prior) / (counts + smoothing)
    return np.where(counts + smoothing > 0, encoded, prior)


def naive_target_encode(categories, y, *, smoothing: float = 0.0) -> np.ndarray:
    r"""In-sample target encoding: each row gets its category's mean label, its own included.

    .. math::

        \mathrm{enc}(i) = \frac{\sum_{k:\,c_k = c_i} y_k + m\,\bar y}{n_{c_i} + m}.

    **Do not use this to build training features**: it exists to show the leak. A category seen
    once is encoded by its own label, so a model learns "encoding = label" and looks excellent
    offline, then fails on new rows whose label it cannot see. Use :class:`TargetEncoder`.

    Parameters
    ----------
    categories : array-like of shape (n_samples,)
        One category per row (no missing values).
    y : array-like of shape (n_samples,)
        Labels (0/1 or continuous).
    smoothing : float, default=0.0
        The :math:`m` of the m-estimate (>= 0); 0 gives raw category means.

    Returns
    -------
    numpy.ndarray of shape (n_samples,)

    Examples
    --------
    >>> naive_target_encode(["a", "a", "b"], [1, 0, 1]).tolist()
    [0.5, 0.5, 1.0]
    """
    values = np.asarray(categories)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(
            f"categories must be a non-empty 1-D array (one category per row), got shape "
            f"{values.shape}"
        )
    _check_category_values(values, "categories")
    y = _check_target(y, values.size, "categories")
    smoothing = check_real(smoothing, "smoothing", low=0)
    _, codes, counts = _unique(values, "categories")
    sums = np.bincount(codes, weights=y)
    return _smoothed_mean(sums, counts, y.mean(), smoothing)[codes]


class TargetEncoder(OneToOneFeatureNames, TransformerMixin, BaseEstimator):
    r"""Replace each category by the smoothed mean of the label, out-of-fold on training rows.

    ``transform`` (validation, test and serving rows) uses the m-estimate over all training
    rows,

    .. math::

        \mathrm{enc}(c) = \frac{\sum_{i:\,c_i = c} y_i + m\,\bar y}{n_c + m},

    which shrinks rare categories toward the global mean :math:`\bar y` (a category with
    :math:`n_c = m` rows lands halfway), and gives :math:`\bar y` to unseen categories.
    ``fit_transform`` (the training rows) splits them into ``n_splits`` folds and encodes each
    fold with the sums, counts and prior :math:`\bar y` of the *other* folds only, so no row's
    encoding uses its own label.

    Parameters
    ----------
    smoothing : float, default=10.0
        The :math:`m` of the m-estimate, a number of pseudo-rows at the prior (>= 0).
    n_splits : int, default=5
        Number of folds of ``fit_transform`` (>= 2, at most the number of rows).
    shuffle : bool, default=True
        Shuffle the rows before cutting the folds (``sklearn.model_selection.KFold``).
    random_state : int, numpy.random.RandomState or None, default=None
        Seeds the shuffle.

    Attributes
    ----------
    categories_ : list of numpy.ndarray
        Sorted categories per column.
    encodings_ : list of numpy.ndarray
        Full-training-data encoding of each category, aligned with ``categories_``.
    target_mean_ : float
        The prior :math:`\bar y`.

    Notes
    -----
    **Why out-of-fold.** In-sample encoding (:func:`naive_target_encode`) includes the row's own
    label: for a category seen once it *is* the label. On a high-cardinality feature with no
    signal at all, a model fitted on it then has a training AUC far above 0.5 and a test AUC of
    0.5; the tests reproduce this. Out-of-fold estimates keep the training and serving
    distributions of the feature alike.

    **Folds.** Plain ``KFold``, never stratified on :math:`y`: the folds, and so the encoding of
    row :math:`i`, must not depend on row :math:`i`'s label. For time-ordered data, encode each
    period with earlier periods only instead (point-in-time).

    **Against scikit-learn.** ``sklearn.preprocessing.TargetEncoder(smooth=m,
    target_type="continuous", cv=KFold(n_splits, shuffle=True, random_state=r))`` computes the
    same m-estimate and the same folds, and gives identical output (tested); its default
    ``smooth="auto"`` instead picks a per-category shrinkage by empirical Bayes,
    :math:`m_c = \sigma^2_c / \tau^2` (within-category over between-category variance). Binary
    targets there default to ``StratifiedKFold``, whose folds depend on the labels. Only binary
    and continuous targets are handled here (encode one-vs-rest for multiclass).

    Examples
    --------
    >>> enc = TargetEncoder(smoothing=1.0).fit([["a"], ["a"], ["b"]], [1, 1, 0])
    >>> enc.target_mean_.round(4).item(), enc.encodings_[0].round(4).tolist()
    (0.6667, [0.8889, 0.3333])
    >>> enc.transform([["b"], ["unseen"]]).round(4).ravel().tolist()
    [0.3333, 0.6667]
    """

    def __init__(
        self,
        *,
        smoothing: float = 10.0,
        n_splits: int = 5,
        shuffle: bool = True,
        random_state=None,
    ):
        self.smoothing = smoothing
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state

    def _fit_statistics(self, X, y):
        smoothing = check_real(self.smoothing, "smoothing", low=0)
        columns = _categorical_input(self, X, reset=True)
        y = _check_target(y, len(columns[0]))
        self.target_mean_ = y.mean()
        self.categories_, self.encodings_, codes, stats = [], [], [], []
        for j, column in enumerate(columns):
            categories, column_codes, counts = _unique(column, f"X column {j}")
            sums = np.bincount(column_codes, weights=y, minlength=categories.size)
            self.categories_.append(categories)
            self.encodings_.append(_smoothed_mean(sums, counts, self.target_mean_, smoothing))
            codes.append(column_codes)
            stats.append((sums, counts))
        return y, codes, stats, smoothing

    def fit(self, X, y):
        """Learn the full-data encoding of every category (used by ``transform``)."""
        self._check_split_params()
        self._fit_statistics(X, y)
        return self

    def _check_split_params(self) -> int:
        n_splits = check_positive_int(self.n_splits, "n_splits")
        check_bool(self.shuffle, "shuffle")
        check_seed(self.random_state)
        return n_splits

    def fit_transform(self, X, y):
        """Fit on all rows, and return the *out-of-fold* encoding of these training rows."""
        n_splits = self._check_split_params()
        y, codes, stats, smoothing = self._fit_statistics(X, y)
        n_samples = y.size
        if not 2 <= n_splits <= n_samples:
            raise ValueError(
                f"n_splits must be between 2 and the number of rows ({n_samples}), got {n_splits}"
            )
        fold = np.empty(n_samples, dtype=np.int64)
        splitter = KFold(n_splits, shuffle=self.shuffle, random_state=self.random_state)
        for k, (_, held_out) in enumerate(splitter.split(np.empty((n_samples, 1)))):
            fold[held_out] = k
        fold_sums = np.bincount(fold, weights=y, minlength=n_splits)
        fold_counts = np.bincount(fold, minlength=n_splits)
        # the prior of fold k is the mean label of the other folds
        prior = ((y.sum() - fold_sums) / (n_samples - fold_counts))[fold]
        out = np.empty((n_samples, len(codes)))
        for j, (column_codes, (sums, counts)) in enumerate(zip(codes, stats, strict=True)):
            cell = column_codes * n_splits + fold
            size = sums.size * n_splits
            in_fold_sums = np.bincount(cell, weights=y, minlength=size)[cell]
            in_fold_counts = np.bincount(cell, minlength=size)[cell]
            other_sums = sums[column_codes] - in_fold_sums
            other_counts = counts[column_codes] - in_fold_counts
            out[:, j] = _smoothed_mean(other_sums, other_counts, prior, smoothing)
        return out

    def transform(self, X):
        """Encode with the full-training-data means; unseen categories get the prior."""
        check_is_fitted(self, "encodings_")
        columns = _categorical_input(self, X, reset=False)
        out = np.empty((len(columns[0]), len(columns)))
        for j, (column, categories, encodings) in enumerate(
            zip(columns, self.categories_, self.encodings_, strict=True)
        ):
            codes = _codes(categories, column)
            out[:, j] = np.where(codes >= 0, encodings[codes], self.target_mean_)
        return out


# --------------------------------------------------------------------------------------------
# Frequency encoding
# --------------------------------------------------------------------------------------------


class FrequencyEncoder(OneToOneFeatureNames, TransformerMixin, BaseEstimator):
    r"""Replace each category by its share (or count) of the training rows.

    .. math::

        \mathrm{enc}(c) = \frac{n_c}{n} \quad(\texttt{normalize=True}), \qquad
        \mathrm{enc}(c) = n_c \quad(\texttt{normalize=False}),

    0 for a category not seen in ``fit``.

    Parameters
    ----------
    normalize : bool, default=True
        Shares in [0, 1] rather than counts; shares do not change scale with the data size.

    Attributes
    ----------
    categories_ : list of numpy.ndarray
        Sorted categories per column.
    frequencies_ : list of numpy.ndarray
        Their shares or counts.

    Notes
    -----
    Categories with the same frequency get the same value; the encoding carries popularity, not
    identity. It needs no label, so it cannot leak one.

    Examples
    --------
    >>> FrequencyEncoder().fit([["a"], ["a"], ["b"], ["a"]]).transform([["a"], ["b"], ["z"]])
    array([[0.75],
           [0.25],
           [0.  ]])
    """

    def __init__(self, *, normalize: bool = True):
        self.normalize = normalize

    def fit(self, X, y=None):
        """Count each category of each column."""
        check_bool(self.normalize, "normalize")
        columns = _categorical_input(self, X, reset=True)
        self.categories_, self.frequencies_ = [], []
        for j, column in enumerate(columns):
            categories, _, counts = _unique(column, f"X column {j}")
            self.categories_.append(categories)
            self.frequencies_.append(counts / column.size if self.normalize else counts * 1.0)
        return self

    def transform(self, X):
        """Return the fitted frequency of every value, 0 for unseen ones."""
        check_is_fitted(self, "frequencies_")
        columns = _categorical_input(self, X, reset=False)
        out = np.empty((len(columns[0]), len(columns)))
        for j, (column, categories, frequencies) in enumerate(
            zip(columns, self.categories_, self.frequencies_, strict=True)
        ):
            codes = _codes(categories, column)
            out[:, j] = np.where(codes >= 0, frequencies[codes], 0.0)
        return out


# --------------------------------------------------------------------------------------------
# Hashing trick
# --------------------------------------------------------------------------------------------

_C1, _C2 = np.uint32(0xCC9E2D51), np.uint32(0x1B873593)


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def _fmix(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def murmurhash3_32(tokens, *, seed: int = 0) -> np.ndarray:
    r"""MurmurHash3 (x86, 32-bit) of the UTF-8 bytes of each string, vectorised with NumPy.

    Bit-for-bit equal to ``sklearn.utils.murmurhash3_32(token, seed)`` (signed), which hashes
    one string per call; here the strings are laid out as a zero-padded byte matrix and each
    4-byte block position is mixed for all strings at once. Unlike Python's ``hash``, the result
    does not depend on ``PYTHONHASHSEED``, so hashed features are the same in every process.

    Parameters
    ----------
    tokens : array-like of str, 1-D
        Strings to hash (without embedded trailing NUL characters).
    seed : int, default=0
        Seed in :math:`[0, 2^{32})`.

    Returns
    -------
    numpy.ndarray of int32

    Examples
    --------
    >>> murmurhash3_32(["", "foo"]).tolist()
    [0, -156908512]
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2**32), got {seed!r}")
    strings = np.asarray(tokens, dtype=np.str_)
    if strings.ndim != 1:
        raise ValueError(f"tokens must be 1-D, got shape {strings.shape}")
    data = np.strings.encode(strings, "utf-8")
    n, width = data.shape[0], data.dtype.itemsize
    lengths = np.strings.str_len(data).astype(np.uint32)
    n_blocks = max(1, -(-width // 4))
    padded = np.zeros((n, 4 * n_blocks), dtype=np.uint8)
    padded[:, :width] = data.view(np.uint8).reshape(n, width)
    blocks = padded.view("<u4")
    n_full_blocks = lengths // 4
    h = np.full(n, seed, dtype=np.uint32)
    for b in range(n_blocks):
        k = _rotl(blocks[:, b] * _C1, 15) * _C2
        body = _rotl(h ^ k, 13) * np.uint32(5) + np.uint32(0xE6546B64)
        # the block after the last full one holds the 0-3 tail bytes, mixed without the rotation;
        # with no tail bytes it is all zeros, and k = 0 leaves h unchanged
        h = np.where(b < n_full_blocks, body, np.where(b == n_full_blocks, h ^ k, h))
    return _fmix(h ^ lengths).view(np.int32)


def _hash_tokens(tokens: np.ndarray, n_features: int, seed: int, alternate_sign: bool):
    """Column index and sign of each token (hashing unique tokens once)."""
    codes, uniques = pd.factorize(tokens)
    hashes = murmurhash3_32(uniques.astype(str), seed=seed).astype(np.int64)
    index = (np.abs(hashes) % n_features)[codes]
    sign = np.where(hashes >= 0, 1.0, -1.0)[codes] if alternate_sign else np.ones(codes.size)
    return index, sign


def _hashed_matrix(token_columns, n_features, seed, alternate_sign):
    """CSR matrix with a (signed) 1 per token at its hashed column; collisions add up."""
    n_samples = len(token_columns[0])
    tokens = np.concatenate(token_columns)
    rows = np.tile(np.arange(n_samples), len(token_columns))
    index, sign = _hash_tokens(tokens, n_features, seed, alternate_sign)
    matrix = sparse.csr_matrix((sign, (rows, index)), shape=(n_samples, n_features))
    matrix.sum_duplicates()
    return matrix


def _check_hashing_params(n_features, seed, alternate_sign) -> int:
    check_bool(alternate_sign, "alternate_sign")
    n_features = check_positive_int(n_features, "n_features")
    if n_features > 2**31 - 1:
        raise ValueError(f"n_features must be at most 2**31 - 1, got {n_features}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2**32), got {seed!r}")
    return n_features


class HashingEncoder(TransformerMixin, BaseEstimator):
    r"""The hashing trick: each ``"<feature>=<value>"`` sets one of ``n_features`` columns.

    .. math::

        x_{i,\,h(t) \bmod D} \mathrel{+}= s(t), \qquad t = \texttt{"<feature>=<value>"},

    with :math:`h` the signed 32-bit MurmurHash3 of the UTF-8 bytes of :math:`t` (seeded),
    :math:`D` = ``n_features``, and :math:`s(t) = 1`, or :math:`\operatorname{sign}(h(t))` with
    ``alternate_sign`` (the column index uses :math:`|h(t)|`).

    Parameters
    ----------
    n_features : int, default=2**20
        Number of output columns :math:`D`. Collisions share a column: with :math:`V` distinct
        values, a value collides with some other with probability about :math:`1 - e^{-V/D}`.
    seed : int, default=0
        Hash seed in :math:`[0, 2^{32})`; a different seed gives different collisions.
    alternate_sign : bool, default=False
        Give each token a sign from its hash, so collisions cancel in expectation in inner
        products. Off by default: with one token per feature a linear model absorbs the sign in
        its weight, and the non-negative output reads as a hashed one-hot.

    Attributes
    ----------
    n_features_in_, feature_names_in_
        Input columns seen in ``fit`` (the only thing ``fit`` learns: no vocabulary is stored).

    Notes
    -----
    The hash is deterministic and independent of ``PYTHONHASHSEED``
    (:func:`murmurhash3_32`). With ``seed=0`` the output equals
    ``sklearn.feature_extraction.FeatureHasher(n_features, input_type="string",
    alternate_sign=alternate_sign)`` fed the same ``"<feature>=<value>"`` strings (tested).
    Values are turned into strings with ``str``, so pass a column with the same type at train
    and serving time (``1`` and ``1.0`` are different tokens). Features are named ``x0, x1, ...``
    for arrays, by their column names for DataFrames.

    Examples
    --------
    >>> enc = HashingEncoder(n_features=8).fit([["mobile", "us"], ["desktop", "us"]])
    >>> enc.transform([["mobile", "us"]]).toarray()
    array([[0., 0., 0., 1., 0., 0., 0., 1.]])
    """

    def __init__(self, n_features: int = 2**20, *, seed: int = 0, alternate_sign: bool = False):
        self.n_features = n_features
        self.seed = seed
        self.alternate_sign = alternate_sign

    def fit(self, X, y=None):
        """Check the parameters and record the input columns."""
        _check_hashing_params(self.n_features, self.seed, self.alternate_sign)
        _categorical_input(self, X, reset=True)
        return self

    def transform(self, X):
        """Return the hashed ``csr_matrix`` of shape (n_samples, n_features)."""
        check_is_fitted(self, "n_features_in_")
        n_features = _check_hashing_params(self.n_features, self.seed, self.alternate_sign)
        columns = _categorical_input(self, X, reset=False)
        token_columns = [
            np.char.add(f"{name}=", column.astype(str))
            for name, column in zip(check_input_features(self, None), columns, strict=True)
        ]
        return _hashed_matrix(token_columns, n_features, self.seed, self.alternate_sign)

    def get_feature_names_out(self, input_features=None):
        """Names ``"hash_0"`` ... ``"hash_{D-1}"`` (a column mixes every value hashed to it)."""
        check_is_fitted(self, "n_features_in_")
        check_input_features(self, input_features)
        return np.asarray([f"hash_{i}" for i in range(self.n_features)], dtype=object)
