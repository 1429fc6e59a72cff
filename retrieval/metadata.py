"""Extract structured metadata from a document: councils, Ofsted judgements, inspection kind, dates and years."""
from __future__ import annotations

import bisect
import re
from datetime import date

from retrieval.cleaning import body_text
from retrieval.councils import canonical_council, find_councils
from retrieval.records import CleanText, DocMeta, Document, Judgement
from retrieval.ofsted import AREAS, ERA_YEAR, MONTHS, grade_pattern, normalise_grade

__all__ = ["AREAS", "extract_metadata", "inspection_dates", "normalise_grade"]

_GRADE = grade_pattern(loose=True)
_Q_OPEN = r"[‘'“\"]"
_Q_CLOSE = r"[’'”\"]"
_MONTHS = MONTHS

# Judgement-table labels of the ILACS (2018-) and SIF (2013-2018) frameworks → canonical or own area name.
_TABLE_LABELS: list[tuple[str, str]] = [
    ("impact of leaders", r"(?:the\s+)?impact\s+of\s+leaders\s+on\s+(?:social\s+work\s+)?practice\s+with\s+children"
                          r"\s+and\s+families"),
    ("help and protection", r"(?:the\s+)?experiences\s+and\s+progress\s+of\s+children\s+who\s+need\s+help\s+and"
                            r"\s+protection"),
    ("children in care", r"(?:the\s+)?experiences\s+and\s+progress\s+of\s+children\s+in\s+care\s+and\s+care\s+leavers"),
    ("children in care", r"(?:the\s+)?experiences\s+and\s+progress\s+of\s+children\s+in\s+care"),
    ("care leavers", r"(?:the\s+)?experiences\s+and\s+progress\s+of\s+(?:children\s+)?care\s+leavers"),
    ("overall effectiveness", r"overall\s+effectiveness"),
    ("help and protection", r"(?<![\w.])\d\.\s+children\s+who\s+need\s+help\s+and\s+protection"),
    ("children in care", r"(?<![\w.])\d\.\s+children\s+looked\s+after\s+and\s+achieving\s+permanence"),
    ("adoption performance", r"(?<![\w.])\d\.\d\s+adoption\s+performance"),
    ("care leavers", r"(?<![\w.])\d\.\d\s+experiences\s+and\s+progress\s+of\s+care\s+leavers"),
    ("impact of leaders", r"(?<![\w.])\d\.\s+leadership,\s+management\s+and\s+governance"),
    ("local safeguarding children board", r"(?:the\s+effectiveness\s+of\s+)?the\s+local\s+safeguarding\s+children"
                                          r"\s+board(?:\s+\(lscb\))?(?:\s+(?:is|are))?"),
]
_TABLE_RE = re.compile(
    "(?:" + "|".join(f"(?P<a{i}>{pat})" for i, (_, pat) in enumerate(_TABLE_LABELS)) + ")"
    + r"(?:\s*[:.\-–]\s*|\s+)(?:is\s+|are\s+)?(?P<grade>" + _GRADE + r")\b",
    re.IGNORECASE,
)
# SIF overall judgement: "Children's services in Darlington Borough Council are inadequate"
_SIF_OVERALL_RE = re.compile(
    r"(?:the\s+overall\s+judgement\s+is\s+that\s+)?children[’']?s\s+services\s+(?:in\s+[^.]{1,80}?\s+)?"
    r"(?:(?:are|is|remain|remains)\s+)?(?P<grade>" + _GRADE + r")\b"
    r"|the\s+overall\s+judgement\s+is\s+(?:that\s+[^\n.]{0,80}?\s+)?(?:(?:are|is)\s+)?(?P<grade2>" + _GRADE + r")\b",
    re.IGNORECASE,
)
# a section heading in the body: "The experiences and progress of children in care: good"
_HEADING_RE = re.compile(
    r"(?:^|\n)(?:" + "|".join(f"(?P<a{i}>{pat})" for i, (_, pat) in enumerate(_TABLE_LABELS)) + ")"
    + r"(?:\s*:\s*|[ \t]+)(?P<grade>" + _GRADE + r")\.?[ \t]*(?=\n|$)",
    re.IGNORECASE,
)
_TABLE_HEAD_CHARS = 5000

# Judgement words used as judgements in running text.
_VERB = (r"(?:rated|re-rated|judged|graded|deemed|declared|assessed|branded|labelled|labeled|ranked|rating|ratings"
         r"|judgement|judgment|grade|grading|verdict|remains|remained|remain|found\s+to\s+be|considered)")
_FILLER = (r"(?:as|to|be|being|been|the|this|that|authority|council|councils|its|their|services|service|it|them|both"
           r"|now|still|overall|previously|also|again|was|were|is|are|an|a|of|in|all|areas|area|once|initially"
           r"|first|children['’]s|a\s+rating\s+of)")
_CONTEXT_RE = re.compile(
    rf"\b{_VERB}(?:\s+{_FILLER}){{0,4}}\s+(?P<q>{_Q_OPEN})?(?P<grade>{_GRADE})\b", re.IGNORECASE
)
_QUOTED_RE = re.compile(rf"(?<!\w){_Q_OPEN}(?P<grade>{_GRADE}){_Q_CLOSE}", re.IGNORECASE)
_RATED_SUFFIX_RE = re.compile(rf"\b(?P<grade>{_GRADE}){_Q_CLOSE}?-rated\b", re.IGNORECASE)
_NOUN_RE = re.compile(
    rf"\b(?P<grade>{_GRADE})\s+(?:rating|ratings|grade|judgement|judgment|verdict|authority|authorities|council"
    rf"|councils|local\s+authority|local\s+authorities)\b",
    re.IGNORECASE,
)
_SERVICES_RE = re.compile(
    rf"\bchildren[’']?s\s+services\s+(?:in\s+[A-Z][^\n.,]{{1,60}}?\s+)?(?:are|is|were|was|remain|remains)\s+"
    rf"(?:now\s+|still\s+)?(?P<grade>{_GRADE})\b",
    re.IGNORECASE,
)
_COORD_RE = re.compile(rf"\s+(?:or|and|to)\s+{_Q_OPEN}?(?P<grade>{_GRADE})\b", re.IGNORECASE)
# after an unquoted adjective-like grade, these words show it is still a judgement ("rated good in 2019")
_OK_AFTER = frozenset(
    """and or in by for at on with after since following overall across when but while during from to as because
    last this earlier again until before between under back twice once then than at its their for""".split()
)
_AREA_HINTS = [
    ("care leavers", r"care\s+leavers"),
    ("adoption performance", r"adoption"),
    ("children in care", r"children\s+in\s+care|looked[\s-]+after\s+children|children\s+looked\s+after"),
    ("help and protection", r"help\s+and\s+protection"),
    ("impact of leaders", r"impact\s+of\s+leaders|leadership"),
    ("overall effectiveness", r"overall\s+effectiveness|overall"),
]

_SENTENCE_END_RE = re.compile(r"(?<=[.!?])[\"”’']?\s+(?=[A-Z‘“\"'])|\n")
_YEAR_RE = ERA_YEAR
_DATES_LABEL_RE = re.compile(r"(?:inspection|visit)\s+dates?\s*:?\s*(?P<v>[^\n]{3,120})", re.IGNORECASE)
_DATE_TOKEN_RE = re.compile(
    r"(?P<nd>\d{1,2})/(?P<nm>\d{1,2})/(?P<ny>\d{4})"
    r"|(?P<d>\d{1,2})(?:st|nd|rd|th)?(?:\s*(?P<m>[A-Za-z]{3,9})\.?)?(?:\s*(?P<y>(?:19|20)\d{2}))?"
)


def extract_metadata(doc: Document, clean: CleanText) -> DocMeta:
    """Councils, judgements (with council, area and original spans), inspection kind, dates and years of a document."""
    body = body_text(clean)
    mentions = find_councils(body)
    councils: list[str] = []
    main_from_extra = canonical_council(str(doc.extra.get("local_authority") or "")) if doc.extra else None
    if main_from_extra:
        councils.append(main_from_extra)
    for name, _, _ in mentions:
        if name not in councils:
            councils.append(name)
    doc_type = _doc_type(doc.text, body)
    main = councils[0] if councils else None
    if doc_type == "report" and not main_from_extra:
        head = [name for name, start, _ in mentions if start < 600]
        if head:
            main = head[0]
            councils.remove(main)
            councils.insert(0, main)

    judgements: list[Judgement] = []
    taken: list[tuple[int, int]] = []
    if doc_type == "report":
        for j, (s, e) in _table_judgements(body, main):
            j.start, j.end = clean.original_span(s, e)
            judgements.append(j)
            taken.append((s, e))
    for j, (s, e) in _text_judgements(body, mentions, main, with_areas=doc_type != "report"):
        if any(s < te and e > ts for ts, te in taken):
            continue  # already part of the judgement table
        j.start, j.end = clean.original_span(s, e)
        judgements.append(j)

    kind = _inspection_kind(body, doc_type)
    if kind is None and doc_type == "report" and any(j.area for j in judgements):
        kind = "full inspection"
    return DocMeta(
        councils=councils,
        judgements=judgements,
        inspection_kind=kind,
        years=sorted({int(y) for y in _YEAR_RE.findall(body)}),
        inspection_dates=inspection_dates(body),
        doc_type=doc_type,
    )


def _doc_type(raw: str, body: str) -> str:
    """'report' for an Ofsted inspection report or letter, else 'article'."""
    head = body[:2500]
    if not re.search(r"ofsted|her majesty[’']s inspector|his majesty[’']s inspector", raw, re.IGNORECASE):
        return "article"
    signals = [
        r"^\s*(?:re-?)?inspection of\b.{0,120}(?:local authority|children)",
        r"inspection of services for children in need of help and protection",
        r"^\s*judgement\s+grade\b",
        r"^\s*inspection dates?\s*:",
        r"^\s*lead inspector\s*:",
        r"review of the effectiveness of the local safeguarding children board",
        r"^\s*(?:monitoring|focused) visit (?:to|of)\b",
        r"^\s*(?:joint targeted area inspection|inspection of local authority children)",
    ]
    hits = sum(bool(re.search(p.replace(" ", r"\s+"), head, re.IGNORECASE | re.MULTILINE)) for p in signals)
    return "report" if hits >= 2 else "article"


def _table_judgements(body: str, council: str | None) -> list[tuple[Judgement, tuple[int, int]]]:
    """Area grades from a report's judgement table (or, failing that, its section headings)."""
    found: dict[str, tuple[Judgement, tuple[int, int]]] = {}
    head = body[:_TABLE_HEAD_CHARS]
    for rx, text in ((_TABLE_RE, head), (_HEADING_RE, body)):
        for m in rx.finditer(text):
            idx = next(i for i in range(len(_TABLE_LABELS)) if m.group(f"a{i}") is not None)
            area = _TABLE_LABELS[idx][0]
            if area in found:
                continue
            found[area] = (
                Judgement(grade=normalise_grade(m.group("grade")), council=council, area=area),
                (m.start(f"a{idx}"), m.end("grade")),
            )
    if "overall effectiveness" not in found:
        m = _SIF_OVERALL_RE.search(head)
        if m:
            g = "grade" if m.group("grade") else "grade2"
            found["overall effectiveness"] = (
                Judgement(grade=normalise_grade(m.group(g)), council=council, area="overall effectiveness"),
                (m.start(), m.end(g)),
            )
    return sorted(found.values(), key=lambda item: item[1][0])


def _text_judgements(
    body: str, mentions: list[tuple[str, int, int]], main: str | None, with_areas: bool = True
) -> list[tuple[Judgement, tuple[int, int]]]:
    """Judgement words used as judgements in running text, each tied to the council it refers to.

    Areas are guessed from the clause before the grade only when ``with_areas`` (articles); a report's areas come
    from its judgement table.
    """
    spans: dict[tuple[int, int], str] = {}
    labelled: dict[tuple[int, int], str] = {}
    if with_areas:  # "Overall effectiveness: requires improvement" written out in an article
        for m in _TABLE_RE.finditer(body):
            idx = next(i for i in range(len(_TABLE_LABELS)) if m.group(f"a{i}") is not None)
            span = (m.start("grade"), m.end("grade"))
            spans[span] = m.group("grade")
            labelled[span] = _TABLE_LABELS[idx][0]
    for rx in (_CONTEXT_RE, _QUOTED_RE, _RATED_SUFFIX_RE, _NOUN_RE, _SERVICES_RE):
        for m in rx.finditer(body):
            s, e = m.start("grade"), m.end("grade")
            word = m.group("grade").lower()
            quoted = rx is _QUOTED_RE or (rx is _CONTEXT_RE and m.group("q"))
            if rx is _CONTEXT_RE and not quoted and word in ("good", "outstanding", "adequate"):
                after = re.match(r"\s*([\w’'-]+|[^\w\s])", body[e:e + 40])
                nxt = after.group(1) if after else ""
                if nxt and (nxt[0].isalpha() and nxt.lower() not in _OK_AFTER and not re.fullmatch(r"\d+", nxt)):
                    continue
            spans.setdefault((s, e), m.group("grade"))
            for c in _COORD_RE.finditer(body, e):
                if c.start() != _skip_quote(body, e):
                    break
                spans.setdefault((c.start("grade"), c.end("grade")), c.group("grade"))
                break
    if not spans:
        return []
    starts = [0] + [m.end() for m in _SENTENCE_END_RE.finditer(body)]
    mention_starts = [s for _, s, _ in mentions]
    out: list[tuple[Judgement, tuple[int, int]]] = []
    for (s, e), word in sorted(spans.items()):
        k = bisect.bisect_right(starts, s) - 1
        sent_start = starts[k]
        prev_start = starts[k - 1] if k >= 1 else 0
        council = main
        i = bisect.bisect_left(mention_starts, s) - 1
        if i >= 0 and mention_starts[i] >= prev_start:
            council = mentions[i][0]
        if (s, e) in labelled:
            areas = [labelled[(s, e)]]
        else:
            areas = _areas_before(body[sent_start:s]) if with_areas else []
        for area in areas or [None]:
            out.append((Judgement(grade=normalise_grade(word), council=council, area=area), (s, e)))
    return out


def _skip_quote(text: str, pos: int) -> int:
    """Position after an optional closing quote at pos."""
    return pos + 1 if pos < len(text) and text[pos] in "’'”\"" else pos


def _areas_before(clause: str) -> list[str]:
    """Judgement areas named in the clause before a grade ('care leavers were rated good')."""
    clause = re.split(r"[;:]|\b(?:but|while|whereas|although)\b", clause)[-1][-160:]
    if re.search(_GRADE, clause, re.IGNORECASE):
        clause = re.split(_GRADE, clause, flags=re.IGNORECASE)[-1]
    areas: list[str] = []
    for area, pat in _AREA_HINTS:
        if re.search(pat, clause, re.IGNORECASE) and area not in areas:
            if area == "children in care" and re.search(r"children\s+in\s+care\s+and\s+care\s+leavers", clause, re.I):
                areas = [a for a in areas if a != "care leavers"]
            areas.append(area)
    return areas


def _inspection_kind(body: str, doc_type: str) -> str | None:
    """full inspection | monitoring visit | focused visit | other, from the earliest telling wording."""
    head = body[:1500] if doc_type == "report" else body
    patterns = [
        ("monitoring visit", r"\bmonitoring\s+(?:visit|letter|report)s?\b"),
        ("focused visit", r"\bfocused\s+visits?\b"),
        ("other", r"\breview\s+of\s+the\s+effectiveness\s+of\s+the\s+local\s+safeguarding|\bjoint\s+targeted\s+area"
                  r"\s+inspection|\bJTAI\b"),
        ("full inspection", r"(?<!last )(?<!previous )(?<!earlier )(?<!prior )(?<!since the )(?<!following the )"
                            r"\b(?:re-?)?inspections?\b(?!\s+(?:framework|dates?|regime|system))|\binspected\b"),
    ]
    best: tuple[int, str] | None = None
    for kind, pat in patterns:
        m = re.search(pat, head, re.IGNORECASE)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), kind)
    return best[1] if best else None


def inspection_dates(text: str) -> list[str]:
    """ISO start and end dates from an 'Inspection dates: 13 May 2019 to 24 May 2019' line ([] if none)."""
    m = _DATES_LABEL_RE.search(text[:8000])
    if not m:
        return []
    value = re.split(r"\b(?:lead inspector|report published|published|reporting inspector)\b", m.group("v"),
                     flags=re.IGNORECASE)[0]
    parts: list[list[int | None]] = []
    for t in _DATE_TOKEN_RE.finditer(value):
        if t.group("nd"):
            parts.append([int(t.group("nd")), int(t.group("nm")), int(t.group("ny"))])
            continue
        month = _MONTHS.get((t.group("m") or "").lower())
        if t.group("m") and month is None:
            continue
        day = int(t.group("d"))
        if not 1 <= day <= 31:
            continue
        parts.append([day, month, int(t.group("y")) if t.group("y") else None])
    if not parts:
        return []
    for i in range(len(parts) - 2, -1, -1):  # fill missing month/year from later dates
        nxt = parts[i + 1]
        if parts[i][1] is None:
            parts[i][1] = nxt[1]
        if parts[i][2] is None and nxt[2] is not None:
            later = parts[i][1] is not None and nxt[1] is not None and parts[i][1] > nxt[1]  # type: ignore[operator]
            parts[i][2] = nxt[2] - 1 if later else nxt[2]
    out: list[str] = []
    for day, month, year in (parts[0], parts[-1]) if len(parts) > 1 else (parts[0],):
        if day is None or month is None or year is None:
            continue
        try:
            iso = date(year, month, day).isoformat()
        except ValueError:
            continue
        if iso not in out:
            out.append(iso)
    return out
