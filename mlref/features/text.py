r"""Text relevance features: tokenizer, BM25, TF-IDF, edit distance and exact-match signals.

Section 5 of the reference lists the query–document text features of a search ranker: BM25
("the strongest signal"), TF-IDF similarity, edit distance, exact match and embedding cosine
(the last lives in :mod:`mlref.features.embeddings`).

BM25 scores a document :math:`d` for a query :math:`q` as

.. math::

    \operatorname{BM25}(q, d) = \sum_{t \in q} \operatorname{IDF}(t)\,
    \frac{\operatorname{tf}(t, d)\,(k_1 + 1)}
    {\operatorname{tf}(t, d) + k_1 \left(1 - b + b\,\frac{|d|}{\operatorname{avgdl}}\right)}

with :math:`k_1 = 1.5` (term-frequency saturation) and :math:`b = 0.75` (length normalisation).
:class:`BM25` precomputes the summand of every (term, document) pair once, at ``fit``, in a
sparse term–document matrix; a query's scores are then the sum of its terms' rows (one pass
over their postings into a dense row), and a batch of rare-term queries is one sparse product
followed by a top-k over the documents sharing a term with the query.

Also here: :class:`Tfidf` (equal to scikit-learn's ``TfidfVectorizer`` with this tokenizer) and
:func:`tfidf_cosine`, :func:`edit_distance` (Levenshtein) and :func:`exact_match` features.
"""

from __future__ import annotations

import numbers
import re
from itertools import chain

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from mlref._validation import (
    check_bool,
    check_option,
    check_positive_int,
    check_real,
    check_same_length,
)

__all__ = [
    "BM25",
    "Tfidf",
    "edit_distance",
    "edit_distance_batch",
    "exact_match",
    "exact_match_batch",
    "tfidf_cosine",
    "tfidf_matrix",
    "tokenize",
    "tokenize_many",
    "top_k_rows",
    "top_k_sparse_rows",
]

_WORD = re.compile(r"[^\W_]+")
# Block size of the pre-selection in the top-k functions; queries scored per sparse product in
# BM25.search_batch; a query whose terms' postings exceed n_docs / _DENSE_FRACTION is scored into
# a dense row instead.
_BLOCK = 64
_QUERY_CHUNK = 128
_DENSE_FRACTION = 4


def _check_ngram_range(ngram_range) -> tuple[int, int]:
    ok = (
        isinstance(ngram_range, tuple | list)
        and len(ngram_range) == 2
        and all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in ngram_range)
        and 1 <= ngram_range[0] <= ngram_range[1]
    )
    if not ok:
        raise ValueError(
            f"ngram_range must be a pair (min_n, max_n) of integers with 1 <= min_n <= max_n, "
            f"got {ngram_range!r}; use (1, 1) for single words, (1, 2) to add bigrams"
        )
    return int(ngram_range[0]), int(ngram_range[1])


def _ngrams(words: list[str], min_n: int, max_n: int) -> list[str]:
    if (min_n, max_n) == (1, 1):
        return words
    grams = []
    for n in range(min_n, max_n + 1):
        grams.extend(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    return grams


def tokenize(text: str, *, ngram_range: tuple[int, int] = (1, 1)) -> list[str]:
    """Split ``text`` into lowercase word tokens and, optionally, word n-grams.

    Words are maximal runs of letters and digits (any alphabet); everything else — spaces,
    punctuation, underscores — separates them. There is no stemming and no stop-word list, so
    "Shoes" and "shoe" stay different terms.

    Parameters
    ----------
    text : str
        The text to split.
    ngram_range : (int, int), default (1, 1)
        Smallest and largest n of the word n-grams to emit; an n-gram is its words joined by one
        space. All 1-grams come first, then all 2-grams, and so on.

    Returns
    -------
    list of str

    Examples
    --------
    >>> tokenize("Nike Air-Max 90, men's")
    ['nike', 'air', 'max', '90', 'men', 's']
    >>> tokenize("red running shoes", ngram_range=(1, 2))
    ['red', 'running', 'shoes', 'red running', 'running shoes']
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}; convert it with str()")
    min_n, max_n = _check_ngram_range(ngram_range)
    return _ngrams(_WORD.findall(text.lower()), min_n, max_n)


def tokenize_many(texts, *, ngram_range: tuple[int, int] = (1, 1)) -> list[list[str]]:
    """Tokenize every text of ``texts`` with :func:`tokenize`.

    Examples
    --------
    >>> tokenize_many(["Red shoes", "", "Blue"])
    [['red', 'shoes'], [], ['blue']]
    """
    min_n, max_n = _check_ngram_range(ngram_range)
    texts = _check_sequence(texts, "texts")
    bad = next((i for i, t in enumerate(texts) if not isinstance(t, str)), None)
    if bad is not None:
        raise ValueError(
            f"texts[{bad}] must be a str, got {type(texts[bad]).__name__}; convert with str()"
        )
    return [_ngrams(_WORD.findall(t.lower()), min_n, max_n) for t in texts]


def _factorize_sorted(tokens, n_tokens: int, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of ``tokens`` into their sorted distinct values (hash-based, one pass)."""
    codes, uniques = pd.factorize(np.fromiter(tokens, dtype=object, count=n_tokens))
    uniques = np.asarray(uniques, dtype=object)
    if (codes < 0).any():  # pandas codes None and NaN as missing
        _check_tokens_are_str([None], name)
    _check_tokens_are_str(uniques, name)
    order = np.argsort(uniques)
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    return rank[codes], uniques[order]


def _term_document_counts(corpus, ngram_range) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Term × document count matrix (CSR, terms sorted), the terms, and document lengths."""
    docs = _as_token_lists(corpus, "corpus", ngram_range, check_tokens=False)
    if not docs:
        raise ValueError("corpus is empty; pass at least one document")
    n_docs = len(docs)
    doc_len = np.fromiter(map(len, docs), dtype=np.int64, count=n_docs)
    if doc_len.sum() == 0:
        raise ValueError(
            "every document of corpus is empty after tokenization (empty vocabulary); "
            "pass documents that contain words"
        )
    term_ids, terms = _factorize_sorted(
        chain.from_iterable(docs), int(doc_len.sum()), "the token lists of corpus"
    )
    doc_ids = np.repeat(np.arange(n_docs, dtype=np.int32), doc_len)
    # Within each term row the entries arrive in document order, so the CSR conversion only
    # has to add up repeated (term, document) pairs.
    counts = sp.coo_matrix(
        (np.ones(len(term_ids)), (term_ids, doc_ids)), shape=(len(terms), n_docs)
    ).tocsr()
    counts.sum_duplicates()
    return counts, terms, doc_len


def _check_sequence(values, name: str) -> list:
    if isinstance(values, str) or not hasattr(values, "__iter__"):
        raise ValueError(
            f"{name} must be a list of texts or token lists, got {type(values).__name__}; "
            f"wrap a single text in a list"
        )
    shape = getattr(values, "shape", None)
    if shape is not None and len(shape) != 1:
        raise ValueError(
            f"{name} must be 1-D, one text per document, got shape {tuple(shape)}; pass a single "
            f"column, e.g. X[:, 0] or df['title'] (a 2-D column would be read as token lists)"
        )
    return values if isinstance(values, list) else list(values)


def _as_tokens(item, name: str, ngram_range: tuple[int, int], *, check_tokens=True) -> list:
    """A text (tokenized) or a list of tokens (used as given)."""
    if isinstance(item, str):
        return _ngrams(_WORD.findall(item.lower()), *ngram_range)
    if isinstance(item, list | tuple | np.ndarray):
        if check_tokens:
            _check_tokens_are_str(item, name)
        return item if isinstance(item, list) else list(item)
    raise ValueError(
        f"{name} must be a str or a list of str tokens, got {type(item).__name__}; "
        "tokenize it with mlref.features.text.tokenize"
    )


def _check_tokens_are_str(tokens, name: str) -> None:
    position = next((i for i, t in enumerate(tokens) if not isinstance(t, str)), None)
    if position is not None:
        bad = tokens[position]
        raise ValueError(
            f"{name} must hold str tokens, found {bad!r} of type {type(bad).__name__}; "
            "convert tokens with str() or pass the text itself"
        )


def _as_token_lists(items, name: str, ngram_range: tuple[int, int], *, check_tokens=True):
    """Token lists of many texts or token lists.

    With ``check_tokens=False`` the tokens of lists are not inspected one by one; the caller
    checks the distinct tokens instead (far fewer).
    """
    items = _check_sequence(items, name)
    return [
        _as_tokens(item, f"{name}[{i}]", ngram_range, check_tokens=check_tokens)
        for i, item in enumerate(items)
    ]


def top_k_rows(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` columns of every row of a dense score matrix.

    Ties are broken by the lower column index, so the result does not depend on how
    :func:`numpy.partition` happens to order equal values.

    Returns
    -------
    indices, values : ndarray of shape (n_rows, min(k, n_columns))
        Columns sorted by score descending, then by index ascending.

    Examples
    --------
    >>> indices, values = top_k_rows(np.array([[0.5, 2.0, 0.5, 1.0]]), 3)
    >>> indices.tolist(), values.tolist()
    ([[1, 3, 0]], [[2.0, 1.0, 0.5]])
    """
    n_rows, n_cols = scores.shape
    k = min(k, n_cols)
    n_blocks = n_cols // _BLOCK
    if n_blocks <= k:
        return _top_k_rows_by_partition(scores, k)
    # The k-th largest of the block maxima is a lower bound on the k-th largest score (k
    # distinct entries reach it), so only the entries above it need sorting. Any partition of
    # the columns works; block j holds columns j, j + n_blocks, ..., so that NumPy takes the
    # maxima in one vectorised pass over contiguous rows.
    head = scores[:, : n_blocks * _BLOCK].reshape(n_rows, _BLOCK, n_blocks)
    block_max = head.max(axis=1)
    threshold = np.partition(block_max, n_blocks - k, axis=1)[:, n_blocks - k]
    rows, cols = np.nonzero(scores >= threshold[:, None])
    values = scores[rows, cols]
    # nonzero lists columns in ascending order and lexsort is stable: ties keep the lower column.
    order = np.lexsort((-values, rows))
    rows, cols, values = rows[order], cols[order], values[order]
    keep = _rank_within_rows(rows, n_rows) < k
    return cols[keep].reshape(n_rows, k), values[keep].reshape(n_rows, k)


def _top_k_rows_by_partition(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    n_rows, n_cols = scores.shape
    kth = np.partition(scores, n_cols - k, axis=1)[:, n_cols - k]
    above = scores > kth[:, None]
    tied = scores == kth[:, None]
    still_needed = k - above.sum(axis=1)
    chosen = above | (tied & (np.cumsum(tied, axis=1) <= still_needed[:, None]))
    columns = np.nonzero(chosen)[1].reshape(n_rows, k)
    values = np.take_along_axis(scores, columns, axis=1)
    order = np.argsort(-values, axis=1, kind="stable")
    return np.take_along_axis(columns, order, axis=1), np.take_along_axis(values, order, axis=1)


def _top_k_of_row(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`top_k_rows` of a single 1-D row."""
    k = min(k, len(scores))
    n_blocks = len(scores) // _BLOCK
    if n_blocks > k:
        # as in top_k_rows: block j holds entries j, j + n_blocks, ...
        block_max = scores[: n_blocks * _BLOCK].reshape(_BLOCK, n_blocks).max(axis=0)
        threshold = np.partition(block_max, n_blocks - k)[n_blocks - k]
        candidates = np.flatnonzero(scores >= threshold)
    else:
        candidates = np.arange(len(scores))
    # candidates ascend and the sort is stable: ties keep the lower index
    top = candidates[np.argsort(-scores[candidates], kind="stable")[:k]]
    return top, scores[top]


def _rank_within_rows(row_of_entry: np.ndarray, n_rows: int) -> np.ndarray:
    """Position of each entry among the entries of its row (entries grouped by row)."""
    counts = np.bincount(row_of_entry, minlength=n_rows)
    starts = np.cumsum(counts) - counts
    return np.arange(len(row_of_entry)) - starts[row_of_entry]


def top_k_sparse_rows(scores: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`top_k_rows` for a sparse matrix whose unstored entries are zeros.

    The work is proportional to the stored entries, not to the number of columns: stored
    positive scores are sorted within their rows; rows left with fewer than ``k`` are filled
    with the lowest-indexed zero-score columns, then with the best negative scores.
    """
    n_rows, n_cols = scores.shape
    k = min(k, n_cols)
    scores = scores.tocsr(copy=True)
    scores.sum_duplicates()
    rows = np.repeat(np.arange(n_rows), np.diff(scores.indptr))
    cols, vals = scores.indices, scores.data
    out_cols = np.empty((n_rows, k), dtype=np.int64)
    out_vals = np.empty((n_rows, k))
    n_taken = np.zeros(n_rows, dtype=np.int64)

    def place(entry_rows, entry_cols, entry_vals, limit):
        rank = _rank_within_rows(entry_rows, n_rows)
        keep = rank < limit[entry_rows]
        entry_rows, rank = entry_rows[keep], rank[keep]
        slot = n_taken[entry_rows] + rank
        out_cols[entry_rows, slot] = entry_cols[keep]
        out_vals[entry_rows, slot] = entry_vals[keep] if np.ndim(entry_vals) else entry_vals
        n_taken[:] += np.bincount(entry_rows, minlength=n_rows)

    def place_sorted(mask, limit):
        r, c, v = rows[mask], cols[mask], vals[mask]
        survive = _may_reach_top(r, v, limit, n_rows)
        r, c, v = r[survive], c[survive], v[survive]
        # Columns ascend within each row and lexsort is stable, so ties keep the lower column.
        order = np.lexsort((-v, r))
        place(r[order], c[order], v[order], limit)

    place_sorted(vals > 0, np.full(n_rows, k))

    still_needed = k - n_taken
    if still_needed.any():
        nonzero = vals != 0
        n_nonzero = np.bincount(rows[nonzero], minlength=n_rows)
        fill = np.flatnonzero(still_needed > 0)
        # The first `needed` zero-score columns lie below needed + (number of nonzero columns).
        span = np.minimum(still_needed[fill] + n_nonzero[fill], n_cols)
        cand_rows = np.repeat(fill, span)
        cand_cols = np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span)
        blocked = nonzero & (still_needed[rows] > 0)
        is_blocked = np.isin(
            cand_rows * n_cols + cand_cols, rows[blocked] * n_cols + cols[blocked].astype(np.int64)
        )
        place(cand_rows[~is_blocked], cand_cols[~is_blocked], 0.0, still_needed)

    still_needed = k - n_taken
    if still_needed.any():
        place_sorted((vals < 0) & (still_needed[rows] > 0), still_needed)
    return out_cols, out_vals


def _may_reach_top(rows: np.ndarray, values: np.ndarray, limit: np.ndarray, n_rows: int):
    """Mask of the entries that can be among the ``limit[row]`` largest of their row.

    Each row's entries (grouped by row) are cut into blocks of ``_BLOCK`` and the blocks'
    maxima ranked. The ``limit``-th largest block maximum is a lower bound on the
    ``limit``-th largest entry — that many distinct entries reach it — so anything smaller can
    be dropped before the exact sort, which then only sees a few entries per row.
    """
    counts = np.bincount(rows, minlength=n_rows)
    n_blocks = -(-counts // _BLOCK)
    if not (n_blocks > limit).any():
        return np.ones(len(rows), dtype=bool)
    block_rows = np.repeat(np.arange(n_rows), n_blocks)
    row_starts = np.cumsum(counts) - counts
    block_starts = row_starts[block_rows] + _rank_within_rows(block_rows, n_rows) * _BLOCK
    block_max = np.maximum.reduceat(values, block_starts)
    order = np.lexsort((-block_max, block_rows))
    ranked_rows = block_rows[order]
    at_limit = _rank_within_rows(ranked_rows, n_rows) == limit[ranked_rows] - 1
    threshold = np.full(n_rows, -np.inf)
    threshold[ranked_rows[at_limit]] = block_max[order][at_limit]
    return values >= threshold[rows]


class BM25(BaseEstimator):
    r"""Okapi BM25 over a sparse term–document index.

    Parameters
    ----------
    k1 : float, default 1.5
        Term-frequency saturation, :math:`k_1 \ge 0`; 0 makes the score ignore repetitions.
    b : float, default 0.75
        Length normalisation in [0, 1]; 0 ignores document length.
    idf : {"source", "lucene"}, default "source"
        ``"source"`` is the reference's (Robertson–Spärck Jones) weighting with the
        :math:`(k_1 + 1)` numerator shown in the module docstring,

        .. math:: \operatorname{IDF}(t) = \log \frac{N - \operatorname{df}(t) + 0.5}
                  {\operatorname{df}(t) + 0.5},

        the same numbers as ``rank_bm25.BM25Okapi`` without its IDF floor. ``"lucene"`` is
        Lucene's BM25 (and bm25s's ``method="lucene"``):

        .. math:: \operatorname{IDF}(t) = \log\left(1 + \frac{N - \operatorname{df}(t) + 0.5}
                  {\operatorname{df}(t) + 0.5}\right)

        and no :math:`(k_1 + 1)` factor in the numerator — a constant that never changes a
        ranking, which Lucene dropped. Lucene scores are therefore never negative.
    ngram_range : (int, int), default (1, 1)
        Passed to :func:`tokenize` for documents and queries given as strings.

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Term to row of the index; terms sorted.
    terms_ : ndarray of str
        The terms, in index order.
    doc_freq_ : ndarray of shape (n_terms,)
        Number of documents containing each term.
    idf_ : ndarray of shape (n_terms,)
    doc_len_ : ndarray of shape (n_docs,)
        Tokens per document.
    avgdl_ : float
        Mean document length.
    n_docs_ : int
    term_freq_ : scipy.sparse.csr_matrix of shape (n_terms, n_docs)
        How often each term occurs in each document.
    weights_ : scipy.sparse.csr_matrix of shape (n_terms, n_docs)
        The BM25 summand of each (term, document) pair; same sparsity as ``term_freq_``.

    Notes
    -----
    **Negative scores.** With ``idf="source"``, a term in more than half the documents has
    :math:`N - \operatorname{df} < \operatorname{df}`, so its IDF — and every score it adds — is
    negative: matching a very common word *lowers* a document below one that does not contain
    it (at exactly half, IDF is 0). ``rank_bm25.BM25Okapi`` hides this by flooring negative IDFs
    at ``epsilon`` times the mean IDF; Lucene adds 1 inside the logarithm, so its IDF is always
    positive. This class keeps the source formula as written, so the effect can be shown.

    **Duplicated query terms** count once per occurrence (as in rank_bm25 and bm25s): the query
    "red red shoes" weights "red" twice. Query terms absent from the corpus add 0.

    **Ties** in :meth:`search` are broken by the lower document index, independently of the
    order in which the partial sort returns equal scores.

    Examples
    --------
    >>> bm25 = BM25().fit(["red shoes", "blue shoes", "red dress", "green hat", "hat"])
    >>> indices, scores = bm25.search("red shoes", k=2)
    >>> indices.tolist()
    [0, 1]
    >>> bool(scores[0] > scores[1] > 0)
    True
    """

    def __init__(self, *, k1=1.5, b=0.75, idf="source", ngram_range=(1, 1)):
        self.k1 = k1
        self.b = b
        self.idf = idf
        self.ngram_range = ngram_range

    # -- fitting -------------------------------------------------------------------------------
    def fit(self, corpus, y=None):
        """Index ``corpus``: a list of documents, each a string or a list of tokens.

        Strings are split with :func:`tokenize`; token lists are used as given.
        """
        k1 = check_real(self.k1, "k1", low=0, hint=" (1.2–2.0 is usual; 1.5 is the default)")
        b = check_real(self.b, "b", low=0, high=1, hint=" (0.75 is the default)")
        check_option(self.idf, "idf", ("source", "lucene"))
        self._ngram_range = _check_ngram_range(self.ngram_range)
        term_freq, terms, doc_len = _term_document_counts(corpus, self._ngram_range)
        n_docs, n_terms = len(doc_len), len(terms)

        doc_freq = np.diff(term_freq.indptr)
        odds = (n_docs - doc_freq + 0.5) / (doc_freq + 0.5)
        idf = np.log(odds) if self.idf == "source" else np.log1p(odds)
        avgdl = doc_len.mean()

        tf = term_freq.data
        length_norm = k1 * (1.0 - b + b * doc_len / avgdl)
        numerator = (k1 + 1.0) if self.idf == "source" else 1.0
        weights = np.repeat(idf, doc_freq) * (
            tf * numerator / (tf + length_norm[term_freq.indices])
        )

        self.terms_ = np.asarray(terms, dtype=object)
        self.vocabulary_ = dict(zip(self.terms_.tolist(), range(n_terms), strict=True))
        self.doc_freq_ = doc_freq
        self.idf_ = idf
        self.doc_len_ = doc_len
        self.avgdl_ = float(avgdl)
        self.n_docs_ = n_docs
        self.term_freq_ = term_freq
        self.weights_ = sp.csr_matrix(
            (weights, term_freq.indices, term_freq.indptr), shape=term_freq.shape, copy=False
        )
        return self

    # -- scoring -------------------------------------------------------------------------------
    def _check_fitted(self):
        check_is_fitted(self, "weights_")

    def _term_ids(self, query, name: str) -> np.ndarray:
        tokens = _as_tokens(query, name, self._ngram_range)
        found = (self.vocabulary_.get(t) for t in tokens)
        return np.fromiter((i for i in found if i is not None), dtype=np.int64)

    def _query_matrix(self, queries) -> sp.csr_matrix:
        """Queries × terms matrix of query-term counts (unknown terms dropped)."""
        queries = _check_sequence(queries, "queries")
        if not queries:
            raise ValueError("queries is empty; pass at least one query")
        term_lists = [self._term_ids(q, f"queries[{i}]") for i, q in enumerate(queries)]
        lengths = np.fromiter(map(len, term_lists), dtype=np.int64, count=len(term_lists))
        cols = np.concatenate(term_lists) if lengths.sum() else np.zeros(0, dtype=np.int64)
        rows = np.repeat(np.arange(len(queries)), lengths)
        matrix = sp.csr_matrix(
            (np.ones(len(cols)), (rows, cols)), shape=(len(queries), len(self.terms_))
        )
        matrix.sum_duplicates()
        return matrix

    def score(self, query) -> np.ndarray:
        """BM25 score of every document for one query (a string or a list of tokens).

        Returns
        -------
        ndarray of shape (n_docs,)
        """
        self._check_fitted()
        term_ids = self._term_ids(query, "query")
        if term_ids.size == 0:
            return np.zeros(self.n_docs_)
        return np.asarray(self.weights_[term_ids].sum(axis=0)).ravel()

    def score_batch(self, queries, *, dense: bool = False):
        """Scores of every document for each query, as one sparse matrix product.

        Parameters
        ----------
        queries : list of str or list of list of str
        dense : bool, default False
            Return a dense array instead of a sparse matrix. The sparse result stores only the
            documents that share a term with the query; every other document scores 0.

        Returns
        -------
        scipy.sparse.csr_matrix or ndarray of shape (n_queries, n_docs)
        """
        self._check_fitted()
        scores = (self._query_matrix(queries) @ self.weights_).tocsr()
        return scores.toarray() if dense else scores

    def search(self, query, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best documents for one query.

        Returns
        -------
        doc_indices, scores : ndarray of shape (min(k, n_docs),)
            Sorted by score descending, ties by lower document index.
        """
        k = check_positive_int(k, "k")
        self._check_fitted()
        terms, counts = np.unique(self._term_ids(query, "query"), return_counts=True)
        return self._search_dense(terms, counts.astype(np.float64), k)

    def _search_dense(self, terms, counts, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` of one query from its dense score row: the count-weighted sum of its terms'
        rows of ``weights_``, one pass over their postings."""
        return _top_k_of_row(counts @ self.weights_[terms], k)

    def search_batch(self, queries, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`search` for many queries at once.

        Queries of rare terms (few postings) go through one sparse product per chunk of
        queries and a top-k over the documents they match. A query whose terms' postings
        cover a large part of the corpus gets a dense score row instead, the count-weighted
        sum of its terms' rows of ``weights_``, then a top-k by block maxima.

        Returns
        -------
        doc_indices, scores : ndarray of shape (n_queries, min(k, n_docs))
        """
        k = check_positive_int(k, "k")
        self._check_fitted()
        query_matrix = self._query_matrix(queries)
        n_queries, n_docs = query_matrix.shape[0], self.n_docs_
        indices = np.empty((n_queries, min(k, n_docs)), dtype=np.int64)
        scores = np.empty((n_queries, min(k, n_docs)))
        postings = query_matrix.astype(bool) @ self.doc_freq_
        sparse = np.flatnonzero(postings <= n_docs / _DENSE_FRACTION)
        for start in range(0, sparse.size, _QUERY_CHUNK):
            part = sparse[start : start + _QUERY_CHUNK]
            found = top_k_sparse_rows(query_matrix[part] @ self.weights_, k)
            indices[part], scores[part] = found
        indptr, terms, counts = query_matrix.indptr, query_matrix.indices, query_matrix.data
        for row in np.flatnonzero(postings > n_docs / _DENSE_FRACTION):
            span = slice(indptr[row], indptr[row + 1])
            indices[row], scores[row] = self._search_dense(terms[span], counts[span], k)
        return indices, scores


class Tfidf(BaseEstimator):
    r"""TF-IDF vectors of texts, equal to scikit-learn's ``TfidfVectorizer`` with this tokenizer.

    .. math::

        \operatorname{tfidf}(t, d) = \operatorname{tf}(t, d)\,\operatorname{idf}(t), \qquad
        \operatorname{idf}(t) = \ln\frac{1 + N}{1 + \operatorname{df}(t)} + 1

    then each row scaled to unit length.

    Parameters
    ----------
    ngram_range : (int, int), default (1, 1)
        Passed to :func:`tokenize`.
    smooth_idf : bool, default True
        Add one to :math:`N` and to every :math:`\operatorname{df}`, as if one extra document
        held every term; without it
        :math:`\operatorname{idf}(t) = \ln(N / \operatorname{df}(t)) + 1`.
    sublinear_tf : bool, default False
        Use :math:`1 + \ln \operatorname{tf}` instead of the raw count.
    norm : {"l2", "l1", None}, default "l2"
        Row normalisation.

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Term to column; terms sorted (scikit-learn's order).
    terms_ : ndarray of str
    idf_ : ndarray of shape (n_terms,)

    Notes
    -----
    The reference's formula is :math:`\operatorname{tf} \cdot \log(N / \operatorname{df})`.
    scikit-learn, and this class, add 1 to the logarithm so a term in every document keeps a
    small weight instead of vanishing, and smooth the ratio so a df of 0 (a term only seen at
    ``transform``) cannot divide by zero; terms unseen at ``fit`` are dropped.

    Examples
    --------
    >>> tfidf = Tfidf().fit(["red shoes", "blue shoes", "red dress"])
    >>> vectors = tfidf.transform(["red red shoes"])
    >>> [str(t) for t in tfidf.terms_]
    ['blue', 'dress', 'red', 'shoes']
    >>> bool(np.isclose(np.linalg.norm(vectors.toarray()), 1.0))
    True
    """

    def __init__(self, *, ngram_range=(1, 1), smooth_idf=True, sublinear_tf=False, norm="l2"):
        self.ngram_range = ngram_range
        self.smooth_idf = smooth_idf
        self.sublinear_tf = sublinear_tf
        self.norm = norm

    def fit(self, corpus, y=None):
        """Learn the vocabulary and the IDF of ``corpus`` (strings or token lists)."""
        check_option(self.norm, "norm", ("l2", "l1", None))
        check_bool(self.smooth_idf, "smooth_idf")
        check_bool(self.sublinear_tf, "sublinear_tf")
        self._ngram_range = _check_ngram_range(self.ngram_range)
        counts, terms, _ = _term_document_counts(corpus, self._ngram_range)
        doc_freq = np.diff(counts.indptr)
        n_docs = counts.shape[1] + int(bool(self.smooth_idf))
        self.idf_ = np.log(n_docs / (doc_freq + int(bool(self.smooth_idf)))) + 1.0
        self.terms_ = np.asarray(terms, dtype=object)
        self.vocabulary_ = dict(zip(self.terms_.tolist(), range(len(terms)), strict=True))
        return self

    def transform(self, texts) -> sp.csr_matrix:
        """TF-IDF rows of ``texts`` (strings or token lists), shape (n_texts, n_terms)."""
        return self._vectors(texts, "texts", self.norm)

    def _vectors(self, texts, name: str, norm) -> sp.csr_matrix:
        check_is_fitted(self, "idf_")
        token_lists = _as_token_lists(texts, name, self._ngram_range)
        counts = _count_rows(token_lists, self.vocabulary_)
        if self.sublinear_tf:
            counts.data = 1.0 + np.log(counts.data)
        weighted = sp.csr_matrix(counts @ sp.diags(self.idf_))
        return weighted if norm is None else _normalize_rows(weighted, norm)

    def fit_transform(self, corpus, y=None) -> sp.csr_matrix:
        """:meth:`fit`, then :meth:`transform` the same corpus."""
        return self.fit(corpus).transform(corpus)


def _count_rows(token_lists, vocabulary: dict) -> sp.csr_matrix:
    """Texts × vocabulary count matrix; tokens outside the vocabulary are dropped."""
    ids = [
        np.fromiter((vocabulary[t] for t in tokens if t in vocabulary), np.int64)
        for tokens in token_lists
    ]
    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    cols = np.concatenate(ids) if lengths.sum() else np.zeros(0, dtype=np.int64)
    rows = np.repeat(np.arange(len(ids)), lengths)
    counts = sp.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(ids), len(vocabulary)))
    counts.sum_duplicates()
    return counts


def _normalize_rows(matrix: sp.csr_matrix, norm: str) -> sp.csr_matrix:
    if norm == "l2":
        lengths = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    else:
        lengths = np.asarray(abs(matrix).sum(axis=1)).ravel()
    lengths[lengths == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / lengths) @ matrix)


def tfidf_matrix(corpus, **params) -> sp.csr_matrix:
    """TF-IDF rows of ``corpus``: ``Tfidf(**params).fit_transform(corpus)``.

    Examples
    --------
    >>> tfidf_matrix(["red shoes", "blue shoes"]).shape
    (2, 3)
    """
    return Tfidf(**params).fit_transform(corpus)


def tfidf_cosine(query, docs, *, tfidf: Tfidf | None = None) -> np.ndarray:
    r"""Cosine similarity between the TF-IDF vector of ``query`` and that of each document.

    .. math:: \cos(q, d) = \frac{v_q \cdot v_d}{\lVert v_q \rVert\, \lVert v_d \rVert}

    Parameters
    ----------
    query : str or list of str
    docs : list of str or list of list of str
    tfidf : Tfidf, optional
        A fitted :class:`Tfidf` giving the IDF (e.g. fitted on the whole catalogue); by default
        one is fitted on ``docs``.

    Returns
    -------
    ndarray of shape (n_docs,)
        In [0, 1]; 0 when the query shares no term with the document.

    Examples
    --------
    >>> sims = tfidf_cosine("red shoes", ["red shoes", "blue shoes", "green hat"])
    >>> [round(float(s), 3) for s in sims]
    [1.0, 0.366, 0.0]
    """
    docs = _check_sequence(docs, "docs")
    if not docs:
        raise ValueError("docs is empty; pass at least one document")
    if tfidf is None:
        tfidf = Tfidf().fit(docs)
    query_vector = tfidf._vectors([query], "query", "l2")
    doc_vectors = tfidf._vectors(docs, "docs", "l2")
    return (doc_vectors @ query_vector.T).toarray().ravel()


def edit_distance(a: str, b: str, *, normalize: bool = False) -> float:
    r"""Levenshtein distance: fewest single-character insertions, deletions and substitutions
    turning ``a`` into ``b``.

    .. math::

        D_{i,j} = \min\left(D_{i-1,j} + 1,\; D_{i,j-1} + 1,\;
        D_{i-1,j-1} + [a_i \ne b_j]\right), \qquad D_{i,0} = i,\ D_{0,j} = j

    Each row of the table is computed at once: the deletion and substitution moves come from the
    previous row, and the chain of insertions along the row is a running minimum of
    :math:`D_{i,j'} + (j - j')`.

    Parameters
    ----------
    a, b : str
    normalize : bool, default False
        Divide by ``max(len(a), len(b))`` (0 for two empty strings), giving a value in [0, 1].

    Examples
    --------
    >>> edit_distance("kitten", "sitting")
    3.0
    >>> edit_distance("shoe", "shoes", normalize=True)
    0.2
    """
    return float(edit_distance_batch([a], [b], normalize=normalize)[0])


def _code_points(texts, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Padded (n, max_len) array of the texts' code points, and their lengths."""
    bad = next((i for i, t in enumerate(texts) if not isinstance(t, str)), None)
    if bad is not None:
        raise ValueError(f"{name}[{bad}] must be a str, got {type(texts[bad]).__name__}")
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    codes = np.full((len(texts), max(int(lengths.max(initial=0)), 1)), -1, dtype=np.int64)
    flat = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    rows = np.repeat(np.arange(len(texts)), lengths)
    cols = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    codes[rows, cols] = flat
    return codes, lengths


def edit_distance_batch(a, b, *, normalize: bool = False) -> np.ndarray:
    """:func:`edit_distance` of each pair ``(a[i], b[i])``, all pairs at once.

    The dynamic programme runs over the characters of the longest ``a`` and is vectorised over
    pairs and over the characters of ``b``.

    Examples
    --------
    >>> edit_distance_batch(["kitten", "", "abc"], ["sitting", "ab", "abc"]).tolist()
    [3.0, 2.0, 0.0]
    """
    normalize = check_bool(normalize, "normalize")
    a = _check_sequence(a, "a")
    b = _check_sequence(b, "b")
    check_same_length(a=a, b=b)
    if not a:
        raise ValueError("a and b are empty; pass at least one pair of strings")
    codes_a, len_a = _code_points(a, "a")
    codes_b, len_b = _code_points(b, "b")
    n_pairs, width = len(a), codes_b.shape[1] + 1
    offsets = np.arange(width)
    row = np.broadcast_to(offsets, (n_pairs, width)).astype(np.int64)
    distance = row[np.arange(n_pairs), len_b].astype(np.float64)
    for i in range(1, int(len_a.max(initial=0)) + 1):
        substitution = row[:, :-1] + (codes_b != codes_a[:, i - 1 : i])
        moves = np.empty_like(row)
        moves[:, 0] = i
        moves[:, 1:] = np.minimum(row[:, 1:] + 1, substitution)
        row = np.minimum.accumulate(moves - offsets, axis=1) + offsets
        done = len_a == i
        distance[done] = row[done, len_b[done]]
    if normalize:
        longest = np.maximum(len_a, len_b)
        distance = np.divide(distance, longest, out=np.zeros_like(distance), where=longest > 0)
    return distance


def exact_match(query, text) -> dict[str, float]:
    """Exact-match features of a query against one field (a title, a brand name).

    Returns
    -------
    dict with
        ``phrase_match``: 1.0 when the query's tokens appear consecutively, in order, in the
        text's tokens ("red shoes" in "Nike red shoes, men"); ``all_terms_match``: 1.0 when every
        query token occurs somewhere in the text; ``term_overlap``: the fraction of the query's
        distinct tokens that occur in the text. All 0.0 for a query without tokens.

    Examples
    --------
    >>> exact_match("red shoes", "Nike red shoes, men")
    {'phrase_match': 1.0, 'all_terms_match': 1.0, 'term_overlap': 1.0}
    >>> exact_match("shoes red nike", "Nike red shoes")
    {'phrase_match': 0.0, 'all_terms_match': 1.0, 'term_overlap': 1.0}
    """
    query_tokens = _as_tokens(query, "query", (1, 1))
    text_tokens = _as_tokens(text, "text", (1, 1))
    distinct = set(query_tokens)
    if not distinct:
        return {"phrase_match": 0.0, "all_terms_match": 0.0, "term_overlap": 0.0}
    present = distinct & set(text_tokens)
    n = len(query_tokens)
    phrase = any(text_tokens[i : i + n] == query_tokens for i in range(len(text_tokens) - n + 1))
    return {
        "phrase_match": float(phrase),
        "all_terms_match": float(len(present) == len(distinct)),
        "term_overlap": len(present) / len(distinct),
    }


def exact_match_batch(queries, texts) -> dict[str, np.ndarray]:
    """:func:`exact_match` of each pair ``(queries[i], texts[i])``, as one array per feature.

    Examples
    --------
    >>> features = exact_match_batch(["red shoes", "hat"], ["red shoes", "red cap"])
    >>> features["phrase_match"].tolist(), features["term_overlap"].tolist()
    ([1.0, 0.0], [1.0, 0.0])
    """
    queries = _check_sequence(queries, "queries")
    texts = _check_sequence(texts, "texts")
    check_same_length(queries=queries, texts=texts)
    rows = [exact_match(q, t) for q, t in zip(queries, texts, strict=True)]
    names = ("phrase_match", "all_terms_match", "term_overlap")
    return {name: np.array([r[name] for r in rows], dtype=np.float64) for name in names}
