"""Hybrid search: dense (FAISS) and BM25 results fused by reciprocal rank, council-aware and diversified."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from retrieval.bm25 import bm25_scores
from retrieval.councils import find_councils
from retrieval.dates import years as query_years
from retrieval.embedding import Embedder
from retrieval.records import Chunk, Hit, SearchResult
from retrieval.settings import RetrievalSettings
from retrieval.store import Snapshot


@dataclass
class SearchFilters:
    """Optional restrictions a user can put on a search."""

    councils: list[str] | None = None
    date_from: str | None = None  # ISO date or year, inclusive
    date_to: str | None = None
    # restrict to the councils the query names (on by default; off only as an evaluation baseline)
    councils_from_query: bool = True


def _rank(scores: np.ndarray, rows: np.ndarray, n: int) -> list[int]:
    """Rows of the n best scores (descending), ignoring non-positive BM25 scores."""
    if len(rows) == 0:
        return []
    sub = scores[rows]
    n = min(n, len(rows))
    top = np.argpartition(-sub, n - 1)[:n]
    top = top[np.argsort(-sub[top], kind="stable")]
    return [int(rows[i]) for i in top]


def rrf_fuse(rankings: list[list[int]], rrf_k: int) -> dict[int, float]:
    """Reciprocal-rank fusion: each ranking adds 1 / (rrf_k + rank) to the rows it lists (rank from 1)."""
    fused: dict[int, float] = defaultdict(float)
    for ranking in rankings:
        for rank, row in enumerate(ranking):
            fused[row] += 1.0 / (rrf_k + rank + 1)
    return dict(fused)


def diversify(order: list[int], doc_of: list[str], k: int, max_per_doc: int) -> list[int]:
    """Take rows in order, at most max_per_doc per document, relaxing only if too few rows remain."""
    picked: list[int] = []
    spill: list[int] = []
    per_doc: dict[str, int] = defaultdict(int)
    for row in order:
        doc = doc_of[row]
        if per_doc[doc] < max_per_doc:
            picked.append(row)
            per_doc[doc] += 1
        else:
            spill.append(row)
        if len(picked) == k:
            return picked
    return picked + spill[: k - len(picked)]


class HybridRetriever:
    """Searches one loaded snapshot; cheap to build once the snapshot is loaded."""

    def __init__(self, snapshot: Snapshot, faiss_index, bm25, embedder: Embedder, settings: RetrievalSettings):
        import faiss

        # one query at a time gains nothing from OpenMP threads, and they stall badly beside llama.cpp's threads
        faiss.omp_set_num_threads(1)
        self.snap = snapshot
        self.faiss = faiss_index
        self.bm25 = bm25
        self.embedder = embedder
        self.settings = settings
        self._council_rows: dict[str, np.ndarray] = {}
        self._years_cache: dict[str, set[int]] = {}
        by_council: dict[str, list[int]] = defaultdict(list)
        for i, c in enumerate(snapshot.chunks):
            for name in c.councils:
                by_council[name].append(i)
        self._council_rows = {k: np.asarray(v, dtype=np.int64) for k, v in by_council.items()}
        self._doc_of = [c.doc_id for c in snapshot.chunks]
        self._doc_rows: dict[str, list[int]] = defaultdict(list)
        for i, c in enumerate(snapshot.chunks):
            self._doc_rows[c.doc_id].append(i)

    def doc_chunks(self, doc_id: str) -> list[Chunk]:
        """The document's searchable (body) chunks, in order."""
        return [self.snap.chunks[i] for i in self._doc_rows.get(doc_id, [])]

    @property
    def councils(self) -> list[str]:
        """Councils the indexed corpus has passages about."""
        return sorted(self._council_rows)

    def _allowed_rows(self, councils: list[str], filters: SearchFilters | None) -> np.ndarray | None:
        """Rows a query may return, or None for all."""
        mask = None
        n = len(self.snap.chunks)
        if councils:
            mask = np.zeros(n, dtype=bool)
            for name in councils:
                rows = self._council_rows.get(name)
                if rows is not None:
                    mask[rows] = True
        if filters and (filters.date_from or filters.date_to):
            dmask = np.zeros(n, dtype=bool)
            for doc_id, rows in self._doc_rows.items():
                date = self.snap.documents[doc_id].date
                if date and (not filters.date_from or date >= filters.date_from) and (
                    not filters.date_to or date[: len(filters.date_to)] <= filters.date_to
                ):
                    dmask[rows] = True
            mask = dmask if mask is None else mask & dmask
        return None if mask is None else np.flatnonzero(mask)

    def search(self, query: str, k: int | None = None, filters: SearchFilters | None = None) -> SearchResult:
        """The k best passages for query, with the councils it named and those the corpus lacks."""
        s = self.settings
        k = k or s.top_k
        named = []
        for name, _, _ in find_councils(query):
            if name not in named:
                named.append(name)
        explicit = list(filters.councils) if filters and filters.councils else []
        if filters and filters.councils:
            named = list(dict.fromkeys(explicit + named))
        missing = [c for c in named if c not in self._council_rows]
        present = [c for c in named if c in self._council_rows]
        result = SearchResult(query=query, hits=[], query_councils=named, missing_councils=missing)
        if filters is not None and not filters.councils_from_query:
            present = [c for c in explicit if c in self._council_rows]
            named = explicit
        if not self.snap.chunks or (named and not present):
            return result
        rows = self._allowed_rows(present, filters)
        if rows is not None and len(rows) == 0:
            return result

        qvec = self.embedder.encode_query(query)
        if rows is None:
            dsc, dix = self.faiss.search(qvec[None, :], min(s.candidates, len(self.snap.chunks)))
            dense = [int(i) for i in dix[0] if i >= 0]
        else:
            scores = self.snap.vectors[rows] @ qvec
            order = np.argsort(-scores, kind="stable")[: s.candidates]
            dense = [int(rows[i]) for i in order]

        bm = bm25_scores(self.bm25, query)
        sparse: list[int] = []
        if bm is not None:
            cand = rows if rows is not None else np.flatnonzero(bm > 0)
            cand = cand[bm[cand] > 0]
            sparse = _rank(bm, cand, s.candidates)

        fused = rrf_fuse([dense, sparse], s.rrf_k)
        years = query_years(query)
        if years:  # a year the query names lifts passages of documents from that year, as a first rank in one list would
            for row in fused:
                if self._doc_years(self.snap.chunks[row].doc_id) & years:
                    fused[row] += 1.0 / (s.rrf_k + 1)
        dense_rank = {row: r + 1 for r, row in enumerate(dense)}
        sparse_rank = {row: r + 1 for r, row in enumerate(sparse)}
        order = sorted(fused, key=lambda r: -fused[r])
        result.hits = [self._hit(r, fused[r], dense_rank.get(r), sparse_rank.get(r)) for r in self._diversify(order, k)]
        return result

    def _doc_years(self, doc_id: str) -> set[int]:
        """Years a document is from: its inspection dates' years, else its publication year and the year before
        (reports and articles appear some weeks after the visit they describe)."""
        got = self._years_cache.get(doc_id)
        if got is None:
            doc = self.snap.documents[doc_id]
            got = {int(d[:4]) for d in doc.meta.inspection_dates if d[:4].isdigit()}
            if not got and doc.date and doc.date[:4].isdigit():
                got = {int(doc.date[:4]), int(doc.date[:4]) - 1}
            self._years_cache[doc_id] = got
        return got

    def _diversify(self, order: list[int], k: int) -> list[int]:
        return diversify(order, self._doc_of, k, self.settings.max_per_article)

    def _hit(self, row: int, score: float, dr: int | None, br: int | None) -> Hit:
        chunk: Chunk = self.snap.chunks[row]
        doc = self.snap.documents[chunk.doc_id]
        return Hit(chunk=chunk, score=score, dense_rank=dr, bm25_rank=br, title=doc.title, date=doc.date, source=doc.source)

    def dense_only(self, query: str, k: int) -> list[Hit]:
        """Dense retrieval alone (a baseline for evaluation)."""
        qvec = self.embedder.encode_query(query)
        _, ix = self.faiss.search(qvec[None, :], min(k, len(self.snap.chunks)))
        return [self._hit(int(i), 0.0, r + 1, None) for r, i in enumerate(ix[0]) if i >= 0]

    def bm25_only(self, query: str, k: int) -> list[Hit]:
        """BM25 retrieval alone (a baseline for evaluation)."""
        bm = bm25_scores(self.bm25, query)
        if bm is None:
            return []
        return [self._hit(r, float(bm[r]), None, i + 1) for i, r in enumerate(_rank(bm, np.flatnonzero(bm > 0), k))]
