"""A council's record over time, from its timeline's code-read grades: the graded inspections in date order, what
changed in each judgement area from one inspection to the next, and how many judgements each year gave.

An article reporting an inspection and the report itself are one inspection: graded entries within
``SAME_INSPECTION_DAYS`` of each other whose grades do not disagree are merged (the report's date wins). Monitoring
and focused visits carry no grades, so they stay on the timeline but are not points of the record.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import Enum

from retrieval.ofsted import AREAS

from summarizer.briefing.grades import OVERALL, AreaMark

SAME_INSPECTION_DAYS = 180
VISIT_KINDS = ("monitoring visit", "focused visit")
# Ordinal rank of each grade, best highest; "adequate" (SIF, before 2014) stands where "requires improvement" does.
RANK: dict[str, int] = {"outstanding": 3, "good": 2, "requires improvement": 1, "adequate": 1, "inadequate": 0}
_ISO = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


class Direction(str, Enum):
    """How one judgement area moved between two consecutive inspections."""

    IMPROVED = "improved"
    DECLINED = "declined"
    SAME = "same"
    NEWLY_GRADED = "newly graded"  # not graded at the earlier inspection
    NOT_GRADED = "no longer graded"  # graded before, not at the later inspection


@dataclass
class GradedEntry:
    """What the record needs of one timeline entry: when, what kind, its document and its code-read grades."""

    date: str | None
    kind: str | None
    doc_id: str
    doc_type: str
    grades: dict[str, AreaMark]


@dataclass
class Inspection:
    """One graded inspection: its date, kind, the documents that report it, and a grade per area."""

    date: str
    kind: str | None
    doc_ids: list[str]
    grades: dict[str, str]
    evidence: dict[str, AreaMark] = field(default_factory=dict)

    @property
    def year(self) -> int:
        return int(self.date[:4])


@dataclass
class AreaChange:
    """One judgement area from one inspection to the next: its grades (None: not graded) and the direction."""

    area: str
    before: str | None
    after: str | None
    direction: Direction

    def text(self) -> str:
        """'overall effectiveness: inadequate → good (improved)'."""
        if self.direction is Direction.NEWLY_GRADED:
            return f"{self.area}: {self.after} (not graded before)"
        if self.direction is Direction.NOT_GRADED:
            return f"{self.area}: {self.before} before, not graded this time"
        return f"{self.area}: {self.before} → {self.after} ({self.direction.value})"


@dataclass
class InspectionChange:
    """What changed, area by area, from one inspection to the next."""

    from_date: str
    to_date: str
    from_docs: list[str]
    to_docs: list[str]
    areas: list[AreaChange]

    def text(self) -> str:
        return f"{self.from_date} → {self.to_date}: " + "; ".join(a.text() for a in self.areas)


def parse_date(value: str | None) -> date | None:
    """An ISO date, year-month or year as a date (first of the month/year); None for undated or '≥2019'."""
    m = _ISO.match(value or "")
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
    except ValueError:
        return None


def _conflicts(a: dict[str, str], b: dict[str, AreaMark]) -> bool:
    return any(area in a and a[area] != m.grade for area, m in b.items())


def _merge(insp: Inspection, e: GradedEntry) -> None:
    """Add an entry's documents and grades to an inspection; a report's date and kind replace an article's."""
    insp.doc_ids.append(e.doc_id)
    for area, m in e.grades.items():
        insp.grades.setdefault(area, m.grade)
        insp.evidence.setdefault(area, m)
    if e.doc_type == "report" and e.date:
        insp.date, insp.kind = e.date, e.kind or insp.kind


def inspections(entries: list[GradedEntry]) -> list[Inspection]:
    """The graded inspections in date order; undated entries and visits without grades are left out."""
    dated = sorted((e for e in entries if e.grades and parse_date(e.date) and e.kind not in VISIT_KINDS),
                   key=lambda e: (parse_date(e.date), e.doc_type != "report"))
    out: list[Inspection] = []
    for e in dated:
        last = out[-1] if out else None
        if last is not None and (parse_date(e.date) - parse_date(last.date)).days <= SAME_INSPECTION_DAYS \
                and not _conflicts(last.grades, e.grades):
            _merge(last, e)
            continue
        out.append(Inspection(e.date or "", e.kind, [e.doc_id], {a: m.grade for a, m in e.grades.items()},
                              dict(e.grades)))
    return out


def _direction(before: str | None, after: str | None) -> Direction:
    if before is None:
        return Direction.NEWLY_GRADED
    if after is None:
        return Direction.NOT_GRADED
    rb, ra = RANK.get(before, 1), RANK.get(after, 1)
    return Direction.IMPROVED if ra > rb else Direction.DECLINED if ra < rb else Direction.SAME


def area_order(areas) -> list[str]:
    """Overall effectiveness first, then the other areas in the order of ``retrieval.ofsted.AREAS``, then the rest."""
    known = [a for a in AREAS if a in areas]
    return known + sorted(a for a in areas if a not in AREAS)


def change(a: Inspection, b: Inspection) -> InspectionChange:
    """Per area graded at either inspection: from its grade at ``a`` to its grade at ``b``."""
    areas = [AreaChange(x, a.grades.get(x), b.grades.get(x), _direction(a.grades.get(x), b.grades.get(x)))
             for x in area_order(set(a.grades) | set(b.grades))]
    return InspectionChange(a.date, b.date, list(a.doc_ids), list(b.doc_ids), areas)


def changes(record: list[Inspection]) -> list[InspectionChange]:
    """What changed between each pair of consecutive inspections."""
    return [change(a, b) for a, b in zip(record, record[1:])]


def area_series(record: list[Inspection]) -> dict[str, list[tuple[str, str]]]:
    """Area -> [(date, grade)] in date order: the data of the chart of each judgement area over time."""
    out: dict[str, list[tuple[str, str]]] = {}
    for insp in record:
        for area in area_order(insp.grades):
            out.setdefault(area, []).append((insp.date, insp.grades[area]))
    return {a: out[a] for a in area_order(out)}


def year_distribution(records: dict[str, list[Inspection]], area: str = OVERALL) -> dict[int, dict[str, int]]:
    """Year -> grade -> how many inspections that year gave that grade for ``area`` (overall effectiveness)."""
    out: dict[int, dict[str, int]] = {}
    for record in records.values():
        for insp in record:
            grade = insp.grades.get(area)
            if grade:
                counts = out.setdefault(insp.year, {})
                counts[grade] = counts.get(grade, 0) + 1
    return dict(sorted(out.items()))
