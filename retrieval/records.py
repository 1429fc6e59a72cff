"""Records that cross module lines: documents, cleaned text, chunks and search hits."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Document:
    """One source document as loaded: original text plus the metadata known about it."""

    id: str
    text: str
    title: str = ""
    source: str | None = None
    date: str | None = None  # ISO date (YYYY-MM-DD) or year, when known
    path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class LoadRefused(Exception):
    """A file (or a line of a .jsonl) that cannot be loaded; the message says why and what to do."""


@dataclass
class LoadIssue:
    """A file (or a line of a .jsonl) refused at load time, with a message a user can act on."""

    source: str
    message: str


@dataclass
class Segment:
    """A span of the original text classified by cleaning."""

    start: int
    end: int
    role: str  # "body" | "comment" | "boilerplate"


@dataclass
class CleanText:
    """Cleaned article text with a map back to the original.

    ``offsets[i]`` is the index in the original text of ``text[i]``; ``comment_start`` is the index in
    ``text`` where reader comments begin (None when there are none).
    """

    text: str
    offsets: list[int]
    segments: list[Segment] = field(default_factory=list)
    comment_start: int | None = None

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the cleaned text to a span of the original."""
        if end <= start:
            pos = self.offsets[start] if start < len(self.offsets) else (self.offsets[-1] + 1 if self.offsets else 0)
            return pos, pos
        return self.offsets[start], self.offsets[end - 1] + 1


@dataclass
class Judgement:
    """An Ofsted judgement found in a document, with the council it refers to when known."""

    grade: str  # inadequate | requires improvement | good | outstanding
    council: str | None = None
    area: str | None = None  # e.g. "overall effectiveness"
    start: int | None = None  # span in the original text
    end: int | None = None


@dataclass
class DocMeta:
    """Metadata extracted from a document by code."""

    councils: list[str] = field(default_factory=list)
    judgements: list[Judgement] = field(default_factory=list)
    inspection_kind: str | None = None  # full inspection | monitoring visit | focused visit
    years: list[int] = field(default_factory=list)
    inspection_dates: list[str] = field(default_factory=list)
    doc_type: str = "article"  # article | report


@dataclass
class Chunk:
    """A retrievable passage: cleaned text plus its span in the original document."""

    id: str
    doc_id: str
    text: str
    start: int
    end: int
    councils: list[str] = field(default_factory=list)
    role: str = "body"  # "body" or "comment"
    ordinal: int = 0


@dataclass
class Hit:
    """A chunk returned by search, with fused score and the signals behind it."""

    chunk: Chunk
    score: float
    dense_rank: int | None = None
    bm25_rank: int | None = None
    title: str = ""
    date: str | None = None
    source: str | None = None


@dataclass
class SearchResult:
    """What retrieval found for one query, including councils it could not match."""

    query: str
    hits: list[Hit]
    query_councils: list[str] = field(default_factory=list)
    missing_councils: list[str] = field(default_factory=list)
