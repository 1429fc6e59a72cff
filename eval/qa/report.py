"""Markdown and HTML reports of an eval run, with matplotlib plots (recall@k, faithfulness, checker calibration)."""
from __future__ import annotations

import html
import json
from pathlib import Path

from eval.qa.groups import GROUP_HEADS, group_columns
from eval.qa.metrics import HEADLINE, KS
from eval.runs import RUNS_DIR


def _fmt(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}"
    return str(v)


# blocks: ("h", level, text) ("p", text) ("table", headers, rows) ("img", file, alt) ("pre", text)

def _render_md(blocks) -> str:
    out = []
    for b in blocks:
        if b[0] == "h":
            out.append("#" * b[1] + " " + b[2])
        elif b[0] == "p":
            out.append(b[1])
        elif b[0] == "table":
            out.append("| " + " | ".join(b[1]) + " |")
            out.append("|" + "---|" * len(b[1]))
            for row in b[2]:
                out.append("| " + " | ".join(_fmt(c).replace("|", "\\|").replace("\n", " ") for c in row) + " |")
        elif b[0] == "img":
            out.append(f"![{b[2]}]({b[1]})")
        elif b[0] == "pre":
            out.append("```\n" + b[1] + "\n```")
        out.append("")
    return "\n".join(out)


def _render_html(blocks, title: str) -> str:
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
           "<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
           "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;"
           "vertical-align:top;font-size:14px}th{background:#f3f3f3}img{max-width:100%}pre{background:#f7f7f7;padding:1em;"
           "white-space:pre-wrap}</style></head><body>"]
    for b in blocks:
        if b[0] == "h":
            out.append(f"<h{b[1]}>{html.escape(b[2])}</h{b[1]}>")
        elif b[0] == "p":
            out.append(f"<p>{html.escape(b[1])}</p>")
        elif b[0] == "table":
            out.append("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in b[1]) + "</tr>")
            for row in b[2]:
                out.append("<tr>" + "".join(f"<td>{html.escape(_fmt(c))}</td>" for c in row) + "</tr>")
            out.append("</table>")
        elif b[0] == "img":
            out.append(f"<p><img src='{html.escape(b[1])}' alt='{html.escape(b[2])}'></p>")
        elif b[0] == "pre":
            out.append(f"<pre>{html.escape(b[1])}</pre>")
    out.append("</body></html>")
    return "\n".join(out)


def latest_checker_verdicts(root: Path | None = None) -> Path | None:
    """The verdicts of the most recent full `brief eval --checker` run (human labels, for the calibration curve)."""
    root = Path(root or RUNS_DIR)
    runs = sorted(root.glob("checker-2*/checker_verdicts.jsonl"))  # full runs (smoke runs are "checkersmoke-")
    return runs[-1] if runs else None


def calibration_points(scores: list[float], labels: list[int], bins: int = 10) -> list[tuple[float, float, int]]:
    """(mean score, share labelled supported, n) per equal-width score bin."""
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        sel = [(s, y) for s, y in zip(scores, labels) if (lo <= s < hi) or (b == bins - 1 and s == 1.0)]
        if sel:
            out.append((sum(s for s, _ in sel) / len(sel), sum(y for _, y in sel) / len(sel), len(sel)))
    return out


def plot_calibration(verdicts_path: Path, out_png: Path, split: str = "test") -> list[tuple[float, float, int]] | None:
    """Reliability curve of the checker's combined score against SummEdits human labels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scores, labels = [], []
    for line in verdicts_path.read_text().splitlines():
        d = json.loads(line)
        if d["split"] != split or not d["verdicts"]:
            continue
        scores.append(d["score_headline"])
        labels.append(int(d["label"]))
    if not scores:
        return None
    pts = calibration_points(scores, labels)
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot([0, 1], [0, 1], ":", color="grey", label="perfect calibration")
    ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label="checker")
    for x, y, n in pts:
        ax.annotate(str(n), (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set_xlabel("combined support score")
    ax.set_ylabel("share labelled consistent by people")
    ax.set_title(f"Checker calibration (SummEdits news, {split} split)")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(out_png, dpi=110)
    plt.close(fig)
    return pts


def _intro_blocks(result: dict) -> list:
    """Title, run line, headline metrics and what they mean."""
    s = result["summary"]
    return [("h", 1, f"QA eval: {Path(result['file']).name}"),
            ("p", f"{s['questions']} questions ({s['answerable']} answerable, {s['unanswerable']} unanswerable); "
                  f"model {result.get('model')}; git commit {str(result.get('git_commit'))[:12]}; {result.get('date')}."),
            ("h", 2, "Headline"),
            ("table", ["metric", "value"], [[k, s[k]] for k in HEADLINE if k in s]),
            ("p", "faithfulness: mean over answers of the share of atomic claims the checker finds supported by the "
                  "retrieved passages; citation precision: share of citations whose passage supports the claim; "
                  "citation recall: share of supported claims whose cited passages support them; false refusals "
                  "(answerable, refused) and hallucinated answers (unanswerable, answered) are counted apart.")]


def _retrieval_blocks(s: dict, run_dir: Path, plt) -> list:
    """The retrieval baselines table and the recall@k plot (written to run_dir)."""
    if "retrieval" not in s:
        return []
    names = list(s["retrieval"])
    blocks: list = [("h", 2, "Retrieval baselines (answerable questions)"),
                    ("table", ["retriever", *[f"recall@{k}" for k in KS], "MRR"],
                     [[n, *[s["retrieval"][n][f"recall@{k}"] for k in KS], s["retrieval"][n]["mrr"]] for n in names])]
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for n in names:
        ax.plot(KS, [s["retrieval"][n][f"recall@{k}"] for k in KS], "o-", label=n)
    ax.set_xlabel("k (passages)")
    ax.set_ylabel("recall of answer articles")
    ax.set_ylim(0, 1.02)
    ax.set_title("Recall@k")
    ax.legend()
    fig.tight_layout()
    fig.savefig(run_dir / "recall_at_k.png", dpi=110)
    plt.close(fig)
    blocks.append(("img", "recall_at_k.png", "recall@k curve"))
    return blocks


def _baseline_and_type_blocks(s: dict) -> list:
    """The answerer against the extractive baseline, and the metrics by question type and by blind / not blind."""
    blocks: list = []
    if "extractive_baseline" in s:
        e = s["extractive_baseline"]
        blocks.append(("h", 2, "Answer baseline"))
        blocks.append(("table", ["answers", "key facts correct", "key facts partial"],
                       [["local LLM answerer", s["key_facts_correct"], s["key_facts_partial"]],
                        ["extractive (top passage's best 2 sentences)", e["key_facts_correct"], e["key_facts_partial"]]]))
    tables = (("by_type", "By question type", "type"), ("by_blind", "Blind and not-blind questions", "blind"))
    for key, title, head in tables:
        groups = s.get(key) or {}
        if groups:
            cols = group_columns(groups)
            blocks.append(("h", 2, title))
            blocks.append(("table", [head, *[GROUP_HEADS.get(c, c) for c in cols]],
                           [[t, *[v.get(c) for c in cols]] for t, v in groups.items()]))
    blocks.append(("p", "key facts: mean share of fact groups matched (answerable questions); all facts: share with "
                        "every group matched; false refusals: answerable questions refused; refusal acc: unanswerable "
                        "questions refused; council P/R: councils named in the answer against the question's `councils` "
                        "list; p50 s: median total seconds per answer, refusals included. Blind questions were written "
                        "before any answer to them was seen."))
    return blocks


def _faithfulness_blocks(items: list[dict], run_dir: Path, plt) -> list:
    """The per-answer faithfulness histogram (written to run_dir), if any answer was checked."""
    faith = [r["faithfulness"] for r in items if r.get("faithfulness") is not None]
    if not faith:
        return []
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.hist(faith, bins=[i / 10 for i in range(11)], edgecolor="black")
    ax.set_xlabel("share of an answer's claims supported")
    ax.set_ylabel("answers")
    ax.set_title("Faithfulness per answer")
    fig.tight_layout()
    fig.savefig(run_dir / "faithfulness.png", dpi=110)
    plt.close(fig)
    return [("h", 2, "Faithfulness distribution"), ("img", "faithfulness.png", "faithfulness histogram")]


def _calibration_blocks(run_dir: Path, checker_verdicts: Path | None) -> list:
    """The checker calibration plot from the given (or latest) checker run's verdicts, if there is one."""
    cv = checker_verdicts or latest_checker_verdicts()
    if cv is None or not cv.is_file():
        return []
    pts = plot_calibration(cv, run_dir / "calibration.png")
    if not pts:
        return []
    return [("h", 2, "Checker calibration"),
            ("p", f"Combined checker score against human labels on the SummEdits news test split "
                  f"(from {cv.parent.name}); each point is a score bin, annotated with its size."),
            ("img", "calibration.png", "checker calibration")]


def _badness(r: dict) -> float:
    """How wrong an item went: refusal errors weigh most, then missing key facts, then unsupported claims."""
    f = r.get("faithfulness")
    return ((0 if r["refusal_correct"] else 2) + (1 if r["answerable"] and not r.get("facts_all") else 0)
            + (1 - f if f is not None else 0))


def _why(r: dict) -> str:
    """One line naming what went wrong with an item."""
    why = []
    if r.get("hallucinated_answer"):
        why.append("answered an unanswerable question")
    if r.get("false_refusal"):
        why.append("refused an answerable question")
    if r["answerable"] and not r.get("facts_all"):
        why.append(f"key facts {r.get('facts_found')}/{r.get('facts_total')}")
    if r.get("faithfulness") is not None and r["faithfulness"] < 1:
        why.append(f"faithfulness {r['faithfulness']:.2f}")
    return "Why: " + "; ".join(why) + f". Gold articles: {', '.join(r.get('gold_docs') or []) or 'none'}."


def _worst_blocks(items: list[dict]) -> list:
    """The ten worst items with their answer, failing claims and retrieved passages."""
    worst = sorted((r for r in items if _badness(r) > 0), key=lambda r: -_badness(r))[:10]
    if not worst:
        return []
    blocks: list = [("h", 2, "Worst items")]
    for r in worst:
        blocks.append(("h", 3, f"{r['id']} ({r['type']}, {r['status']}): {r['question']}"))
        blocks.append(("p", _why(r)))
        blocks.append(("pre", r["answer"]))
        bad = [c for c in r.get("claims") or [] if not c["supported"] or not c["cited_supported"]]
        if bad:
            blocks.append(("table", ["claim", "cites", "supported (retrieved)", "supported (cited)", "score", "flags", "closest source sentence"],
                           [[c["claim"], ",".join(map(str, c["citations"])), c["supported"], c["cited_supported"],
                             c["score"], "/".join(c["flags"]), c.get("closest", "")[:200]] for c in bad]))
        if r.get("passages"):
            blocks.append(("table", ["n", "article", "passage"],
                           [[p["n"], p["doc_id"], p["text"][:400]] for p in r["passages"]]))
    return blocks


def write_report(run_dir: Path, result: dict, checker_verdicts: Path | None = None) -> tuple[Path, Path]:
    """report.md and report.html (and the PNG plots) in run_dir."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run_dir = Path(run_dir)
    s = result["summary"]
    items = result["items"]
    blocks: list = _intro_blocks(result)
    blocks += _retrieval_blocks(s, run_dir, plt)
    blocks += _baseline_and_type_blocks(s)
    blocks += _faithfulness_blocks(items, run_dir, plt)
    blocks += _calibration_blocks(run_dir, checker_verdicts)
    blocks += _worst_blocks(items)
    md = _render_md(blocks)
    (run_dir / "report.md").write_text(md, encoding="utf-8")
    (run_dir / "report.html").write_text(_render_html(blocks, f"QA eval {run_dir.name}"), encoding="utf-8")
    return run_dir / "report.md", run_dir / "report.html"
