"""An article's text in parts for the model: one part per council it reports on, and pieces of whole paragraphs
under a size limit (the map step of map-reduce). Positions are offsets into the original text."""
from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.councils import find_councils
from retrieval.store import StoredDocument

from summarizer.summaries.evidence import DocText


@dataclass
class Part:
    """A council's paragraphs of one document, with their text joined for the prompt."""

    council: str
    spans: list[tuple[int, int]]  # paragraphs (original offsets)
    text: str = ""
    first: bool = False


def join_spans(dt: DocText, spans: list[tuple[int, int]]) -> str:
    """The text of the spans, one stripped paragraph a line."""
    return "\n".join(dt.text[a:b].strip() for a, b in spans)


def _body_paragraphs(dt: DocText) -> list[tuple[int, int]]:
    """Non-blank lines of the body (the allowed spans), as original offsets."""
    paragraphs: list[tuple[int, int]] = []
    for s, e in dt.allowed:
        for m in re.finditer(r"[^\n]+", dt.text[s:e]):
            a, b = s + m.start(), s + m.end()
            if dt.text[a:b].strip():
                paragraphs.append((a, b))
    return paragraphs


def _subject_councils(doc: StoredDocument, para_mentions: list[list[str]]) -> list[str]:
    """The first council named, and any other judged in the article or named in three or more paragraphs."""
    councils = list(doc.meta.councils)
    if not councils:
        councils = ["unknown"]
    mention_count: dict[str, int] = {}
    for names in para_mentions:
        for n in set(names):
            mention_count[n] = mention_count.get(n, 0) + 1
    judged = {j.council for j in doc.meta.judgements if j.council}
    return [councils[0]] + [c for c in councils[1:] if c in judged or mention_count.get(c, 0) >= 3]


def _assign_paragraphs(dt: DocText, paragraphs: list[tuple[int, int]], para_mentions: list[list[str]],
                       subjects: list[str]) -> dict[str, list[tuple[int, int]]]:
    """Each paragraph to the subject council last named (a heading goes with the paragraph after it)."""
    assign: dict[str, list[tuple[int, int]]] = {c: [] for c in subjects}
    current = subjects[0]
    pending: list[tuple[int, int]] = []
    for (a, b), names in zip(paragraphs, para_mentions):
        named = [n for n in names if n in subjects]
        if named and current not in named:
            current = named[0]
        is_heading = len(dt.text[a:b].split()) <= 14 and not re.search(r"[.!?\"”]\s*$", dt.text[a:b])
        if is_heading and not named:
            pending.append((a, b))
            continue
        assign[current].extend(pending + [(a, b)])
        pending = []
    assign[current].extend(pending)
    return assign


def council_parts(doc: StoredDocument, dt: DocText) -> list[Part]:
    """Split an article's body into one part per council it reports on (paragraphs follow the council last named).

    Subject councils: the first council named, and any other council the article gives a judgement for or names in
    at least three sentences (a council mentioned once in passing, such as an improvement partner, is not a subject).
    """
    paragraphs = _body_paragraphs(dt)
    para_mentions = [[c for c, _, _ in find_councils(dt.text[a:b])] for a, b in paragraphs]
    subjects = _subject_councils(doc, para_mentions)
    if len(subjects) == 1:
        return [Part(council=subjects[0], spans=paragraphs, text=join_spans(dt, paragraphs), first=True)]
    assign = _assign_paragraphs(dt, paragraphs, para_mentions, subjects)
    return [Part(council=c, spans=sp, text=join_spans(dt, sp), first=(i == 0))
            for i, (c, sp) in enumerate(assign.items()) if sp]


def split_part(part: Part, dt: DocText, max_chars: int) -> list[Part]:
    """Map step of map-reduce: a council's text in pieces of whole paragraphs under max_chars."""
    if len(part.text) <= max_chars:
        return [part]
    pieces: list[list[tuple[int, int]]] = [[]]
    size = 0
    for a, b in part.spans:
        if pieces[-1] and size + (b - a) > max_chars:
            pieces.append([])
            size = 0
        pieces[-1].append((a, b))
        size += b - a + 1
    return [Part(council=part.council, spans=p, text=join_spans(dt, p), first=part.first and i == 0)
            for i, p in enumerate(pieces) if p]
