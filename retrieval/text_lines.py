"""The line model of cleaning: raw text split into lines, each with the raw indices of the characters it keeps.

A line drops URLs, zero-width characters, bullet markers and text addressed to a model (retrieval.instructions),
and collapses whitespace runs; the kept indices are what lets every cleaned character map back to the original.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from retrieval.instructions import instruction_spans
from retrieval.reflow import BULLET_RE

URL_RE = re.compile(r"(?:\bhttps?://|\bwww\.)[^\s<>\"“”]+", re.IGNORECASE)
_URL_TRAIL = ".,;:!?)]}'’\"”"
_ZERO_WIDTH_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\ue000-\uf8ff]")
_MULTI_SPACE_RE = re.compile(r"\s\s|[^\S ]")
_ODD_SPACE_RE = re.compile(r"[^\S ]")
_NEEDS_WORK_RE = re.compile(r"https?://|www\.|[\u200b\u200c\u200d\u2060\ufeff\u00ad\ue000-\uf8ff]", re.IGNORECASE)


@dataclass
class Line:
    """One line of the raw text with its cleaned characters (raw indices kept)."""

    start: int
    raw: str
    keep: list[int] = field(default_factory=list)  # raw indices of kept characters
    removed: list[tuple[int, int]] = field(default_factory=list)  # raw spans deleted inside the line (URLs...)
    bullet: bool = False
    kind: str = "content"  # content | blank | boilerplate
    instructions: list[tuple[int, int]] = field(default_factory=list)  # raw spans addressed to a model (removed)

    def text(self, raw: str) -> str:
        """The cleaned text of the line (each kept whitespace char written as a plain space)."""
        if self.keep and self.keep[-1] - self.keep[0] + 1 == len(self.keep):
            text = raw[self.keep[0]: self.keep[-1] + 1]
        else:
            text = "".join(map(raw.__getitem__, self.keep))
        return _ODD_SPACE_RE.sub(" ", text)


def _plain_keep(start: int, line: str) -> list[int]:
    """Kept raw indices of a line with nothing to delete: its words, one space between them."""
    stripped = line.strip()
    if not _MULTI_SPACE_RE.search(stripped):
        lead = line.index(stripped[0]) if stripped else 0
        return list(range(start + lead, start + lead + len(stripped)))
    keep: list[int] = []
    for m in re.finditer(r"\S+", line):
        if keep:
            keep.append(start + m.start() - 1 if line[m.start() - 1].isspace() else start + m.start())
        keep.extend(range(start + m.start(), start + m.end()))
    return keep


def _deletions(start: int, line: str) -> tuple[bytearray, list[tuple[int, int]], bool]:
    """Characters of a line to delete (bullet marker, URLs, zero-width chars), the URL spans, and the bullet flag."""
    deleted = bytearray(len(line))
    removed: list[tuple[int, int]] = []
    bullet = False
    m = BULLET_RE.match(line)
    if m and m.end() > 0 and line[: m.end()].strip():
        bullet = True
        for k in range(m.end()):
            deleted[k] = 1
    for m in URL_RE.finditer(line):
        s, e = m.start(), m.end()
        while e > s and line[e - 1] in _URL_TRAIL:
            e -= 1
        for k in range(s, e):
            deleted[k] = 1
        removed.append((start + s, start + e))
    for m in _ZERO_WIDTH_RE.finditer(line):
        deleted[m.start()] = 1
    return deleted, removed, bullet


def line_keep(raw: str, start: int, line: str) -> tuple[list[int], list[tuple[int, int]], bool]:
    """Kept raw indices of a line after removing URLs, zero-width chars and bullets, collapsing spaces."""
    if not _NEEDS_WORK_RE.search(line) and not BULLET_RE.match(line):
        return _plain_keep(start, line), [], False
    deleted, removed, bullet = _deletions(start, line)
    keep: list[int] = []
    pending_space: int | None = None
    after_removal = False
    for k, ch in enumerate(line):
        if deleted[k]:
            after_removal = True
            continue
        if ch.isspace():
            if keep and pending_space is None:
                pending_space = start + k
            continue
        if pending_space is not None:
            if not (after_removal and ch in ".,;:!?)"):
                keep.append(pending_space)
            pending_space = None
        keep.append(start + k)
        after_removal = False
    return keep, removed, bullet


def _set_apart_instructions(ln: Line, spans: list[tuple[int, int]]) -> None:
    """Delete the parts of a line addressed to a model (retrieval.instructions); they are never evidence."""
    end = ln.start + len(ln.raw)
    for a, b in spans:
        a, b = max(a, ln.start), min(b, end)
        if a >= b:
            continue
        while b < end and ln.raw[b - ln.start].isspace():  # the space after it goes too
            b += 1
        if b >= end:  # at the end of the line: the space before it goes
            while a > ln.start and ln.raw[a - 1 - ln.start].isspace():
                a -= 1
        ln.keep = [k for k in ln.keep if not a <= k < b]
        ln.removed.append((a, b))
        ln.instructions.append((a, b))


def split_lines(raw: str) -> list[Line]:
    """Split raw text into lines, each with its cleaned characters (text addressed to a model set apart)."""
    lines: list[Line] = []
    pos = 0
    instructions = instruction_spans(raw)
    for part in raw.split("\n"):
        keep, removed, bullet = line_keep(raw, pos, part)
        ln = Line(start=pos, raw=part, keep=keep, removed=removed, bullet=bullet)
        if instructions:
            _set_apart_instructions(ln, instructions)
        if not ln.keep:
            ln.kind = "blank" if not part.strip() or not removed else "boilerplate"
        lines.append(ln)
        pos += len(part) + 1
    return lines
