"""Turn the model's short verbatim quotes into character spans of the original text, and check each item.

A quote is located exactly, then after normalising whitespace, quotes and case, then as the best-matching sentence.
The span is widened to whole sentences. Checks (code, not the model): the span lies in the article body (never a
reader comment or site boilerplate), every number in the item appears in its evidence, and every named person,
organisation or council in the item appears in the article.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from retrieval.cleaning import clean_text
from retrieval.councils import find_councils
from retrieval.sentences import split_sentences

from summarizer.summaries.schema import Span
from summarizer.support import Reason, SupportCheck, check_claim, content_terms, names

_QUOTE_MAP = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})
# words the name check should not treat as names (the model capitalises these freely)
_NOT_NAMES = {"Ofsted", "Council", "The Council", "Children", "Services", "Children's Services", "Social Care",
              "Department", "Dfe", "DfE", "Government", "Inspectors", "Inspector", "Director", "Chief Executive"}


@dataclass
class DocText:
    """The original text of a document and where evidence may come from."""

    text: str
    allowed: list[tuple[int, int]]  # body spans (no comments, no boilerplate), original offsets
    sentences: list[tuple[int, int]]  # sentence spans inside allowed

    @property
    def body(self) -> str:
        return "\n".join(self.text[s:e] for s, e in self.allowed)

    def in_allowed(self, start: int, end: int) -> bool:
        return any(s <= start and end <= e for s, e in self.allowed)


def doc_text(text: str, comment_start: int | None = None) -> DocText:
    return _doc_text(text, comment_start)


@lru_cache(maxsize=64)
def _doc_text(text: str, comment_start: int | None) -> DocText:
    clean = clean_text(text)
    allowed: list[tuple[int, int]] = []
    for seg in clean.segments:
        if seg.role != "body":
            continue
        s, e = seg.start, seg.end
        if comment_start is not None:
            e = min(e, comment_start)
        if e > s:
            allowed.append((s, e))
    if not clean.segments and comment_start is None:
        allowed = [(0, len(text))]
    sentences = [sp for s, e in allowed for sp in split_sentences(text, s, e)]
    return DocText(text, allowed, sentences)


def _normalise_with_map(text: str) -> tuple[str, list[int]]:
    """Lower-case, unify quotes/dashes, collapse whitespace; keep a map to original offsets."""
    out: list[str] = []
    idx: list[int] = []
    prev_space = True
    for i, ch in enumerate(text.translate(_QUOTE_MAP).lower()):
        if ch.isspace():
            if prev_space:
                continue
            ch = " "
            prev_space = True
        else:
            prev_space = False
        out.append(ch)
        idx.append(i)
    return "".join(out), idx


def _norm(text: str) -> str:
    return _normalise_with_map(text)[0].strip(" .,;:'\"")


def _sentence_cover(dt: DocText, start: int, end: int) -> tuple[int, int]:
    """Widen [start, end) to the sentences it touches."""
    touched = [(s, e) for s, e in dt.sentences if s < end and e > start]
    if not touched:
        return start, end
    return min(s for s, _ in touched), max(e for _, e in touched)


def locate(quote: str, dt: DocText, hint: str = "") -> tuple[tuple[int, int] | None, str]:
    """Span (whole sentences) of quote in the document body, and how it was found ('exact'|'normalised'|'fuzzy').

    Returns (None, reason) when nothing in the body matches well enough.
    """
    q = quote.strip().strip("\"'“”‘’").strip()
    if len(q) >= 8:
        pos = dt.text.find(q)
        while pos >= 0:
            if dt.in_allowed(pos, pos + len(q)):
                return _sentence_cover(dt, pos, pos + len(q)), "exact"
            pos = dt.text.find(q, pos + 1)
        nq = _norm(q)
        if len(nq) >= 8:
            ntext, idx = _normalise_with_map(dt.text)
            pos = ntext.find(nq)
            while pos >= 0:
                s, e = idx[pos], idx[pos + len(nq) - 1] + 1
                if dt.in_allowed(s, e):
                    return _sentence_cover(dt, s, e), "normalised"
                pos = ntext.find(nq, pos + 1)
    # fuzzy: the body sentence (or pair of sentences) sharing most of the quote's content words
    target = content_terms(q) | content_terms(hint)
    if not target:
        return None, "empty quote"
    best, best_score = None, 0.0
    sents = dt.sentences
    for i, (s, e) in enumerate(sents):
        for j in (i, i + 1):
            if j >= len(sents):
                continue
            span = (s, sents[j][1])
            terms = content_terms(dt.text[span[0]:span[1]])
            score = len(target & terms) / len(target) - (0.05 if j > i else 0.0)
            if score > best_score:
                best, best_score = span, score
    if best is not None and best_score >= 0.6:
        return best, "fuzzy"
    return None, f"quote not found in the article body (best match {best_score:.0%} of its words)"


def in_comment_or_boilerplate(dt: DocText, start: int, end: int) -> bool:
    return not dt.in_allowed(start, end)


def span(dt: DocText, start: int, end: int) -> Span:
    return Span(start=start, end=end, text=dt.text[start:end])


def named_in_text(text: str) -> list[str]:
    """People, organisations and councils named in an item's text."""
    out = {n for n in names(text) if n not in _NOT_NAMES}
    out |= {c for c, _, _ in find_councils(text)}
    return sorted(out)


def _span_problem(evidence: list[Span], dt: DocText) -> str | None:
    """Why an evidence span is not a body span of the article (None when all are)."""
    for ev in evidence:
        if ev.end > len(dt.text) or dt.text[ev.start:ev.end] != ev.text:
            return f"evidence span {ev.start}-{ev.end} does not match the article"
        if in_comment_or_boilerplate(dt, ev.start, ev.end):
            return f"evidence span {ev.start}-{ev.end} is in a reader comment or site boilerplate"
    return None


def _reason_text(chk: SupportCheck) -> str | None:
    """The first reason the check raised, worded for the summary's dropped items."""
    if not chk.reasons:
        return None
    first = chk.reasons[0]
    if first is Reason.NUMBER:
        return f"number(s) {', '.join(chk.missing_numbers)} not in the evidence"
    if first is Reason.NAME:
        return f"name(s) {', '.join(chk.missing_names)} not in the article"
    return f"evidence does not support the statement (only {chk.coverage:.0%} of its words are in it)"


def check_item(text: str, evidence: list[Span], dt: DocText, extra_names: list[str] | None = None,
               min_support: float = 0.0) -> str | None:
    """None when the item passes, else the reason it fails: numbers in the evidence, names in the article body,
    and (with min_support) that share of its content words in the evidence."""
    if not evidence:
        return "no evidence"
    problem = _span_problem(evidence, dt)
    if problem:
        return problem
    chk = check_claim(text, " ".join(e.text for e in evidence), names_source=dt.body, check_grades=False,
                      claim_names=named_in_text(text) + list(extra_names or []), min_coverage=min_support)
    return _reason_text(chk)


def ground(text: str, quote: str, dt: DocText, extra_names: list[str] | None = None,
           min_support: float = 0.5) -> tuple[list[Span], str | None]:
    """Locate quote, build evidence, and check the item; returns (evidence, failure reason or None)."""
    if not text or not text.strip():
        return [], "empty item"
    found, how = locate(quote, dt, hint=text)
    if found is None:
        return [], how
    ev = [span(dt, *found)]
    reason = check_item(text, ev, dt, extra_names, min_support)
    if reason is not None and how != "fuzzy" and min_support > 0:
        # the quote points elsewhere: try the body sentence that best matches the statement itself
        alt, how2 = locate("", dt, hint=text)
        if alt is not None and alt != found:
            ev2 = [span(dt, *alt)]
            if check_item(text, ev2, dt, extra_names, min_support) is None:
                return ev2, None
    return ev, reason


def strip_quotes(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()
