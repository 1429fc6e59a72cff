"""Years named in text (for the search's year boost and the answer checks); month names come from retrieval.ofsted."""
from __future__ import annotations

import re

from retrieval.ofsted import MONTHS, YEAR

__all__ = ["MONTHS", "YEAR", "year_ranges", "years"]

# a year that bounds a time rather than naming it: "before the 2015 inspection", "since 2019", "by 2016"
_BETWEEN = r"(?:(?:the|its|their|his|her|a|an|[A-Z][\w-]*['’]s|[A-Z][a-z]+ember|January|February|March|April|May|June|July|August|October)\s+){0,3}$"
_UPTO = re.compile(r"\b(?i:before|prior to|until|till|up to|by)\s+" + _BETWEEN)
_FROM = re.compile(r"\b(?i:since|after|following)\s+" + _BETWEEN)


def years(text: str) -> set[int]:
    """Calendar years a text names ("in its May 2019 inspection" -> {2019})."""
    return {int(y) for y in YEAR.findall(text)}


def year_ranges(text: str, slack: int = 1) -> list[tuple[int, int]]:
    """The spans of years a question asks about: a named year with slack either side (a report is published months
    after its visit), or open-ended when a word bounds it ("before 2015" is any year up to 2015)."""
    out = []
    for m in YEAR.finditer(text):
        y, lead = int(m.group(0)), text[max(0, m.start() - 40):m.start()]
        if _UPTO.search(lead):
            out.append((0, y + slack))
        elif _FROM.search(lead):
            out.append((y - slack, 9999))
        else:
            out.append((y - slack, y + slack))
    return out
