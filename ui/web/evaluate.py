"""The Evaluate tab: run the QA set through the answer path, list stored runs (CLI runs too) and compare two."""
from __future__ import annotations

from pathlib import Path

import gradio as gr
import pandas as pd

from eval.qa.loading import looks_like_qa
from eval.runs import RunInfo, RunStore
from ui.web.common import MODEL_QUEUE, UserError, shown_errors
from ui.web.views import esc
from ui.web.views_eval import comparison_html

DATASETS_DIR = Path(__file__).resolve().parents[2] / "eval" / "datasets"
ITEM_COLUMNS = ["id", "type", "status", "refusal ok", "facts", "seconds", "question", "answer"]

RUN_COLUMNS = ["run", "started", "QA file", "questions", "key_facts_correct", "refusal_accuracy", "citation_validity",
               "faithfulness", "answer_total_s_p50", "model", "commit", "state"]


def list_runs(root: Path) -> list[dict]:
    """The QA evaluation runs stored under root (by ``brief eval --qa`` and this UI), newest first, as table rows."""
    return [run_row(r) for r in RunStore(Path(root)).list(kind="qa")]


def run_row(r: RunInfo) -> dict:
    """One row of the runs table."""
    if r.unreadable:
        return {"run": r.name, "state": r.state}
    return {"run": r.name, "started": r.created, "QA file": Path(r.qa_file).name if r.qa_file else "",
            "questions": r.summary.get("questions", ""), **{k: r.summary.get(k, "") for k in RUN_COLUMNS[4:9]},
            "model": r.model, "commit": r.commit, "state": r.state}


def runs_frame(runs: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([[("—" if r.get(c) is None else str(r.get(c, ""))) for c in RUN_COLUMNS] for r in runs],
                        columns=RUN_COLUMNS)


def qa_files() -> list[tuple[str, str]]:
    """(name, path) of the QA sets the tab may run: eval/datasets/*.jsonl here and under the working directory.

    Only files whose records are questions are listed; dev.jsonl, the development set, comes first.
    """
    found = {}
    for d in (DATASETS_DIR, Path.cwd() / "eval" / "datasets"):
        if d.is_dir():
            for p in sorted(d.glob("*.jsonl")):
                if looks_like_qa(p):
                    found.setdefault(p.name, str(p.resolve()))
    return sorted(found.items(), key=lambda item: item[0] != "dev.jsonl")


def stored_runs(runs_root: Path) -> list[dict]:
    try:
        return list_runs(runs_root)
    except OSError:
        return []


def runs_outputs(runs_root: Path, runs: list[dict] | None = None):
    """The stored-runs table and the two run pickers (B: the newest run, A: the one before)."""
    runs = stored_runs(runs_root) if runs is None else runs
    usable = [r for r in runs if r.get("state") != "unreadable"]
    choices = [(f"{r['run']} · {r.get('QA file') or '?'} · {r.get('questions') or '?'} q · {r.get('state')}", r["run"])
               for r in usable]
    b = usable[0]["run"] if usable else None
    # A: the newest earlier run over the same questions, else simply the one before B
    like = [r["run"] for r in usable[1:] if (r.get("QA file"), r.get("questions")) ==
            (usable[0].get("QA file"), usable[0].get("questions"))]
    a = like[0] if like else (usable[1]["run"] if len(usable) > 1 else b)
    return runs_frame(runs), gr.update(choices=choices, value=a), gr.update(choices=choices, value=b)


def compare(runs_root: Path, run_a: str | None, run_b: str | None) -> str:
    """Two listed runs compared as HTML (only runs from the list, never an arbitrary path)."""
    names = {r["run"] for r in stored_runs(runs_root)}
    if not run_a or not run_b:
        raise UserError("Pick two stored runs to compare.")
    if run_a not in names or run_b not in names:  # only listed runs, never an arbitrary path
        raise UserError("Pick runs from the list.")
    try:
        c = RunStore(runs_root).compare(runs_root / run_a, runs_root / run_b)
    except (OSError, ValueError, KeyError) as e:
        raise UserError(f"Could not read the runs: {e}") from None
    return comparison_html(c, run_a, run_b)


def run_eval(service, runs_root: Path, path: str, limit: float, progress) -> tuple[dict, Path]:
    """Run a listed QA file (the first ``limit`` questions; 0 = all), stored like `brief eval --qa` runs."""
    from eval.qa.loading import load_qa
    from eval.qa.run import run_qa_eval

    if path not in dict((p, n) for n, p in qa_files()):  # only the listed files, never an arbitrary path
        raise UserError("Choose one of the listed QA files.")
    n = int(limit or 0)
    try:
        total = len(load_qa(Path(path))[: n or None])
    except ValueError as e:
        raise UserError(str(e)) from None
    progress((0, total), desc="Starting")
    run_dir = RunStore(runs_root).new_run_dir()
    result = run_qa_eval(service, Path(path), limit=n or None, progress=False, run_dir=run_dir,
                         on_item=lambda done, total: progress((done, total), desc=f"Question {done + 1} of {total}"))
    return result, run_dir


def result_tables(result: dict, run_name: str, qa_name: str) -> tuple:
    """(headline Markdown, metrics, rates to plot, by question type and blind/not blind, per question) of a QA run."""
    s = result["summary"]
    # every headline number the evaluation reports (the set grows as eval.qa.run gains metrics)
    summary = pd.DataFrame([[k, "—" if v is None else str(v)] for k, v in s.items()
                            if v is None or isinstance(v, (int, float, str))], columns=["metric", "value"])
    blind = ((f"{b.replace('_', ' ')} questions", v) for b, v in (s.get("by_blind") or {}).items())
    groups = [*(s.get("by_type") or {}).items(), *blind]
    type_rows = [{"type": t, **{k: ("—" if x is None else x) for k, x in v.items()}} for t, v in groups]
    by_type = pd.DataFrame(type_rows).astype(str) if type_rows else pd.DataFrame(columns=["type"])
    items = pd.DataFrame([[r.get("id"), r.get("type"), r.get("status"), "yes" if r.get("refusal_correct") else "no",
                           f"{r.get('facts_found', '')}/{r.get('facts_total', '')}" if r.get("answerable") else "",
                           f"{(r.get('timings') or {}).get('total_s', 0):.1f}", r.get("question"),
                           (r.get("answer") or "")[:200]] for r in result["items"]], columns=ITEM_COLUMNS)
    rates = ["recall@5", "key_facts_correct", "key_facts_partial", "refusal_accuracy", "citation_validity"]
    rates += [k for k in ("faithfulness", "citation_precision", "citation_recall") if k in s]
    plot = pd.DataFrame([[k, float(s[k])] for k in rates if isinstance(s.get(k), (int, float))],
                        columns=["metric", "value"])
    head = (f"**{esc(qa_name)}**: {s.get('questions')} questions ({s.get('answerable')} answerable, "
            f"{s.get('unanswerable')} unanswerable) with `{esc(result.get('model'))}`; stored as run "
            f"`{esc(run_name)}`.")
    return head, summary, plot, by_type, items


def _choices(update: dict) -> dict:
    """The choices and value of a gr.update, as keyword arguments for building the component."""
    return {k: update[k] for k in ("choices", "value") if k in update}


def build(service, runs_root: Path) -> list:
    """The Evaluate tab's layout and events; returns [runs table, run A, run B] (refreshed on page load)."""
    files = qa_files()
    with gr.Row():
        qa_pick = gr.Dropdown(files, value=files[0][1] if files else None, label="QA file", elem_id="qa-pick")
        qa_limit = gr.Number(5, label="Questions (0 = all)", precision=0, minimum=0, elem_id="qa-limit")
        eval_btn = gr.Button("Run evaluation", variant="primary", elem_id="eval-btn")
    gr.Markdown("Each question goes through the same search and answer path as **Ask** "
                "(expect 10–30 s per question on a laptop CPU).")
    eval_head = gr.Markdown(elem_id="eval-head")
    with gr.Row():
        eval_summary = gr.Dataframe(headers=["metric", "value"], interactive=False, label="Headline metrics",
                                    elem_id="eval-summary", max_height=720)
        eval_plot = gr.BarPlot(x="metric", y="value", y_lim=[0, 1], label="Rates (0–1)", elem_id="eval-plot",
                               x_label_angle=-40, height=420)
    eval_types = gr.Dataframe(interactive=False, label="By question type", elem_id="eval-types", headers=["type"])
    eval_items = gr.Dataframe(interactive=False, wrap=True, label="Per question", elem_id="eval-items",
                              headers=ITEM_COLUMNS, column_widths=["6%", "8%", "11%", "7%", "6%", "7%", "25%", "30%"])
    gr.Markdown(f"#### Stored runs\nRuns of `brief eval --qa` and of this tab, stored under `{esc(runs_root)}`. Pick "
                "two to see what improved and what regressed from A to B (the same comparison as "
                "`brief eval --compare A B`).")
    first = runs_outputs(runs_root)
    runs_df = gr.Dataframe(first[0], interactive=False, label="Stored runs (newest first)", elem_id="eval-runs",
                           wrap=True, max_height=420)
    with gr.Row():
        run_a = gr.Dropdown(label="Run A (before)", elem_id="run-a", scale=3, **_choices(first[1]))
        run_b = gr.Dropdown(label="Run B (after)", elem_id="run-b", scale=3, **_choices(first[2]))
        cmp_btn = gr.Button("Compare", elem_id="compare-btn", scale=1)
    cmp_out = gr.HTML(elem_id="eval-compare")

    @shown_errors
    def on_run(path, limit, progress=gr.Progress()):
        result, run_dir = run_eval(service, runs_root, path, limit, progress)
        qa_name = dict((p, n) for n, p in qa_files())[path]
        return (*result_tables(result, run_dir.name, qa_name), *runs_outputs(runs_root))

    eval_btn.click(on_run, [qa_pick, qa_limit], [eval_head, eval_summary, eval_plot, eval_types, eval_items,
                                                 runs_df, run_a, run_b], api_visibility="private", **MODEL_QUEUE)
    cmp_btn.click(shown_errors(lambda a, b: compare(runs_root, a, b)), [run_a, run_b], [cmp_out],
                  api_visibility="private")
    return [runs_df, run_a, run_b]
