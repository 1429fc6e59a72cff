"""English local authorities with children's services: lookup by name/slug and mention finding in text."""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "local_authorities.csv"

# Single-word names/aliases that are also ordinary English words or common surnames/places-in-names:
# these only match when written with a capital letter.
AMBIGUOUS_WORDS = frozenset(
    {"bury", "reading", "sutton", "hull", "bath", "derby", "brent", "barnet", "poole", "halton", "wigan",
     "merton", "dudley"}
)

# Capitalised words that may sit next to a council name without making it part of another proper noun.
_DESIGNATORS = frozenset(
    {"council", "councils", "city", "county", "borough", "metropolitan", "mbc", "district", "unitary",
     "authority", "authority’s", "authority's", "corporation", "royal", "london", "children’s", "children's",
     "childrens", "children", "safeguarding", "social", "services", "local", "cabinet", "area"}
)
# Words that start sentences/clauses and are capitalised only for that reason.
_FUNCTION_WORDS = frozenset(
    """a an the in inside into on at to for from by with within without across around of and or but nor so yet
    however meanwhile since while whilst although though after before when where whereas as if because until
    unlike like both either neither also then now still only even despite during following under over
    between among amongst near outside throughout this that these those it its their there here
    we our you your they he she his her i my is are was were has have had will would should could
    may might can must do does did not no yes why how what who which whose whom all every each
    some many most more much other another such last next first in-house""".split()
)

_WORD_RE = re.compile(r"[A-Za-z][\w’'\-]*")


@dataclass(frozen=True)
class _Council:
    name: str
    slug: str
    region: str
    aliases: tuple[str, ...]
    status: str


def _norm(s: str) -> str:
    """Normalise a name or slug for lookup: lower case, '&'→'and', punctuation and separators to spaces."""
    s = s.lower().replace("&", " and ").replace("’", "'")
    s = re.sub(r"[_\-,.'()]+", " ", s)
    s = re.sub(r"^the\s+", "", s.strip())
    return re.sub(r"\s+", " ", s).strip()


@lru_cache(maxsize=1)
def _councils() -> tuple[_Council, ...]:
    """Rows of the bundled local authorities table."""
    with DATA_FILE.open(encoding="utf-8", newline="") as f:
        return tuple(
            _Council(
                name=row["name"].strip(),
                slug=row["slug"].strip(),
                region=row["region"].strip(),
                aliases=tuple(a.strip() for a in (row.get("aliases") or "").split(";") if a.strip()),
                status=(row.get("status") or "current").strip(),
            )
            for row in csv.DictReader(f)
        )


@lru_cache(maxsize=1)
def _lookup() -> dict[str, str]:
    """Normalised name/slug/alias → canonical name."""
    table: dict[str, str] = {}
    for c in _councils():
        for key in (c.name, c.slug, *c.aliases):
            table.setdefault(_norm(key), c.name)
    return table


def all_councils() -> list[str]:
    """Canonical names of all local authorities in the table (current and historic), sorted."""
    return sorted(c.name for c in _councils())


def council_region(name: str) -> str | None:
    """Region (e.g. 'North East') of a council given by name, alias or slug."""
    canon = canonical_council(name)
    return next((c.region for c in _councils() if c.name == canon), None)


def canonical_council(name_or_slug: str) -> str | None:
    """Canonical council name for a name, alias or slug (e.g. 'north_tyneside', 'Telford & Wrekin')."""
    key = _norm(name_or_slug or "")
    if not key:
        return None
    table = _lookup()
    if key in table:
        return table[key]
    stripped = re.sub(
        r"\s+(metropolitan borough council|borough council|county council|city council|council|mbc)$", "", key
    )
    stripped = re.sub(r"^(london borough of|royal borough of)\s+", "", stripped)
    return table.get(stripped)


def _form_regex(form: str) -> str:
    """Regex for one name/alias: flexible whitespace, '&'/'and' interchangeable, optional full stops."""
    parts = []
    for tok in form.split():
        if tok.lower() in ("&", "and"):
            parts.append("(?:&|and)")
        else:
            parts.append(re.escape(tok).replace(r"\.", r"\.?"))
    return r"\s+".join(parts)


_BOUNDARY_AFTER = r"(?![\w]|-(?:on|upon|under|le)-)"


@lru_cache(maxsize=1)
def _index() -> dict[str, re.Pattern[str]]:
    """First word (lower case) → one pattern of every name/alias starting with it, longest first."""
    by_key: dict[str, list[str]] = {}
    for c in _councils():
        for form in (c.name, *c.aliases):
            key = re.match(r"[A-Za-z]+", form)
            if key:
                by_key.setdefault(key.group(0).lower(), []).append(form)
    return {
        key: re.compile(
            r"(?<![\w\-])(?:" + "|".join(_form_regex(f) for f in sorted(set(forms), key=len, reverse=True)) + ")"
            + _BOUNDARY_AFTER,
            re.IGNORECASE,
        )
        for key, forms in by_key.items()
    }


def _matches(text: str) -> list[tuple[int, int]]:
    """Leftmost-longest, non-overlapping spans of council names/aliases in text."""
    index = _index()
    out: list[tuple[int, int]] = []
    last_end = 0
    for tok in re.finditer(r"[A-Za-z]+", text):
        if tok.start() < last_end:
            continue
        rx = index.get(tok.group(0).lower())
        if rx is None:
            continue
        m = rx.match(text, tok.start())
        if m:
            out.append((m.start(), m.end()))
            last_end = m.end()
    return out


@lru_cache(maxsize=1)
def _form_map() -> dict[str, str]:
    """Lower-cased, space-normalised name/alias form → canonical name."""
    out: dict[str, str] = {}
    for c in _councils():
        for form in (c.name, *c.aliases):
            out.setdefault(re.sub(r"\s+", " ", form.lower()), c.name)
    return out


def _canonical_for_match(matched: str) -> str | None:
    """Canonical name for the literal text matched by the pattern."""
    key = re.sub(r"\s+", " ", matched.lower())
    forms = _form_map()
    if key in forms:
        return forms[key]
    return canonical_council(matched)


def _prev_word(text: str, pos: int) -> tuple[str, int] | None:
    """The word ending right before pos, separated by exactly one run of spaces (no punctuation)."""
    m = re.search(r"([A-Za-z][\w’'\-]*)[ \t]+$", text[max(0, pos - 60):pos])
    if not m:
        return None
    return m.group(1), max(0, pos - 60) + m.start(1)


def _next_word(text: str, pos: int) -> str | None:
    """The word starting right after pos, separated only by spaces."""
    m = re.match(r"[ \t]+([A-Za-z][\w’'\-]*)", text[pos:pos + 60])
    return m.group(1) if m else None


def _sentence_initial(text: str, pos: int) -> bool:
    """True when pos starts a sentence, line or heading."""
    before = text[max(0, pos - 4):pos]
    return pos == 0 or bool(re.search(r"(^|[.!?:;\n\"“‘'(]\s*)$", before)) or before.endswith("\n")


def _title_case_line(text: str, pos: int) -> bool:
    """True when the line around pos is written in title case (a headline), where capitals mean little."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    line = text[start:end if end != -1 else len(text)]
    words = [w for w in _WORD_RE.findall(line) if w.lower() not in _FUNCTION_WORDS]
    if len(words) < 3 or len(line) > 160 or re.search(r"[.!?:;][\"”’']?\s*$", line):
        return False
    return sum(w[0].isupper() for w in words) / len(words) >= 0.75


def _is_designator(word: str) -> bool:
    return word.lower().rstrip("’'s") in _DESIGNATORS or word.lower() in _DESIGNATORS


def find_councils(text: str) -> list[tuple[str, int, int]]:
    """Council mentions in text as (canonical name, start, end), longest match first, left to right.

    Multi-word names match case-insensitively; single-word names that are also English words need a capital
    letter; a name used inside another proper noun ("Greater Manchester", "Devon and Cornwall Police") is skipped.
    """
    if not text:
        return []
    raw: list[tuple[str, int, int]] = []
    for start, end in _matches(text):
        matched = text[start:end]
        canon = _canonical_for_match(matched)
        if canon is None:
            continue
        if matched.lower() in AMBIGUOUS_WORDS and not matched[0].isupper():
            continue
        raw.append((canon, start, end))

    out: list[tuple[str, int, int]] = []
    i = 0
    while i < len(raw):
        # group councils chained by "and"/"&" ("Devon and Cornwall Police")
        j = i
        while j + 1 < len(raw) and re.fullmatch(r"\s+(?:and|&)\s+", text[raw[j][2]:raw[j + 1][1]]):
            j += 1
        chain = raw[i:j + 1]
        start, end = chain[0][1], chain[-1][2]
        keep = True
        if not _title_case_line(text, start):
            nxt = _next_word(text, end)
            if nxt and nxt[0].isupper() and not _is_designator(nxt):
                keep = False
            prev = _prev_word(text, start)
            if keep and prev:
                word, wpos = prev
                if word[0].isupper() and not _is_designator(word):
                    if not (_sentence_initial(text, wpos) and word.lower() in _FUNCTION_WORDS):
                        keep = False
        if keep:
            for canon, s, e in chain:
                word = text[s:e]
                if (
                    " " not in word.strip()
                    and word.lower() in AMBIGUOUS_WORDS
                    and _sentence_initial(text, s)
                    and not _title_case_line(text, s)
                ):
                    nxt = _next_word(text, e)
                    follows = text[e:e + 2]
                    if not (follows.startswith(("’", "'", ",", ".")) or (nxt and _is_designator(nxt))):
                        continue
                out.append((canon, s, e))
        i = j + 1
    return out
