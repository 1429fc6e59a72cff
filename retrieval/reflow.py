"""Unwrapping hard-wrapped text (PDF extractions): line structure patterns and how a wrapped line joins the last.

Used by cleaning (``clean_text`` unwraps only text that reads as hard-wrapped) and by the PDF loader
(``reflow_lines``).
"""
from __future__ import annotations

import re

# A bullet or list marker at the start of a line (with the spaces after it).
BULLET_RE = re.compile(
    r"^[ \t\u00a0]*(?:[•◼◻▪▫■□●○◦‣⁃∙·➢➤►▶✓✔\u2022\u25aa\u25cf\u25a0\ue000-\uf8ff]+"
    r"|[-*](?=[ \t]+[A-Z0-9“\"‘'])|#{1,6}(?=[ \t]+\S)|>(?=[ \t]+\S))[ \t\u00a0]*"
)
# A line that ends a sentence or clause.
TERMINAL_RE = re.compile(r"[.!?:;][\"”’')\]]*$")
# A numbered item ("1.2", "3)", "(a)", "iv)") opening a line: report structure.
ITEM_RE = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3})+\.?|\d{1,3}[.)]|\(?[a-z]\)|\(?[ivx]{1,4}\))\s+\S")


def is_wrapped(texts: list[str]) -> bool:
    """True when the text is hard-wrapped (lines broken mid-sentence), as in PDF extractions."""
    if len(texts) < 6:
        return False
    lengths = sorted(len(t) for t in texts)
    p90 = lengths[int(0.9 * (len(lengths) - 1))]
    if p90 > 160:
        return False
    cont = sum(
        1
        for a, b in zip(texts, texts[1:])
        if re.search(r"[a-z,]$", a) and re.match(r"[a-z(]", b)
    )
    return cont / (len(texts) - 1) >= 0.12


def line_width(texts: list[str]) -> int:
    """Typical full line width of a wrapped text (90th percentile of line lengths)."""
    lengths = sorted(len(t) for t in texts) or [80]
    return max(20, lengths[int(0.9 * (len(lengths) - 1))])


def join_kind(prev: str, nxt: str, gap: bool, width: int, nxt_bullet: bool, prev_len: int | None = None) -> str:
    """How a wrapped line joins the previous one: 'break' (new paragraph), 'space' or 'none' (after a hyphen)."""
    if nxt_bullet or ITEM_RE.match(nxt):
        return "break"
    terminal = bool(TERMINAL_RE.search(prev))
    if re.search(r"[A-Za-z]-$", prev) and re.match(r"[a-z]", nxt) and not gap:
        return "none"
    if not terminal and (re.match(r"[a-z(,;:.)]", nxt) or (not gap and re.match(r"\d", nxt))):
        return "space"
    if gap or re.match(r"[A-Z][\w’' ]{0,40}:(?:\s|$)", nxt):
        return "break"
    first_word = nxt.split(" ", 1)[0]
    if (len(prev) if prev_len is None else prev_len) + 1 + len(first_word) < 0.9 * width:
        return "break"  # the next word would have fitted: the previous line ended on purpose
    return "space"


def reflow_lines(lines: list[str]) -> str:
    """Rejoin hard-wrapped lines into paragraphs (one per line); blank lines mark paragraph breaks."""
    texts = [re.sub(r"\s+", " ", ln).strip() for ln in lines]
    content = [t for t in texts if t]
    width = line_width(content)
    out: list[str] = []
    prev: str | None = None
    gap = False
    for t in texts:
        if not t:
            gap = True
            continue
        bullet = BULLET_RE.match(t) is not None
        if prev is None:
            out.append(t)
        else:
            kind = join_kind(prev, t, gap, width, bullet)
            if kind == "break":
                out.append(t)
            elif kind == "space":
                out[-1] += " " + t
            else:
                out[-1] += t
        prev, gap = t, False
    return "\n".join(out)
