"""Ingestion pipeline: load -> clean -> extract metadata -> chunk -> embed -> write a new snapshot."""
from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from retrieval.checkpoint import EmbedCheckpoint
from retrieval.chunking import TokenCounter, chunk_document, tokenizer_counter
from retrieval.cleaning import clean_text
from retrieval.councils import find_councils
from retrieval.embedding import Embedder
from retrieval.loaders import load_paths
from retrieval.metadata import extract_metadata
from retrieval.records import Chunk, CleanText, Document, LoadIssue
from retrieval.settings import RetrievalSettings
from retrieval.store import IndexStore, Snapshot, StoredDocument, build_faiss
from retrieval.bm25 import build_bm25
from retrieval.write_errors import IndexWriteError, guard_writes

PIPELINE_VERSION = "1"  # bump when cleaning/chunking changes so unchanged files are re-processed

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class IngestReport:
    """What one ingest did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    refused: list[LoadIssue] = field(default_factory=list)
    chunks_total: int = 0
    documents_total: int = 0
    new_chunks: int = 0
    index_kind: str = ""


def content_hash(doc: Document) -> str:
    h = hashlib.sha256()
    for part in (PIPELINE_VERSION, doc.text, doc.title or "", doc.date or "", doc.source or ""):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


@contextmanager
def write_lock(root: Path) -> Iterator[None]:
    """One writer at a time per index directory (a directory the disk refuses is IndexWriteError)."""
    with guard_writes(root):
        root.mkdir(parents=True, exist_ok=True)
        f = open(root / ".lock", "w")
    with f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def chunk_councils(clean: CleanText, chunks: list[Chunk], doc_councils: list[str]) -> None:
    """Give each chunk the councils it is about: those it names, else the last one named before it."""
    mentions = sorted((clean.offsets[s] if s < len(clean.offsets) else 0, name) for name, s, _ in find_councils(clean.text))
    fallback = doc_councils[:1]
    for c in chunks:
        named = list(dict.fromkeys(name for pos, name in mentions if c.start <= pos < c.end))
        before = [name for pos, name in mentions if pos < c.start]
        current = before[-1:] if before else fallback
        c.councils = named or current
        if named and current and current[0] not in named and not _names_only_other(c.text, named):
            c.councils = list(dict.fromkeys(current + named))


def _names_only_other(text: str, named: list[str]) -> bool:
    """True when a chunk opens by naming another council, i.e. it has moved on to that council."""
    first = find_councils(text[:200])
    return bool(first) and first[0][0] in named


def prepare(doc: Document, settings: RetrievalSettings, count_tokens: TokenCounter | None) -> tuple[StoredDocument, list[Chunk]]:
    """Clean, describe and chunk one document (no embedding)."""
    clean = clean_text(doc.text)
    meta = extract_metadata(doc, clean)
    chunks = chunk_document(doc.id, clean, meta, settings.chunk_tokens, settings.chunk_overlap_sentences, count_tokens)
    chunk_councils(clean, chunks, meta.councils)
    comment_start = None
    if clean.comment_start is not None and clean.comment_start < len(clean.text):
        comment_start = clean.offsets[clean.comment_start]
    stored = StoredDocument(
        id=doc.id, title=doc.title or doc.id, text=doc.text, hash=content_hash(doc), source=doc.source,
        date=doc.date, path=doc.path, meta=meta, comment_start=comment_start, extra=doc.extra,
    )
    return stored, chunks


def apply_changes(
    base: Snapshot,
    new_docs: list[tuple[StoredDocument, list[Chunk]]],
    remove_ids: set[str],
    embedder: Embedder,
    progress: Progress | None = None,
    checkpoint: EmbedCheckpoint | None = None,
    batch: int = 256,
) -> Snapshot:
    """A new snapshot: base minus removed/replaced documents plus new ones (only new chunks are embedded, in
    batches a checkpoint keeps, so a rerun after a crash embeds only what was not finished)."""
    replaced = remove_ids | {d.id for d, _ in new_docs}
    keep_rows = [i for i, c in enumerate(base.chunks) if c.doc_id not in replaced]
    docs = {k: v for k, v in base.documents.items() if k not in replaced}
    chunks = [base.chunks[i] for i in keep_rows]
    comments = [c for c in base.comments if c.doc_id not in replaced]
    vectors = [base.vectors[keep_rows]] if keep_rows else []
    new_body: list[Chunk] = []
    for d, cs in new_docs:
        docs[d.id] = d
        new_body.extend(c for c in cs if c.role == "body")
        comments.extend(c for c in cs if c.role != "body")
    if new_body:
        texts = [_embed_text(docs[c.doc_id], c) for c in new_body]
        vectors.append(embed_batches(texts, embedder, batch, checkpoint, progress))
        chunks.extend(new_body)
    vec = np.concatenate(vectors) if vectors else np.zeros((0, embedder.dim), dtype="float32")
    return Snapshot(docs, chunks, comments, np.ascontiguousarray(vec, dtype="float32"), dict(base.manifest))


def embed_batches(texts: list[str], embedder: Embedder, batch: int, checkpoint: EmbedCheckpoint | None,
                  progress: Progress | None = None) -> np.ndarray:
    """Vectors of texts, batch by batch: a batch the checkpoint holds is read back, any other is embedded and
    stored in the checkpoint before the next one starts."""
    parts = []
    for i in range(0, len(texts), max(1, batch)):
        part = texts[i : i + max(1, batch)]
        vecs = checkpoint.load(part) if checkpoint is not None else None
        if vecs is None:
            vecs = np.ascontiguousarray(embedder.encode(part), dtype="float32")
            if checkpoint is not None:
                checkpoint.save(part, vecs)
        parts.append(vecs)
        if progress:
            progress("embed", min(i + len(part), len(texts)), len(texts))
    return np.concatenate(parts)


def _embed_text(doc: StoredDocument, chunk: Chunk) -> str:
    """What the embedder sees: the passage with its council, so council-less sentences stay findable."""
    prefix = ", ".join(chunk.councils)
    return f"{prefix}: {chunk.text}" if prefix else chunk.text


class Ingestor:
    """Adds, replaces and removes documents in one index directory."""

    def __init__(self, settings: RetrievalSettings, embedder: Embedder, count_tokens: TokenCounter | None = None):
        self.settings = settings
        self.embedder = embedder
        self.store = IndexStore(settings.index_dir)
        self._count_tokens = count_tokens

    def _base(self, rebuild: bool) -> Snapshot:
        if rebuild or not self.store.exists():
            return Snapshot.empty(self.embedder.dim, self.embedder.model_id)
        snap, _, _ = self.store.load(self.embedder.model_id, self.embedder.dim)
        return snap

    def _write(self, snap: Snapshot, sources: list[str] | None = None) -> str:
        s = self.settings
        index = build_faiss(snap.vectors, s.exact_index_max_chunks, s.hnsw_m, s.hnsw_ef_search)
        bm25 = build_bm25([_embed_text(snap.documents[c.doc_id], c) for c in snap.chunks])
        kind = "flat" if len(snap.vectors) <= s.exact_index_max_chunks else "hnsw"
        self.store.write(
            snap, index, bm25,
            {"embed_model": self.embedder.model_id, "dim": self.embedder.dim, "index_kind": kind,
             "pipeline": PIPELINE_VERSION, "chunk_tokens": s.chunk_tokens,
             "sources": sources if sources is not None else snap.manifest.get("sources", [])},
        )
        return kind

    def ingest(self, paths: list[str | Path], rebuild: bool = False, progress: Progress | None = None) -> IngestReport:
        """Ingest files and folders; unchanged documents are skipped, changed ones replaced."""
        report = IngestReport()
        docs, issues = load_paths(paths, max_bytes=self.settings.max_file_bytes)
        report.refused = issues
        with write_lock(self.settings.index_dir):
            base = self._base(rebuild)
            todo: list[Document] = []
            seen: set[str] = set()
            for doc in docs:
                if doc.id in seen:
                    report.refused.append(LoadIssue(doc.path or doc.id, f"duplicate document id {doc.id!r}: kept the first, skipped this one; give it a different file name or id"))
                    continue
                seen.add(doc.id)
                old = base.documents.get(doc.id)
                if old is not None and old.hash == content_hash(doc):
                    report.unchanged.append(doc.id)
                    continue
                (report.updated if old is not None else report.added).append(doc.id)
                todo.append(doc)
            if not todo and self.store.exists() and not rebuild:
                report.documents_total, report.chunks_total = len(base.documents), len(base.chunks)
                report.index_kind = base.manifest.get("index_kind", "")
                return report
            counter = self._count_tokens or tokenizer_counter()
            prepared = []
            for i, doc in enumerate(todo):
                prepared.append(prepare(doc, self.settings, counter))
                if progress:
                    progress("prepare", i + 1, len(todo))
            report.new_chunks = sum(1 for _, cs in prepared for c in cs if c.role == "body")
            checkpoint = EmbedCheckpoint(self.settings.index_dir, self.embedder.model_id, self.embedder.dim)
            snap = apply_changes(base, prepared, set(), self.embedder, progress, checkpoint,
                                 self.settings.embed_commit_chunks)
            report.index_kind = self._write(snap, self.store.merged_sources(paths, replace=rebuild))
            checkpoint.clear()  # the batches are in the current snapshot now
            try:
                self.store.record_sources(paths, replace=rebuild)
            except IndexWriteError:
                pass  # the new snapshot is current and its manifest names the sources too
            report.documents_total, report.chunks_total = len(snap.documents), len(snap.chunks)
        return report

    def remove(self, doc_ids: list[str]) -> IngestReport:
        """Delete documents by id; unknown ids are reported, not fatal."""
        report = IngestReport()
        with write_lock(self.settings.index_dir):
            base = self._base(False)
            for d in doc_ids:
                if d in base.documents:
                    report.removed.append(d)
                else:
                    report.refused.append(LoadIssue(d, f"no document with id {d!r} in the index; see `brief list` for ids"))
            if report.removed:
                snap = apply_changes(base, [], set(report.removed), self.embedder)
                report.index_kind = self._write(snap)
                base = snap
            report.documents_total, report.chunks_total = len(base.documents), len(base.chunks)
        return report
