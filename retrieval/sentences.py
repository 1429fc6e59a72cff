"""Sentence splitting that returns character spans, so every sentence maps back to its source."""
from __future__ import annotations

import re

_ABBREV = {
    "mr", "mrs", "ms", "dr", "prof", "st", "etc", "e.g", "i.e", "no", "vs", "cllr", "rev", "sr", "jr",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "inc", "ltd", "co",
}
# a sentence ends at . ! ? (optionally followed by closing quotes/brackets) then whitespace
_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+)")


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Split text[start:end] into sentence spans; line breaks always end a sentence."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    pos = start
    for line in re.finditer(r"[^\n]+", text[start:end]):
        ls, le = start + line.start(), start + line.end()
        cur = ls
        for m in _END.finditer(text, ls, le):
            word = re.search(r"(\S+)$", text[cur:m.start()] if m.start() > cur else "")
            token = word.group(1).lower().rstrip(".") if word else ""
            if token in _ABBREV or (len(token) == 1 and token.isalpha()):
                continue
            nxt = text[m.end():le].lstrip()
            if nxt and nxt[0].islower():
                continue
            spans.append((cur, m.end()))
            cur = m.end()
        spans.append((cur, le))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    del pos
    return out
