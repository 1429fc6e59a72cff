"""A report's overview, by code: the two sentences of its headline findings that best represent the whole report.
Ofsted writes its own summary there; a model overview and its faithfulness checks cost ~45 s of a report's ~60 s
(BENCHMARKS.md), and a sentence of the report cannot misstate it."""
from __future__ import annotations

import re

from summarizer.summaries.distilled import Encode
from summarizer.summaries.evidence import DocText
from summarizer.summaries.findings import candidate_sentences, statement
from summarizer.summaries.report_parts import area_sections, report_headline
from summarizer.summaries.selection import most_central

_LIST_MARKS = re.compile("[•◼▪\uf06e\uf0a7]")


def overview_sentences(dt: DocText, headline_chars: int, encode: Encode | None, n: int = 2) -> list[tuple[int, int]]:
    """Spans of the n headline sentences most central to the report's judgement-area sections (the first n without
    an encoder). Fragments that a PDF's layout split off (starting in lower case) and lists are left out."""
    head = report_headline(dt.text, headline_chars)
    if head is None and dt.allowed:
        head = (dt.allowed[0][0], dt.allowed[-1][1])  # no headline section (older reports): the whole text
    if head is None:
        return []
    cands = [(a, b) for a, b in candidate_sentences(dt, [head])
             if not dt.text[a].islower() and not _LIST_MARKS.search(dt.text, a, b)]
    if encode is None or len(cands) <= n:
        return cands[:n]
    body = [statement(dt, a, b) for a, b in candidate_sentences(dt, area_sections(dt.text, headline_chars))]
    picks = most_central(encode([statement(dt, a, b) for a, b in cands]), encode(body) if body else [], n)
    return [cands[j] for j in picks]
