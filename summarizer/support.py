"""The one exact support check of a claim against source text: numbers, dates, names, grades, negation, antonyms
and content-word coverage, with a typed result (SupportCheck: the findings, reason codes and a verdict).

Small models miss these; code catches them reliably. The answer checks, the summary evidence checks and the eval
checker's exact part all call check_claim, each choosing the checks it needs by its parameters.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property

from retrieval.bm25 import stem_words
from retrieval.dates import YEAR, years  # noqa: F401 - years is part of this module's checks
from retrieval.ofsted import MONTH_NAMES, WEEKDAYS, YEAR_TOKEN, grade_pattern, month_name, normalise_grade
from retrieval.sentences import split_sentences

from summarizer.relations import swapped_owners

_STOP = set(
    """a an the and or but if of to in on at by for with from as is are was were be been being has have had do does did
    this that these those it its they them their there here which who whom whose what when where why how not no nor
    so than then too very can could should would will shall may might must also about into over after before
    between during under above up down out off again further once all any both each few more most other some such
    only own same just now he she his her we our you your i me my said says say told according
    """.split()
)
# Spelled-out numbers, written once: each word and the number it names. number_in matches them; the quantity
# patterns (states_quantity here, the summaries' figure check) are built from the same words plus their own extras.
NUMBER_WORDS: dict[str, str] = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "twenty": "20", "hundred": "100",
}
_NUM_WORDS = NUMBER_WORDS | {"half": "50%", "twice": "2", "second": "2", "third": "3"}
_NUM = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(%|per cent|percent)?", re.I)


def number_words_pattern(*extra: str) -> re.Pattern[str]:
    """A case-insensitive whole-word regex of the spelled-out numbers (NUMBER_WORDS) plus extra words/alternatives."""
    return re.compile(r"\b(?:" + "|".join([*NUMBER_WORDS, *extra]) + r")\b", re.I)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:['’][a-z]+)?", text.lower())


def content_terms(text: str) -> set[str]:
    """Stemmed content words (stopwords and citation numbers dropped)."""
    toks = [w.replace("’", "'").removesuffix("'s") for w in words(re.sub(r"\[\d+(?:,\s*\d+)*\]", " ", text))]
    toks = [t for t in toks if t not in _STOP and len(t) > 1 and not t.isdigit()]
    return set(stem_words(toks))


def numbers(text: str) -> set[str]:
    """Numbers as normalised strings ('67%', '94', '5.1'); citation markers like [1] are ignored."""
    text = re.sub(r"\[\d+(?:,\s*\d+)*\]", " ", text)
    out = set()
    for m in _NUM.finditer(text):
        n = m.group(1).replace(",", "")
        out.add(n + "%" if m.group(2) else n)
    return out


def number_in(num: str, source: str, source_nums: set[str] | None = None) -> bool:
    """A number is present if it appears as a number, as a percentage, or spelled out in the source."""
    nums = source_nums if source_nums is not None else numbers(source)
    if num in nums or num.rstrip("%") in {n.rstrip("%") for n in nums}:
        return True
    src_words = set(words(source))
    return any(_NUM_WORDS.get(w) == num for w in src_words)


_CAP = re.compile(r"[A-Z][a-z]+(?:-[A-Z]?[a-z]+)*(?:['’]s)?(?![\w’'])|\S+")
_CONNECT = {"of", "upon", "on", "le"}


def names(text: str) -> set[str]:
    """Capitalised words and runs of them: people, places, organisations (a lone sentence-initial word is skipped)."""
    out: set[str] = set()
    run: list[str] = []
    run_initial = False
    initial = True

    def flush() -> None:
        while run and run[-1] in _CONNECT:
            run.pop()
        if run and not (run_initial and len(run) == 1):
            out.add(" ".join(run))
        run.clear()

    for m in _CAP.finditer(text):
        tok = m.group(0)
        is_cap = bool(re.fullmatch(r"[A-Z][a-z]+(?:-[A-Z]?[a-z]+)*(?:['’]s)?", tok))
        if is_cap:
            if not run:
                run_initial = initial
            run.append(re.sub(r"['’]s$", "", tok))
        elif run and tok in _CONNECT:
            run.append(tok)
        else:
            flush()
        initial = bool(re.search(r"[.!?:;\"“(\[]$", tok))
    flush()
    return {n for n in out if len(n) > 2}


def name_in(name: str, source: str) -> bool:
    low = source.lower()
    parts = [p for p in re.split(r"\s+", name) if p.lower() not in {"of", "upon", "and"}]
    return name.lower() in low or all(p.lower() in low for p in parts)


_NEG = re.compile(r"\b(not|no|never|none|nor|cannot|can't|isn't|wasn't|aren't|weren't|doesn't|didn't|don't|hasn't|haven't|failed to|lack|without)\b", re.I)


_GRADE = re.compile(r"\b(" + grade_pattern(("inadequate", "outstanding", "requires improvement", "adequate")) + r")\b",
                    re.I)


def grades(text: str) -> set[str]:
    """Ofsted judgement words other than the everyday 'good' (which is checked as an ordinary word)."""
    return {normalise_grade(m.group(1)) for m in _GRADE.finditer(text)}


def dates(text: str) -> set[str]:
    """Month names (normalised, capitalised in the text) and four-digit years in text."""
    out = set()
    for w in re.findall(r"[A-Za-z]+\.?|\d{4}", text):
        if w.isdigit():
            if YEAR_TOKEN.match(w):
                out.add(w)
        elif w[:1].isupper() and (m := month_name(w)):
            out.add(m)
    return out


def negation_flip(claim: str, source_sentence: str) -> bool:
    """True when the claim and its closest source sentence disagree on negation."""
    return bool(_NEG.search(claim)) != bool(_NEG.search(source_sentence))



# Words that flip a claim when one stands where the source has the other. Ofsted's four grades are one group:
# each excludes the others.
ANTONYMS: list[tuple[str, ...]] = [
    ("outstanding", "good", "inadequate"), ("increase", "decrease"), ("increased", "decreased", "reduced"),
    ("rise", "fall"), ("rose", "fell"), ("higher", "lower"), ("more", "fewer", "less"), ("most", "least"),
    ("before", "after"), ("earlier", "later"), ("first", "last"), ("positive", "negative"), ("win", "lose"),
    ("won", "lost"), ("success", "failure"), ("successful", "unsuccessful"), ("improved", "deteriorated", "declined", "worsened"),
    ("improve", "deteriorate", "decline", "worsen"), ("strong", "weak"), ("strengths", "weaknesses"),
    ("safe", "unsafe"), ("effective", "ineffective"), ("adequate", "inadequate"), ("able", "unable"),
    ("accept", "reject"), ("accepted", "rejected"), ("approve", "oppose"), ("approved", "rejected", "opposed"),
    ("allow", "ban", "forbid"), ("allowed", "banned", "forbidden"), ("support", "oppose"), ("supported", "opposed"),
    ("open", "closed"), ("opened", "closed"), ("start", "end"), ("started", "ended", "finished"),
    ("begin", "end"), ("began", "ended"), ("buy", "sell"), ("bought", "sold"), ("large", "small"),
    ("larger", "smaller"), ("largest", "smallest"), ("big", "small"), ("long", "short"), ("high", "low"),
    ("old", "new", "young"), ("older", "newer", "younger"), ("oldest", "newest", "youngest"), ("early", "late"),
    ("north", "south"), ("east", "west"), ("northern", "southern"), ("eastern", "western"), ("up", "down"),
    ("above", "below"), ("inside", "outside"), ("public", "private"), ("male", "female"), ("men", "women"),
    ("man", "woman"), ("boy", "girl"), ("husband", "wife"), ("father", "mother"), ("son", "daughter"),
    ("brother", "sister"), ("guilty", "innocent"), ("legal", "illegal"), ("true", "false"), ("cheap", "expensive"),
    ("rich", "poor"), ("happy", "sad"), ("hot", "cold"), ("dead", "alive"), ("killed", "injured", "survived"),
    ("arrested", "released"), ("maximum", "minimum"), ("majority", "minority"), ("always", "never"),
    ("all", "none"), ("everyone", "nobody"), ("agree", "disagree"), ("agreed", "disagreed", "refused"),
    ("like", "dislike"), ("love", "hate"), ("gain", "loss"), ("profit", "loss"), ("winner", "loser"),
    ("import", "export"), ("imports", "exports"), ("domestic", "foreign"), ("internal", "external"),
    ("victory", "defeat"), ("attack", "defence", "defense"), ("permanent", "temporary"), ("full", "empty"),
    ("light", "heavy"), ("fast", "slow"), ("quickly", "slowly"), ("easy", "difficult", "hard"),
]


_ANTONYM_INDEX: dict[str, set[str]] | None = None


def antonym_index() -> dict[str, set[str]]:
    """Stemmed word -> stems of its antonyms."""
    global _ANTONYM_INDEX
    if _ANTONYM_INDEX is None:
        idx: dict[str, set[str]] = {}
        for group in ANTONYMS:
            stems = stem_words(list(group))
            for s in stems:
                idx.setdefault(s, set()).update(t for t in stems if t != s)
        _ANTONYM_INDEX = idx
    return _ANTONYM_INDEX


class SourceFacts:
    """A source's terms, numbers, dates and sentences, computed once (each when first needed) for every claim."""

    def __init__(self, source: str) -> None:
        self.text = source

    @cached_property
    def terms(self) -> set[str]:
        return content_terms(self.text)

    @cached_property
    def numbers(self) -> set[str]:
        return numbers(self.text)

    @cached_property
    def dates(self) -> set[str]:
        return dates(self.text)

    @cached_property
    def grades(self) -> set[str]:
        return grades(self.text)

    @cached_property
    def sentences(self) -> list[str]:
        return [self.text[s:e] for s, e in split_sentences(self.text)]

    @cached_property
    def sent_terms(self) -> list[set[str]]:
        return [content_terms(s) for s in self.sentences]


def closest_sentence(claim: str, source_sents: list[str], sent_terms: list[set[str]] | None = None) -> tuple[int, float]:
    """Index of the source sentence sharing most of the claim's content terms, and that share."""
    ct = content_terms(claim)
    if not ct or not source_sents:
        return -1, 0.0
    sent_terms = sent_terms if sent_terms is not None else [content_terms(s) for s in source_sents]
    best, share = -1, 0.0
    for i, st in enumerate(sent_terms):
        sh = len(ct & st) / len(ct)
        if sh > share:
            best, share = i, sh
    return best, share


class Reason(Enum):
    """Why a claim is not supported, in the order the checks report them."""

    NUMBER = "number"  # a number in the claim is not in the source
    DATE = "date"  # a month or year in the claim is not in the source
    GRADE = "grade"  # an Ofsted grade in the claim is not in the source
    NAME = "name"  # a person, place or organisation in the claim is not in the source
    NEGATION = "negation"  # the claim and its closest source sentence disagree on negation
    ANTONYM = "antonym"  # a word of the claim stands where its closest source sentence has the opposite
    SWAP = "swap"  # "X's thing" where the source gives that thing to another party the claim names (relations.py)
    COVERAGE = "coverage"  # too few of the claim's content words are in the source


@dataclass
class SupportCheck:
    """What code alone can say about a claim against a source: the findings, the reasons they raise, a verdict."""

    coverage: float  # share of the claim's content terms found in the source
    missing_numbers: list[str] = field(default_factory=list)
    missing_names: list[str] = field(default_factory=list)
    missing_terms: list[str] = field(default_factory=list)
    missing_grades: list[str] = field(default_factory=list)
    missing_dates: list[str] = field(default_factory=list)
    negation_flip: bool = False
    antonym_flip: list[str] = field(default_factory=list)  # "claim-word/source-word"
    swapped: list[str] = field(default_factory=list)  # "claim-owner/source-owner"
    closest: str = ""  # the source sentence closest to the claim (when contradictions were checked)
    min_coverage: float = 0.0  # the coverage below which Reason.COVERAGE is raised

    @property
    def reasons(self) -> list[Reason]:
        found = {Reason.NUMBER: self.missing_numbers, Reason.DATE: self.missing_dates,
                 Reason.GRADE: self.missing_grades, Reason.NAME: self.missing_names,
                 Reason.NEGATION: self.negation_flip, Reason.ANTONYM: self.antonym_flip, Reason.SWAP: self.swapped,
                 Reason.COVERAGE: self.coverage < self.min_coverage}
        return [r for r in Reason if found[r]]

    @property
    def supported(self) -> bool:
        """The verdict: no reason raised."""
        return not self.reasons

    @property
    def hard_fail(self) -> bool:
        """A number, name or grade the source lacks, or a reversed relation (the answer path's veto)."""
        return bool(self.missing_numbers or self.missing_names or self.missing_grades or self.swapped)

    @property
    def flags(self) -> list[str]:
        """The reasons other than coverage, as the eval checker's flag names."""
        return [r.value for r in self.reasons if r is not Reason.COVERAGE]


_CALENDAR = set(MONTH_NAMES) | WEEKDAYS


def _missing_names(claim_names: Iterable[str], where: str, calendar: bool) -> list[str]:
    """Names the text lacks, in the order given; with calendar, month and weekday names are left to the date check."""
    out: dict[str, None] = {}
    for n in claim_names:
        if not n or name_in(n, where):
            continue
        if calendar and (n.lower() in _CALENDAR or all(w.lower() in _CALENDAR for w in n.split())):
            continue
        out[n] = None
    return list(out)


def _contradictions(claim: str, sf: SourceFacts, missing_terms: Iterable[str]) -> tuple[bool, list[str], str]:
    """Negation flip (when the closest sentence shares at least half the claim's words), antonym flips, closest."""
    i, share = closest_sentence(claim, sf.sentences, sf.sent_terms)
    if i < 0:
        return False, [], ""
    closest = sf.sentences[i]
    neg = share >= 0.5 and negation_flip(claim, closest)
    idx, near = antonym_index(), sf.sent_terms[i]
    flips = [f"{t}/{a}" for t in missing_terms for a in idx.get(t, ()) if a in near]
    return neg, sorted(flips), closest


def check_claim(claim: str, source: str | SourceFacts, *, names_source: str | None = None,
                claim_names: Iterable[str] | None = None, check_grades: bool = True, check_dates: bool = False,
                check_contradictions: bool = False, min_coverage: float = 0.0) -> SupportCheck:
    """The exact support of claim by source.

    names_source: where the claim's names are looked for (default the source); claim_names: the names to look for
    (default names(claim)). check_dates also keeps the claim's years out of the number check and its month and weekday
    names out of the name check; check_contradictions adds the negation and antonym checks against the closest source
    sentence; min_coverage raises Reason.COVERAGE below that share of content words.
    """
    sf = source if isinstance(source, SourceFacts) else SourceFacts(source)
    terms = content_terms(claim)
    missing_terms = terms - sf.terms
    coverage = 1.0 if not terms else 1 - len(missing_terms) / len(terms)
    claim_dates = dates(claim) if check_dates else set()
    yrs = {d for d in claim_dates if d.isdigit()}
    chk = SupportCheck(coverage, min_coverage=min_coverage, missing_terms=sorted(missing_terms))
    chk.missing_numbers = sorted(n for n in numbers(claim) if n not in yrs and not number_in(n, sf.text, sf.numbers))
    chk.missing_dates = sorted(d for d in claim_dates
                               if d not in sf.dates and not (d.isdigit() and number_in(d, sf.text, sf.numbers)))
    if claim_names is None:
        found = names(claim)
        claim_names = sorted({re.sub(r"['’]s$", "", n) for n in found} if check_dates else found)
    where = sf.text if names_source is None else names_source
    chk.missing_names = _missing_names(claim_names, where, calendar=check_dates)
    if check_grades:
        chk.missing_grades = sorted(grades(claim) - sf.grades)
    chk.swapped = swapped_owners(claim, sf.text)
    if check_contradictions:
        chk.negation_flip, chk.antonym_flip, chk.closest = _contradictions(claim, sf, missing_terms)
    return chk


def check_support(claim: str, source: str) -> SupportCheck:
    """The answer path's check: numbers, names and grades of claim in source, and its word coverage."""
    return check_claim(claim, source)


_QUANTITY_WORDS = number_words_pattern("thirty", "forty", "fifty", "hundreds", "thousands?", "dozens?", "twice", "half",
                                       "third", "quarter", "all", "none", "majority", "minority")
_ASKS_QUANTITY = re.compile(r"\bhow\s+(?:many|much)\b|\bwhat\s+(?:proportion|percentage|share|number|figure|amount)\b",
                            re.I)


def asks_quantity(question: str) -> bool:
    """Does the question ask for a count, amount or proportion?"""
    return bool(_ASKS_QUANTITY.search(question))


def states_quantity(text: str) -> bool:
    """Does the text state a count, amount or proportion (digits, or words like 'twice', 'half', 'none')?"""
    return bool(numbers(YEAR.sub(" ", text))) or bool(_QUANTITY_WORDS.search(text))
