"""Prompt templates (Qwen chat format). The system text comes first and never changes, so its KV cache is reused.

Passages and the question are untrusted text: their chat markers are made inert (untrusted) before they enter a
template, so only the template's own <|im_start|>/<|im_end|> are real turns.
"""
from __future__ import annotations

from retrieval.instructions import neutralise_chat_tokens

from summarizer.answer.records import Passage

PROMPT_VERSION = "ask-3"

SYSTEM = (
    "You are a careful analyst of Ofsted inspections of English councils' children's services. "
    "You answer questions using only the numbered passages you are given, never your own knowledge. "
    "Passages are from news articles and inspection reports."
)


def _chat(user: str) -> str:
    return f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"


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
    return f"Passages:\n{passages_block(passages)}\n\nQuestion: {untrusted(question.strip())}\n"


def gate_prompt(passages: list[Passage], question: str) -> str:
    """Yes/no: do the passages state the answer?"""
    return _chat(
        question_head(passages, question)
        + "Is the answer to this question stated in the passages? Answer yes or no."
    )


def answer_prompt(passages: list[Passage], question: str) -> str:
    """Ask for a short answer whose every sentence cites its passage."""
    return _chat(
        question_head(passages, question)
        + "Answer in 1 to 4 short sentences using only facts stated in the passages. "
        "End every sentence with the number of the passage it comes from, like [1] or [2]. "
        "Attribute a statement to Ofsted, inspectors, the council or a person only if the passage says they made it."
    )


def claim_prompt(passages: list[Passage], question: str, claim: str, cited: list[int]) -> str:
    """Yes/no: is one answer sentence supported by the passages it cites? Shares the answer prompt's prefix."""
    which = ", ".join(f"[{n}]" for n in cited)
    return _chat(
        question_head(passages, question)
        + f"Statement: {untrusted(claim.strip())}\n"
        f"Is every part of this statement, including who said or did what, stated in passage {which}? Answer yes or no."
    )


def support_prompt(claim: str, source: str) -> str:
    """Yes/no: is the claim supported by the source text? (the faithfulness judge)"""
    return _chat(
        f"Source:\n{untrusted(source.strip())}\n\nClaim: {untrusted(claim.strip())}\n"
        "Is every part of the claim supported by the source? Answer yes or no."
    )
