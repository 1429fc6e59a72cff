"""How a question is answered: from its best document (single), or document by document when it asks about several
councils or documents (a list, a comparison, a change between visits); and which parts it asks, each gated."""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from retrieval.records import SearchResult

# grammar, not vocabulary: a list question ("which councils"), a comparison, or a question spanning documents
_ACROSS = re.compile(
    r"\bwhich\s+(?:of\s+the\s+)?(?:councils?|authorities|local\s+authorities|areas|articles?|reports?|inspections?)\b|"
    r"\bcompar\w*|\bdiffer\w*\b|\bboth\b|\beach\b|\bbetween\b.+\band\b|\bchanged?\b.+\b(?:since|from|between)\b|"
    r"\b(?:councils|authorities|articles|reports)\b", re.I)
# a question asking for a list of councils: each candidate council is put to the model in turn
_LIST = re.compile(r"\b(?:which|what)\s+(?:of\s+the\s+)?(?:(?:other|two|three|four|five|\d+)\s+){0,2}(?:councils?|"
                   r"authorities|local\s+authorities|areas)\b", re.I)
# where a second question begins: ", and who ...", "; what ...", "? How ..."
_PART_BREAK = re.compile(
    r"\?\s+(?=[A-Z])|;\s*|,?\s+and\s+(?=(?:who|what|which|when|where|why|how|whether|did|does|do|was|were|is|are|has|"
    r"have|had)\b)", re.I)


# a question asking for reasons or findings (a list of points), not one fact: grammar, not vocabulary
_POINTS = re.compile(
    r"^\W*(?:according\s+to\s+[^,]+,\s*)?(?:why\b|what\s+(?:[\w'’-]+\s+){0,6}?(?:find|found|criticis\w*|say|said)\b|"
    r"what\s+(?:were|are|was|is)?\s*(?:the\s+)?(?:main\s+)?(?:weakness|strength|problem|improvement|reason|finding|"
    r"concern|failing|action)s?\b)", re.I)


def asks_for_points(question: str) -> bool:
    """Whether the question asks for every reason or finding (why ..., what did inspectors find ...)."""
    return bool(_POINTS.search(question))


class PlanKind(StrEnum):
    SINGLE = "single"  # the best document answers (the next one is tried when it can't)
    PER_DOCUMENT = "per_document"  # each document answers for itself; the parts are assembled, each council named
    LIST = "list"  # each document's councils are put to the model one by one; those it supports are named


@dataclass(frozen=True)
class Plan:
    kind: PlanKind
    doc_ids: list[str]  # the documents to read, best first
    parts: list[str]  # what the question asks, one entry per part (the whole question when it asks one thing)


def question_parts(question: str) -> list[str]:
    """The question cut where a second question begins ("What grade ... and who was ...?"); pieces too short to
    ask anything stay with the one before."""
    pieces = [p.strip(" ,;?") for p in _PART_BREAK.split(question)]
    parts: list[str] = []
    for p in pieces:
        if parts and len(re.findall(r"\w+", p)) < 3:
            parts[-1] = f"{parts[-1]} and {p}"
        elif p:
            parts.append(p)
    return [p + "?" for p in parts] or [question]


def ranked_docs(result: SearchResult) -> list[str]:
    """The documents of the hits, in the order of their best hit."""
    return list(dict.fromkeys(h.chunk.doc_id for h in result.hits))


def plan_question(question: str, result: SearchResult, max_docs: int, fallback_docs: int) -> Plan:
    """A list when the question asks which councils (each council a document names is put to the model, even in
    one document: composing, the small model turns "X was appointed as Y's partner" round); per document when it
    names two or more councils or asks across documents; else single."""
    docs = ranked_docs(result)
    across = len(result.query_councils) >= 2 or bool(_ACROSS.search(question))
    if _LIST.search(question) and docs:
        return Plan(PlanKind.LIST, docs[:max_docs], [question])
    if across and (len(docs) > 1 or (_ACROSS.search(question) and len(result.query_councils) >= 2)):  # a
        # comparison of councils one document covers too; a question merely naming two councils asks one fact
        return Plan(PlanKind.PER_DOCUMENT, docs[:max_docs], [question])
    return Plan(PlanKind.SINGLE, docs[:fallback_docs], question_parts(question))
