"""Step: compose the answer: stream the model's tokens and cut them into sentences (with their citations)."""
from __future__ import annotations

import re

from retrieval.sentences import split_sentences

_CITE_AFTER_STOP = re.compile(r"([.!?])\s*((?:\[\d+[^\]]*\]\s*)+)")
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
        self.text = _CITE_AFTER_STOP.sub(lambda m: " " + m.group(2).strip() + m.group(1) + " ", self.text)
        spans = split_sentences(self.text)
        done = spans if final else spans[:-1]
        out = [self.text[s:e] for s, e in done if self.text[s:e].strip() and re.search(r"\w", self.text[s:e])]
        if final:
            self.text = ""
        elif done:
            self.text = self.text[done[-1][1]:]
        return out
