r"""Index a table of categorical fields into one global id space, the input of field models.

Factorisation machines, Wide & Deep and DeepFM see a sample as one active value per *field*
(weekday, city, ad slot, ...). Their weights live in tables indexed by a single integer id per
(field, value): field :math:`j` owns the contiguous block of ids
:math:`[o_j, o_j + |C_j|]`, its kept values :math:`C_j` taking :math:`o_j, \dots, o_j + |C_j| - 1`
and the last id :math:`o_j + |C_j|` standing for every value not kept (unseen in ``fit`` or rarer
than ``min_count``):

.. math::

    \text{id}_j(v) = \begin{cases} o_j + \operatorname{rank}_{C_j}(v) & v \in C_j \\
                                    o_j + |C_j| & \text{otherwise} \end{cases}, \qquad
    o_{j+1} = o_j + |C_j| + 1, \quad o_0 = 0.

One table row per id is the sparse equivalent of the one-hot vector of each field concatenated:
:math:`x^\top w = \sum_j w_{\text{id}_j}` for the one-hot :math:`x`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from mlref._validation import OneToOneFeatureNames, check_positive_int
from mlref.features.categorical import _categorical_input, _codes, _unique

__all__ = ["FieldIndexer"]


class FieldIndexer(OneToOneFeatureNames, TransformerMixin, BaseEstimator):
    r"""Map each (field, value) of a categorical table to one integer id of a shared space.

    Parameters
    ----------
    min_count : int, default=1
        Values seen fewer than ``min_count`` times in ``fit`` share their field's reserved id
        with unseen values (so rare values do not get an embedding fitted on a handful of rows).

    Attributes
    ----------
    categories_ : list of numpy.ndarray
        The kept values of each field, sorted; value ``categories_[j][k]`` has id
        ``field_offsets_[j] + k``.
    field_offsets_ : numpy.ndarray of int64, shape (n_fields,)
        First id of each field; the field's reserved id for other values is
        ``field_offsets_[j] + len(categories_[j])``.
    n_ids_ : int
        Size of the id space, ``sum(len(c) + 1 for c in categories_)``: the number of rows of an
        embedding table over the output.
    n_features_in_ : int
        Number of fields.
    feature_names_in_ : numpy.ndarray of str
        Field names, when ``X`` was a DataFrame with string column names.

    Notes
    -----
    Values may be any hashable, comparable type (integers, strings, the values of a pandas
    ``category`` column); a category column's *declared* categories that never occur in ``fit``
    are not given an id. Missing values (None/NaN) raise :class:`ValueError`: fill them with an
    explicit value first. Numbers must be discretised before (e.g. with
    :class:`mlref.features.numeric.QuantileBinner`): a float column would get one id per
    distinct value. The values are matched with :meth:`pandas.Index.get_indexer`, one
    vectorised pass per field.

    Examples
    --------
    >>> X = [["mon", "paris"], ["tue", "paris"], ["mon", "lyon"]]
    >>> indexer = FieldIndexer().fit(X)
    >>> indexer.field_offsets_.tolist(), indexer.n_ids_
    ([0, 3], 6)
    >>> indexer.transform([["tue", "lyon"], ["sun", "nice"]]).tolist()
    [[1, 3], [2, 5]]
    """

    def __init__(self, *, min_count: int = 1):
        self.min_count = min_count

    def fit(self, X, y=None):
        """Learn the kept values of each field and lay out the id space."""
        min_count = check_positive_int(self.min_count, "min_count")
        columns = _categorical_input(self, X, reset=True)
        self.categories_ = []
        for j, column in enumerate(columns):
            categories, _, counts = _unique(column, f"X column {j}")
            self.categories_.append(categories[counts >= min_count])
        sizes = np.array([c.size + 1 for c in self.categories_], dtype=np.int64)
        self.field_offsets_ = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self.n_ids_ = int(sizes.sum())
        return self

    def transform(self, X) -> np.ndarray:
        """Return the ids, an int64 array of shape (n_samples, n_fields)."""
        check_is_fitted(self, "categories_")
        columns = _categorical_input(self, X, reset=False)
        ids = np.empty((len(columns[0]), len(columns)), dtype=np.int64)
        for j, (column, categories) in enumerate(zip(columns, self.categories_, strict=True)):
            codes = _codes(categories, column)
            ids[:, j] = self.field_offsets_[j] + np.where(codes < 0, categories.size, codes)
        return ids

    def one_hot(self, X) -> sp.csr_matrix:
        """The same ids as a one-hot CSR matrix of shape (n_samples, ``n_ids_``), one 1 per field.

        This is the input of a linear model (or of XGBoost) over the very values, and "rare"
        buckets, that the field models embed.

        Examples
        --------
        >>> indexer = FieldIndexer().fit([["a", "x"], ["b", "x"]])
        >>> indexer.one_hot([["b", "y"]]).toarray().tolist()
        [[0.0, 1.0, 0.0, 0.0, 1.0]]
        """
        ids = self.transform(X)
        n_samples, n_fields = ids.shape
        indptr = np.arange(0, ids.size + 1, n_fields)
        return sp.csr_matrix(
            (np.ones(ids.size), ids.ravel(), indptr), shape=(n_samples, self.n_ids_)
        )
