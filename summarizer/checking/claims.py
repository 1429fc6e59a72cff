"""Split text into atomic claims: sentences, then clauses joined by 'and' / 'but' / ';' that each carry a verb.

No parser is available offline, so verbs are found by a small lexicon plus the '-ed' ending; a split happens only
when both sides have their own verb, so noun lists ("Torbay and Darlington were rated inadequate") stay whole.
When the right-hand clause has no subject of its own ("... and said leaders had failed"), the left clause's subject
is carried over, so every claim can be checked on its own.
"""
from __future__ import annotations

import re

from retrieval.sentences import split_sentences

_CITE = re.compile(r"\s*\[\d+(?:\s*(?:,|and|&)\s*\d+)*\]")

_AUX = {
    "is", "are", "was", "were", "be", "been", "being", "am", "has", "have", "had", "having", "will", "would",
    "can", "could", "should", "shall", "may", "might", "must", "does", "do", "did", "isn't", "wasn't", "aren't",
    "weren't", "hasn't", "haven't", "hadn't", "won't", "wouldn't", "can't", "cannot", "couldn't", "shouldn't",
    "doesn't", "don't", "didn't",
}
_VERBS = {
    "say", "says", "said", "find", "finds", "found", "rate", "rates", "rated", "judge", "judges", "judged", "make",
    "makes", "made", "take", "takes", "took", "give", "gives", "gave", "get", "gets", "got", "go", "goes", "went",
    "come", "comes", "came", "see", "sees", "saw", "know", "knows", "knew", "show", "shows", "shown", "tell",
    "tells", "told", "put", "puts", "set", "sets", "keep", "keeps", "kept", "leave", "leaves", "left", "become",
    "becomes", "became", "begin", "begins", "began", "remain", "remains", "need", "needs", "lead", "leads", "led",
    "hold", "holds", "held", "meet", "meets", "met", "pay", "pays", "paid", "run", "runs", "ran", "bring",
    "brings", "brought", "write", "writes", "wrote", "lose", "loses", "lost", "spend", "spends", "spent", "grow",
    "grows", "grew", "fall", "falls", "fell", "rise", "rises", "rose", "win", "wins", "won", "think", "thinks",
    "thought", "feel", "feels", "felt", "seem", "seems", "want", "wants", "warn", "warns", "add", "adds",
    "remain", "lack", "lacks", "fail", "fails", "face", "faces", "include", "includes", "call", "calls",
    "describe", "describes", "help", "helps", "work", "works", "improve", "improves", "receive", "receives",
    "require", "requires", "cut", "cuts", "sent", "sends", "send", "sought", "hit", "hits", "told", "says",
}
_PRONOUN_SUBJ = {"i", "we", "you", "he", "she", "it", "they", "this", "that", "there", "which", "who"}
_JOIN = re.compile(r"\s*;\s*|,?\s+\b(and|but|while|whereas)\b\s+", re.I)


def _tokens(text: str) -> list[str]:
    return re.findall(r"[A-Za-z][A-Za-z'’\-]*", text)


def is_verb(tok: str) -> bool:
    t = tok.lower().replace("’", "'")
    if t in _AUX or t in _VERBS:
        return True
    if tok[:1].isupper():  # "Ofsted", "Sheffield": names, not past tenses
        return False
    return len(t) > 4 and t.endswith("ed") and not t.endswith("eed") and t not in {"hundred", "sacred", "wicked", "naked", "kindred"}


def has_verb(text: str) -> bool:
    return any(is_verb(t) for t in _tokens(text))


def _subject(clause: str) -> str | None:
    """The words before the clause's first verb (its subject), or None when the clause opens with a verb."""
    words = clause.split()
    for i, w in enumerate(words):
        if is_verb(re.sub(r"[^\w'’\-]", "", w)):
            return " ".join(words[:i]) if i else None
    return None


def _starts_with_verb(clause: str) -> bool:
    toks = _tokens(clause)
    if not toks:
        return False
    # "also said ...", "then rated ..." count as verb-initial too
    first = [t for t in toks[:2] if t.lower() not in {"also", "then", "later", "still", "now", "subsequently"}]
    return bool(first) and is_verb(first[0])


def split_clauses(sentence: str) -> list[str]:
    """Clauses of one sentence joined by ';', 'and', 'but', 'while', 'whereas' where each side has its own verb."""
    pieces: list[str] = []
    pos = 0
    parts: list[tuple[str, str]] = []  # (text, joiner that precedes it)
    joiner = ""
    for m in _JOIN.finditer(sentence):
        parts.append((sentence[pos:m.start()], joiner))
        joiner = (m.group(1) or ";").lower()
        pos = m.end()
    parts.append((sentence[pos:], joiner))
    # merge a piece into its predecessor unless both would have a verb
    for text, j in parts:
        if pieces and not (has_verb(text) and has_verb(pieces[-1])):
            pieces[-1] = f"{pieces[-1]}{'; ' if j == ';' else f' {j} '}{text}"
        else:
            pieces.append(text)
    out = []
    subject = None
    for i, p in enumerate(pieces):
        p = p.strip().strip(",;").strip()
        if not p:
            continue
        if i == 0:
            subject = _subject(p)
        elif _starts_with_verb(p) and subject:
            p = f"{subject} {p}"
        p = p[0].upper() + p[1:]
        if not re.search(r"[.!?]$", p):
            p += "."
        out.append(p)
    return out or [sentence.strip()]


def strip_citations(text: str) -> str:
    return re.sub(r"\s+([.,;:])", r"\1", _CITE.sub("", text)).strip()


def split_sentences_text(text: str) -> list[str]:
    return [text[s:e].strip() for s, e in split_sentences(text) if re.search(r"\w", text[s:e])]


def split_claims(text: str) -> list[str]:
    """Atomic claims of a text: its sentences, each split into clauses that state separate facts."""
    out = []
    for sent in split_sentences_text(strip_citations(text)):
        if len(_tokens(sent)) < 3:
            continue
        out.extend(c for c in split_clauses(sent) if len(_tokens(c)) >= 2)
    return out
