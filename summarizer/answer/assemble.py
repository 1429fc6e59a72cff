"""Step 7, assemble: the answer from the kept sentences, or a refusal saying why."""
from __future__ import annotations

from summarizer.answer.records import Answer, AnswerSentence, DropCode, DropReason, Passage
from summarizer.answer.retrieve import NOT_IN_ARTICLES
from summarizer.support import asks_quantity, states_quantity


def render(sentences: list[AnswerSentence]) -> str:
    """The answer's text: each sentence followed by its citations ("... [1] [2]")."""
    return " ".join(s.text + "".join(f" [{c}]" for c in s.citations) for s in sentences)


def assemble(question: str, drafts: list[AnswerSentence], passages: list[Passage], p_yes: float | None,
             timings: dict[str, float], prompt_tokens: int) -> Answer:
    """The answer from the kept drafts; a refusal when a draft repeated an unsupported premise, when the question
    asks for a figure and no kept sentence gives one, or when nothing was kept."""
    kept = [d for d in drafts if d.supported]
    dropped = [d for d in drafts if not d.supported]
    common = dict(passages=passages, p_answerable=p_yes, timings=timings, prompt_tokens=prompt_tokens)
    premise = next((d.drop for d in dropped if d.drop and d.drop.code == DropCode.PREMISE), None)
    if premise is not None:  # the model tried to answer the question's premise and the passages do not hold it
        words = ", ".join(repr(w) for w in premise.details["words"])
        return Answer(question, "not_in_articles", f"{NOT_IN_ARTICLES} None of the articles found mentions the "
                      f"question's {words}.", dropped=kept + dropped, **common)
    if kept and asks_quantity(question) and not any(states_quantity(k.text) for k in kept):
        for k in kept:  # the question asks for a number and no checked sentence gives one
            k.reject(DropReason(DropCode.NO_FIGURE))
        dropped, kept = kept + dropped, []
    if not kept:
        return Answer(question, "not_in_articles", f"{NOT_IN_ARTICLES} The closest passages found are shown below.",
                      dropped=dropped, **common)
    return Answer(question, "answered", render(kept), kept, dropped, **common)
