"""Time :class:`mlref.features.text.BM25` against bm25s (numpy backend) and rank_bm25.

Run ``python benchmarks/bench_bm25.py``. A synthetic corpus of 100,000 documents, lengths drawn
uniformly from 20 to 200 tokens, terms drawn from a Zipf (s = 1) vocabulary of 50,000 terms, and
1,000 queries of 2 to 5 terms, in two workloads:

* ``content`` (the gated one): query terms drawn from the same Zipf law restricted to ranks above
  100. The 100 most frequent terms play the part of stop words, which real queries rarely
  consist of and which bm25s's own tokenizer strips; documents keep them.
* ``with-stopwords``: query terms drawn from the full Zipf law, so about half of them are among
  the 100 most frequent terms and match most of the corpus. Reported, gated only on beating
  bm25s: every engine here scores exhaustively, so a query touching ~100,000 postings costs
  mlref in proportion, while rank_bm25's cost per query term is the same for every term.

All three engines index the same token lists. Timings, in one run:

* indexing: best of ``--repeats`` builds for mlref, bm25s and rank_bm25;
* top-10 search: mlref ``search_batch`` (a sparse product per chunk of queries — or, for
  queries whose postings cover more than a quarter of the corpus, one bincount into dense
  rows — then a top-k per row), bm25s ``retrieve(..., backend_selection="numpy")`` with its
  default float32 index, and rank_bm25 ``get_scores`` + argsort (a pure-Python loop over every
  document per query term) on the first ``--rank-queries`` (20) queries only, extrapolated per
  query — it would take minutes for all 1,000.

rank_bm25 is ``BM25Okapi`` with its IDF floor removed (a subclass, the same loop) and mlref uses
``idf="source"`` so their scores can be compared; bm25s and mlref use ``method="lucene"`` /
``idf="lucene"``. The script checks that the top-10 score lists agree (1e-9 relative against
rank_bm25, 1e-5 against float32 bm25s) and that the top-10 documents agree where the 10th score
is not tied, and exits non-zero when a check or target fails. Targets (content workload): query
throughput at least bm25s's and at least 300x rank_bm25's; indexing no slower than rank_bm25.
"""

import argparse
import math
import sys
import time

import bm25s
import numpy as np
import rank_bm25

from mlref.features.text import BM25

N_STOPWORDS = 100
TARGET_VS_RANK_BM25 = 300.0


class BM25OkapiNoFloor(rank_bm25.BM25Okapi):
    """rank_bm25's BM25Okapi with raw Robertson IDFs (no epsilon floor) — the source formula."""

    def _calc_idf(self, nd):
        for word, freq in nd.items():
            self.idf[word] = math.log(self.corpus_size - freq + 0.5) - math.log(freq + 0.5)


def make_corpus(n_docs: int, n_terms: int, n_queries: int, seed: int):
    rng = np.random.default_rng(seed)
    terms = np.array([f"t{i}" for i in range(n_terms)], dtype=object)
    zipf = 1.0 / np.arange(1, n_terms + 1)
    zipf /= zipf.sum()
    lengths = rng.integers(20, 201, size=n_docs)
    tokens = terms[rng.choice(n_terms, size=int(lengths.sum()), p=zipf)]
    docs = [part.tolist() for part in np.split(tokens, np.cumsum(lengths)[:-1])]
    query_lengths = rng.integers(2, 6, size=n_queries)
    content = zipf[N_STOPWORDS:] / zipf[N_STOPWORDS:].sum()
    workloads = {
        "content": [
            terms[N_STOPWORDS + rng.choice(n_terms - N_STOPWORDS, size=n, p=content)].tolist()
            for n in query_lengths
        ],
        "with-stopwords": [
            terms[rng.choice(n_terms, size=n, p=zipf)].tolist() for n in query_lengths
        ],
    }
    return docs, workloads


def best_time(func, repeats: int):
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = func()
        times.append(time.perf_counter() - start)
    return min(times), value


def build_bm25s(docs):
    index = bm25s.BM25(method="lucene", k1=1.5, b=0.75, backend="numpy")
    index.index(docs, show_progress=False)
    return index


def scores_agree(a, b, rtol) -> bool:
    return bool(np.allclose(a, b, rtol=rtol, atol=rtol))


def documents_agree(ours_idx, ours_scores, theirs, k: int) -> float:
    """Fraction of queries whose top-k document sets match, among those where our k-th and
    (k+1)-th scores differ by more than float32 rounding (a tie there makes either set right)."""
    untied = ~np.isclose(ours_scores[:, k - 1], ours_scores[:, k], rtol=1e-5, atol=1e-6)
    same = np.array([set(o[:k]) == set(t) for o, t in zip(ours_idx, theirs, strict=True)])
    return float(same[untied].mean()) if untied.any() else 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--terms", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--rank-queries", type=int, default=20)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    k = args.k

    docs, workloads = make_corpus(args.docs, args.terms, args.queries, seed=0)
    n_tokens = sum(map(len, docs))
    print(f"{args.docs:,} documents, {n_tokens:,} tokens, {args.terms:,}-term Zipf vocabulary")

    fit_ours, ours_source = best_time(lambda: BM25(idf="source").fit(docs), args.repeats)
    ours_lucene = BM25(idf="lucene").fit(docs)
    fit_bm25s, theirs = best_time(lambda: build_bm25s(docs), args.repeats)
    fit_rank, rank = best_time(lambda: BM25OkapiNoFloor(docs, k1=1.5, b=0.75), args.repeats)
    print(f"\nindexing, best of {args.repeats}")
    print(f"  mlref BM25.fit        {fit_ours:7.2f} s")
    print(f"  bm25s index (numpy)   {fit_bm25s:7.2f} s")
    print(f"  rank_bm25 BM25Okapi   {fit_rank:7.2f} s   mlref is {fit_rank / fit_ours:.1f}x faster")
    failures = []
    if fit_ours > fit_rank:
        failures.append("indexing slower than rank_bm25")

    for name, queries in workloads.items():
        n_rank = min(args.rank_queries, len(queries))
        t_ours, (_, ours_scores) = best_time(
            lambda q=queries: ours_lucene.search_batch(q, k), args.repeats
        )
        t_theirs, result = best_time(
            lambda q=queries: theirs.retrieve(
                q, k=k, show_progress=False, backend_selection="numpy"
            ),
            args.repeats,
        )

        def rank_top_k(q=queries[:n_rank]):
            found = []
            for query in q:
                scores = rank.get_scores(query)
                top = np.argsort(-scores, kind="stable")[:k]
                found.append((top, scores[top]))
            return found

        t_rank, rank_found = best_time(rank_top_k, 1)
        src_idx, src_scores = ours_source.search_batch(queries[:n_rank], k + 1)
        ours_idx_next, ours_scores_next = ours_lucene.search_batch(queries, k + 1)

        qps_ours = len(queries) / t_ours
        qps_bm25s = len(queries) / t_theirs
        qps_rank = n_rank / t_rank
        bm25s_ok = scores_agree(ours_scores, result.scores, 1e-5)
        rank_ok = scores_agree(src_scores[:, :k], np.array([s for _, s in rank_found]), 1e-9)
        bm25s_docs = documents_agree(ours_idx_next, ours_scores_next, result.documents, k)
        rank_docs = documents_agree(src_idx, src_scores, [i for i, _ in rank_found], k)
        mean_postings = np.mean(
            [ours_lucene.doc_freq_[_ids(ours_lucene, q)].sum() for q in queries]
        )
        print(f"\ntop-{k} search, workload {name!r} ({mean_postings:,.0f} postings per query)")
        print(f"  mlref search_batch    {qps_ours:10,.0f} queries/s")
        print(
            f"  bm25s (numpy)         {qps_bm25s:10,.0f} queries/s"
            f"   mlref {qps_ours / qps_bm25s:.1f}x;"
            f" top-{k} scores agree: {bm25s_ok}, documents: {bm25s_docs:.1%}"
        )
        print(
            f"  rank_bm25             {qps_rank:10,.1f} queries/s"
            f"   mlref {qps_ours / qps_rank:.0f}x"
            f" (timed on {n_rank} queries); top-{k} scores agree: {rank_ok},"
            f" documents: {rank_docs:.1%}"
        )
        if not (bm25s_ok and rank_ok and bm25s_docs == 1.0 and rank_docs == 1.0):
            failures.append(f"{name}: top-{k} results disagree")
        if qps_ours < qps_bm25s:
            failures.append(f"{name}: throughput below bm25s")
        if name == "content" and qps_ours < TARGET_VS_RANK_BM25 * qps_rank:
            failures.append(f"{name}: throughput below {TARGET_VS_RANK_BM25:.0f}x rank_bm25")

    print("\nall targets met" if not failures else "\nFAILED: " + "; ".join(failures))
    return 1 if failures else 0


def _ids(index, query):
    return [index.vocabulary_[t] for t in query if t in index.vocabulary_]


if __name__ == "__main__":
    sys.exit(main())
