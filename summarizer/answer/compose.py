"""Steps 4-5, compose and check: stream the model's tokens, cut them into sentences (with their citations) and check
each sentence as it completes."""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Generator, Iterator
from typing import Protocol

from retrieval.sentences import split_sentences

from summarizer.answer.events import AskEvent, TokenStreamed
from summarizer.answer.prompts import LIST_MARK, answer_start
from summarizer.answer.records import AnswerSentence

STOP = ["<|im_end|>", "\n\n\n"]

_CITE_AFTER_STOP = re.compile(r"([.!?])[ \t]*((?:\[\d+[^\]]*\][ \t]*)+)")  # on the same line
_SENTENCE_DONE = re.compile(r"[.!?]\s*(\[\d+[^\]]*\]\s*)*\s[^\s\[]")


class SentenceBuffer:
    """Generated text not yet cut into sentences; a sentence is complete once the next one has begun."""

    def __init__(self) -> None:
        self.text = ""

    def add(self, token: str) -> list[str]:
        """Append a token; the sentences it completed (citations after the full stop moved before it)."""
        self.text += token
        if _SENTENCE_DONE.search(self.text) or "\n" in self.text:
            return self._take(final=False)
        return []

    def flush(self) -> list[str]:
        """Whatever is left, as sentences (generation has ended)."""
        return self._take(final=True)

    def _take(self, final: bool) -> list[str]:
        self.text = LIST_MARK.sub("", self.text)  # "2. " at a line's start is a list number, not a sentence
        self.text = _CITE_AFTER_STOP.sub(lambda m: " " + m.group(2).strip() + m.group(1) + " ", self.text)
        spans = split_sentences(self.text)
        done = spans if final else spans[:-1]
        out = [self.text[s:e] for s, e in done if self.text[s:e].strip() and re.search(r"\w", self.text[s:e])]
        if final:
            self.text = ""
        elif done:
            self.text = self.text[done[-1][1]:]
        return out


class StreamingModel(Protocol):
    """What composing needs from the model: its settings (max_answer_tokens) and a token stream."""

    settings: object

    def stream(self, prompt: str, max_tokens: int | None = None, stop: list[str] | None = None) -> Iterator[str]: ...


def compose(llm: StreamingModel, prompt: str, check: Callable[[str], AnswerSentence], timings: dict[str, float],
            t0: float, max_tokens: int | None = None) -> Generator[AskEvent, None, list[AnswerSentence]]:
    """Yield each token as it streams; return the checked sentences (check is applied to each as it completes).

    Generation stops early once a sentence repeats (greedy decoding has started to loop); timings gain generate_s
    and first_token_s (the first part's)."""
    buf, drafts = SentenceBuffer(), []
    first_token = timings.get("first_token_s")
    if start := answer_start(prompt):  # the reply's opening, written by the prompt
        yield TokenStreamed(start)
        buf.add(start)
    for tok in llm.stream(prompt, max_tokens or llm.settings.max_answer_tokens, stop=STOP):
        first_token = first_token if first_token is not None else time.perf_counter() - t0
        yield TokenStreamed(tok)
        drafts.extend(check(raw) for raw in buf.add(tok))
        texts = [d.text.lower() for d in drafts]
        if len(texts) != len(set(texts)):
            buf.text = ""
            break
    drafts.extend(check(raw) for raw in buf.flush())
    timings.update(generate_s=time.perf_counter() - t0, first_token_s=first_token or 0.0)
    return drafts
