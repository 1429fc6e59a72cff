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
_EXEC = re.compile(r"\n\s*(?:executive\s+summary|summary\s+of\s+(?:key\s+)?findings)\s*\n", re.I)


def _clean_item(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" ◼•▪\uf06e-–\n")


_BULLETS = "◼•▪\uf06e\uf0a7"
_SIF_END = re.compile(r"\n\s*(?:summary\s+for\s+children|information\s+about\s+this|the\s+experiences\s+and\s+progress|"
                      r"the\s+impact\s+of\s+leaders|inspection\s+findings|the\s+local\s+safeguarding|[^\n]{0,120}\bgrade\s+\d|"
                      r"[^\n.]{0,60}\bstrengths\b[^\n.]{0,40}\n)",
                      re.I)
_ITEM_START = re.compile(rf"^[ \t]*(?:\d{{1,2}}\.\s+|[{_BULLETS}]\s*)", re.M)


def _trim_item(text: str, s: int, e: int) -> tuple[int, int]:
    """An item's span without trailing blank space and without the sub-heading lines that follow it in the list
    ("Missing children", "Within three months:"): short lines that do not end a sentence."""
    while True:
        while e > s and text[e - 1].isspace():
            e -= 1
        cut = text.rfind("\n", s, e)
        last = text[cut + 1:e].strip() if cut > s else ""
        ended = re.search(r"[.;:)]$", text[s:cut].rstrip()) if cut > s else None  # the line above ends the item
        if not last or not ended or len(last.split()) > 8 or re.search(r"[.;)]$", last):
            return s, e
        e = cut


def _list_items(text: str, start: int, end: int, numbered: bool, limit: int) -> list[tuple[str, tuple[int, int]]]:
    """The items of a list between start and end: bullets, and numbered paragraphs when numbered."""
    starts = [m for m in _ITEM_START.finditer(text, start, end) if numbered or not m.group().strip()[:1].isdigit()]
    out = []
    for m, nxt in zip(starts, starts[1:] + [None]):
        s, e = _trim_item(text, m.end(), nxt.start() if nxt else end)
        item = _clean_item(text[s:e])
        if 10 < len(item) < 600:
            out.append((item, (s, e)))
    return out[:limit]


def improvement_items(text: str, limit: int = 30) -> list[tuple[str, tuple[int, int]]]:
    """The report's "what needs to improve" bullets (ILACS), or its numbered or bulleted recommendations or areas
    for improvement (older reports), each without the sub-headings between them."""
    m = _IMPROVE_HEAD.search(text[:20000])
    if m:
        end_m = _SECTION_END.search(text, m.end())
        return _list_items(text, m.end(), end_m.start() if end_m else min(len(text), m.end() + 3000), False, limit)
    m = re.search(r"\n\s*(?:recommendations|areas\s+for\s+improvement)\s*\n", text[:60000], re.I)
    if not m:
        return []
    end_m = _SIF_END.search(text, m.end(), m.end() + 6000)
    return _list_items(text, m.end(), end_m.start() if end_m else min(len(text), m.end() + 5000), True, limit)


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


_AREA_HEAD = re.compile(r"\n[ \t]*(?:the\s+experiences\s+and\s+progress\s+of|the\s+impact\s+of\s+leaders|"
                        r"overall\s+effectiveness|"
                        r"leadership,?\s+management\s+and\s+governance|leadership\s+and\s+management)\b", re.I)
_AREA_GRADE = re.compile(r"[:\s]\s*(?:grade\s+\d\s*\(\s*)?(" + grade_pattern() + r")\)?[ \t]*\n(?:\s*summary\s*\n)?",
                         re.I)


def area_openings(text: str, after: int, chars: int) -> list[tuple[int, int]]:
    """The opening paragraphs of each judgement area's section after offset ``after`` (a heading that names the
    area and then its grade; contents lines, which end in page numbers, are not headings), each up to chars."""
    out: list[tuple[int, int]] = []
    for m in _AREA_HEAD.finditer(text, after):
        g = _AREA_GRADE.search(text, m.end(), m.end() + 220)
        if g is None or (out and m.start() < out[-1][1]):
            continue
        start = g.end()
        while start < len(text) and text[start].isspace():
            start += 1
        end = min(len(text), start + chars)
        nxt = _AREA_HEAD.search(text, start, end)
        end = nxt.start() if nxt else end
        cut = text.rfind(". ", start, end)
        if cut > start + 100:
            end = cut + 1
        if len(text[start:end].split()) >= 30:  # not the judgement table repeated at the end
            out.append((start, end))
    return out


HEADLINE_CHARS = 2600  # the headline findings read from a report
AREA_CHARS = 1000  # the opening of each judgement area's section the model reads (the distilled labeller reads the rest)


def finding_spans(text: str, headline_chars: int = HEADLINE_CHARS, area_chars: int = AREA_CHARS) -> list[tuple[int, int]]:
    """Where a report's findings are read: its headline, then each judgement area's opening."""
    head = report_headline(text, headline_chars)
    return ([head] if head else []) + area_openings(text, head[1] if head else 0, area_chars)


def area_sections(text: str, headline_chars: int = HEADLINE_CHARS) -> list[tuple[int, int]]:
    """Each judgement area's whole section (after the headline), for reading past the openings without the model."""
    head = report_headline(text, headline_chars)
    return area_openings(text, head[1] if head else 0, len(text))
