"""Scoring of `python -m eval.bench.ask --compare-llamaindex`: brief and a baseline scored alike, no model.

Key facts, wrong values, false refusals and hallucinated answers come from `eval.qa.metrics.answer_outcome`, the
function `brief eval --qa` scores answers with. A baseline answer has no status, so it counts as a refusal when it
is empty (LlamaIndex's "Empty Response") or its first sentence says the context does not hold the answer.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from eval.qa.groups import mean
from eval.qa.loading import QAItem
from eval.qa.metrics import answer_outcome

if TYPE_CHECKING:
    from summarizer.answer.records import Answer

# what a model says when the context lacks the answer ("The context does not provide information about ...")
_SOURCE = r"(?:context|information|text|passages?|articles?|documents?|sources?|excerpts?)"
_REFUSAL = re.compile(
    rf"\b{_SOURCE}\b[^.?!]{{0,80}}?\b(?:does|do|did)\s*(?:not|n't)\s+"
    r"(?:provide|contain|mention|include|specify|say|state|give|indicate|offer|have|cover|discuss|address)\b"
    r"|\bno\s+(?:specific\s+|explicit\s+|relevant\s+|direct\s+)?(?:information|mention|details?|indication|data)\s+"
    r"(?:about|on|regarding|of|in|is|was|are|were|provided|given|available|that)\b"
    r"|\b(?:is|are|was|were)\s+not\s+(?:explicitly\s+|specifically\s+|directly\s+)?"
    r"(?:mentioned|provided|specified|stated|available|given|included|discussed|addressed)\b"
    r"|\b(?:cannot|can't|can\s+not|unable\s+to|not\s+possible\s+to)\s+(?:be\s+)?"
    r"(?:answer(?:ed)?|determined?|infer(?:red)?|found|tell|say)\b"
    r"|\bi\s+(?:do\s+not|don't)\s+(?:know|have)\b|\binsufficient\s+information\b",
    re.IGNORECASE)
_FIRST_SENTENCE = re.compile(r"(?<=[.!?])\s+")
EMPTY_RESPONSE = "Empty Response"  # what a LlamaIndex synthesizer returns when the model says nothing


@dataclass
class BaselineAnswer:
    """A plain-text answer shaped like brief's Answer for answer_outcome (status, text, refused)."""

    text: str
    refused: bool

    @property
    def status(self) -> str:
        return "refused" if self.refused else "answered"


def refusal_phrase(text: str) -> str | None:
    """The words by which an answer declines ('' for an empty answer), or None when it answers."""
    body = text.strip()
    if not body or body == EMPTY_RESPONSE:
        return ""
    first = _FIRST_SENTENCE.split(body, maxsplit=1)[0]
    m = _REFUSAL.search(first)
    return m.group(0) if m else None


def baseline_answer(text: str) -> BaselineAnswer:
    """A baseline's answer text with its refusal read from the text."""
    return BaselineAnswer(text=text, refused=refusal_phrase(text) is not None)


def score_answer(item: QAItem, answer: Answer | BaselineAnswer, total_s: float) -> dict:
    """One system's verdicts on one question (answer_outcome's fields) and its total seconds."""
    rec = {"total_s": round(total_s, 3), **answer_outcome(item, answer)}
    if item.answerable:
        rec["facts_total"] = len(item.facts)
    return rec


def percentile(xs: list[float], q: float) -> float | None:
    """The q-th percentile, linearly interpolated as numpy does (None for no values)."""
    if not xs:
        return None
    s = sorted(xs)
    pos = (len(s) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return round(s[lo] + (s[hi] - s[lo]) * (pos - lo), 2)


def system_summary(records: list[dict], answerable: list[bool]) -> dict:
    """One system's figures over the questions, defined as in `brief eval --qa` (eval.qa.metrics._headline)."""
    ans = [r for r, a in zip(records, answerable) if a]
    una = [r for r, a in zip(records, answerable) if not a]
    times = [r["total_s"] for r in records]
    return {
        "questions": len(records), "answerable": len(ans), "unanswerable": len(una),
        "key_facts_correct": mean(1.0 if r["facts_all"] else 0.0 for r in ans),
        "key_facts_partial": mean(r["facts_found"] / r["facts_total"] if r["facts_total"] else 1.0 for r in ans),
        "false_refusals": sum(1 for r in ans if r["false_refusal"]),
        "hallucinated_answers": sum(1 for r in una if r["hallucinated_answer"]),
        "wrong_answers": sum(1 for r in ans if r.get("says_wrong")),
        "refusal_accuracy": mean(1.0 if r["refusal_correct"] else 0.0 for r in una),
        "total_s_p50": percentile(times, 50), "total_s_p95": percentile(times, 95),
    }


def compare_summary(rows: list[dict]) -> dict:
    """Both systems' summaries and brief's time over the baseline's (p50 and p95; above 1: brief is slower)."""
    flags = [r["answerable"] for r in rows]
    out = {name: system_summary([r[name] for r in rows], flags) for name in ("brief", "llamaindex")}
    for p in ("p50", "p95"):
        b, li = out["brief"][f"total_s_{p}"], out["llamaindex"][f"total_s_{p}"]
        out[f"brief_over_llamaindex_time_{p}"] = round(b / li, 2) if b is not None and li else None
    return out


def format_table(summary: dict) -> str:
    """The comparison as a short text table."""
    keys = [("key_facts_correct", "key facts, all present"), ("key_facts_partial", "key facts, partial"),
            ("false_refusals", "false refusals"), ("hallucinated_answers", "unanswerable answered (hallucinated)"),
            ("wrong_answers", "wrong values stated"), ("total_s_p50", "total s p50"), ("total_s_p95", "total s p95")]
    b, li = summary["brief"], summary["llamaindex"]
    lines = [f"questions: {b['questions']} ({b['answerable']} answerable, {b['unanswerable']} unanswerable)",
             f"{'':38} {'brief':>10} {'llamaindex':>11}"]
    lines += [f"{label:38} {_cell(b[k]):>10} {_cell(li[k]):>11}" for k, label in keys]
    lines.append(f"time, brief / llamaindex: p50 {_cell(summary['brief_over_llamaindex_time_p50'])}x, "
                 f"p95 {_cell(summary['brief_over_llamaindex_time_p95'])}x")
    return "\n".join(lines)


def _cell(v: float | int | None) -> str:
    """A table cell: '-' for a missing value."""
    return "-" if v is None else str(v)
