"""The one place a passage's span in its original article is worked out (evidence step, judgement cards, fitting)."""
from __future__ import annotations

PROBE_CHARS = 60  # how much of a passage's first and last piece is looked up in the article
ELISION = "…"  # what joins the non-adjacent sentences of a trimmed passage


def passage_span(doc_text: str | None, text: str, hint_start: int, hint_end: int) -> tuple[int, int]:
    """(start, end) in doc_text of passage text: from its first piece's start to its last piece's end, looked up
    inside the window hint_start..hint_end (the chunk it came from); the window itself when the words are not found
    there (no article text, or text that is not the article's words, such as a judgement card's)."""
    pieces = [p.strip() for p in text.split(ELISION) if p.strip()]
    if not doc_text or not pieces:
        return hint_start, hint_end
    first, last = pieces[0][:PROBE_CHARS], pieces[-1][-PROBE_CHARS:]
    a = doc_text.find(first, hint_start, hint_end + 1)
    b = doc_text.rfind(last, max(a, hint_start), hint_end + 1)
    start = a if a >= 0 else hint_start
    end = b + len(last) if b >= 0 else hint_end
    return (start, end) if end > start else (hint_start, hint_end)
