"""The Ofsted domain vocabulary, written once: grades and their wordings, judgement areas, inspection kinds, months
and year patterns. Retrieval, the summaries, the answer checks and the eval all import it from here."""
from __future__ import annotations

import re

# The grades, in the order the summary schema lists them ("adequate" is the SIF framework's, before 2014).
GRADES: tuple[str, ...] = ("inadequate", "requires improvement", "good", "outstanding", "adequate")
# The four ILACS grades, best first (the published grades.csv uses these).
ILACS_GRADES: tuple[str, ...] = ("outstanding", "good", "requires improvement", "inadequate")

# Regex wordings of each grade (no groups). "requires improvement to be good" is the ILACS grade's full name.
REQUIRES_IMPROVEMENT = r"requires?\s+improvement(?:\s+to\s+be\s+good)?"
_LOOSE_RI = r"requiring\s+improvement|needs?\s+improvement"  # how articles paraphrase it
_WORDINGS = {"outstanding": "outstanding", "good": "good", "requires improvement": REQUIRES_IMPROVEMENT,
             "inadequate": "inadequate", "adequate": "adequate"}


def grade_pattern(grades: tuple[str, ...] = GRADES, loose: bool = False) -> str:
    """A non-capturing regex alternative of the grades' wordings; loose adds 'requiring/needs improvement'."""
    alts = [_WORDINGS[g] for g in grades]
    if loose and "requires improvement" in grades:
        alts.append(_LOOSE_RI)
    return "(?:" + "|".join(alts) + ")"


# Per grade, the pattern that finds it in evidence ("adequate" not inside "inadequate", "good" as a whole word).
GRADE_EVIDENCE: dict[str, str] = {
    "inadequate": r"inadequate",
    "requires improvement": r"requires?\s+improvement|" + _LOOSE_RI,
    "good": r"\bgood\b",
    "outstanding": r"outstanding",
    "adequate": r"(?<!in)adequate",
}


def normalise_grade(text: str) -> str:
    """Canonical grade of a matched wording: outstanding | good | requires improvement | inadequate | adequate."""
    t = re.sub(r"\s+", " ", text.lower()).strip()
    if "improvement" in t or t.startswith("requir"):
        return "requires improvement"
    return t


def norm_grade(value: str | None) -> str | None:
    """A grade as published (grades.csv cells, summary fields), canonical; None for empty or 'pre-dates' cells."""
    if not value:
        return None
    g = value.strip().lower()
    if g == "inspection_pre_dates_judgement":
        return None
    return "requires improvement" if "improvement" in g else g


# Judgement areas (short names), and how the ILACS judgement table words each one.
AREAS: tuple[str, ...] = ("overall effectiveness", "impact of leaders", "help and protection", "children in care",
                          "care leavers")
AREA_WORDINGS: dict[str, str] = {
    "overall effectiveness": "overall effectiveness",
    "impact of leaders": "the impact of leaders on social work practice with children and families",
    "help and protection": "the experiences and progress of children who need help and protection",
    "children in care": "the experiences and progress of children in care",
    "care leavers": "the experiences and progress of care leavers",
}
# grades.csv column -> area
AREA_COLUMNS: dict[str, str] = {
    "overall_effectiveness": "overall effectiveness",
    "impact_of_leaders": "impact of leaders",
    "help_and_protection": "help and protection",
    "in_care": "children in care",
    "care_leavers": "care leavers",
}

INSPECTION_KINDS: tuple[str, ...] = ("full inspection", "monitoring visit", "focused visit", "other")

# Months: full names in order, and every spelling (full or abbreviated, lower case) -> month number.
MONTH_NAMES: tuple[str, ...] = ("january", "february", "march", "april", "may", "june", "july", "august",
                                "september", "october", "november", "december")
MONTHS: dict[str, int] = ({name: i + 1 for i, name in enumerate(MONTH_NAMES)}
                          | {name[:3]: i + 1 for i, name in enumerate(MONTH_NAMES)} | {"sept": 9})
MONTH_PATTERN = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"  # a month word, loosely
WEEKDAYS: frozenset[str] = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})


def month_name(word: str) -> str | None:
    """The full month name for a month word ('Sept.' -> 'september'), else None."""
    n = MONTHS.get(word.lower().rstrip("."))
    return MONTH_NAMES[n - 1] if n else None


# Years: a year named in running text (1950-2099), a year of the inspection era in metadata (1990-2039, not part of
# a larger number or sum), and a whole token that is a year (1800-2099) for the claim checks.
YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")
ERA_YEAR = re.compile(r"(?<![\d£$])(?<!\d[,.])(?:199\d|20[0-3]\d)(?!\d|[,.]\d)")
YEAR_TOKEN = re.compile(r"^(1[89]\d\d|20\d\d)$")


# how a question or answer speaks of a judgement without naming the grade (synonyms of one another, not premises)
# Words nearly every document of this domain uses: they say what a question is about only with other words.
DOMAIN_WORDS = ("children child children's services service council councils authority authorities local social work "
                "workers worker care ofsted inspection inspections inspector inspectors report reports article articles "
                "area areas")
JUDGEMENT_WORDS = "grade graded grades grading rate rated rating ratings judgement judgements judgment judged verdict"
