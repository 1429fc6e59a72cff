"""Themes found in the classified findings themselves, not in a hand-made keyword list: a theme is a two-word phrase
of content words that the weaknesses and improvement items of two or more groups (councils, or one council's
inspections) share; the domain's everyday words ("children", "services") are no part of one, and themes whose
findings mostly coincide are merged."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from retrieval.ofsted import DOMAIN_WORDS

from summarizer.support import content_terms, words


@dataclass(frozen=True)
class Finding:
    """One classified finding, with the group (council or inspection) it belongs to."""

    group: str
    text: str
    ref: object = None  # what the caller needs back (an item and its record, for a citation)


@dataclass
class Theme:
    """A recurring theme: its label, the groups that raise it and their findings (the first of each group cited)."""

    label: str
    groups: list[str]
    findings: list[Finding] = field(default_factory=list)


@lru_cache(maxsize=1)
def _domain() -> frozenset[str]:
    return frozenset(content_terms(DOMAIN_WORDS))


@lru_cache(maxsize=50_000)
def _content_stem(token: str) -> str | None:
    """The stem of a content word that is not one of the domain's everyday words; None for any other token
    (cached: a digest reads every finding of every document)."""
    terms = content_terms(token)
    stem = next(iter(terms), None)
    return stem if stem is not None and stem not in _domain() else None


def _phrases(text: str) -> dict[str, str]:
    """A finding's two-word phrases of adjacent content words, stemmed, each with its first surface form."""
    toks = [w.replace("’", "'").removesuffix("'s") for w in words(text)]
    kept = [(i, t, st) for i, t in enumerate(toks) if (st := _content_stem(t)) is not None]
    surface: dict[str, str] = {}
    for (i, tok, st), (j, nxt, nst) in zip(kept, kept[1:]):
        if j == i + 1:
            surface.setdefault(f"{st} {nst}", f"{tok} {nxt}")
    return surface


def themes(findings: Sequence[Finding], min_groups: int = 2, merge: float = 0.6, limit: int = 12) -> list[Theme]:
    """The two-word phrases two or more groups' findings share, most groups first (ties: more findings, then the
    label). Phrases, not single words: on the real findings single words were connectives and verbs ("although",
    "ensure", "need"), while phrases name topics ("management oversight", "early help", "high caseloads")."""
    holders: dict[str, set[int]] = {}
    forms: dict[str, Counter] = {}
    for i, f in enumerate(findings):
        for k, form in _phrases(f.text).items():
            holders.setdefault(k, set()).add(i)
            forms.setdefault(k, Counter())[form] += 1
    groups = {k: {findings[i].group for i in idx} for k, idx in holders.items()}
    ranked = sorted((k for k, g in groups.items() if len(g) >= min_groups),
                    key=lambda k: (-len(groups[k]), -len(holders[k]), k))
    chosen: list[str] = []
    for k in ranked:
        if any(len(holders[k] & holders[c]) >= merge * min(len(holders[k]), len(holders[c])) for c in chosen):
            continue
        chosen.append(k)
        if len(chosen) >= limit:
            break
    return [Theme(label=forms[k].most_common(1)[0][0], groups=sorted(groups[k]),
                  findings=[findings[i] for i in sorted(holders[k])]) for k in chosen]


def first_per_group(theme: Theme) -> list[Finding]:
    """One finding for each group of a theme, in group order (the citation shown for it)."""
    seen: dict[str, Finding] = {}
    for f in theme.findings:
        seen.setdefault(f.group, f)
    return [seen[g] for g in theme.groups]
