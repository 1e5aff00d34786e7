"""Text features agree with the libraries practitioners use: BM25 with rank_bm25 and bm25s,
TF-IDF with scikit-learn, Levenshtein with a textbook dynamic programme; bad input is refused."""

import doctest
import math

import bm25s
import numpy as np
import pytest
import rank_bm25
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity as sk_cosine

from mlref.features import embeddings, text
from mlref.features.embeddings import TextEmbedder, cosine_similarity
from mlref.features.text import (
    BM25,
    Tfidf,
    edit_distance,
    edit_distance_batch,
    exact_match,
    exact_match_batch,
    tfidf_cosine,
    tfidf_matrix,
    tokenize,
    tokenize_many,
    top_k_rows,
    top_k_sparse_rows,
)

SETTINGS = settings(max_examples=30, deadline=None)
# rank_bm25's 0/0 on the degenerate parameters above.
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
RTOL = 1e-6


class BM25OkapiNoFloor(rank_bm25.BM25Okapi):
    """BM25Okapi with the raw Robertson IDF: its default floors negative IDFs at
    epsilon * mean IDF, which the source formula does not."""

    def _calc_idf(self, nd):
        for word, freq in nd.items():
            self.idf[word] = math.log(self.corpus_size - freq + 0.5) - math.log(freq + 0.5)


@st.composite
def corpora(draw, max_docs=25):
    """Token-list corpora over a small vocabulary, so terms repeat within documents, some
    documents are empty and the first term tends to occur in more than half of them."""
    n_docs = draw(st.integers(1, max_docs))
    n_terms = draw(st.integers(1, 8))
    common = st.sampled_from(["w0"] * 4 + [f"w{i}" for i in range(n_terms)])
    docs = draw(st.lists(st.lists(common, max_size=10), min_size=n_docs, max_size=n_docs))
    if not any(docs):
        docs[0] = ["w0"]
    queries = draw(
        st.lists(
            st.lists(
                st.sampled_from([f"w{i}" for i in range(n_terms + 2)]), min_size=1, max_size=5
            ),
            min_size=1,
            max_size=6,
        )
    )
    params = draw(st.sampled_from([(1.5, 0.75), (1.2, 0.0), (2.0, 1.0), (0.0, 0.5)]))
    return docs, queries, params


def assert_close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=1e-12)


def rank_bm25_scores(reference, query, k1, b):
    """rank_bm25's scores, made well defined.

    rank_bm25 computes tf (k1 + 1) / (tf + k1 (1 - b + b |d| / avgdl)) for every document,
    which is 0/0 = NaN for a document without the term when k1 = 0, or when the document is
    empty and b = 1 — and the NaN then spoils the whole sum. Such a document does not contain
    the term, so its contribution is 0: in those settings the query is scored term by term.
    """
    if k1 > 0 and b < 1:
        return reference.get_scores(query)
    return sum(np.nan_to_num(reference.get_scores([term]), nan=0.0) for term in query)


# -- tokenizer ------------------------------------------------------------------------------------
def test_tokenize_lowercases_splits_on_non_alphanumerics_and_keeps_digits():
    assert tokenize("Nike Air-Max 90, men's_sizes!") == [
        "nike",
        "air",
        "max",
        "90",
        "men",
        "s",
        "sizes",
    ]
    assert tokenize("Crème Brûlée  3.5kg") == ["crème", "brûlée", "3", "5kg"]
    assert tokenize("  ,;  ") == []
    assert tokenize("Shoes shoe") == ["shoes", "shoe"]  # no stemming


def test_tokenize_ngrams():
    assert tokenize("a b c", ngram_range=(1, 2)) == ["a", "b", "c", "a b", "b c"]
    assert tokenize("a b c", ngram_range=(2, 3)) == ["a b", "b c", "a b c"]
    assert tokenize("a", ngram_range=(2, 2)) == []
    assert tokenize_many(["A b", ""], ngram_range=(1, 2)) == [["a", "b", "a b"], []]


@pytest.mark.parametrize("bad", [(0, 1), (2, 1), (1,), "1,1", (1.0, 2), (True, 2)])
def test_tokenize_rejects_bad_ngram_range(bad):
    with pytest.raises(ValueError, match="ngram_range"):
        tokenize("a b", ngram_range=bad)


def test_tokenize_rejects_non_strings():
    with pytest.raises(ValueError, match="text must be a str"):
        tokenize(3)
    with pytest.raises(ValueError, match=r"texts\[1\] must be a str"):
        tokenize_many(["a", None])
    with pytest.raises(ValueError, match="texts must be a list"):
        tokenize_many("a single text")


# -- BM25 against the references -----------------------------------------------------------------
@SETTINGS
@given(corpora())
def test_bm25_source_equals_rank_bm25_without_idf_floor(case):
    docs, queries, (k1, b) = case
    ours = BM25(k1=k1, b=b, idf="source").fit(docs)
    reference = BM25OkapiNoFloor(docs, k1=k1, b=b)
    expected = np.array([rank_bm25_scores(reference, q, k1, b) for q in queries])
    for query, row in zip(queries, expected, strict=True):
        assert_close(ours.score(query), row)
    assert_close(ours.score_batch(queries, dense=True), expected)


@SETTINGS
@given(corpora())
def test_bm25_source_with_epsilon_floor_reproduces_stock_rank_bm25(case):
    """Stock BM25Okapi replaces each negative IDF by epsilon * (mean IDF); applying that floor
    to our idf_ and recombining with our term frequencies gives its scores exactly, and where
    no IDF is negative the two agree without any adjustment."""
    docs, queries, (k1, b) = case
    ours = BM25(k1=k1, b=b).fit(docs)
    stock = rank_bm25.BM25Okapi(docs, k1=k1, b=b, epsilon=0.25)
    floored = np.where(ours.idf_ < 0, 0.25 * ours.idf_.mean(), ours.idf_)
    tf = ours.term_freq_.toarray()
    norm = k1 * (1 - b + b * ours.doc_len_ / ours.avgdl_)
    saturation = tf * (k1 + 1) / (tf + norm)
    for query in queries:
        rows = [ours.vocabulary_[t] for t in query if t in ours.vocabulary_]
        expected = np.nan_to_num(floored[rows, None] * saturation[rows]).sum(axis=0)
        stock_scores = rank_bm25_scores(stock, query, k1, b)
        assert_close(expected, stock_scores)
        if (ours.idf_[rows] >= 0).all():
            assert_close(ours.score(query), stock_scores)


@SETTINGS
@given(corpora())
def test_bm25_lucene_equals_bm25s_lucene(case):
    docs, queries, (k1, b) = case
    ours = BM25(k1=k1, b=b, idf="lucene").fit(docs)
    reference = bm25s.BM25(method="lucene", k1=k1, b=b, dtype="float64")
    reference.index(docs, show_progress=False)
    for query in queries:
        assert_close(ours.score(query), reference.get_scores(query))


def test_bm25_hand_computed_scores():
    docs = [["a", "b", "a"], ["b"], ["c", "c", "c", "c"]]
    bm25 = BM25(k1=1.5, b=0.75).fit(docs)
    avgdl = 8 / 3
    idf_a = math.log((3 - 1 + 0.5) / (1 + 0.5))
    expected = idf_a * 2 * 2.5 / (2 + 1.5 * (0.25 + 0.75 * 3 / avgdl))
    assert bm25.score(["a"]) == pytest.approx([expected, 0.0, 0.0], rel=1e-12)
    assert bm25.avgdl_ == pytest.approx(avgdl)
    assert bm25.doc_len_.tolist() == [3, 1, 4]
    assert bm25.doc_freq_.tolist() == [1, 2, 1]
    assert list(bm25.vocabulary_) == ["a", "b", "c"]
    assert bm25.term_freq_.toarray().tolist() == [[2, 0, 0], [1, 1, 0], [0, 0, 4]]


def test_strings_are_tokenized_and_token_lists_used_as_given():
    texts = ["Red shoes!", "blue SHOES", "red dress"]
    from_text = BM25().fit(texts)
    from_tokens = BM25().fit([tokenize(t) for t in texts])
    assert_close(from_text.score("RED, shoes"), from_tokens.score(["red", "shoes"]))
    assert_close(from_text.score(("red", "shoes")), from_tokens.score(["red", "shoes"]))
    bigrams = BM25(ngram_range=(1, 2)).fit(texts)
    assert "red shoes" in bigrams.vocabulary_
    assert bigrams.score("red shoes")[0] > from_text.score("red shoes")[0]


def test_duplicate_query_terms_count_once_per_occurrence_and_unknown_terms_add_nothing():
    bm25 = BM25().fit(["red shoes", "red dress", "blue hat", "green hat"])
    assert_close(bm25.score(["red", "red"]), 2 * bm25.score(["red"]))
    assert_close(bm25.score(["red", "unknown"]), bm25.score(["red"]))
    assert bm25.score(["unknown"]).tolist() == [0.0] * 4
    assert bm25.score([]).tolist() == [0.0] * 4
    indices, scores = bm25.search("unknown", k=2)
    assert indices.tolist() == [0, 1] and scores.tolist() == [0.0, 0.0]


# -- negative IDF --------------------------------------------------------------------------------
def test_source_idf_goes_negative_for_terms_in_more_than_half_the_documents():
    docs = [["the", "red"], ["the", "blue"], ["the", "green"], ["hat"], ["the", "cap"]]
    source = BM25(idf="source").fit(docs)
    lucene = BM25(idf="lucene").fit(docs)
    the = source.vocabulary_["the"]
    assert source.idf_[the] < 0  # df = 4 of N = 5
    scores = source.score("the")
    assert (scores[[0, 1, 2, 4]] < 0).all() and scores[3] == 0
    # The document without the common word now outranks those that contain it.
    assert source.search("the", k=1)[0].tolist() == [3]
    assert (lucene.idf_ > 0).all() and (lucene.score("the")[[0, 1, 2, 4]] > 0).all()
    assert lucene.search("the", k=1)[0].tolist() == [0]
    half = BM25().fit([["x"], ["x"], ["y"], ["z"]])
    assert half.idf_[half.vocabulary_["x"]] == 0.0


@SETTINGS
@given(corpora())
def test_lucene_scores_are_never_negative(case):
    docs, queries, (k1, b) = case
    bm25 = BM25(k1=k1, b=b, idf="lucene").fit(docs)
    assert (bm25.idf_ > 0).all()
    assert (bm25.score_batch(queries, dense=True) >= 0).all()


# -- search --------------------------------------------------------------------------------------
def reference_top_k(scores, k):
    order = np.argsort(-scores, kind="stable")[:k]
    return order, scores[order]


@SETTINGS
@given(corpora(), st.integers(1, 30))
def test_search_is_a_stable_top_k_of_score(case, k):
    docs, queries, (k1, b) = case
    for idf in ("source", "lucene"):
        bm25 = BM25(k1=k1, b=b, idf=idf).fit(docs)
        indices, scores = bm25.search_batch(queries, k)
        assert indices.shape == (len(queries), min(k, len(docs)))
        for row, query in enumerate(queries):
            expected_idx, expected_scores = reference_top_k(bm25.score(query), k)
            single_idx, single_scores = bm25.search(query, k)
            np.testing.assert_array_equal(indices[row], expected_idx)
            np.testing.assert_array_equal(single_idx, expected_idx)
            assert_close(scores[row], expected_scores)
            assert_close(single_scores, expected_scores)


@SETTINGS
@given(corpora(), st.integers(1, 12))
def test_dense_and_sparse_query_paths_agree(case, k):
    """search_batch scores queries matching much of the corpus into dense rows and the rest
    with a sparse product; forcing every query down either path gives the same results."""
    docs, queries, (k1, b) = case
    bm25 = BM25(k1=k1, b=b).fit(docs)
    found = {}
    original = text._DENSE_FRACTION
    for fraction in (1e-9, 1e9):  # everything dense, everything sparse
        text._DENSE_FRACTION = fraction
        try:
            found[fraction] = bm25.search_batch(queries, k)
        finally:
            text._DENSE_FRACTION = original
    np.testing.assert_array_equal(found[1e-9][0], found[1e9][0])
    assert_close(found[1e-9][1], found[1e9][1])


def zipf_corpus(n_docs, n_terms, n_queries, seed):
    """Documents and queries drawn from one Zipf law, so the most frequent terms match most
    documents (the dense path of search_batch) and the rare ones a few (the sparse path)."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, n_terms + 1)
    p /= p.sum()
    docs = [
        list(rng.choice(n_terms, size=rng.integers(0, 30), p=p).astype(str)) for _ in range(n_docs)
    ]
    queries = [
        list(rng.choice(n_terms, size=rng.integers(1, 6), p=p).astype(str))
        for _ in range(n_queries)
    ]
    return docs, [*queries, ["0", "0", "1"], ["never-seen"], [], ["0", "never-seen"]]


def bm25_by_formula(docs, query, k1, b, idf):
    """Every document's BM25 written straight from the formula, one term at a time."""
    n_docs = len(docs)
    lengths = np.array([len(d) for d in docs], dtype=float)
    scores = np.zeros(n_docs)
    for term in query:
        tf = np.array([d.count(term) for d in docs], dtype=float)
        df = (tf > 0).sum()
        if df == 0:
            continue
        odds = (n_docs - df + 0.5) / (df + 0.5)
        weight = np.log(odds) if idf == "source" else np.log1p(odds)
        numerator = (k1 + 1) if idf == "source" else 1.0
        scores += weight * tf * numerator / (tf + k1 * (1 - b + b * lengths / lengths.mean()))
    return scores


@pytest.mark.parametrize("idf", ["source", "lucene"])
@pytest.mark.parametrize("k", [1, 10, 700])
def test_search_batch_on_zipf_queries_equals_the_formula_and_the_references(idf, k):
    """Both paths of search_batch (dense rows for queries with frequent terms, a sparse
    product for rare ones) against the formula to 1e-12, a stable sort of score() for the
    documents, and rank_bm25 (source IDF) or float64 bm25s (Lucene) for the scores."""
    docs, queries = zipf_corpus(600, 400, 40, seed=k)
    bm25 = BM25(idf=idf).fit(docs)
    postings = np.array([bm25.doc_freq_[bm25._term_ids(q, "q")].sum() for q in queries])
    dense = postings > bm25.n_docs_ / text._DENSE_FRACTION
    assert dense.any() and (~dense).any()
    indices, scores = bm25.search_batch(queries, k)
    if idf == "source":
        reference = BM25OkapiNoFloor(docs, k1=1.5, b=0.75)
    else:
        reference = bm25s.BM25(method="lucene", k1=1.5, b=0.75, dtype="float64")
        reference.index(docs, show_progress=False)
    for row, query in enumerate(queries):
        formula = bm25_by_formula(docs, query, 1.5, 0.75, idf)
        np.testing.assert_allclose(scores[row], formula[indices[row]], rtol=1e-12, atol=1e-12)
        expected_idx, _ = reference_top_k(bm25.score(query), k)
        np.testing.assert_array_equal(indices[row], expected_idx)
        single_idx, single_scores = bm25.search(query, k)
        np.testing.assert_array_equal(single_idx, indices[row])
        np.testing.assert_array_equal(single_scores, scores[row])
        theirs = (
            reference.get_scores(query)
            if idf == "source" or query
            else np.zeros(len(docs))  # bm25s refuses an empty query
        )
        np.testing.assert_allclose(scores[row], theirs[indices[row]], rtol=1e-12, atol=1e-12)


def test_search_breaks_ties_by_lower_document_index():
    docs = [["a"], ["b"], ["a"], ["a"], ["c"]]
    indices, scores = BM25(idf="lucene").fit(docs).search("a", k=4)
    assert indices.tolist() == [0, 2, 3, 1]
    assert scores[0] == scores[1] == scores[2] > scores[3] == 0


@st.composite
def sparse_scores(draw):
    n_rows, n_cols = draw(st.integers(1, 6)), draw(st.integers(1, 40))
    values = st.sampled_from([-2.0, -1.0, 0.0, 0.5, 1.0, 2.0, 3.0])
    dense = np.array(
        draw(st.lists(values, min_size=n_rows * n_cols, max_size=n_rows * n_cols))
    ).reshape(n_rows, n_cols)
    stored = np.array(
        draw(st.lists(st.booleans(), min_size=n_rows * n_cols, max_size=n_rows * n_cols))
    ).reshape(n_rows, n_cols)
    rows, cols = np.nonzero(stored | (dense != 0))
    # Explicitly stored zeros must behave like missing entries.
    matrix = sp.csr_matrix((dense[rows, cols], (rows, cols)), shape=dense.shape)
    return matrix, draw(st.integers(1, 45))


@SETTINGS
@given(sparse_scores(), st.sampled_from([1, 2, 3, 64]))
def test_top_k_of_sparse_rows_matches_a_full_stable_sort(case, block):
    matrix, k = case
    dense = matrix.toarray()
    expected = np.argsort(-dense, axis=1, kind="stable")[:, :k]
    original = text._BLOCK
    text._BLOCK = block  # small blocks exercise the pre-selection on small matrices
    try:
        indices, values = top_k_sparse_rows(matrix, k)
        one_row = [text._top_k_of_row(row, k) for row in dense]
    finally:
        text._BLOCK = original
    np.testing.assert_array_equal([i for i, _ in one_row], expected)
    np.testing.assert_array_equal([v for _, v in one_row], values)
    np.testing.assert_array_equal(indices, expected)
    np.testing.assert_array_equal(values, np.take_along_axis(dense, expected, axis=1))
    dense_indices, dense_values = top_k_rows(dense, k)
    np.testing.assert_array_equal(dense_indices, expected)
    np.testing.assert_array_equal(dense_values, values)


def test_score_batch_sparse_and_dense_agree_with_score():
    bm25 = BM25().fit(["red shoes", "red dress", "blue hat", "green hat", "hat"])
    queries = ["red hat", ["hat", "hat"], "nothing"]
    sparse = bm25.score_batch(queries)
    assert sp.issparse(sparse) and sparse.shape == (3, 5)
    dense = bm25.score_batch(queries, dense=True)
    assert isinstance(dense, np.ndarray)
    assert_close(sparse.toarray(), dense)
    assert_close(dense, np.array([bm25.score(q) for q in queries]))


def test_bm25_is_deterministic_and_independent_of_corpus_object():
    rng = np.random.default_rng(0)
    docs = [list(rng.choice(["a", "b", "c", "d", "e"], size=rng.integers(0, 8))) for _ in range(50)]
    first, second = BM25().fit(docs), BM25().fit([list(d) for d in docs])
    assert (first.weights_ != second.weights_).nnz == 0
    assert first.vocabulary_ == second.vocabulary_
    for query in (["a", "b"], ["e"], ["c", "c", "d"]):
        np.testing.assert_array_equal(first.search(query, 7)[0], second.search(query, 7)[0])


# -- BM25 input checks --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"k1": -1.0}, "k1 must be"),
        ({"k1": float("nan")}, "k1 must be"),
        ({"k1": "1.5"}, "k1 must be"),
        ({"b": 1.5}, "b must be"),
        ({"b": -0.1}, "b must be"),
        ({"idf": "robertson"}, "idf must be one of"),
        ({"ngram_range": (2, 1)}, "ngram_range"),
    ],
)
def test_bm25_rejects_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        BM25(**params).fit(["a b", "c"])


@pytest.mark.parametrize(
    ("corpus", "match"),
    [
        ([], "corpus is empty"),
        (["", " ,, "], "every document of corpus is empty"),
        ([[], []], "every document of corpus is empty"),
        ("a single string", "corpus must be a list"),
        ([["a", 3]], "must hold str tokens"),
        ([["a", None]], "must hold str tokens"),
        ([3], r"corpus\[0\] must be a str or a list"),
    ],
)
def test_bm25_rejects_bad_corpora(corpus, match):
    with pytest.raises(ValueError, match=match):
        BM25().fit(corpus)


@pytest.mark.parametrize("k", [0, -1, 1.5, True, "3"])
def test_search_rejects_bad_k(k):
    bm25 = BM25().fit(["a b", "c"])
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        bm25.search("a", k=k)
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        bm25.search_batch(["a"], k=k)


def test_bm25_rejects_bad_queries_and_use_before_fit():
    with pytest.raises(ValueError, match="not fitted"):
        BM25().score("a")
    bm25 = BM25().fit(["a b", "c"])
    with pytest.raises(ValueError, match="query must be a str or a list"):
        bm25.score(3)
    with pytest.raises(ValueError, match="query must hold str tokens"):
        bm25.score(["a", 1])
    with pytest.raises(ValueError, match="queries is empty"):
        bm25.score_batch([])
    with pytest.raises(ValueError, match="queries must be a list"):
        bm25.score_batch("a b")


def test_search_returns_every_document_when_k_exceeds_the_corpus():
    indices, scores = BM25().fit(["a", "b", "a a"]).search("a", k=10)
    assert sorted(indices.tolist()) == [0, 1, 2] and scores.shape == (3,)


# -- TF-IDF --------------------------------------------------------------------------------------
TFIDF_DOCS = [
    "Red running shoes",
    "blue running shoes, size 42",
    "red dress",
    "",
    "shoes shoes shoes",
    "green hat with red band",
]
TFIDF_NEW = ["red shoes", "unknown words only", "hat hat band 42", ""]


@pytest.mark.parametrize("smooth_idf", [True, False])
@pytest.mark.parametrize("sublinear_tf", [True, False])
@pytest.mark.parametrize("norm", ["l2", "l1", None])
@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2)])
def test_tfidf_equals_scikit_learn(smooth_idf, sublinear_tf, norm, ngram_range):
    settings_ = {"smooth_idf": smooth_idf, "sublinear_tf": sublinear_tf, "norm": norm}
    ours = Tfidf(ngram_range=ngram_range, **settings_).fit(TFIDF_DOCS)
    reference = TfidfVectorizer(
        tokenizer=tokenize,
        token_pattern=None,
        lowercase=False,
        ngram_range=ngram_range,
        **settings_,
    ).fit(TFIDF_DOCS)
    assert ours.vocabulary_ == reference.vocabulary_
    assert_close(ours.idf_, reference.idf_)
    for texts in (TFIDF_DOCS, TFIDF_NEW):
        assert_close(ours.transform(texts).toarray(), reference.transform(texts).toarray())
    assert_close(
        tfidf_matrix(TFIDF_DOCS, ngram_range=ngram_range, **settings_).toarray(),
        reference.transform(TFIDF_DOCS).toarray(),
    )


def test_tfidf_cosine_equals_scikit_learn_cosine():
    reference = TfidfVectorizer(tokenizer=tokenize, token_pattern=None, lowercase=False)
    doc_vectors = reference.fit_transform(TFIDF_DOCS)
    for query in TFIDF_NEW:
        expected = sk_cosine(doc_vectors, reference.transform([query])).ravel()
        assert_close(tfidf_cosine(query, TFIDF_DOCS), expected)
    fitted = Tfidf(sublinear_tf=True).fit(TFIDF_DOCS + TFIDF_NEW)
    reference = TfidfVectorizer(tokenizer=tokenize, token_pattern=None, sublinear_tf=True)
    reference.fit(TFIDF_DOCS + TFIDF_NEW)
    expected = sk_cosine(reference.transform(TFIDF_DOCS[:3]), reference.transform(["red hat"]))
    assert_close(tfidf_cosine("red hat", TFIDF_DOCS[:3], tfidf=fitted), expected.ravel())


def test_tfidf_rejects_bad_input():
    with pytest.raises(ValueError, match="norm must be one of"):
        Tfidf(norm="l3").fit(TFIDF_DOCS)
    with pytest.raises(ValueError, match="not fitted"):
        Tfidf().transform(["a"])
    with pytest.raises(ValueError, match="corpus is empty"):
        Tfidf().fit([])


# -- edit distance -------------------------------------------------------------------------------
def levenshtein_reference(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


short_text = st.text(alphabet="abcé ", max_size=9)


@SETTINGS
@given(st.lists(st.tuples(short_text, short_text), min_size=1, max_size=12))
def test_edit_distance_equals_the_textbook_dynamic_programme(pairs):
    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    expected = [levenshtein_reference(x, y) for x, y in pairs]
    assert edit_distance_batch(a, b).tolist() == expected
    assert edit_distance_batch(b, a).tolist() == expected
    assert [edit_distance(x, y) for x, y in pairs] == expected
    longest = np.maximum([len(x) for x in a], [len(y) for y in b])
    normalized = np.divide(expected, longest, out=np.zeros(len(a)), where=longest > 0)
    assert_close(edit_distance_batch(a, b, normalize=True), normalized)


def test_edit_distance_hand_values():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "") == 0
    assert edit_distance("", "abc") == 3
    assert edit_distance("flaw", "lawn") == 2
    assert edit_distance("nike", "nike") == 0
    assert edit_distance("", "", normalize=True) == 0
    assert edit_distance("ab", "cd", normalize=True) == 1


def test_edit_distance_rejects_bad_input():
    with pytest.raises(ValueError, match="length mismatch"):
        edit_distance_batch(["a", "b"], ["a"])
    with pytest.raises(ValueError, match=r"b\[0\] must be a str"):
        edit_distance_batch(["a"], [3])
    with pytest.raises(ValueError, match="empty"):
        edit_distance_batch([], [])


# -- exact match ---------------------------------------------------------------------------------
def test_exact_match_features():
    assert exact_match("Red Shoes", "nike red shoes, men") == {
        "phrase_match": 1.0,
        "all_terms_match": 1.0,
        "term_overlap": 1.0,
    }
    assert exact_match("shoes red", "red shoes") == {
        "phrase_match": 0.0,
        "all_terms_match": 1.0,
        "term_overlap": 1.0,
    }
    assert exact_match("red red hat", "red shoes") == {
        "phrase_match": 0.0,
        "all_terms_match": 0.0,
        "term_overlap": 0.5,
    }
    assert exact_match("red shoe", "red shoes")["phrase_match"] == 0.0  # whole tokens only
    assert exact_match("", "red shoes") == {
        "phrase_match": 0.0,
        "all_terms_match": 0.0,
        "term_overlap": 0.0,
    }
    batch = exact_match_batch(["nike", "red hat", ""], ["Nike Air", "hat", "x"])
    assert batch["phrase_match"].tolist() == [1.0, 0.0, 0.0]
    assert batch["all_terms_match"].tolist() == [1.0, 0.0, 0.0]
    assert batch["term_overlap"].tolist() == [1.0, 0.5, 0.0]
    with pytest.raises(ValueError, match="length mismatch"):
        exact_match_batch(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="text must be a str"):
        exact_match("a", 3)


# -- embeddings ----------------------------------------------------------------------------------
EMBED_DOCS = [
    "red running shoes",
    "blue running shoes",
    "trail running shoes for men",
    "red evening dress",
    "blue summer dress",
    "wool winter hat",
    "straw summer hat",
    "leather belt",
]


def test_text_embedder_equals_scikit_learn_tfidf_then_truncated_svd():
    ours = TextEmbedder(n_components=3, random_state=0).fit(EMBED_DOCS)
    vectors = TfidfVectorizer(tokenizer=tokenize, token_pattern=None, sublinear_tf=True)
    svd = TruncatedSVD(n_components=3, random_state=0).fit(vectors.fit_transform(EMBED_DOCS))
    queries = ["running shoes", "summer hat", "nothing known"]
    assert_close(ours.transform(queries), svd.transform(vectors.transform(queries)))
    assert_close(ours.explained_variance_ratio_, svd.explained_variance_ratio_)
    again = TextEmbedder(n_components=3, random_state=0).fit_transform(EMBED_DOCS)
    np.testing.assert_array_equal(again, ours.transform(EMBED_DOCS))


def test_embedding_cosine_ranks_related_texts_higher():
    embedder = TextEmbedder(n_components=4).fit(EMBED_DOCS)
    shoes = embedder.transform(["running shoes"])
    docs = embedder.transform(EMBED_DOCS)
    similarity = cosine_similarity(docs, shoes)
    assert similarity[:3].min() > similarity[3:].max()


def test_cosine_similarity_rowwise_equals_scikit_learn_diagonal():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(7, 4)), rng.normal(size=(7, 4))
    a[2] = 0.0
    expected = np.diag(sk_cosine(a, b))
    assert_close(cosine_similarity(a, b), expected)
    assert cosine_similarity(a, b)[2] == 0.0
    assert_close(cosine_similarity(a, b[0]), sk_cosine(a, b[:1]).ravel())
    assert_close(cosine_similarity(a[:1], a[:1]), [1.0])


def test_embeddings_reject_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        cosine_similarity(np.ones((3, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        cosine_similarity([[np.nan, 1.0]], [[1.0, 1.0]])
    with pytest.raises(ValueError, match="n_components must be <"):
        TextEmbedder(n_components=8).fit(EMBED_DOCS)
    with pytest.raises(ValueError, match="n_components must be an integer"):
        TextEmbedder(n_components=0).fit(EMBED_DOCS)
    with pytest.raises(ValueError, match="not fitted"):
        TextEmbedder().transform(["a"])


@pytest.mark.parametrize("module", [text, embeddings])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
