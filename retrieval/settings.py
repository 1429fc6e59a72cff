"""Typed settings for ingestion, indexing and search."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


DEFAULT_INDEX_DIR = Path(".brief/index")  # the one place the default is written; BRIEF_INDEX overrides it


def index_dir_from_env(explicit: str | Path | None = None) -> Path:
    """The index directory: an explicit one, else $BRIEF_INDEX, else the default (the one reader of BRIEF_INDEX)."""
    if explicit is not None:
        return Path(explicit)
    return Path(os.environ.get("BRIEF_INDEX") or DEFAULT_INDEX_DIR)


@dataclass
class RetrievalSettings:
    """Everything retrieval needs to know; defaults work out of the box."""

    index_dir: Path = DEFAULT_INDEX_DIR
    chunk_tokens: int = 200  # the embedder reads at most 256 word pieces; leave room for the title
    chunk_overlap_sentences: int = 1
    max_file_bytes: int = 20_000_000
    embed_batch_size: int = 64
    embed_commit_chunks: int = 256  # passages embedded per checkpointed batch: a crashed ingest loses at most one
    # above this many chunks an approximate (HNSW) index replaces the exact one; see BENCHMARKS.md
    exact_index_max_chunks: int = 50_000
    hnsw_m: int = 32
    hnsw_ef_search: int = 128
    candidates: int = 50  # per retriever, before fusion
    rrf_k: int = 60
    max_per_article: int = 2  # diversification: at most this many passages from one article in the top k
    top_k: int = 5
