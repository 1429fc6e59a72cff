"""The QA metrics per group of questions (by `type`, and blind vs not blind), and the council-list score of one
answer. Pure functions: records in, numbers out (no model, no files)."""
from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable

from retrieval.councils import canonical_council, find_councils

# the columns of a group, in the order the tables print them
GROUP_COLUMNS = ("n", "recall@5", "mrr", "key_facts_partial", "key_facts_correct", "false_refusals", "refusal_accuracy",
                 "faithfulness", "council_precision", "council_recall", "total_s_p50")
BLIND_GROUPS = ("blind", "not_blind")


# short column heads of the per-group tables (text output and report)
GROUP_HEADS = {"n": "n", "recall@5": "recall@5", "mrr": "MRR", "key_facts_partial": "key facts",
               "key_facts_correct": "all facts", "false_refusals": "false refusals",
               "refusal_accuracy": "refusal acc", "faithfulness": "faithful", "council_precision": "council P",
               "council_recall": "council R", "total_s_p50": "p50 s"}


def group_columns(groups: dict[str, dict]) -> list[str]:
    """The GROUP_COLUMNS that any group of a by_type / by_blind table has, in order."""
    return [c for c in GROUP_COLUMNS if any(c in v for v in groups.values())]


def mean(xs: Iterable[float | None]) -> float | None:
    """Mean of the values that are not None, to 4 places (None when there are none)."""
    vals = [x for x in xs if x is not None]
    return round(sum(vals) / len(vals), 4) if vals else None


def _councils(text: str) -> set[str]:
    """Canonical names of the councils a text names."""
    return {name for name, _, _ in find_councils(text or "")}


def council_scores(answer_text: str, refused: bool, expected: list[str], question: str) -> dict:
    """The councils an answer names against those expected: named, precision and recall.

    Councils the question itself names are not counted against the answer unless expected (an answer repeating
    "Cumbria" from "which councils replaced Cumbria?" is not listing a wrong council). Precision is None when
    the answer names no council (a refusal names none), recall is the share of the expected councils named.
    """
    wanted = {canonical_council(e) or e for e in expected}
    named = set() if refused else _councils(answer_text)
    named -= _councils(question) - wanted
    hits = named & wanted
    return {"councils_expected": sorted(wanted), "councils_named": sorted(named),
            "council_precision": round(len(hits) / len(named), 4) if named else None,
            "council_recall": round(len(hits) / len(wanted), 4) if wanted else None}


def _p50(xs: list[float]) -> float | None:
    return round(statistics.median(xs), 2) if xs else None


def group_metrics(records: list[dict], with_faithfulness: bool) -> dict:
    """The metrics of one group of scored questions.

    key_facts_partial: mean share of fact groups matched (answerable questions); false_refusals: answerable
    questions refused; refusal_accuracy: unanswerable questions refused; faithfulness: mean per-answer share of
    supported claims (only with the checker); council precision/recall: mean over the questions with a `councils`
    list; total_s_p50: median total seconds of every answer with timings, refusals included (the headline
    answer_total_s_p50 counts answered questions only).
    """
    ans = [r for r in records if r["answerable"]]
    una = [r for r in records if not r["answerable"]]
    totals = [r["timings"]["total_s"] for r in records if (r.get("timings") or {}).get("total_s") is not None]
    out = {
        "n": len(records),
        "recall@5": mean(r.get("recall@5") for r in ans),
        "key_facts_partial": mean(r["facts_found"] / r["facts_total"] if r.get("facts_total") else 1.0 for r in ans),
        "key_facts_correct": mean(1.0 if r.get("facts_all") else 0.0 for r in ans),
        "false_refusals": sum(1 for r in ans if r.get("false_refusal", not r["refusal_correct"])),
        "refusal_accuracy": mean(1.0 if r["refusal_correct"] else 0.0 for r in una),
        "council_precision": mean(r.get("council_precision") for r in records if r.get("councils_expected")),
        "council_recall": mean(r.get("council_recall") for r in records if r.get("councils_expected")),
        "total_s_p50": _p50(totals),
    }
    if with_faithfulness:
        out["faithfulness"] = mean(r.get("faithfulness") for r in records)
    if any("retrieval" in r for r in records):
        out["mrr"] = mean(r["retrieval"]["hybrid"]["mrr"] for r in records if "retrieval" in r)
    return {k: out[k] for k in GROUP_COLUMNS if k in out}


def _grouped(records: list[dict], key: Callable[[dict], str], order: Iterable[str], with_faithfulness: bool) -> dict:
    """group name -> group_metrics, for the groups in order that hold any record."""
    out = {}
    for name in order:
        rs = [r for r in records if key(r) == name]
        if rs:
            out[name] = group_metrics(rs, with_faithfulness)
    return out


def by_type(records: list[dict], with_faithfulness: bool) -> dict[str, dict]:
    """The metrics per question type (single, multi, why, councils, compare, partial, unanswerable, ...)."""
    return _grouped(records, lambda r: r["type"], sorted({r["type"] for r in records}), with_faithfulness)


def by_blind(records: list[dict], with_faithfulness: bool) -> dict[str, dict]:
    """The metrics of the blind questions (written before any answer to them was seen) and of the others."""
    return _grouped(records, lambda r: "blind" if r.get("blind") else "not_blind", BLIND_GROUPS, with_faithfulness)
