"""Prompt templates (Qwen chat format). The system text comes first and never changes, so its KV cache is reused.

Passages and the question are untrusted text: their chat markers are made inert (untrusted) before they enter a
template, so only the template's own <|im_start|>/<|im_end|> are real turns.
"""
from __future__ import annotations

import re

from retrieval.instructions import neutralise_chat_tokens

from summarizer.answer.records import Passage
from summarizer.llm.prefix_cache import PREFIX_END

PROMPT_VERSION = "ask-5"


SYSTEM = (
    "You are a careful analyst of Ofsted inspections of English councils' children's services. "
    "You answer questions using only the numbered passages you are given, never your own knowledge. "
    "Passages are from news articles and inspection reports."
)


ASSISTANT_TURN = "<|im_start|>assistant\n"


def _chat(user: str) -> str:
    return f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n{ASSISTANT_TURN}"


def answer_start(prompt: str) -> str:
    """What a prompt has already written of the model's reply (after the assistant turn's marker)."""
    return prompt.rpartition(ASSISTANT_TURN)[2]


def untrusted(text: str) -> str:
    """Document or user text as it may enter a prompt: no chat-template markers."""
    return neutralise_chat_tokens(text)


def heading(p: Passage) -> str:
    """What the model is told about a passage: the councils it is about and its date (titles are not evidence)."""
    return f"({', '.join(p.councils[:3]) or 'article'}; {p.date or 'undated'})"


def passages_block(passages: list[Passage]) -> str:
    """Numbered passages as '[n] heading text' lines; n is Passage.n, the number the user sees."""
    return "\n\n".join(f"[{p.n}] {untrusted(heading(p))} {untrusted(p.text)}" for p in passages)


def question_head(passages: list[Passage], question: str) -> str:
    """The shared beginning of the gate and answer prompts (their common prefix is evaluated once)."""
    return f"Passages:\n{passages_block(passages)}{PREFIX_END}{untrusted(question.strip())}\n"


def gate_prompt(passages: list[Passage], question: str) -> str:
    """Yes/no: do the passages state the answer?"""
    return _chat(
        question_head(passages, question)
        + "Is the answer to this question stated in the passages? Answer yes or no."
    )


def answer_prompt(passages: list[Passage], question: str, about: list[str] | None = None,
                  points: bool = False) -> str:
    """Ask for every distinct point the passages give that answers the question, one cited sentence each; with
    about (a per-document part), each sentence names the council. With points (a why or what-found question) the
    answer is a list, one line a point with its citation first, so that the small model goes on listing and
    citing; the prompt then ends with ANSWER_START, the first line's opening bracket."""
    name = f"These passages are about {', '.join(about)}: name the council in every sentence. " if about else ""
    form = ("List every distinct point they make that answers the question (each reason, finding, figure or "
            "person), one per line, each a short complete sentence, and nothing that does not answer it. Do not "
            "repeat the question. " + name + "Start every line with the number of the passage it comes from, "
            "like: [2] Inspectors found that ... ") if points else (
            "Give every distinct point they make that answers the question (each reason, finding, figure or "
            "person), one short sentence per point, and nothing that does not answer it. " + name
            + "End every sentence with the number of the passage it comes from, like [1] or [2]. ")
    return _chat(
        question_head(passages, question)
        + "Answer using only facts stated in the passages. " + form
        + "Attribute a statement to Ofsted, inspectors, the council or a person only if the passage says they made it."
    ) + (ANSWER_START if points else "")


ANSWER_START = "["  # written for the model: its answer begins with a cited line
LIST_MARK = re.compile(r"(?m)^[ \t]*(?:(?:[-*•]|\d{1,2}[.)])[ \t]+)+")  # a list bullet or item number at a line's start


def doc_gate_prompt(passages: list[Passage], question: str) -> str:
    """Yes/no for one document of a question across documents: does it answer the question or its part of it (a
    comparison's one side, one visit of a change)? Shares the gate's prefix."""
    return _chat(
        question_head(passages, question)
        + "Do the passages state something that answers this question, or part of it? Answer yes or no."
    )


def member_prompt(passages: list[Passage], question: str, council: str) -> str:
    """Yes/no for a list question ("Which councils ...?"): do the passages say council belongs in the answer?"""
    return _chat(
        question_head(passages, question)
        + f"Do the passages state that {untrusted(council)} is one of the answers to this question? Answer yes or no."
    )


def list_item_prompt(passages: list[Passage], question: str, council: str) -> str:
    """One cited sentence on what the passages say about council that answers a list question."""
    return _chat(
        question_head(passages, question)
        + f"In one short sentence naming {untrusted(council)}, state what the passages say about {untrusted(council)} "
        "that answers the question, using only facts stated in the passages. End it with the number of the passage "
        "it comes from, like [1]."
    )


def part_gate_prompt(passages: list[Passage], question: str, part: str) -> str:
    """Yes/no for one part of a question that asks several things (shares the gate's prefix)."""
    return _chat(
        question_head(passages, question)
        + f"Consider only this part of the question: {untrusted(part.strip())}\n"
        "Is the answer to this part stated in the passages? Answer yes or no."
    )


def relevance_prompt(passages: list[Passage], question: str, claim: str) -> str:
    """Yes/no: does one answer sentence answer the question (a reason, finding or fact it asks for)? Shares the
    answer prompt's prefix. A true sentence that answers something else (a council's reply to a "why" question)
    is not part of the answer."""
    return _chat(
        question_head(passages, question)
        + f"Statement: {untrusted(claim.strip())}\n"
        "Does this statement directly answer the question, giving a reason, finding or fact that the question asks "
        "for? Answer yes or no."
    )
