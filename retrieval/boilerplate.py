"""Site boilerplate and page furniture: share/subscribe/cookie lines, credits, page numbers, running headers and
footers, and postal address blocks. Cleaning removes them (role "boilerplate"); they are never evidence.
"""
from __future__ import annotations

import re

from retrieval.reflow import TERMINAL_RE
from retrieval.text_lines import Line

PAGE_NUMBER_RE = re.compile(r"^(?:page\s*)?\d{1,3}(?:\s*(?:of|/)\s*\d{1,3})?$", re.IGNORECASE)

# Whole-line site boilerplate (matched against the whitespace-collapsed line, case-insensitive).
_BOILERPLATE_FULL = [
    r"comments? (?:are|is) (?:now )?(?:closed|disabled|turned off)\.?",
    r"(?:more|latest|read more|more stories|more articles|most read|popular) (?:from|on|in|at|by) [\w\s&'’.-]{1,40}",
    r"(?:leave|post|add|write|submit|be the first to) (?:a |your )?(?:comment|reply|response)s?\.?!?",
    r"(?:cancel reply|reply|log ?in to reply|sign in to reply|report (?:this )?(?:comment|abuse)"
    r"|reply to this comment)\.?",
    r"(?:share|tweet|email|print|save)(?: this)?(?: article| story| page| post)?(?: on [\w ]{1,20})?:?",
    r"(?:share|follow us|find us) on (?:facebook|twitter|x|linkedin|whatsapp|instagram|bluesky).{0,80}",
    r"related(?: articles| stories| posts| content| links| topics| reading| news)?:?",
    r"(?:tags|tagged|filed under|posted in|categories|category|topics)\s*:.{0,200}",
    r"(?:back to top|skip to (?:main )?content|advertisement|advert|sponsored(?: content)?|read more\.?"
    r"|read next:?.{0,120}|see also:?.{0,120}|click here.{0,120})",
    r"(?:sign in|log ?in|register|sign up|my account|menu|search)(?: \| .{0,60})?",
    r"(?:t|e|w|tel|telephone|phone|textphone|fax|email|e-mail|web|website)\s*:\s*\S.{0,80}",
    r"(?:you may (?:reuse|copy)|this (?:report|publication|document) is available at|if you would like a copy of this"
    r" document|interested in our work\?|to receive regular email alerts|further copies of this report"
    r"|this document may be reproduced|any complaints about the inspection or the report|if you would like ofsted to"
    r" send you|the office for standards in education, children[’']s services and skills"
    r" \(ofsted\) regulates).*",
]
# Boilerplate anywhere in a short line.
_BOILERPLATE_PART = [
    r"\ball rights reserved\b",
    r"©|\(c\) \d{4}|\bcopyright\b(?: ©)? ?\d{4}|\bcrown copyright\b",
    r"\b(?:web ?site|web|site) (?:design(?:ed)?|develop(?:ed|ment)|built|hosted|created) by\b",
    r"\bpowered by\b",
    r"\b(?:market research|digital agency|seo) by\b",
    r"\b(?:subscribe|unsubscribe)\b.{0,60}\b(?:newsletter|updates|email|alerts|free)\b"
    r"|\bsign up (?:for|to) (?:our|the) ",
    r"\bnewsletter\b",
    r"\b(?:we use|this (?:site|website) uses|accept(?: all)?|manage|about) cookies\b"
    r"|\bcookie (?:policy|settings|preferences|consent)\b",
    r"\bprivacy (?:policy|notice)\b.{0,40}\bterms\b|\bterms (?:and|&) conditions\b",
]
_BOILERPLATE_FULL_RE = re.compile("(?:" + "|".join(_BOILERPLATE_FULL) + r")\s*", re.IGNORECASE)
_BOILERPLATE_PART_RE = re.compile("|".join(_BOILERPLATE_PART), re.IGNORECASE)
_POSTCODE_RE = re.compile(r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}")


def is_site_line(text: str) -> bool:
    """True when the whole (whitespace-collapsed) line is a site-furniture phrase ("Leave a comment", "Share this")."""
    return bool(_BOILERPLATE_FULL_RE.fullmatch(text))


def is_boilerplate(text: str) -> bool:
    """True for a site-furniture line (comment closures, share/subscribe/cookie lines, credits...)."""
    text = text.lstrip(".,;:)]} ")
    if PAGE_NUMBER_RE.match(text):
        return True
    if _BOILERPLATE_FULL_RE.fullmatch(text):
        return True
    return len(text.split()) <= 30 and bool(_BOILERPLATE_PART_RE.search(text))


def mark_repeated_furniture(lines: list[Line], raw: str, texts: list[str]) -> None:
    """Mark running headers/footers: short lines repeated 3+ times spread across a long document."""
    if len(lines) < 40:
        return
    seen: dict[str, list[int]] = {}
    for idx, ln in enumerate(lines):
        if ln.kind != "content":
            continue
        t = texts[idx]
        if len(t) > 120:
            continue
        key = re.sub(r"\d+", "#", t.lower())
        if len(key.split()) < 4 and "#" not in key:
            continue
        seen.setdefault(key, []).append(idx)
    span = max(1, len(raw))
    for idxs in seen.values():
        if len(idxs) >= 3 and (lines[idxs[-1]].start - lines[idxs[0]].start) >= 0.4 * span:
            for idx in idxs:
                lines[idx].kind = "boilerplate"


def drop_address_blocks(paras: list[str], drop: list[bool]) -> None:
    """Mark postal address blocks (short lines ending in a UK postcode line) as boilerplate."""
    for p, t in enumerate(paras):
        if _POSTCODE_RE.fullmatch(t) or re.search(r",\s*" + _POSTCODE_RE.pattern + r"$", t) and len(t) < 80:
            drop[p] = True
            q = p - 1
            while q >= 0 and p - q <= 6 and len(paras[q].split()) <= 5 and not TERMINAL_RE.search(paras[q]):
                drop[q] = True
                q -= 1
