"""Judgement cards: an inspection report's judgement table, read by code, shown to the model as one plain passage.

Report tables reach the index as broken lines ("Judgement Grade The impact of leaders on social work practice ...
Outstanding The experiences ..."), which a small model misreads. The table's grades are read exactly at ingest
(retrieval/metadata.py), so a question about judgements gets them as a short passage whose span is the table itself.
"""
from __future__ import annotations

import re
from datetime import date

from retrieval.dates import years
from retrieval.ofsted import AREA_WORDINGS, ILACS_GRADES, grade_pattern, normalise_grade
from retrieval.store import StoredDocument

from summarizer.answer.records import Passage, number_passages
from summarizer.answer.spans import passage_span

AREA_LABELS = AREA_WORDINGS
_ASKS_JUDGEMENT = re.compile(
    r"\b(grade[sd]?|grading|rat(?:ed|e|ing|ings)|judge?ments?|judged|verdict|inadequate|requires?\s+improvement|"
    r"good|outstanding|effectiveness)\b", re.I)
MAX_CARDS = 2
CARD_SUFFIX = "#judgements"
# how a sentence names each area (the card's labels are long; answers shorten them)
_AREA_CUES = {
    "overall effectiveness": r"overall",
    "impact of leaders": r"\bleaders?\b|leadership",
    "help and protection": r"help and protection|need help|protection",
    "children in care": r"children in care|looked after",
    "care leavers": r"care leavers?|leaving care",
}
_GRADE_RE = re.compile(r"\b(" + grade_pattern(ILACS_GRADES) + r")\b", re.I)


def asks_about_judgements(question: str) -> bool:
    return bool(_ASKS_JUDGEMENT.search(question))


def _human_date(iso: str) -> str:
    try:
        d = date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{d.day} {d.strftime('%B')} {d.year}"


def judgement_card(doc: StoredDocument) -> Passage | None:
    """The report's judgement table as one passage (n is set by the caller), or None when it has none."""
    rows = [j for j in doc.meta.judgements if j.area and j.start is not None and j.end is not None]
    if doc.meta.doc_type != "report" or not rows:
        return None
    seen: dict[str, str] = {}
    for j in rows:
        seen.setdefault(j.area, j.grade)
    council = next((j.council for j in rows if j.council), None) or (doc.meta.councils[0] if doc.meta.councils else "")
    when = doc.meta.inspection_dates
    dates = f" (inspection dates: {' to '.join(_human_date(d) for d in when[:2])})" if when else ""
    text = (f"Ofsted's judgements on {council or 'the council'}'s children's services{dates}: "
            + "; ".join(f"{AREA_LABELS.get(a, a)}: {g}" for a, g in seen.items()) + ".")
    start, end = passage_span(doc.text, text, min(j.start for j in rows), max(j.end for j in rows))  # the table
    return Passage(0, doc.id, f"{doc.id}{CARD_SUFFIX}", doc.title, text, start, end, doc.date, doc.source,
                   [council] if council else list(doc.meta.councils))


def with_judgement_cards(question: str, passages: list[Passage], document) -> list[Passage]:
    """Passages with the judgement card of each report among them (at most MAX_CARDS) placed before the report's
    first passage, renumbered; unchanged when the question is not about judgements."""
    if not asks_about_judgements(question):
        return passages
    out: list[Passage] = []
    carded: set[str] = set()
    for p in passages:
        if p.doc_id not in carded and len(carded) < MAX_CARDS:
            doc = document(p.doc_id)
            card = judgement_card(doc) if doc is not None else None
            if card is not None:
                carded.add(p.doc_id)
                out.append(card)
        out.append(p)
    return number_passages(out)


def _card_grades(card: Passage) -> dict[str, str]:
    """The area -> grade pairs a card states (the inverse of judgement_card's text)."""
    body = card.text.split("): ", 1)[-1] if "): " in card.text else card.text.split(": ", 1)[-1]
    out = {}
    for part in body.rstrip(".").split("; "):
        label, _, grade = part.rpartition(": ")
        area = next((a for a, lab in AREA_LABELS.items() if lab == label), label)
        out[area] = grade
    return out


def card_conflict(sentence: str, passages: list[Passage], cited: list[int] | None = None) -> str:
    """Why a sentence misreads a judgement card ('' when it doesn't): it names one area, and the card gives that area
    another grade than the one the sentence states (or the sentence speaks of a grade without stating one).

    The cards checked are those the sentence cites, else every card shown; with several, those of the years the
    sentence names; when they still disagree about the area, nothing is claimed.
    """
    cards = [p for p in passages if p.chunk_id.endswith(CARD_SUFFIX)]
    cited_cards = [p for p in cards if cited and p.n in cited]
    cards = cited_cards or cards
    if not cards:
        return ""
    named = {str(y) for y in years(sentence)}
    if len(cards) > 1 and named:
        cards = [c for c in cards if any(y in c.text for y in named)] or cards
    grades = {normalise_grade(m.group(1)) for m in _GRADE_RE.finditer(sentence)}
    if "requires improvement" in grades:
        grades.discard("good")  # "requires improvement to be good"
    areas = [a for a, cue in _AREA_CUES.items() if re.search(cue, sentence, re.I)]
    if "children in care" in areas and "help and protection" in areas and not re.search(r"need help", sentence, re.I):
        areas.remove("help and protection")  # "protection" alone is too loose when care is named
    if len(areas) != 1 or len(grades) > 1:
        return ""
    area = areas[0]
    wants = {g for c in cards if (g := _card_grades(c).get(area))}
    if len(wants) != 1:
        return ""
    want = next(iter(wants))
    if not grades:
        if re.search(r"\bgrade|\brated\b|\brating|\bjudge?ment|\bjudged\b", sentence, re.I):
            return f"speaks of the {area} grade without the one the judgement table gives ({want})"
        return ""
    if want not in grades:
        return f"the judgement table gives {area}: {want}, not {next(iter(grades))}"
    return ""
