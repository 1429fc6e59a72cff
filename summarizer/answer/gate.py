"""Step 3, answerable? A question word no passage holds, or the model's P(yes) below threshold, refuses at once."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

from summarizer.answer import prompts
from summarizer.answer.check import question_gaps
from summarizer.answer.records import Answer, Passage
from summarizer.answer.retrieve import NOT_IN_ARTICLES


class YesNoModel(Protocol):
    """What the gate and the judge need from the model: P(yes) for a yes/no prompt, and the last call's size."""

    last: object  # has .prompt_tokens

    def yes_probability(self, prompt: str) -> float: ...


@dataclass(frozen=True)
class GateResult:
    """The refusal when the question can't be answered from the passages (else None), and the model's P(yes)
    (None when the exact check refused before asking it)."""

    refusal: Answer | None
    p_yes: float | None

    @property
    def passed(self) -> bool:
        return self.refusal is None


def gate(question: str, passages: list[Passage], articles: list[str], llm: YesNoModel, threshold: float,
         timings: dict[str, float], t0: float) -> GateResult:
    """Refuse when the question names a year, figure or name no passage or article holds, or when the model says
    the passages don't answer it (P(yes) < threshold); timings gain gate_s (and total_s on a refusal)."""
    gaps = question_gaps(question, passages, articles)
    if gaps:
        timings["total_s"] = time.perf_counter() - t0
        return GateResult(Answer(question, "not_in_articles",
                                 f"{NOT_IN_ARTICLES} The closest passages do not mention {', '.join(gaps)}.",
                                 passages=passages, missing=gaps, timings=timings), None)
    p_yes = llm.yes_probability(prompts.gate_prompt(passages, question))
    timings["gate_s"] = time.perf_counter() - t0 - timings.get("search_s", 0.0)
    if p_yes >= threshold:
        return GateResult(None, p_yes)
    timings["total_s"] = time.perf_counter() - t0
    return GateResult(Answer(question, "not_in_articles", f"{NOT_IN_ARTICLES} The closest passages found are shown "
                             "below.", passages=passages, p_answerable=p_yes, timings=timings,
                             prompt_tokens=llm.last.prompt_tokens), p_yes)
