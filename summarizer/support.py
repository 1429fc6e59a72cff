"""Cheap exact checks of a claim against source text: numbers, names, and content-word support.

Small models miss these; code catches them reliably. Used when answering and by the faithfulness checker.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from retrieval.dates import YEAR, years  # noqa: F401 - years is part of this module's checks

_STOP = set(
    """a an the and or but if of to in on at by for with from as is are was were be been being has have had do does did
    this that these those it its they them their there here which who whom whose what when where why how not no nor
    so than then too very can could should would will shall may might must also about into over after before
    between during under above up down out off again further once all any both each few more most other some such
    only own same just now he she his her we our you your i me my said says say told according
    """.split()
)
_NUM_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "twenty": "20", "hundred": "100",
    "half": "50%", "twice": "2", "second": "2", "third": "3",
}
_NUM = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(%|per cent|percent)?", re.I)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:['’][a-z]+)?", text.lower())


def content_terms(text: str) -> set[str]:
    """Stemmed content words (stopwords and citation numbers dropped)."""
    toks = [w.replace("’", "'").removesuffix("'s") for w in words(re.sub(r"\[\d+(?:,\s*\d+)*\]", " ", text))]
    toks = [t for t in toks if t not in _STOP and len(t) > 1 and not t.isdigit()]
    return set(_stemmer().stemWords(toks))


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


@dataclass
class SupportCheck:
    """How well a claim is covered by a source, by exact means."""

    coverage: float  # share of the claim's content terms found in the source
    missing_numbers: list[str] = field(default_factory=list)
    missing_names: list[str] = field(default_factory=list)
    missing_terms: list[str] = field(default_factory=list)
    missing_grades: list[str] = field(default_factory=list)

    @property
    def hard_fail(self) -> bool:
        return bool(self.missing_numbers or self.missing_names or self.missing_grades)


_GRADE = re.compile(r"\b(inadequate|outstanding|requires? improvement|adequate)\b", re.I)


def grades(text: str) -> set[str]:
    """Ofsted judgement words other than the everyday 'good' (which is checked as an ordinary word)."""
    return {re.sub(r"^require ", "requires ", m.group(1).lower()) for m in _GRADE.finditer(text)}


def check_support(claim: str, source: str) -> SupportCheck:
    """Exact evidence for claim in source."""
    terms = content_terms(claim)
    src_terms = content_terms(source)
    missing_terms = sorted(terms - src_terms)
    coverage = 1.0 if not terms else 1 - len(missing_terms) / len(terms)
    src_nums = numbers(source)
    missing_numbers = sorted(n for n in numbers(claim) if not number_in(n, source, src_nums))
    missing_names = sorted(n for n in names(claim) if not name_in(n, source))
    missing_grades = sorted(grades(claim) - grades(source))
    return SupportCheck(coverage, missing_numbers, missing_names, missing_terms, missing_grades)


def negation_flip(claim: str, source_sentence: str) -> bool:
    """True when the claim and its closest source sentence disagree on negation."""
    return bool(_NEG.search(claim)) != bool(_NEG.search(source_sentence))


_QUANTITY_WORDS = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundreds?|"
    r"thousands?|dozens?|twice|half|third|quarter|all|none|majority|minority)\b", re.I)
_ASKS_QUANTITY = re.compile(r"\bhow\s+(?:many|much)\b|\bwhat\s+(?:proportion|percentage|share|number|figure|amount)\b",
                            re.I)


def asks_quantity(question: str) -> bool:
    """Does the question ask for a count, amount or proportion?"""
    return bool(_ASKS_QUANTITY.search(question))


def states_quantity(text: str) -> bool:
    """Does the text state a count, amount or proportion (digits, or words like 'twice', 'half', 'none')?"""
    return bool(numbers(YEAR.sub(" ", text))) or bool(_QUANTITY_WORDS.search(text))
