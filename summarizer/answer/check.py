"""Exact checks, no model: what the question asks that no passage holds (for the gate), and each generated sentence
against the passages it cites (as composing completes it)."""
from __future__ import annotations

import re
from functools import lru_cache

from retrieval.councils import find_councils
from retrieval.dates import year_ranges
from retrieval.instructions import has_instructions, strip_instructions
from retrieval.ofsted import DOMAIN_WORDS, JUDGEMENT_WORDS

from summarizer.answer.cards import card_conflict
from summarizer.answer.prompts import LIST_MARK
from summarizer.answer.records import AnswerSentence, DropCode, DropReason, Passage
from summarizer.support import check_support, content_terms, name_in, names, number_in, numbers, years

# a passage heading the model copied into its sentence ("(Darlington; 2015-09-01)"): ours, not the document's
_HEADING = re.compile(r"\((?:[^()]{0,80}; )?(?:\d{4}-\d{2}-\d{2}|undated)\)\s*")
_CITE = re.compile(r"\s*\[(\d+(?:\s*(?:,|and|&)\s*\d+)*)\]")
# how a question frames what it asks (speech, naming, the articles themselves): an answer repeating one of these has
# not repeated an unsupported premise ("Who spoke for..." is answered by a passage where someone "said")
_GENERIC_NAMES = {"Ofsted", "Council", "Children", "Services", "Social", "Inspectors", "Inspection"}
_FRAMING_WORDS = ("say said says spoke speak speaking call called calls sign signed want wanted wants name named "
                  "names mention mentioned mentions cover covered covers describe described describes something "
                  "tell told get got gets give gave given receive received article articles report reported reports")


# words that name the kind of answer wanted or frame an event or a comparison, not its topic: "in which month" is
# answered by "April", "when did it take place" by a date, "how did the view differ" by what each side says
_ANSWER_TYPE_WORDS = ("which what whose many much month months year years date dates day days time times place "
                      "number numbers amount figure figures percentage proportion compare compared comparison "
                      "differ differed difference change changed view later earlier take took taken happen happened")


@lru_cache(maxsize=1)
def _framing_terms() -> frozenset[str]:
    return frozenset(content_terms(f"{_FRAMING_WORDS} {JUDGEMENT_WORDS} {_ANSWER_TYPE_WORDS}"))


@lru_cache(maxsize=1)
def _generic_terms() -> frozenset[str]:
    return _framing_terms() | frozenset(content_terms(DOMAIN_WORDS))


def focus_terms(question: str) -> set[str]:
    """What a question asks about beyond its framing, the domain's everyday words and the councils it names."""
    councils = " ".join(n for n, _, _ in find_councils(question))
    return content_terms(question) - _generic_terms() - content_terms(councils)


# derivational endings left on a stem ("intervent" of intervention, "assessor"): two stems sharing a root once one
# is cut are one word for the premise check ("intervention" is held by an article saying "intervene")
_DERIVED = ("ation", "ition", "ution", "tion", "sion", "ment", "ness", "ance", "ence", "ship", "iti", "ive", "al",
            "er", "or", "ant", "ent", "ic", "e", "t")
_MIN_ROOT = 5


def _roots(stem: str) -> set[str]:
    """The stem, and the stem cut of each derivational ending it has where at least _MIN_ROOT letters remain."""
    return {stem} | {stem[: -len(end)] for end in _DERIVED if stem.endswith(end) and len(stem) - len(end) >= _MIN_ROOT}


def premise_words(question: str, text: str, known: set[str], min_len: int = 1) -> list[str]:
    """The question's words that text repeats and no article found holds, as a word or a derivation of one
    (framing and judgement words aside), as the question spells them."""
    asked = (content_terms(text) & content_terms(question)) - known - _framing_terms()
    roots = set().union(*(_roots(k) for k in known)) if asked else set()
    premise = {t for t in asked if not _roots(t) & roots}
    shown = [w for w in re.findall(r"[A-Za-z][\w'’-]*", question) if len(w) >= min_len and content_terms(w) & premise]
    return list(dict.fromkeys(shown))


def question_gaps(question: str, passages: list[Passage], articles: list[str] | None = None) -> list[str]:
    """Years, numbers and names the question asks about that neither the passages nor their articles mention."""
    evidence = " ".join(f"{p.title} {p.date or ''} {p.text}" for p in passages) + " " + " ".join(articles or [])
    # a report is published some months after its inspection: an article dated 2016 may describe a 2015 visit
    years_shown = {int(p.date[:4]) for p in passages if p.date and p.date[:4].isdigit()}
    evidence += " " + " ".join(str(y - 1) for y in years_shown)
    gaps = [n for n in numbers(question) if not number_in(n, evidence)]
    for name in names(question):
        parts = name.split()
        if question.lstrip().startswith(name):  # a sentence-initial word may be a verb ("Ask", "Did")
            parts = parts[1:]
        parts = [w for w in parts if w not in _GENERIC_NAMES]
        if parts and not name_in(" ".join(parts), evidence):
            gaps.append(name)
    return gaps


def parse_sentence(raw: str) -> tuple[str, list[int]]:
    """Split a generated sentence into its text and cited passage numbers."""
    cites: list[int] = []
    for m in _CITE.finditer(raw):
        cites.extend(int(x) for x in re.findall(r"\d+", m.group(1)))
    text = _HEADING.sub("", _CITE.sub("", raw)).strip()
    text = LIST_MARK.sub("", text)
    text = re.sub(r"\s+([.,;:])", r"\1", text)
    return text, list(dict.fromkeys(cites))


def _exact(text: str, source: str, min_support: float) -> tuple[DropReason | None, float]:
    chk = check_support(text, source)
    if chk.missing_numbers:
        return DropReason(DropCode.MISSING_NUMBERS, {"items": list(chk.missing_numbers)}), chk.coverage
    if chk.missing_grades:
        return DropReason(DropCode.MISSING_GRADES, {"items": list(chk.missing_grades)}), chk.coverage
    if chk.missing_names:
        return DropReason(DropCode.MISSING_NAMES, {"items": list(chk.missing_names)}), chk.coverage
    if chk.swapped:
        return DropReason(DropCode.SWAPPED, {"items": list(chk.swapped)}), chk.coverage
    if chk.coverage < min_support:
        return DropReason(DropCode.LOW_COVERAGE, {"coverage": chk.coverage}), chk.coverage
    return None, chk.coverage


@lru_cache(maxsize=4096)
def named_councils(text: str) -> frozenset[str]:
    """The councils a text names (cached: every sentence's check, and each re-citation, reads the same passages)."""
    return frozenset(name for name, _, _ in find_councils(text))


def _about(p: Passage) -> set[str]:
    """The councils a passage is about: those its text names, else its document's own council."""
    return set(named_councils(p.text)) or set(p.councils[:1])


def other_councils(text: str, cited: list[Passage]) -> list[str]:
    """Councils the sentence names that none of its cited passages is about (a finding about one council restated
    as another's: the words match, the subject does not)."""
    about = set().union(*(_about(p) for p in cited)) if cited else set()
    return [c for c in dict.fromkeys(n for n, _, _ in find_councils(text)) if c not in about]


def verdict(text: str, cited: list[Passage], min_support: float) -> tuple[DropReason | None, float]:
    """Why the cited passages fail to support text (None when they support it), and the word coverage.

    Text addressed to a model inside a passage is not evidence: support that rests on it alone is refused."""
    if not cited:
        return DropReason(DropCode.NO_CITATION), 0.0
    # titles are ours, not evidence; the councils a passage is about are read by code and shown in its heading
    raw = " ".join(f"{', '.join(p.councils[:3])} {p.date or ''} {p.text}" for p in cited)
    why, cov = _exact(text, strip_instructions(raw) if has_instructions(raw) else raw, min_support)
    if why is not None and has_instructions(raw) and _exact(text, raw, min_support)[0] is None:
        return DropReason(DropCode.INSTRUCTION_ONLY), cov
    if why is None and (others := other_councils(text, cited)):
        return DropReason(DropCode.OTHER_COUNCIL, {"items": others}), cov
    return why, cov


def _premise_or_year(text: str, cites: list[int], question: str, known: set[str]) -> AnswerSentence | None:
    """A sentence repeating a question word no article holds, or about another year than the question asks."""
    shown = premise_words(question, text, known)
    if shown:
        return AnswerSentence.dropped(text, cites, DropReason(DropCode.PREMISE, {"words": shown}))
    asked, stated = year_ranges(question), years(text)
    lo, hi = (min(r[0] for r in asked), max(r[1] for r in asked)) if asked else (0, 0)
    if asked and stated and not any(lo <= y <= hi for y in stated):  # between the years asked, or within a bound
        return AnswerSentence.dropped(text, cites, DropReason(DropCode.OTHER_YEAR, {
            "stated": sorted(stated), "asked": sorted(years(question))}))
    return None


def check_sentence(raw: str, passages: list[Passage], min_support: float, question: str = "",
                   known_terms: set[str] | None = None) -> AnswerSentence:
    """Keep a sentence only if its cited passages contain its numbers, names and most of its words.

    A sentence citing the wrong passage (or none) is re-cited when one shown passage clearly supports it. A word
    taken from the question that neither the passages nor their articles contain (known_terms) sinks it too.
    """
    text, cites = parse_sentence(raw)
    if len(re.findall(r"[A-Za-z]{2,}", text)) < 2:
        return AnswerSentence.dropped(text, cites, DropReason(DropCode.NOT_A_SENTENCE))
    if question:
        known = known_terms if known_terms is not None else content_terms(" ".join(p.text for p in passages))
        if (early := _premise_or_year(text, cites, question, known)) is not None:
            return early
    by_n = {p.n: p for p in passages}
    valid = [c for c in cites if c in by_n]
    why, coverage = verdict(text, [by_n[c] for c in valid], min_support)
    misread = card_conflict(text, passages, valid)  # wrong whichever passage it cites: no rescue
    if misread:
        return AnswerSentence.dropped(text, valid, DropReason(DropCode.CARD_CONFLICT, {"reason": misread}), coverage)
    if why is None:
        note = "citation to a passage that does not exist was removed" if valid != cites else ""
        return AnswerSentence(text, valid, True, coverage, note)
    best = None  # a clear match in another single passage: correct the citation rather than lose the sentence
    for p in passages:
        if p.n not in valid:
            reason, cov = verdict(text, [p], max(min_support, 0.7))
            if reason is None and (best is None or cov > best[1]):
                best = (p.n, cov)
    if best is not None:
        note = "citation added by the checker" if not valid else f"citation corrected by the checker (was {valid})"
        return AnswerSentence(text, [best[0]], True, best[1], note)
    return AnswerSentence.dropped(text, valid, why, coverage)
