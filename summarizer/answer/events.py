"""The typed events a streamed answer yields, in order: passages, tokens, checked sentences, then the answer."""
from __future__ import annotations

from dataclasses import dataclass

from summarizer.answer.records import Answer, AnswerSentence, Passage


@dataclass(frozen=True)
class PassagesFound:
    """The numbered evidence the answer will cite (numbers are final: the prompt and the UI share them)."""

    passages: list[Passage]


@dataclass(frozen=True)
class TokenStreamed:
    """One generated piece of text, before any check."""

    text: str


@dataclass(frozen=True)
class SentenceChecked:
    """One generated sentence with its verdict (kept or dropped, with reason codes)."""

    sentence: AnswerSentence


@dataclass(frozen=True)
class AnswerReady:
    """The final, assembled answer; always the last event."""

    answer: Answer


AskEvent = PassagesFound | TokenStreamed | SentenceChecked | AnswerReady
