"""Records the answerer returns to every front end (CLI, UI, eval)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum


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


def number_passages(passages: list[Passage]) -> list[Passage]:
    """The one place a passage's number is assigned: 1..n in the order shown. The prompt
    (prompts.passages_block), the citations and the UI all read Passage.n afterwards."""
    for i, p in enumerate(passages, 1):
        p.n = i
    return passages


class DropCode(StrEnum):
    """Why the checks removed an answer sentence."""

    NOT_A_SENTENCE = "not_a_sentence"
    PREMISE = "premise"  # repeats a question word no article found mentions; details: words
    OTHER_YEAR = "other_year"  # details: stated, asked
    NO_CITATION = "no_citation"
    MISSING_NUMBERS = "missing_numbers"  # details: items
    MISSING_GRADES = "missing_grades"  # details: items
    MISSING_NAMES = "missing_names"  # details: items
    SWAPPED = "swapped"  # gives one party's relation to another (X's partner, not Y's); details: items
    LOW_COVERAGE = "low_coverage"  # details: coverage
    CARD_CONFLICT = "card_conflict"  # details: reason
    INSTRUCTION_ONLY = "instruction_only"  # its only support is text addressed to a model
    REPEATED = "repeated"
    JUDGE_REJECTED = "judge_rejected"  # details: score, threshold
    NO_FIGURE = "no_figure"
    OFF_QUESTION = "off_question"  # true to its passage, but not an answer to the question; details: p_yes
    OTHER_COUNCIL = "other_council"  # names a council its cited passages are not about; details: items


def _items(d: dict, key: str = "items") -> str:
    return ", ".join(map(str, d.get(key, [])))


_TEXT = {
    DropCode.NOT_A_SENTENCE: lambda d: "not a sentence",
    DropCode.PREMISE: lambda d: (f"repeats the question's {', '.join(repr(w) for w in d['words'])}, "
                                 "which no article found mentions"),
    DropCode.OTHER_YEAR: lambda d: f"is about {_items(d, 'stated')}, not the {_items(d, 'asked')} the question asks about",
    DropCode.NO_CITATION: lambda d: "no citation",
    DropCode.MISSING_NUMBERS: lambda d: f"numbers not in the cited passages: {_items(d)}",
    DropCode.MISSING_GRADES: lambda d: f"judgement not in the cited passages: {_items(d)}",
    DropCode.MISSING_NAMES: lambda d: f"names not in the cited passages: {_items(d)}",
    DropCode.SWAPPED: lambda d: f"turns round whose it is, as the cited passages say it: {_items(d)}",
    DropCode.LOW_COVERAGE: lambda d: f"only {d['coverage']:.0%} of its words are in the cited passages",
    DropCode.CARD_CONFLICT: lambda d: d["reason"],
    DropCode.INSTRUCTION_ONLY: lambda d: "its only support is text addressed to a model, which is not evidence",
    DropCode.REPEATED: lambda d: "repeats an earlier sentence",
    DropCode.JUDGE_REJECTED: lambda d: (f"the checker scored its support by the cited passages {d['score']:.2f}, "
                                        f"below {d['threshold']:.2f}"),
    DropCode.NO_FIGURE: lambda d: "no figure, and the question asks for one",
    DropCode.OFF_QUESTION: lambda d: f"does not answer the question (P(answers)={d['p_yes']:.2f})",
    DropCode.OTHER_COUNCIL: lambda d: f"its passages are about another council, not {_items(d)}",
}


@dataclass(frozen=True)
class DropReason:
    """A machine-readable reason (code + details) with its human-readable text."""

    code: DropCode
    details: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return _TEXT[self.code](self.details)


@dataclass
class AnswerSentence:
    """One sentence of an answer, with the passages it cites and how the check judged it."""

    text: str
    citations: list[int]
    supported: bool
    coverage: float = 0.0
    note: str = ""  # for display: why it was dropped (drop.text), or that a citation was added
    judge: float | None = None  # the checker's calibrated score that the cited passages support it (0-1)
    drop: DropReason | None = None  # why it was dropped, as data
    about: str = ""  # the council a per-document part was about (named in the answer when the sentence doesn't)
    relevance: float | None = None  # a quoted sentence: the model's P(it answers the question)
    closeness: float | None = None  # a quoted sentence: its closeness to the question (shared words + encoder)

    def reject(self, reason: DropReason) -> "AnswerSentence":
        """Mark the sentence dropped for reason (the display note follows the reason)."""
        self.supported, self.drop, self.note = False, reason, reason.text
        return self

    @classmethod
    def dropped(cls, text: str, citations: list[int], reason: DropReason, coverage: float = 0.0) -> "AnswerSentence":
        return cls(text, citations, False, coverage).reject(reason)


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
    unanswered: list[str] = field(default_factory=list)  # parts of the question the evidence does not answer
    timings: dict[str, float] = field(default_factory=dict)
    prompt_tokens: int = 0
    exact_check_only: bool = False  # the model gave no logprobs: the gate and judge used the exact checks alone

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
