r"""Feature crosses for wide (linear) models: explicit string crosses and hashed crosses.

A linear model scores :math:`w^\top x`, a sum of per-feature effects: it cannot learn that a
high price hurts in one category and not in another. Crossing two categorical features makes
one indicator per *combination* (``price_bucket=high & category=shoes``), whose weight is that
interaction. This is the "wide" half of wide-and-deep models and the classic way ads CTR models
were built.

* :func:`cross_features` writes the combination as a new categorical column (to one-hot or
  target-encode), fine while the number of combinations is modest;
* :class:`HashedCrosser` hashes the combinations straight into a fixed-width sparse matrix, with
  no vocabulary, for crosses of high-cardinality features (query × product).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from mlref._validation import check_dataframe, check_input_features
from mlref.features.categorical import (
    _categorical_input,
    _check_category_values,
    _check_hashing_params,
    _hashed_matrix,
)

__all__ = ["HashedCrosser", "cross_features"]


def _check_pairs(pairs, available, name: str = "pairs") -> list[tuple]:
    """Each cross is a tuple of at least two distinct features among ``available``."""
    try:
        crosses = [tuple(p) for p in pairs]
    except TypeError as exc:
        raise ValueError(
            f"{name} must be a list of tuples of features, e.g. [('price_bucket', 'category')]"
        ) from exc
    if not crosses:
        raise ValueError(f"{name} is empty; pass at least one tuple of features to cross")
    available = list(available)
    for cross in crosses:
        if len(cross) < 2 or len(set(cross)) != len(cross):
            raise ValueError(
                f"each cross in {name} needs at least two distinct features, got {cross!r}"
            )
        unknown = [f for f in cross if f not in available]
        if unknown:
            raise ValueError(
                f"{name} refers to unknown feature(s) {unknown}; available: {available}"
            )
    return crosses


def cross_features(df: pd.DataFrame, pairs, *, sep: str = "_x_", joiner: str = "|"):
    r"""Explicit crosses: one new categorical column per tuple of columns.

    Row :math:`i` of the cross of columns :math:`a, b` is the string
    :math:`\mathrm{str}(a_i) \,\|\, \texttt{joiner} \,\|\, \mathrm{str}(b_i)`, so it takes
    one value per observed combination.

    Parameters
    ----------
    df : pandas.DataFrame
        The categorical (or bucketed numeric) columns to cross; no missing values in them.
    pairs : list of tuple of str
        Columns to cross, e.g. ``[("price_bucket", "category")]``; tuples of three or more
        columns give higher-order crosses.
    sep : str, default="_x_"
        Separator of the new column's name (``"price_bucket_x_category"``).
    joiner : str, default="|"
        Separator of the values. Pick one that no value contains, or two different pairs of
        values could give the same string (``"a|" + "b"`` and ``"a" + "|b"``).

    Returns
    -------
    pandas.DataFrame
        Only the crossed columns, indexed like ``df`` (``pd.concat([df, crosses], axis=1)`` to
        keep the originals), of dtype ``object``.

    Examples
    --------
    >>> df = pd.DataFrame({"bucket": ["low", "high"], "category": ["shoes", "shoes"]})
    >>> cross_features(df, [("bucket", "category")])["bucket_x_category"].tolist()
    ['low|shoes', 'high|shoes']
    """
    check_dataframe(df, "df", allow_empty=True, hint="the crosses refer to its column names")
    crosses = _check_pairs(pairs, df.columns)
    out = {}
    for cross in crosses:
        parts = []
        for column in cross:
            _check_category_values(df[column].to_numpy(), f"df[{column!r}]")
            parts.append(df[column].astype(str).to_numpy(dtype=object))
        combined = parts[0]
        for part in parts[1:]:
            combined = combined + joiner + part
        out[sep.join(str(c) for c in cross)] = combined
    return pd.DataFrame(out, index=df.index, dtype=object)


class HashedCrosser(TransformerMixin, BaseEstimator):
    r"""Hashed crosses: each combination of values sets one of ``n_features`` sparse columns.

    For a cross of features :math:`a, b` the token
    ``"a=<a_i>&b=<b_i>"`` is hashed as in :class:`~mlref.features.categorical.HashingEncoder`
    (MurmurHash3 of its UTF-8 bytes, modulo :math:`D`); every cross adds one (signed) 1 per row,
    collisions adding up.

    Parameters
    ----------
    pairs : list of tuple
        Features to cross: column names for a DataFrame, ``"x0", "x1", ...`` for an array.
    n_features : int, default=2**20
        Number of output columns :math:`D`.
    seed : int, default=0
        Hash seed in :math:`[0, 2^{32})`.
    alternate_sign : bool, default=False
        Sign each token by its hash (see ``HashingEncoder``).

    Attributes
    ----------
    crosses_ : list of tuple
        The validated crosses.
    n_features_in_, feature_names_in_
        Input columns seen in ``fit``.

    Notes
    -----
    Equal to hashing the strings of :func:`cross_features` turned into ``"<name>=<value>"``
    tokens; nothing is stored, so unseen combinations at serving time still get a column (the
    weight there is whatever colliding training combinations learned, usually 0 with L1/L2).

    Examples
    --------
    >>> df = pd.DataFrame({"bucket": ["low", "high"], "category": ["shoes", "shoes"]})
    >>> crosser = HashedCrosser([("bucket", "category")], n_features=16).fit(df)
    >>> crosser.transform(df).nonzero()[1].tolist()
    [7, 10]
    """

    def __init__(
        self, pairs, n_features: int = 2**20, *, seed: int = 0, alternate_sign: bool = False
    ):
        self.pairs = pairs
        self.n_features = n_features
        self.seed = seed
        self.alternate_sign = alternate_sign

    def fit(self, X, y=None):
        """Check the crosses against the columns of ``X``."""
        _check_hashing_params(self.n_features, self.seed, self.alternate_sign)
        _categorical_input(self, X, reset=True)
        self.crosses_ = _check_pairs(self.pairs, check_input_features(self, None))
        return self

    def transform(self, X):
        """Return the hashed crosses as a ``csr_matrix`` of shape (n_samples, n_features)."""
        check_is_fitted(self, "crosses_")
        n_features = _check_hashing_params(self.n_features, self.seed, self.alternate_sign)
        columns = dict(
            zip(
                check_input_features(self, None),
                _categorical_input(self, X, reset=False),
                strict=True,
            )
        )
        token_columns = []
        for cross in self.crosses_:
            parts = [np.char.add(f"{name}=", columns[name].astype(str)) for name in cross]
            tokens = parts[0]
            for part in parts[1:]:
                tokens = np.char.add(np.char.add(tokens, "&"), part)
            token_columns.append(tokens)
        return _hashed_matrix(token_columns, n_features, self.seed, self.alternate_sign)

    def get_feature_names_out(self, input_features=None):
        """Names ``"hash_0"`` ... ``"hash_{D-1}"``."""
        check_is_fitted(self, "crosses_")
        check_input_features(self, input_features)
        return np.asarray([f"hash_{i}" for i in range(self.n_features)], dtype=object)
