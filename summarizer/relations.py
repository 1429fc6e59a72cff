"""A relation between two named parties turned round: "Worcestershire was appointed as Essex's improvement partner"
where the source says "Essex was appointed as Worcestershire's improvement partner". Every word and name of such a
claim is in the source, so word and name checks pass it; this exact check reads who owns what ("X's <noun>")."""
from __future__ import annotations

import re

from retrieval.bm25 import stem_words

# a capitalised name (one to four words) in the possessive, then the one to three words it owns, quotes allowed
_POSSESSIVE = re.compile(r"\b([A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,3})['’]s\s+[\"'‘“]?([a-z][\w-]*(?:\s+[a-z][\w-]*){0,2})")


def possessives(text: str) -> list[tuple[str, str]]:
    """(owner, the stem of the first word it owns) for each "Name's thing" in text."""
    out = []
    for m in _POSSESSIVE.finditer(text):
        first = stem_words([m.group(2).split()[0].lower()])
        if first:
            out.append((m.group(1), first[0]))
    return out


def swapped_owners(claim: str, source: str) -> list[str]:
    """"X's thing" where the source gives that thing only to others the claim also names (the relation is
    reversed), as "claim owner/source owner" pairs; [] when the source never says whose the thing is."""
    found: list[str] = []
    theirs = possessives(source)
    for owner, thing in possessives(claim):
        owners = {o for o, t in theirs if t == thing}
        if owner in owners:
            continue
        found += [f"{owner}/{o}" for o in sorted(owners) if o in claim]
    return list(dict.fromkeys(found))
