"""A list answer's members ("Which councils ...?"): a council is named only with a sentence of its own evidence that
says what the list is about, quoted as it stands, so the member and its reason can be checked at a glance."""
from __future__ import annotations

import math

import numpy as np

from retrieval.sentences import split_sentences

from summarizer.answer.check import named_councils, focus_terms
from summarizer.answer.evidence import SentenceEncoder
from summarizer.answer.records import AnswerSentence, Passage
from summarizer.support import content_terms


def member_sentence(question: str, council: str, passages: list[Passage], own: bool,
                    encoder: SentenceEncoder | None) -> AnswerSentence | None:
    """The sentence that puts council in the list: one that holds two thirds of what the question asks about
    (its focus words) and names the council (or, in its own document, names no other); the closest to
    the question by the encoder among the best by focus words. None when no sentence qualifies."""
    focus = focus_terms(question)
    need = math.ceil(len(focus) * 2 / 3)
    cands: list[tuple[int, str, Passage]] = []
    for p in passages:
        for s, e in split_sentences(p.text):
            sent = p.text[s:e].strip()
            hits = len(focus & content_terms(sent))
            others = named_councils(sent)
            about = council in others or (own and not others)  # a sentence naming only others is theirs
            if hits >= need and about and len(sent) > 20:
                cands.append((hits, sent, p))
    if not cands:
        return None
    top = max(h for h, _, _ in cands)
    best = [c for c in cands if c[0] == top]
    if encoder is not None and len(best) > 1:
        sims = encoder.encode([s for _, s, _ in best]) @ encoder.encode_query(question)
        best = [best[int(np.argmax(sims))]]
    _, sent, p = best[0]
    return AnswerSentence(sent, [p.n], True, 1.0, about=council)
