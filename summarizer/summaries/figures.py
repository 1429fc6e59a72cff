"""Figures found by code: sentences of a council's part that state a quantity (a count or a percentage).

A small model lists two or three figures and misses the rest; reading quantities is exact work code does reliably.
Each figure is the whole sentence that states it (its evidence too), so it is faithful by construction and never
cut off; the model's figures come first and these fill in the quantities it left out.
"""
from __future__ import annotations

import re

from retrieval.ofsted import MONTH_PATTERN

from summarizer.summaries.evidence import DocText
from summarizer.summaries.findings import candidate_sentences, statement
from summarizer.summaries.schema import Item, Span
from summarizer.support import numbers

_MONTHS = MONTH_PATTERN
# quantities that are not figures: years, dates, times, section/regulation numbers, ordinals, list markers
_NOT_FIGURE = re.compile(
    rf"\b(?:19|20)\d\d\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}\b|\b{_MONTHS}\s+\d{{1,2}}\b|\b\d{{1,2}}[:.]\d\d\s*(?:am|pm)\b"
    r"|\b[A-Za-z]+-\d+\b"  # Covid-19, M62
    r"|\b(?:section|regulation|paragraph|article|page|chapter|clause|part|no\.?|number)\s+\d+\b|\b\d+(?:st|nd|rd|th)\b",
    re.I)


def _quantities(sentence: str) -> set[str]:
    """The figures a sentence states, after removing years, dates, ordinals and section numbers."""
    return numbers(_NOT_FIGURE.sub(" ", sentence))


def code_figures(dt: DocText, spans: list[tuple[int, int]], known: set[str] | None = None,
                 limit: int = 4) -> list[Item]:
    """Up to limit figure items: the whole sentences inside spans (line wraps joined) whose quantities are not
    already in known; a figure is its sentence, so it is never cut off."""
    known = set(known or ())
    out: list[Item] = []
    for s, e in candidate_sentences(dt, spans, min_words=4):
        sent = dt.text[s:e]
        nums = _quantities(sent)
        if not nums or nums <= known:
            continue
        known |= nums
        out.append(Item(text=statement(dt, s, e), evidence=[Span(start=s, end=e, text=sent)]))
        if len(out) >= limit:
            break
    return out
