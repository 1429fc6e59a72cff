"""Records the answerer returns to every front end (CLI, UI, eval)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Passage:
    """A numbered passage shown to the model and to the user; spans point into the original article."""

    n: int
    doc_id: str
    chunk_id: str
    title: str
    text: str  # exactly what the model saw
    start: int  # span of `text`'s first and last sentence in the original article
    end: int
    date: str | None = None
    source: str | None = None
    councils: list[str] = field(default_factory=list)


@dataclass
class AnswerSentence:
    """One sentence of an answer, with the passages it cites and how the check judged it."""

    text: str
    citations: list[int]
    supported: bool
    coverage: float = 0.0
    note: str = ""  # why it was dropped, or that a citation was added
    judge: float | None = None  # the model's P(yes) that the cited passages support it


@dataclass
class Answer:
    """A grounded answer, or a refusal with the closest passages."""

    question: str
    status: str  # "answered" | "not_in_articles" | "council_not_covered" | "empty_index"
    text: str
    sentences: list[AnswerSentence] = field(default_factory=list)
    dropped: list[AnswerSentence] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    p_answerable: float | None = None
    missing: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    prompt_tokens: int = 0

    @property
    def refused(self) -> bool:
        return self.status != "answered"

    def cited_passages(self) -> list[Passage]:
        cited = {n for s in self.sentences for n in s.citations}
        return [p for p in self.passages if p.n in cited]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["refused"] = self.refused
        return d
