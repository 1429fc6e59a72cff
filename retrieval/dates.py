"""Month names shared by the loaders (publication dates) and metadata (inspection dates); years named in text."""

import re

MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
         ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
         ("nov", "november"), ("dec", "december")]
    )
    for m in names
}

YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")


def years(text: str) -> set[int]:
    """Calendar years a text names ("in its May 2019 inspection" -> {2019})."""
    return {int(y) for y in YEAR.findall(text)}
