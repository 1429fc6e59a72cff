"""Years named in text (for the search's year boost and the answer checks); month names come from retrieval.ofsted."""
from __future__ import annotations

from retrieval.ofsted import MONTHS, YEAR

__all__ = ["MONTHS", "YEAR", "years"]


def years(text: str) -> set[int]:
    """Calendar years a text names ("in its May 2019 inspection" -> {2019})."""
    return {int(y) for y in YEAR.findall(text)}
