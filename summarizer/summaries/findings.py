"""Findings by sentence: every body sentence of a council's text is labelled weakness, strength, action or none by
one short prompt whose label is read from the next-token logits (no generation), so a document yields as many
findings as it states. The statement is the sentence itself, so it is never cut off and its evidence is exact;
code groups near-duplicates. The instruction is a shared prompt prefix, so each sentence costs only its own tokens.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from retrieval.instructions import neutralise_chat_tokens as untrusted
from retrieval.store import StoredDocument

from summarizer.llm.backends import chatml
from summarizer.llm.prefix_cache import PREFIX_END
from summarizer.summaries.distilled import DistilledLabeller, Encode
from summarizer.summaries.evidence import DocText, doc_text, span
from summarizer.summaries.parts import council_parts
from summarizer.summaries.report_parts import finding_spans
from summarizer.summaries.schema import CouncilEntry, Item
from summarizer.summaries.selection import diverse_pick
from summarizer.support import content_terms

LABELS: tuple[str, ...] = ("weakness", "strength", "action", "none")
FIELD_OF = {"weakness": "weaknesses", "strength": "strengths", "action": "actions"}

_SYSTEM = ("You label sentences from news articles and Ofsted reports about English councils' children's services. "
           "Reply with one word.")
_INSTRUCTION = (
    "Label the sentence with one word:\n"
    "weakness - it states a failing, problem or risk found in the council's services for children\n"
    "strength - it states something found to be good, effective or improving in those services\n"
    "action - it states what must improve, a recommendation, or what the council or others are doing or will do "
    "to improve\n"
    "none - it states no finding: only a grade, background, dates, who said something, a reply or defence, or "
    "site text\n\n"
    "Examples (about other councils):\n"
    "Sentence: Too many plans lack clear timescales, so families do not know what is expected of them.\n"
    "Label: weakness\n"
    "Sentence: Some children wait months for an assessment, inspectors said.\n"
    "Label: weakness\n"
    "Sentence: Managers have a good understanding of the quality of practice.\n"
    "Label: strength\n"
    "Sentence: Care leavers told inspectors that their personal advisers stay in touch and help them.\n"
    "Label: strength\n"
    "Sentence: The council must improve the timeliness of initial health assessments.\n"
    "Label: action\n"
    "Sentence: The authority is recruiting 20 more permanent social workers and has appointed a new director.\n"
    "Label: action\n"
    "Sentence: The council's leader said the report was disappointing but the council was committed to children.\n"
    "Label: none\n"
    "Sentence: The inspection took place over two weeks in March.\n"
    "Label: none\n")


@runtime_checkable
class LabelModel(Protocol):
    """What the classifier needs from a model: a distribution over a few one-word labels."""

    def choice_probabilities(self, prompt: str, choices: tuple[str, ...]) -> dict[str, float]: ...


@dataclass(frozen=True)
class Finding:
    """One labelled sentence: its span in the original text, its statement and the label distribution."""

    start: int
    end: int
    text: str
    probs: dict[str, float]
    by_model: bool = True  # False: labelled by the distilled labeller (distilled.py), not a model call

    @property
    def kind(self) -> str:
        """The most probable finding label (weakness, strength or action), whatever P(none) is."""
        return max(FIELD_OF, key=self.probs.__getitem__)


@dataclass(frozen=True)
class FindingRule:
    """When a labelled sentence is kept as a finding (chosen on part of the findings gold; see BENCHMARKS.md)."""

    none_max: float = 0.5  # kept only when P(none) is below this
    min_p: float = 0.0  # and its label's probability is at least this
    merge_overlap: float = 0.8  # a finding sharing this share of its terms with an earlier one is a duplicate


def label_prompt(council: str, sentence: str) -> str:
    """The labelling prompt: a shared instruction prefix, then the council and the (untrusted) sentence. The
    sentence alone is labelled: giving the previous one too cost twice the tokens for no gain (BENCHMARKS.md)."""
    user = _INSTRUCTION + PREFIX_END + f"\nCouncil: {council}\nSentence: {untrusted(sentence)}\nLabel:"
    return chatml(_SYSTEM, user)


def statement(dt: DocText, start: int, end: int) -> str:
    """The sentence as a statement: whitespace squashed, list marks and a dangling opening quote mark removed."""
    text = re.sub(r"^\d{1,3}\.\s+", "", re.sub(r"\s+", " ", dt.text[start:end]).strip().lstrip("-–•◼▪ "))
    if text.count("\u201c") + text.count('"') == 1 and text[:1] in "\u201c\"":
        text = text[1:].lstrip()
    return text


_ENDS = re.compile(r"[.!?][\"'”’)\]]*$")
_BULLET = re.compile(r"^\s*(?:[-–•◼▪\uf06e]|\d{1,3}\.\s)")


def whole_sentences(dt: DocText, spans: Sequence[tuple[int, int]], max_chars: int = 700) -> list[tuple[int, int]]:
    """The document's sentences inside spans, with sentences that a line wrap split (PDF text) joined again: a
    piece that does not end a sentence runs on into the next unless a blank line or a list mark comes between."""
    pieces = [(a, b) for a, b in dt.sentences if any(s <= a and b <= e for s, e in spans)]
    out: list[tuple[int, int]] = []
    for a, b in pieces:
        if out:
            pa, pb = out[-1]
            gap = dt.text[pb:a]
            runs_on = len(dt.text[pa:pb].split()) >= 8 or dt.text[a:b][:1].islower()  # else a heading
            if (runs_on and not _ENDS.search(dt.text[pa:pb].rstrip()) and gap.count("\n") <= 1
                    and gap.strip() == "" and not _BULLET.match(dt.text[a:b]) and b - pa <= max_chars):
                out[-1] = (pa, b)
                continue
        out.append((a, b))
    return out


def candidate_sentences(dt: DocText, spans: Sequence[tuple[int, int]], min_words: int = 6) -> list[tuple[int, int]]:
    """The whole body sentences inside spans that could state a finding: complete sentences (ending as one does) of
    at least min_words words; headings, table cells and fragments are left out."""
    out = []
    for a, b in whole_sentences(dt, spans):
        text = dt.text[a:b]
        if len(text.split()) < min_words or not re.search(r"[a-z]", text) or not _ENDS.search(text.rstrip()):
            continue
        out.append((a, b))
    return out


def classify(dt: DocText, sentences: Sequence[tuple[int, int]], council: str, model: LabelModel,
             on_call: Callable[[], None] | None = None) -> list[Finding]:
    """Every sentence with its label distribution, in document order."""
    found: list[Finding] = []
    for a, b in sentences:
        text = statement(dt, a, b)
        if on_call is not None:
            on_call()
        found.append(Finding(start=a, end=b, text=text,
                             probs=model.choice_probabilities(label_prompt(council, text), LABELS)))
    return found


@dataclass(frozen=True)
class DeepRead:
    """The rest of a long text, labelled without the model: its spans, the distilled labeller and the encoder.
    Of its findings, the most representative distinct ones are kept, up to limit per kind (model findings count)."""

    spans: Sequence[tuple[int, int]]
    labeller: DistilledLabeller
    encode: Encode
    limit: int = 60
    centrality: float = 0.7  # diverse_pick's weight, chosen on half of the report gold (BENCHMARKS.md)


def deep_findings(dt: DocText, deep: DeepRead, read: Sequence[tuple[int, int]], found: Sequence[Finding],
                  rule: FindingRule) -> list[Finding]:
    """The candidate sentences of deep.spans outside read, labelled by the distilled labeller in one batch of
    embeddings; near-duplicates of found (the model's findings) or of each other merged; per kind, a diverse pick."""
    starts = {a for a, _ in read}
    sentences = [(a, b) for a, b in candidate_sentences(dt, deep.spans) if a not in starts]
    if not sentences:
        return []
    texts = [statement(dt, a, b) for a, b in sentences]
    vecs = np.asarray(deep.encode([f.text for f in found] + texts))
    seed, own = vecs[:len(found)], vecs[len(found):]
    cands = [Finding(start=a, end=b, text=t, probs=p, by_model=False)
             for (a, b), t, p in zip(sentences, texts, deep.labeller.probabilities(own))]
    row = {f.start: r for r, f in enumerate(cands)}
    new = [f for f in kept(list(found) + cands, rule) if not f.by_model]
    out: list[Finding] = []
    for kind in FIELD_OF:
        pool = [f for f in new if f.kind == kind]
        taken = seed[[i for i, f in enumerate(found) if f.kind == kind]]
        rows = own[[row[f.start] for f in pool]] if pool else own[:0]
        out += [pool[j] for j in diverse_pick(rows, taken, deep.limit - len(taken), deep.centrality)]
    return out


def kept(findings: Sequence[Finding], rule: FindingRule) -> list[Finding]:
    """The findings the rule keeps, near-duplicates merged (the first kept)."""
    out: list[Finding] = []
    seen: list[set[str]] = []
    for f in findings:
        if f.probs["none"] >= rule.none_max or f.probs[f.kind] < rule.min_p:
            continue
        terms = set(content_terms(f.text))
        if any(_overlap(terms, s) >= rule.merge_overlap for s in seen):
            continue
        out.append(f)
        seen.append(terms)
    return out


def add_findings(entry: CouncilEntry, dt: DocText, spans: Sequence[tuple[int, int]], model: LabelModel,
                 rule: FindingRule, on_call: Callable[[], None] | None = None, deep: DeepRead | None = None) -> int:
    """Label the council's sentences within spans (and, with deep, the rest of deep.spans without the model) and
    add the kept ones to its entry in document order; returns the model calls made."""
    sentences = candidate_sentences(dt, spans)
    found = kept(classify(dt, sentences, entry.council, model, on_call), rule)
    if deep is not None:
        found = sorted(found + deep_findings(dt, deep, sentences, found, rule), key=lambda f: f.start)
    for f in found:
        items = getattr(entry, FIELD_OF[f.kind])
        if all(i.evidence[0].start != f.start for i in items):
            items.append(Item(text=f.text, evidence=[span(dt, f.start, f.end)]))
    return len(sentences)


def _overlap(a: set[str], b: set[str]) -> float:
    """Share of the smaller set's terms found in the other (1.0 when one repeats the other)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def document_findings(doc: StoredDocument, model: LabelModel, rule: FindingRule) -> list[tuple[str, Finding]]:
    """(council, finding) for every finding of a document, labelled now: an article by the council each part is
    about, a report over its headline and each judgement area's opening (as the summarizer reads them)."""
    dt = doc_text(doc.text, doc.comment_start)
    if doc.meta.doc_type == "report":
        parts = [(doc.meta.councils[0] if doc.meta.councils else "the council", finding_spans(doc.text))]
    else:
        parts = [(p.council, p.spans) for p in council_parts(doc, dt)]
    return [(c, f) for c, spans in parts for f in kept(classify(dt, candidate_sentences(dt, spans), c, model), rule)]
