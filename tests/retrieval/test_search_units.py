"""BM25, reciprocal-rank fusion and per-article diversification on tiny hand-made corpora with fake vectors."""
from __future__ import annotations

import numpy as np

from retrieval.bm25 import bm25_scores, build_bm25, stem_words, tokenize
from retrieval.records import Chunk
from retrieval.search import HybridRetriever, SearchFilters, diversify, rrf_fuse
from retrieval.settings import RetrievalSettings
from retrieval.store import Snapshot, StoredDocument, build_faiss

TEXTS = {
    "a": ["Caseloads for social workers were too high.", "Leaders lost focus on frontline practice."],
    "b": ["Caseloads are now manageable after recruitment.", "Care leavers receive good support."],
    "c": ["The council's budget for libraries was cut."],
}


class AxisEmbedder:
    """A fake embedder: one axis per keyword, so dense similarity is countable by hand."""

    model_id = "fake-axes"
    WORDS = ["caseload", "leader", "care", "budget"]
    dim = len(WORDS)

    def _vec(self, text: str) -> np.ndarray:
        t = text.lower()
        v = np.array([float(w in t) for w in self.WORDS], dtype="float32") + 1e-3
        return v / np.linalg.norm(v)

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vec(t) for t in texts])

    def encode_query(self, text: str) -> np.ndarray:
        return self._vec(text)


def retriever(max_per_article: int = 2) -> HybridRetriever:
    chunks = [Chunk(id=f"{d}{i}", doc_id=d, text=t, start=0, end=len(t), ordinal=i)
              for d, ts in TEXTS.items() for i, t in enumerate(ts)]
    docs = {d: StoredDocument(id=d, title=d, text=" ".join(ts), hash=d, date=f"201{i}-01-01")
            for i, (d, ts) in enumerate(TEXTS.items())}
    emb = AxisEmbedder()
    vectors = emb.encode([c.text for c in chunks])
    snap = Snapshot(docs, chunks, [], vectors, {"embed_model": emb.model_id, "dim": emb.dim})
    settings = RetrievalSettings(max_per_article=max_per_article)
    return HybridRetriever(snap, build_faiss(vectors, 100, 8, 16), build_bm25([c.text for c in chunks]), emb, settings)


def test_bm25_tokenizer_stems_and_drops_stopwords():
    assert tokenize(["The caseloads of the team are high"])[0] == stem_words(["caseloads", "team", "high"])


def test_bm25_scores_only_the_texts_with_the_term():
    bm = build_bm25(["caseloads were high", "care leavers", "caseloads caseloads fell"])
    scores = bm25_scores(bm, "caseloads")
    assert scores[1] == 0 and scores[0] > 0 and scores[2] > scores[0]
    assert bm25_scores(bm, "zebra") is None
    assert bm25_scores(None, "caseloads") is None


def test_rrf_sums_reciprocal_ranks():
    fused = rrf_fuse([[1, 2], [2, 3]], rrf_k=60)
    assert fused[2] == 1 / 62 + 1 / 61
    assert fused[1] == 1 / 61 and fused[3] == 1 / 62
    assert max(fused, key=fused.get) == 2  # in both lists beats first in one


def test_diversify_caps_each_document_then_relaxes():
    doc_of = ["a", "a", "a", "b", "c"]
    assert diversify([0, 1, 2, 3, 4], doc_of, k=4, max_per_doc=2) == [0, 1, 3, 4]
    assert diversify([0, 1, 2, 3], doc_of, k=4, max_per_doc=1) == [0, 3, 1, 2]  # too few others: the cap relaxes


def test_hybrid_search_fuses_both_signals_and_diversifies():
    r = retriever(max_per_article=1)
    hits = r.search("caseloads", k=2).hits
    assert {h.chunk.doc_id for h in hits} == {"a", "b"}
    assert all(h.dense_rank and h.bm25_rank for h in hits)


def test_date_filter_and_baselines():
    r = retriever()
    hits = r.search("caseloads", k=5, filters=SearchFilters(date_from="2011")).hits
    assert hits and {h.chunk.doc_id for h in hits} <= {"b", "c"}
    assert r.bm25_only("budget", 3)[0].chunk.doc_id == "c"
    assert r.dense_only("budget", 1)[0].chunk.doc_id == "c"
