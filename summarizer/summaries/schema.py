"""Typed records of structured summaries (pydantic), and the small JSON schemas the model is asked to fill.

Evidence is always a list of character spans into the ORIGINAL document text; code, not the model, sets them.
"""
from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from retrieval.ofsted import AREAS, GRADES, INSPECTION_KINDS  # noqa: F401 - AREAS and GRADES are re-exported

PROMPT_VERSION = "sum-6"

Grade = Literal[GRADES]  # type: ignore[valid-type]  # the values of retrieval.ofsted.GRADES
Kind = Literal[INSPECTION_KINDS]  # type: ignore[valid-type]
KINDS = INSPECTION_KINDS


class Span(BaseModel):
    """A [start, end) span of the original text, with the text it covers."""

    start: int = Field(ge=0)
    end: int
    text: str

    @model_validator(mode="after")
    def _ordered(self) -> "Span":
        if self.end <= self.start:
            raise ValueError(f"empty or reversed span {self.start}-{self.end}")
        if len(self.text) != self.end - self.start:
            raise ValueError("span text length does not match its offsets")
        return self


class Item(BaseModel):
    """A short statement (weakness, strength, action, figure, improvement) and the sentences it rests on."""

    text: str = Field(min_length=3)
    evidence: list[Span] = Field(min_length=1)


class Person(BaseModel):
    """Someone quoted or named, with role and organisation as the article gives them."""

    name: str = Field(min_length=2)
    role: str | None = None
    organisation: str | None = None
    evidence: list[Span] = Field(min_length=1)


class AreaGrade(BaseModel):
    """A judgement area of an inspection report with its grade, from the report's judgement table."""

    area: str
    grade: Grade
    evidence: list[Span] = Field(min_length=1)
    source: Literal["table", "model"] = "table"


class CouncilEntry(BaseModel):
    """What one article or report says about one council."""

    council: str
    inspection_kind: Kind | None = None
    date: str | None = None  # ISO date, or a year, when known
    judgement: Grade | None = None
    judgement_evidence: list[Span] = Field(default_factory=list)
    previous_judgement: Grade | None = None
    previous_evidence: list[Span] = Field(default_factory=list)
    weaknesses: list[Item] = Field(default_factory=list)
    strengths: list[Item] = Field(default_factory=list)
    actions: list[Item] = Field(default_factory=list)
    figures: list[Item] = Field(default_factory=list)
    people: list[Person] = Field(default_factory=list)
    # inspection reports only
    areas: list[AreaGrade] = Field(default_factory=list)
    inspection_dates: list[str] = Field(default_factory=list)
    lead_inspector: Person | None = None
    improvements: list[Item] = Field(default_factory=list)

    @model_validator(mode="after")
    def _judgement_has_evidence(self) -> "CouncilEntry":
        if self.judgement and not self.judgement_evidence:
            raise ValueError(f"{self.council}: judgement {self.judgement!r} without evidence")
        if self.previous_judgement and not self.previous_evidence:
            raise ValueError(f"{self.council}: previous judgement {self.previous_judgement!r} without evidence")
        return self


class DroppedItem(BaseModel):
    """An item the checks rejected twice (first answer and one regeneration), with the reason."""

    council: str | None = None
    field: str
    text: str
    quote: str = ""
    reason: str


class SummaryStats(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    regenerated: int = 0
    seconds: float = 0.0
    parts: int = 1  # >1 when the article was map-reduced


class ArticleSummary(BaseModel):
    """The structured summary of one article or report."""

    doc_id: str
    title: str = ""
    date: str | None = None
    doc_type: Literal["article", "report"] = "article"
    content_hash: str
    model_id: str
    backend: str = "llama"
    prompt_version: str = PROMPT_VERSION
    overview: str = ""
    overview_evidence: list[Span] = Field(default_factory=list)
    overview_score: float | None = None  # the faithfulness checker's calibrated score against its evidence (None: not run)
    councils: list[CouncilEntry] = Field(default_factory=list)
    dropped: list[DroppedItem] = Field(default_factory=list)
    stats: SummaryStats = Field(default_factory=SummaryStats)
    created: str = ""

    @field_validator("councils")
    @classmethod
    def _one_entry_per_council(cls, v: list[CouncilEntry]) -> list[CouncilEntry]:
        names = [c.council for c in v]
        if len(names) != len(set(names)):
            raise ValueError(f"duplicate council entries: {names}")
        return v

    @property
    def key(self) -> str:
        return summary_key(self.content_hash, self.model_id, self.prompt_version)

    def entry(self, council: str) -> CouncilEntry | None:
        return next((c for c in self.councils if c.council.lower() == council.lower()), None)

    def items(self):
        """(council, field, item) for every checked statement in the record."""
        for c in self.councils:
            for f in ("weaknesses", "strengths", "actions", "figures", "improvements"):
                for it in getattr(c, f):
                    yield c.council, f, it
            for p in c.people:
                yield c.council, "people", p


def summary_key(content_hash: str, model_id: str, prompt_version: str = PROMPT_VERSION) -> str:
    """Resume key: a record is done when this key is stored."""
    return hashlib.sha256(f"{content_hash}|{model_id}|{prompt_version}".encode()).hexdigest()[:24]


# --- what the model fills (kept small: every token costs ~35 ms on this machine) -------------------------------
def _items(n: int, with_text_len: int = 150, at_least: int = 0) -> dict:
    return {
        "type": "array",
        "minItems": at_least,
        "maxItems": n,
        "items": {
            "type": "object",
            "properties": {"text": {"type": "string", "maxLength": with_text_len},
                           "quote": {"type": "string", "maxLength": 160}},
            "required": ["text", "quote"],
        },
    }


def _grade_field() -> dict:
    return {"anyOf": [{"type": "string", "enum": list(GRADES)}, {"type": "null"}]}


def extraction_schema(with_overview: bool, with_judgement: bool = True, n: int = 3, findings: bool = True) -> dict:
    """The JSON schema of one extraction call (one council's part of an article); without findings when sentences
    are labelled one by one instead (findings.py)."""
    props: dict = {}
    if with_overview:
        props["overview"] = {"type": "string", "maxLength": 400}
    if with_judgement:
        props["judgement"] = _grade_field()
        props["judgement_quote"] = {"type": "string", "maxLength": 200}
        props["previous_judgement"] = _grade_field()
        props["previous_quote"] = {"type": "string", "maxLength": 200}
    if findings:
        props["weaknesses"] = _items(n, at_least=1)  # a 1.5B model under a grammar otherwise tends to write []
        props["strengths"] = _items(n, at_least=1)
        props["actions"] = _items(min(n, 2))
    props["figures"] = _items(n)
    props["people"] = {
        "type": "array",
        "minItems": 0 if findings else 1,  # alone in the call, the small model otherwise writes []
        "maxItems": 2,
        "items": {
            "type": "object",
            "properties": {"name": {"type": "string", "maxLength": 40}, "role": {"type": "string", "maxLength": 60},
                           "organisation": {"type": "string", "maxLength": 60},
                           "quote": {"type": "string", "maxLength": 120}},
            "required": ["name", "role", "organisation", "quote"],
        },
    }
    return {"type": "object", "properties": props, "required": list(props)}


ITEM_SCHEMA = {
    "type": "object",
    "properties": {"text": {"type": "string", "maxLength": 160}, "quote": {"type": "string", "maxLength": 220}},
    "required": ["text", "quote"],
}
