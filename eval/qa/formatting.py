"""Text output of the QA eval: a run's summary (`brief eval --qa`) and a comparison of two runs (`--compare`)."""
from __future__ import annotations

from eval.qa.groups import GROUP_HEADS, group_columns
from eval.qa.metrics import HEADLINE


def group_table(title: str, groups: dict[str, dict]) -> list[str]:
    """A by_type or by_blind breakdown as an aligned text table (— where a metric does not apply to a group)."""
    if not groups:
        return []
    cols = group_columns(groups)
    heads = [GROUP_HEADS.get(c, c) for c in cols]
    rows = [[name, *[_fmt(v.get(c)) for c in cols]] for name, v in groups.items()]
    width0 = max(len(title), *(len(r[0]) for r in rows))
    widths = [max(len(h), *(len(r[i + 1]) for r in rows)) for i, h in enumerate(heads)]
    lines = ["", "  " + title.ljust(width0) + "  " + "  ".join(h.rjust(w) for h, w in zip(heads, widths))]
    for r in rows:
        lines.append("  " + r[0].ljust(width0) + "  " + "  ".join(c.rjust(w) for c, w in zip(r[1:], widths)))
    return lines


def _baseline_lines(s: dict) -> list[str]:
    """The retrieval, extractive and no-council-filter baselines of a summary."""
    lines = []
    if "retrieval" in s:
        lines.append("  retrieval (answerable questions):")
        for name, v in s["retrieval"].items():
            lines.append(f"    {name:8} " + ", ".join(f"{k}={v[k]}" for k in v))
    if "extractive_baseline" in s:
        e = s["extractive_baseline"]
        lines.append(f"  extractive baseline (top passage's best sentences): key_facts_correct={e['key_facts_correct']}, "
                     f"key_facts_partial={e['key_facts_partial']}")
    if "no_council_filter_baseline" in s:
        b = s["no_council_filter_baseline"]
        lines.append(f"  answerer without the council filter ({b['questions']} questions): key_facts_correct="
                     f"{b['key_facts_correct']} (with filter {b['with_filter_key_facts_correct']}), refusal_accuracy="
                     f"{b['refusal_accuracy']} (with filter {b['with_filter_refusal_accuracy']}), false_refusals="
                     f"{b['false_refusals']}, hallucinated_answers={b['hallucinated_answers']}")
    return lines


def _item_lines(result: dict) -> list[str]:
    """Comment attributions, checker cost, misses and unsupported claims of a run's items."""
    lines = []
    attributed = [(r["id"], a) for r in result["items"] for a in r.get("comment_attributions") or []]
    if attributed:
        lines.append("  Answer sentences resting on a reader's comment (never evidence):")
        for rid, a in attributed[:10]:
            lines.append(f"    {rid}: {a['sentence'][:110]} <- comment in {a['doc_id']}")
    if result.get("checker"):
        c = result["checker"]
        lines.append(f"  checker: {c.get('claims')} claims, {c['llm_calls']} model calls, {c['llm_seconds']} s "
                     f"({c['cache_hits']} cached); p50 {c.get('seconds_per_answer_p50')} s per answer")
    bad = [r for r in result["items"] if not r["refusal_correct"] or (r["answerable"] and not r.get("facts_all"))]
    if bad:
        lines.append("  Misses:")
        for r in bad[:15]:
            lines.append(f"    {r['id']} [{r['status']}] {r['question']} -> {r['answer'][:120]}")
    unsupported = [(r["id"], c) for r in result["items"] for c in r.get("claims") or [] if not c["supported"]]
    if unsupported:
        lines.append("  Claims the checker found unsupported:")
        for rid, c in unsupported[:10]:
            lines.append(f"    {rid}: {c['claim'][:110]} (score {c['score']:.2f}{', ' + '/'.join(c['flags']) if c['flags'] else ''})")
    return lines


def format_summary(result: dict) -> str:
    """A QA run as text: headline metrics, baselines, per-type figures, misses and unsupported claims."""
    s = result["summary"]
    lines = [f"QA eval on {result['file']} ({s['questions']} questions: {s['answerable']} answerable, {s['unanswerable']} unanswerable)"]
    for k in HEADLINE:
        if k in s:
            lines.append(f"  {k:24} {s[k]}")
    lines.extend(_baseline_lines(s))
    lines.extend(group_table("type", s.get("by_type") or {}))
    lines.extend(group_table("blind", s.get("by_blind") or {}))
    lines.extend(_item_lines(result))
    if result.get("run_dir"):
        lines.append(f"  run stored in {result['run_dir']} (report.md, report.html, result.json)")
    return "\n".join(lines)


def _fmt(v) -> str:
    return "—" if v is None else (f"{v:.4g}" if isinstance(v, float) else str(v))


def format_comparison(c: dict) -> str:
    """A comparison (RunStore.compare) as text: changed metrics with deltas, then questions improved and regressed."""
    lines = [f"A: {c['a'].get('run_dir')} ({c['a'].get('model')}, commit {str(c['a'].get('git_commit'))[:10]})",
             f"B: {c['b'].get('run_dir')} ({c['b'].get('model')}, commit {str(c['b'].get('git_commit'))[:10]})", "",
             f"  {'metric':36} {'A':>10} {'B':>10} {'delta':>9}"]
    if not c.get("same_questions", True):
        lines.insert(2, f"Note: the runs cover different questions ({len(c['only_a'])} only in A, {len(c['only_b'])} only in B); "
                        "their summary figures are not like for like.")
    for side in ("a", "b"):
        if c[side].get("unfinished"):
            lines.insert(2, f"Note: run {side.upper()} is unfinished (scored on the questions it completed).")
    for m in c["metrics"]:
        if m["change"] == "same":
            continue
        mark = {"improved": "+", "regressed": "-", "new": "new", "gone": "gone", "changed": ""}[m["change"]]
        lines.append(f"  {m['metric']:36} {_fmt(m['a']):>10} {_fmt(m['b']):>10} {_fmt(m['delta']):>9}  {mark}")
    same = sum(1 for m in c["metrics"] if m["change"] == "same")
    lines.append(f"  ({same} metrics unchanged)")
    for kind in ("improved", "regressed"):
        rows = [i for i in c["items"] if i["change"] == kind]
        if rows:
            lines.append(f"\n  Questions {kind}:")
            for i in rows:
                lines.append(f"    {i['id']} {i['what']}: {i['question'][:80]}")
    return "\n".join(lines)
