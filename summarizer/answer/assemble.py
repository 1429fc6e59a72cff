"""Step 7, assemble: the answer from the kept sentences, or a refusal saying why."""
from __future__ import annotations

from summarizer.answer.records import Answer, AnswerSentence, DropCode, DropReason, Passage
from summarizer.answer.retrieve import NOT_IN_ARTICLES
from summarizer.answer.check import focus_terms
from summarizer.support import asks_quantity, content_terms, states_quantity


def _gives_figure(text: str, question: str) -> bool:
    """A sentence answers a how-many/how-much question when it states a figure about what was asked (one of the
    question's focus words): "Essex council: £5.1 million" does not say how much Essex is paid."""
    focus = focus_terms(question)
    return states_quantity(text) and (not focus or bool(focus & content_terms(text)))


def _named(s: AnswerSentence) -> str:
    """The sentence, led by the council its part was about when it does not name it."""
    return s.text if not s.about or s.about.lower() in s.text.lower() else f"{s.about}: {s.text}"


def render(sentences: list[AnswerSentence], unanswered: list[str] | None = None) -> str:
    """The answer's text: each sentence followed by its citations ("... [1] [2]"), then what the articles don't say."""
    text = " ".join(_named(s) + "".join(f" [{c}]" for c in s.citations) for s in sentences)
    gaps = "; ".join(f"“{u}”" for u in unanswered or [])
    return f"{text} The articles found don't answer {gaps}" if gaps else text


def assemble(question: str, drafts: list[AnswerSentence], passages: list[Passage], p_yes: float | None,
             timings: dict[str, float], prompt_tokens: int, unanswered: list[str] | None = None,
             premise_refuses: bool = False, parts: list[str] | None = None) -> Answer:
    """The answer from the kept drafts; a refusal when a draft repeated an unsupported premise (and nothing was kept,
    or premise_refuses: the model showed it was answering a premise no document holds, so what else it wrote is not
    an answer either), when the question asks only for a figure and no kept sentence gives one, or when nothing
    was kept. Of a question in parts, a figure part that no kept sentence gives is named as not answered."""
    kept = [d for d in drafts if d.supported]
    dropped = [d for d in drafts if not d.supported]
    common = dict(passages=passages, p_answerable=p_yes, timings=timings, prompt_tokens=prompt_tokens)
    premise = next((d.drop for d in dropped if d.drop and d.drop.code == DropCode.PREMISE), None)
    if premise is not None and (premise_refuses or not kept):  # it answered a premise no passage holds
        words = ", ".join(repr(w) for w in premise.details["words"])
        return Answer(question, "not_in_articles", f"{NOT_IN_ARTICLES} None of the articles found mentions the "
                      f"question's {words}.", dropped=kept + dropped, **common)
    if kept and asks_quantity(question) and not any(_gives_figure(k.text, question) for k in kept):
        asked = parts or [question]
        figure_parts = [p for p in asked if asks_quantity(p)]
        if len(figure_parts) < len(asked):  # another part is answered; the figure is what's not said
            unanswered = list(unanswered or []) + [p for p in figure_parts if p not in (unanswered or [])]
        else:  # the question asks only for a number and no checked sentence gives one about what it asks
            for k in kept:
                k.reject(DropReason(DropCode.NO_FIGURE))
            dropped, kept = kept + dropped, []
    if not kept:
        return Answer(question, "not_in_articles", f"{NOT_IN_ARTICLES} The closest passages found are shown below.",
                      dropped=dropped, **common)
    return Answer(question, "answered", render(kept, unanswered), kept, dropped, unanswered=list(unanswered or []),
                  **common)
