"""The on-disk index: SQLite metadata, vectors, a FAISS index and a BM25 index in one snapshot folder.

Every write builds a complete new snapshot in a temporary folder and then atomically repoints
``CURRENT`` at it, so a crash or Ctrl-C mid-write leaves the previous index usable.
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import sqlite3
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from retrieval.records import Chunk, DocMeta, Judgement
from retrieval.write_errors import guard_writes

FORMAT_VERSION = 1
CURRENT = "CURRENT"
SNAPSHOTS = "snapshots"
SOURCES = "sources.json"  # the paths ever ingested, kept beside the snapshots so advice can name them
LOAD_ATTEMPTS = 5  # reads of a snapshot that a concurrent write replaced, before the error stands


class IndexError_(RuntimeError):
    """The index on disk is missing, corrupt or from an incompatible version."""


IndexCorrupt = IndexError_


@dataclass
class StoredDocument:
    """A document as the index keeps it."""

    id: str
    title: str
    text: str
    hash: str
    source: str | None = None
    date: str | None = None
    path: str | None = None
    meta: DocMeta = field(default_factory=DocMeta)
    comment_start: int | None = None  # index in the original text where reader comments begin
    extra: dict = field(default_factory=dict)


def meta_from_dict(d: dict) -> DocMeta:
    d = dict(d)
    d["judgements"] = [Judgement(**j) for j in d.get("judgements", [])]
    return DocMeta(**d)


@dataclass
class Snapshot:
    """Everything an index holds, in memory. ``vectors`` rows align with ``searchable`` chunk rows."""

    documents: dict[str, StoredDocument]
    chunks: list[Chunk]  # searchable (body) chunks, row i <-> vectors[i]
    comments: list[Chunk]  # reader-comment chunks: shown, never evidence
    vectors: np.ndarray
    manifest: dict

    @classmethod
    def empty(cls, dim: int, embed_model: str) -> "Snapshot":
        return cls({}, [], [], np.zeros((0, dim), dtype="float32"), {"embed_model": embed_model, "dim": dim})


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def _write_sqlite(path: Path, snap: Snapshot) -> None:
    con = sqlite3.connect(path)
    con.executescript(
        """
        CREATE TABLE documents (id TEXT PRIMARY KEY, title TEXT, text TEXT, hash TEXT, source TEXT,
            date TEXT, path TEXT, meta TEXT, comment_start INTEGER, extra TEXT);
        CREATE TABLE chunks (row INTEGER PRIMARY KEY, id TEXT UNIQUE, doc_id TEXT, ordinal INTEGER,
            start INTEGER, "end" INTEGER, text TEXT, councils TEXT, role TEXT);
        CREATE INDEX chunks_doc ON chunks(doc_id);
        """
    )
    con.executemany(
        "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?)",
        [
            (d.id, d.title, d.text, d.hash, d.source, d.date, d.path, json.dumps(asdict(d.meta)),
             d.comment_start, json.dumps(d.extra, default=str))
            for d in snap.documents.values()
        ],
    )
    rows = [(i, c) for i, c in enumerate(snap.chunks)] + [(-1 - i, c) for i, c in enumerate(snap.comments)]
    con.executemany(
        "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?)",
        [(r, c.id, c.doc_id, c.ordinal, c.start, c.end, c.text, json.dumps(c.councils), c.role) for r, c in rows],
    )
    con.commit()
    con.close()


def _read_sqlite(path: Path) -> tuple[dict[str, StoredDocument], list[Chunk], list[Chunk]]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        docs = {}
        for row in con.execute("SELECT id,title,text,hash,source,date,path,meta,comment_start,extra FROM documents"):
            docs[row[0]] = StoredDocument(
                id=row[0], title=row[1], text=row[2], hash=row[3], source=row[4], date=row[5], path=row[6],
                meta=meta_from_dict(json.loads(row[7])), comment_start=row[8], extra=json.loads(row[9] or "{}"),
            )
        chunks, comments = [], []
        for row in con.execute('SELECT row,id,doc_id,ordinal,start,"end",text,councils,role FROM chunks ORDER BY row'):
            c = Chunk(id=row[1], doc_id=row[2], ordinal=row[3], start=row[4], end=row[5], text=row[6],
                      councils=json.loads(row[7]), role=row[8])
            (chunks if row[0] >= 0 else comments).append(c)
        comments.sort(key=lambda c: (c.doc_id, c.ordinal))
        return docs, chunks, comments
    finally:
        con.close()


def build_faiss(vectors: np.ndarray, exact_max: int, hnsw_m: int, ef_search: int):
    """Exact inner-product index for small corpora, HNSW above ``exact_max`` vectors."""
    import faiss

    dim = vectors.shape[1]
    if len(vectors) <= exact_max:
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = ef_search
    if len(vectors):
        index.add(vectors)
    return index


class IndexStore:
    """Reads and writes index snapshots under one directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def exists(self) -> bool:
        return (self.root / CURRENT).is_file()

    def current_name(self) -> str | None:
        """The id of the snapshot ``CURRENT`` points at (None before the first write): the one reader of the pointer.

        Damaged bytes are read as they are (with replacement characters), so loading fails as an unreadable index
        rather than a decoding error; a ``CURRENT`` that is not a file counts as no pointer at all.
        """
        try:
            return (self.root / CURRENT).read_bytes().decode("utf-8", "replace").strip() or None
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def sources(self) -> list[str]:
        """The files and folders ingested into this index: from sources.json, else the current manifest's
        ``sources`` (empty when both are unknown or unreadable)."""
        for path, key in ((lambda: self.root / SOURCES, None), (lambda: self.current_dir() / "manifest.json", "sources")):
            try:
                got = json.loads(path().read_text())
                got = got.get(key) if key else got
            except (OSError, ValueError, AttributeError):
                continue
            if isinstance(got, list):
                return [str(x) for x in got]
        return []

    def merged_sources(self, paths: list[str | Path], replace: bool = False) -> list[str]:
        """The ingested paths after ingesting paths (absolute, in order, each once)."""
        new = [str(Path(p).resolve()) for p in paths]
        return list(dict.fromkeys(new if replace else self.sources() + new))

    def record_sources(self, paths: list[str | Path], replace: bool = False) -> None:
        """Remember ingested paths (atomically: a temp file, then a rename)."""
        merged = self.merged_sources(paths, replace)
        with guard_writes(self.root):
            tmp = self.root / f".{SOURCES}.{uuid.uuid4().hex[:8]}"
            tmp.write_text(json.dumps(merged, indent=1))
            os.replace(tmp, self.root / SOURCES)

    def reindex_advice(self) -> str:
        """The command that rebuilds this index from what was ingested into it."""
        paths = " ".join(shlex.quote(p) for p in self.sources()) or "PATH..."
        return f"Re-index with: brief ingest --rebuild --index {shlex.quote(str(self.root))} {paths}"

    def current_dir(self) -> Path:
        return self.root / SNAPSHOTS / (self.current_name() or "")

    def load(self, embed_model: str, dim: int) -> tuple[Snapshot, object, object]:
        """Load the current snapshot, its FAISS index and its BM25 index; raise IndexCorrupt with advice.

        A writer may make a new snapshot current, and delete this one, while it is being read (``brief ingest`` beside
        ``brief serve``): a read that fails after ``CURRENT`` moved is retried on the new snapshot, so a reader gets
        the old snapshot or the new one, whole, never an error.
        """
        for attempt in range(LOAD_ATTEMPTS):
            name = self.current_name()
            try:
                return self._load(name, embed_model, dim)
            except IndexCorrupt:
                if attempt == LOAD_ATTEMPTS - 1 or self.current_name() == name:
                    raise
        raise AssertionError("unreachable")

    def _load(self, name: str | None, embed_model: str, dim: int) -> tuple[Snapshot, object, object]:
        """Load snapshot ``name`` (what CURRENT pointed at when the load began)."""
        advice = self.reindex_advice()
        if not self.exists():
            raise IndexCorrupt(f"No index at {self.root}. Build one with: brief ingest --index {self.root} data/articles")
        snap_dir = self.root / SNAPSHOTS / (name or "")
        try:
            manifest = json.loads((snap_dir / "manifest.json").read_text())
        except (OSError, ValueError) as e:
            raise IndexCorrupt(f"The index at {self.root} is unreadable ({e}). {advice}") from e
        if not isinstance(manifest, dict):
            raise IndexCorrupt(f"The index at {self.root} is unreadable (its manifest.json holds a "
                               f"{type(manifest).__name__}, not an object). {advice}")
        if manifest.get("format") != FORMAT_VERSION:
            raise IndexCorrupt(
                f"The index at {self.root} has format {manifest.get('format')!r}; this version of brief reads "
                f"format {FORMAT_VERSION}. {advice}"
            )
        if manifest.get("embed_model") != embed_model or manifest.get("dim") != dim:
            raise IndexCorrupt(
                f"The index at {self.root} was built with {manifest.get('embed_model')} "
                f"({manifest.get('dim')}-d), not {embed_model}. {advice}"
            )
        try:
            import bm25s
            import faiss

            docs, chunks, comments = _read_sqlite(snap_dir / "meta.sqlite")
            vectors = np.load(snap_dir / "vectors.npy")
            index = faiss.read_index(str(snap_dir / "vectors.faiss"))
            bm25 = bm25s.BM25.load(str(snap_dir / "bm25")) if chunks else None
        except Exception as e:  # any failure to read is corruption from the user's point of view
            raise IndexCorrupt(f"The index at {self.root} is corrupt ({type(e).__name__}: {e}). {advice}") from e
        if not (len(chunks) == len(vectors) == index.ntotal == manifest.get("chunks")):
            raise IndexCorrupt(
                f"The index at {self.root} is inconsistent ({len(chunks)} chunks, {len(vectors)} vectors, "
                f"{index.ntotal} in FAISS, manifest says {manifest.get('chunks')}). {advice}"
            )
        return Snapshot(docs, chunks, comments, vectors, manifest), index, bm25

    def write(self, snap: Snapshot, index, bm25, extra_manifest: dict | None = None) -> Path:
        """Write a complete snapshot to a temporary folder, then atomically make it current."""
        import faiss

        snaps = self.root / SNAPSHOTS
        name = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
        tmp = snaps / f".tmp-{name}"
        with guard_writes(self.root):  # a refused write becomes IndexWriteError, classified before cleanup frees space
            snaps.mkdir(parents=True, exist_ok=True)
            tmp.mkdir()
        try:
            with guard_writes(self.root):
                _write_sqlite(tmp / "meta.sqlite", snap)
                with open(tmp / "vectors.npy", "wb") as f:
                    np.save(f, snap.vectors)
                faiss.write_index(index, str(tmp / "vectors.faiss"))
                if bm25 is not None:
                    bm25.save(str(tmp / "bm25"))
                manifest = dict(snap.manifest)
                manifest.update(extra_manifest or {})
                manifest.update(
                    format=FORMAT_VERSION,
                    chunks=len(snap.chunks),
                    documents=len(snap.documents),
                    written=time.strftime("%Y-%m-%dT%H:%M:%S"),
                )
                (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
                for p in tmp.rglob("*"):
                    if p.is_file():
                        with open(p, "rb") as f:
                            os.fsync(f.fileno())
                _fsync_dir(tmp)
                final = snaps / name
                os.rename(tmp, final)
                _fsync_dir(snaps)
                pointer = self.root / f".{CURRENT}.{uuid.uuid4().hex[:8]}"
                pointer.write_text(name + "\n")
                with open(pointer, "rb") as f:
                    os.fsync(f.fileno())
                os.replace(pointer, self.root / CURRENT)
                _fsync_dir(self.root)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self._collect_garbage(keep=name)
        return final

    def _collect_garbage(self, keep: str) -> None:
        """Drop old snapshots and leftovers of interrupted writes."""
        for p in (self.root / SNAPSHOTS).iterdir():
            if p.name != keep:
                shutil.rmtree(p, ignore_errors=True)
        for p in self.root.glob(f".{CURRENT}.*"):
            p.unlink(missing_ok=True)
