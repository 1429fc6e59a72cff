"""The question as the checks see it: bounded in length, without control characters, markup or chat markers."""
from __future__ import annotations

import html
import re

from retrieval.instructions import CHAT_TOKEN_RE

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_MARKUP_RE = re.compile(r"<!--.*?-->|</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]{0,300})?/?>", re.S)


class QuestionError(ValueError):
    """A question brief will not put to the model; the message says what to change."""


class QuestionTooLong(QuestionError):
    """A question over AnswerSettings.max_question_chars."""


def normalise_question(raw: str, max_chars: int) -> str:
    """The plain question: markup and chat markers removed, control characters as spaces, whitespace collapsed.

    Raises QuestionTooLong past max_chars (a long input would hold the model for minutes and overflow its context)
    and QuestionError when nothing is left to ask.
    """
    if len(raw) > 4 * max_chars:  # not worth cleaning: it cannot come down to max_chars of question
        raise QuestionTooLong(f"The question is {len(raw):,} characters long; ask in at most {max_chars:,}.")
    text = CHAT_TOKEN_RE.sub(" ", raw)
    text = html.unescape(_MARKUP_RE.sub(" ", text))
    text = _MARKUP_RE.sub(" ", text)  # markup that was escaped ("&lt;b&gt;")
    text = " ".join(_CONTROL_RE.sub(" ", text).split())
    if len(text) > max_chars:
        raise QuestionTooLong(f"The question is {len(text):,} characters long; ask in at most {max_chars:,}.")
    if not re.search(r"\w", text):
        raise QuestionError("The question has no words to ask about.")
    return text
