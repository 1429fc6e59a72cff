"""Typed settings for ingestion, indexing and search."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class RetrievalSettings:
    """Everything retrieval needs to know; defaults work out of the box."""

    index_dir: Path = Path(".brief/index")
    chunk_tokens: int = 200  # the embedder reads at most 256 word pieces; leave room for the title
    chunk_overlap_sentences: int = 1
    max_file_bytes: int = 20_000_000
    embed_batch_size: int = 64
    # above this many chunks an approximate (HNSW) index replaces the exact one; see BENCHMARKS.md
    exact_index_max_chunks: int = 50_000
    hnsw_m: int = 32
    hnsw_ef_search: int = 128
    candidates: int = 50  # per retriever, before fusion
    rrf_k: int = 60
    max_per_article: int = 2  # diversification: at most this many passages from one article in the top k
    top_k: int = 5
