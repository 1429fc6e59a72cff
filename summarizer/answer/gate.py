"""Step 3, answerable? Each part of the question is answerable when no year, figure or name it asks about is missing
from the evidence and the model's P(yes) reaches the threshold; no answerable part refuses at once."""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from summarizer.answer import prompts
from summarizer.answer.check import focus_terms, premise_words, question_gaps
from summarizer.answer.records import Answer, Passage
from summarizer.answer.retrieve import NOT_IN_ARTICLES
from summarizer.llm.interface import yes_probability_or_none
from summarizer.support import content_terms


class YesNoModel(Protocol):
    """What the gate and the judge need from the model: P(yes) for a yes/no prompt, and the last call's size."""

    last: object  # has .prompt_tokens

    def yes_probability(self, prompt: str) -> float: ...


@dataclass(frozen=True)
class GateResult:
    """The refusal when no part of the question can be answered from the passages (else None), the model's best
    P(yes) (None when the exact check refused before asking it), and the parts answered and not."""

    refusal: Answer | None
    p_yes: float | None
    answered: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.refusal is None


def _part_p_yes(question: str, parts: list[str], passages: list[Passage], llm: YesNoModel,
                one_side: bool = False) -> list[float | None]:
    """P(yes) of each part (None for all when the model gives no logprobs); one_side: the passages need answer only
    their document's part of a question across documents."""
    if len(parts) == 1:
        ask = prompts.doc_gate_prompt if one_side else prompts.gate_prompt
        return [yes_probability_or_none(llm, ask(passages, question))]
    return [yes_probability_or_none(llm, prompts.part_gate_prompt(passages, question, part)) for part in parts]


def gate(question: str, passages: list[Passage], articles: list[str], llm: YesNoModel, threshold: float,
         timings: dict[str, float], t0: float, parts: list[str] | None = None,
         others: Sequence[Passage] = ()) -> GateResult:
    """Which parts of the question the passages answer. A part naming a year, figure or name that no passage or
    article holds is unanswered without the model; the rest need P(yes) >= threshold (or, from a model without
    logprobs, only the exact checks: p_yes is None). Timings gain gate_s (and total_s on a refusal).
    others: the other documents' passages of a question across documents; a year or name one of them holds is no
    gap, and the passages need answer only their own side of the question."""
    parts = parts or [question]
    gaps = {part: question_gaps(part, [*passages, *others], articles) for part in parts}
    known = content_terms(" ".join(articles) + " " + " ".join(p.text for p in passages))
    for part in parts:  # a part asking only about what no document holds is one the evidence doesn't answer
        focus = focus_terms(part)
        if not gaps[part] and focus and not focus & known:
            gaps[part] = premise_words(part, part, known, min_len=4)
    open_parts = [part for part in parts if not gaps[part]]
    if not open_parts:
        missing = list(dict.fromkeys(g for part in parts for g in gaps[part]))
        timings["total_s"] = time.perf_counter() - t0
        return GateResult(Answer(question, "not_in_articles",
                                 f"{NOT_IN_ARTICLES} The closest passages do not mention {', '.join(missing)}.",
                                 passages=passages, missing=missing, timings=timings), None, [], parts)
    g0 = time.perf_counter()
    p = _part_p_yes(question, open_parts, passages, llm, one_side=bool(others))
    timings["gate_s"] = timings.get("gate_s", 0.0) + time.perf_counter() - g0
    if any(py is None for py in p):  # no logprobs: the parts the exact checks pass are answered
        return GateResult(None, None, open_parts, [part for part in parts if part not in open_parts])
    answered = [part for part, py in zip(open_parts, p) if py >= threshold]
    unanswered = [part for part in parts if part not in answered]
    if answered:
        return GateResult(None, max(p), answered, unanswered)
    timings["total_s"] = time.perf_counter() - t0
    return GateResult(Answer(question, "not_in_articles", f"{NOT_IN_ARTICLES} The closest passages found are shown "
                             "below.", passages=passages, p_answerable=max(p), timings=timings,
                             prompt_tokens=llm.last.prompt_tokens), max(p), [], parts)
