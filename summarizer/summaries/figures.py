"""Figures found by code: sentences of a council's part that state a quantity (a count or a percentage).

A small model lists two or three figures and misses the rest; reading quantities is exact work code does reliably.
Each figure is the sentence's clause around its number, with the whole sentence as evidence, so it is faithful by
construction; the model's figures come first and these fill in the quantities it left out.
"""
from __future__ import annotations

import re

from retrieval.ofsted import MONTH_PATTERN

from summarizer.summaries.evidence import DocText
from summarizer.summaries.schema import Item, Span
from summarizer.support import numbers

_MONTHS = MONTH_PATTERN
# quantities that are not figures: years, dates, times, section/regulation numbers, ordinals, list markers
_NOT_FIGURE = re.compile(
    rf"\b(?:19|20)\d\d\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}\b|\b{_MONTHS}\s+\d{{1,2}}\b|\b\d{{1,2}}[:.]\d\d\s*(?:am|pm)\b"
    r"|\b[A-Za-z]+-\d+\b"  # Covid-19, M62
    r"|\b(?:section|regulation|paragraph|article|page|chapter|clause|part|no\.?|number)\s+\d+\b|\b\d+(?:st|nd|rd|th)\b",
    re.I)
_CLAUSE_SPLIT = re.compile(r"(?<=[;:,–—])\s+|\s+(?:but|while|whereas)\s+", re.I)
MAX_WORDS = 28


def _quantities(sentence: str) -> set[str]:
    """The figures a sentence states, after removing years, dates, ordinals and section numbers."""
    return numbers(_NOT_FIGURE.sub(" ", sentence))


def _clause(sentence: str, nums: set[str]) -> str:
    """The shortest run of clauses holding every figure, whole when the sentence is already short."""
    s = " ".join(sentence.split()).lstrip("•·*-–— ")
    if len(s.split()) <= MAX_WORDS:
        return s
    parts = [p for p in _CLAUSE_SPLIT.split(s) if p and p.strip()]
    hits = [i for i, p in enumerate(parts) if _quantities(p) & nums]
    if not hits:
        return s
    text = " ".join(parts[hits[0]: hits[-1] + 1]).strip(" ,;:–—")
    return text if len(text.split()) <= MAX_WORDS * 1.5 else s


def code_figures(dt: DocText, spans: list[tuple[int, int]], known: set[str] | None = None,
                 limit: int = 4) -> list[Item]:
    """Up to limit figure items from the sentences inside spans whose quantities are not already in known."""
    known = set(known or ())
    out: list[Item] = []
    for s, e in dt.sentences:
        if not any(a <= s and e <= b for a, b in spans):
            continue
        sent = dt.text[s:e]
        nums = _quantities(sent)
        if not nums or nums <= known:
            continue
        text = _clause(sent, nums)
        if len(text.split()) < 4:
            continue
        known |= nums
        out.append(Item(text=text, evidence=[Span(start=s, end=e, text=sent)]))
        if len(out) >= limit:
            break
    return out
