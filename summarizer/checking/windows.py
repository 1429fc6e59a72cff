"""Which parts of a source the checker shows the model for a claim, chosen by code: the windows of a few sentences
around the sentences closest to the claim (MiniCheck's best-chunk idea), and for a long source the one stretch of
it that fits the model best."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from retrieval.sentences import split_sentences
from summarizer.support import SourceFacts, content_terms, name_in, names, number_in, numbers


@dataclass(frozen=True)
class WindowSettings:
    """How windows are cut: sentences each side of a centre sentence, windows per claim, and the whole-source cap."""

    radius: int = 1  # a window is its centre sentence and this many sentences each side
    per_claim: int = 2  # windows each claim is judged against (its score takes the best)
    max_source_tokens: int = 1500  # a longer source is judged as its best stretch of whole sentences
    stretch_tokens: int = 1200
    stretch_overlap_tokens: int = 300


def _overlap(claim_terms: set[str], claim_nums: set[str], claim_names: set[str], text: str, terms: set[str]) -> float:
    score = len(claim_terms & terms) / (len(claim_terms) or 1)
    score += 0.5 * sum(number_in(n, text) for n in claim_nums) + 0.5 * sum(name_in(n, text) for n in claim_names)
    return score


def ranked_sentences(claim: str, facts: SourceFacts) -> list[int]:
    """Source sentence indexes, closest to the claim first (shared content words, numbers and names)."""
    ct, nums, nms = content_terms(claim), numbers(claim), names(claim)
    scores = [_overlap(ct, nums, nms, s, t) for s, t in zip(facts.sentences, facts.sent_terms)]
    return sorted(range(len(scores)), key=lambda i: (-scores[i], i))


def local_windows(claim: str, facts: SourceFacts, cfg: WindowSettings) -> list[str]:
    """The windows around the claim's closest sentences, best first; none when the whole source is one window."""
    sents = facts.sentences
    if cfg.per_claim <= 0 or len(sents) <= 2 * cfg.radius + 1:
        return []
    out: list[str] = []
    for i in ranked_sentences(claim, facts):
        lo, hi = max(0, i - cfg.radius), min(len(sents), i + cfg.radius + 1)
        text = " ".join(s.strip() for s in sents[lo:hi])
        if text not in out:
            out.append(text)
        if len(out) >= cfg.per_claim:
            break
    return out


def stretches(source: str, count_tokens: Callable[[str], int], cfg: WindowSettings) -> list[str]:
    """The source itself when it fits max_source_tokens, else overlapping stretches of whole sentences."""
    if len(source) <= cfg.max_source_tokens * 2 or count_tokens(source) <= cfg.max_source_tokens:
        return [source]
    spans = split_sentences(source)
    sizes = [count_tokens(source[s:e]) + 1 for s, e in spans]
    out, start = [], 0
    while start < len(spans):
        end, total = start, 0
        while end < len(spans) and (total + sizes[end] <= cfg.stretch_tokens or end == start):
            total += sizes[end]
            end += 1
        out.append(source[spans[start][0]:spans[end - 1][1]])
        if end >= len(spans):
            break
        back, nxt = 0, end  # step back so consecutive stretches overlap by about stretch_overlap_tokens
        while nxt - 1 > start + 1 and back + sizes[nxt - 1] <= cfg.stretch_overlap_tokens:
            nxt -= 1
            back += sizes[nxt]
        start = nxt
    return out


def best_stretch(claim: str, parts: list[str]) -> str:
    """The stretch sharing most of the claim's words, numbers and names."""
    if len(parts) == 1:
        return parts[0]
    ct, nums, nms = content_terms(claim), numbers(claim), names(claim)
    return max(parts, key=lambda w: _overlap(ct, nums, nms, w, content_terms(w)))
