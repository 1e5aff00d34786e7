r"""Text embeddings learned from the corpus itself: truncated SVD of TF-IDF (latent semantic
analysis), and the row-wise cosine similarity that turns two embeddings into a feature.

Section 5 of the reference lists "embedding cosine similarity" among the query–document
features. Nothing is downloaded: the embedding of a text is its TF-IDF vector projected on the
top right-singular vectors of the corpus's TF-IDF matrix,

.. math:: X \approx U_r \Sigma_r V_r^\top, \qquad e(x) = x\, V_r,

so texts that share vocabulary — or whose words co-occur with the same words — get nearby
vectors.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.decomposition import TruncatedSVD
from sklearn.utils.validation import check_is_fitted

from mlref._validation import as_array, check_array_2d, check_positive_int
from mlref.features.text import Tfidf

__all__ = ["TextEmbedder", "cosine_similarity"]


class TextEmbedder(BaseEstimator):
    """Dense text embeddings: TF-IDF (:class:`mlref.features.text.Tfidf`), then truncated SVD.

    Parameters
    ----------
    n_components : int, default 64
        Embedding dimension; at most ``min(n_docs, n_terms) - 1``.
    ngram_range : (int, int), default (1, 1)
    sublinear_tf : bool, default True
        :math:`1 + \\ln \\operatorname{tf}`, usual for LSA.
    random_state : int or None, default 0
        Seed of the randomised SVD.

    Attributes
    ----------
    tfidf_ : Tfidf
    svd_ : sklearn.decomposition.TruncatedSVD
    explained_variance_ratio_ : ndarray of shape (n_components,)

    Examples
    --------
    >>> docs = ["red running shoes", "blue running shoes", "red dress", "blue dress", "hat"]
    >>> embedder = TextEmbedder(n_components=2).fit(docs)
    >>> embedder.transform(["running shoes"]).shape
    (1, 2)
    """

    def __init__(self, n_components=64, *, ngram_range=(1, 1), sublinear_tf=True, random_state=0):
        self.n_components = n_components
        self.ngram_range = ngram_range
        self.sublinear_tf = sublinear_tf
        self.random_state = random_state

    def fit(self, corpus, y=None):
        """Fit the TF-IDF and the SVD on ``corpus`` (strings or token lists)."""
        n_components = check_positive_int(self.n_components, "n_components")
        tfidf = Tfidf(ngram_range=self.ngram_range, sublinear_tf=self.sublinear_tf)
        matrix = tfidf.fit_transform(corpus)
        largest = min(matrix.shape) - 1
        if n_components > largest:
            raise ValueError(
                f"n_components must be < min(n_docs, n_terms) = {largest + 1} for this corpus, "
                f"got {n_components}; lower it or fit on a larger corpus"
            )
        svd = TruncatedSVD(n_components=n_components, random_state=self.random_state)
        svd.fit(matrix)
        self.tfidf_ = tfidf
        self.svd_ = svd
        self.explained_variance_ratio_ = svd.explained_variance_ratio_
        return self

    def transform(self, texts) -> np.ndarray:
        """Embeddings of ``texts``, shape (n_texts, n_components)."""
        check_is_fitted(self, "svd_")
        return self.svd_.transform(self.tfidf_.transform(texts))

    def fit_transform(self, corpus, y=None) -> np.ndarray:
        """:meth:`fit`, then :meth:`transform` the same corpus."""
        return self.fit(corpus).transform(corpus)


def _unit_max_rows(x: np.ndarray) -> np.ndarray:
    largest = np.abs(x).max(axis=1, keepdims=True)
    return np.divide(x, largest, out=np.zeros_like(x), where=largest > 0)


def cosine_similarity(a, b) -> np.ndarray:
    r"""Cosine similarity of each row of ``a`` with the same row of ``b``.

    .. math:: \cos(a_i, b_i) = \frac{a_i \cdot b_i}{\lVert a_i \rVert\, \lVert b_i \rVert}

    A row of zeros has no direction; its similarity is defined as 0.

    Parameters
    ----------
    a, b : array-like of shape (n, d)
        A single row of ``b`` (shape (1, d) or (d,)) is compared with every row of ``a``.

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> a = [[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]
    >>> b = [[2.0, 0.0], [-1.0, -1.0], [1.0, 0.0]]
    >>> np.round(cosine_similarity(a, b), 6).tolist()
    [1.0, -1.0, 0.0]
    """
    a = check_array_2d(a, "a")
    b = check_array_2d(np.atleast_2d(as_array(b, "b", np.float64)), "b")
    if b.shape[0] == 1:
        b = np.broadcast_to(b, a.shape)
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must have the same shape (or b a single row), got {a.shape} and {b.shape}"
        )
    # Cosine ignores length: scale each row to max |x| = 1 first, so that huge but finite
    # vectors do not overflow the dot product and the norms (inf / inf would be NaN).
    a, b = _unit_max_rows(a), _unit_max_rows(b)
    dot = np.einsum("ij,ij->i", a, b)
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    cosine = np.divide(dot, norms, out=np.zeros_like(dot), where=norms > 0)
    return np.clip(cosine, -1.0, 1.0)
