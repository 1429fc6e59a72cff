"""A loaded document's title and date, read from its text or metadata: a headline-like first line (a report's
title lines without page numbers), and an ISO date from the common written forms."""
from __future__ import annotations

import re
from datetime import date, datetime

from retrieval.cleaning import reflow_lines
from retrieval.dates import MONTHS

_MONTHS = MONTHS
PAGE_NUMBER_RE = re.compile(r"^(?:page\s*)?\d{1,3}(?:\s*(?:of|/)\s*\d{1,3})?$", re.IGNORECASE)


def derive_title(text: str, markdown: bool = False, pdf: bool = False) -> str:
    """A title from the text: a headline-like first line, else the first ~12 words followed by an ellipsis."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    if markdown:
        lines = [re.sub(r"^#{1,6}\s*", "", ln) for ln in lines]
    if pdf:
        lines = _title_lines(lines[:40])
        if lines:
            first = lines[0]
            if len(first) < 40 and len(lines) > 1 and _headline_like(lines[1]):
                first = f"{first}: {lines[1]}"
            return _shorten(re.sub(r"\s+(?:and|or|of|the)$", "", first), 160)
    if lines and _headline_like(lines[0]):
        return lines[0]
    words = " ".join(lines[:3]).split()
    if not words:
        return ""
    return " ".join(words[:12]) + ("…" if len(words) > 12 else "")


def _title_lines(lines: list[str]) -> list[str]:
    """Candidate title lines of a report: unwrapped, without page numbers and bare dates."""
    joined = reflow_lines(lines).split("\n")
    out = []
    for ln in joined:
        s = ln.strip()
        if not s or PAGE_NUMBER_RE.match(s) or re.fullmatch(r"[\d\s/.-]+", s):
            continue
        if re.match(r"(?:inspection dates?|report published|published|lead inspector|age group)\b", s, re.I):
            break
        out.append(s)
    return out


def _headline_like(line: str) -> bool:
    """Short, no final full stop: reads as a headline."""
    words = line.split()
    return 0 < len(words) <= 20 and len(line) <= 150 and not re.search(r"[.;,:]$", line)


def _shorten(text: str, limit: int) -> str:
    """Cut text at a word boundary with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def normalise_date(value: str | None) -> str | None:
    """ISO date (YYYY-MM-DD) or year from common forms ('2019-07-01T..', '1 July 2019', '01/07/2019', '2019')."""
    if not value:
        return None
    v = str(value).strip()
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", v)
    if m:
        return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3))) or None
    m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})", v)
    if m and m.group(2).lower() in _MONTHS:
        return _iso(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
    m = re.fullmatch(r"([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", v)
    if m and m.group(1).lower() in _MONTHS:
        return _iso(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
    m = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", v)
    if m:
        return _iso(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    m = re.fullmatch(r"(\d{4})", v)
    if m:
        return m.group(1)
    try:
        return datetime.fromisoformat(v).date().isoformat()
    except ValueError:
        return None


def _iso(year: int, month: int, day: int) -> str | None:
    """ISO string for a valid calendar date, else None."""
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None
