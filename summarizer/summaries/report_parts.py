"""The parts of an Ofsted report that matter, found by code: headline findings, the "what needs to improve" list,
the lead inspector and the previous judgement. All positions are offsets into the original report text."""
from __future__ import annotations

import re

from retrieval.ofsted import grade_pattern, normalise_grade

_GRADE = "(" + grade_pattern() + ")"
_IMPROVE_HEAD = re.compile(r"what\s+needs\s+to\s+improve[^\n]*\n", re.I)
_SECTION_END = re.compile(
    r"\n\s*(?:the\s+experiences\s+and\s+progress|the\s+impact\s+of\s+leaders|summary\s+for\s+children|"
    r"information\s+about\s+this|inspection\s+findings|the\s+local\s+safeguarding|contents\b|\d+\.\s+[A-Z])",
    re.I)
_TABLE_END = re.compile(r"overall\s+effectiveness\s*[:\-–]?\s*" + _GRADE + r"|children[’']?s\s+services\s+in\s+[^\n]"
                        r"{0,80}?(?:are|is|require)\s*\n?\s*" + _GRADE, re.I)
_EXEC = re.compile(r"\n\s*(?:executive\s+summary|summary\s+of\s+key\s+findings)\s*\n", re.I)


def _clean_item(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" ◼•▪-–\n")


def improvement_items(text: str, limit: int = 10) -> list[tuple[str, tuple[int, int]]]:
    """The report's "what needs to improve" bullets (ILACS) or its recommendations (older reports)."""
    m = _IMPROVE_HEAD.search(text[:20000])
    if m:
        start = m.end()
        end_m = _SECTION_END.search(text, start)
        end = end_m.start() if end_m else min(len(text), start + 3000)
        block = text[start:end]
        out = []
        for b in re.finditer(r"[◼•▪]\s*(.+?)(?=\n\s*[◼•▪]|\Z)", block, re.S):
            s, e = start + b.start(1), start + b.end(1)
            while e > s and text[e - 1].isspace():
                e -= 1
            item = _clean_item(text[s:e])
            if len(item) > 10:
                out.append((item, (s, e)))
        return out[:limit]
    # SIF reports: numbered recommendations after "Recommendations"
    m = re.search(r"\n\s*(?:recommendations|areas\s+for\s+improvement)\s*\n", text[:60000], re.I)
    if not m:
        return []
    start = m.end()
    block = text[start:start + 5000]
    out = []
    for b in re.finditer(r"(?:^|\n)\s*(\d{1,2})\.\s+(.+?)(?=\n\s*\d{1,2}\.\s|\n\s*\n\s*[A-Z][a-z]+(?: [a-z]+){0,5}\s*\n|\Z)",
                         block, re.S):
        s, e = start + b.start(2), start + b.end(2)
        while e > s and text[e - 1].isspace():
            e -= 1
        item = _clean_item(text[s:e])
        if 10 < len(item) < 600:
            out.append((item, (s, e)))
        if len(out) >= limit:
            break
    return out


def lead_inspector(text: str) -> tuple[str, tuple[int, int]] | None:
    m = re.search(r"lead\s+inspector\s*:?\s*([A-Z][\w’'-]+(?:[ \t]+[A-Z][\w’'-]+){1,3})", text[:5000], re.I)
    if not m:
        return None
    name = re.split(r",|\s+(?:Her|His|HMI)\b", m.group(1))[0].strip()
    return name, (m.start(), m.start(1) + len(name))


def previous_report_judgement(text: str) -> tuple[str, tuple[int, int]] | None:
    """The grade of the previous inspection, when the report's opening says it."""
    head = text[:12000]
    m = re.search(r"(?:last|previous)\s+inspection[^.]{0,160}?(?:judged|rated|found)\s+(?:to\s+(?:be|require)\s+)?"
                  + _GRADE, head, re.I | re.S)
    if not m:
        return None
    return normalise_grade(m.group(1)), (m.start(), m.end())


def report_headline(text: str, max_chars: int) -> tuple[int, int] | None:
    """The headline findings: the prose after the judgement table (ILACS) or the executive summary (SIF)."""
    head = text[:20000]
    start = None
    m = _TABLE_END.search(head)
    if m:
        start = m.end()
    ex = _EXEC.search(text[:30000])
    if ex and (start is None or ex.end() > start):
        start = ex.end() if start is None or ex.start() - start > 2000 else start
    if start is None:
        return None
    end = min(len(text), start + max_chars)
    imp = _IMPROVE_HEAD.search(text, start, end)
    if imp:
        end = imp.start()
    # end on a sentence boundary
    cut = text.rfind(". ", start, end)
    if cut > start + 200:
        end = cut + 1
    while start < end and text[start].isspace():
        start += 1
    return (start, end) if end - start > 100 else None
