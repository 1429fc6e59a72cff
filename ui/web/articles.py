"""The Articles tab: the table of articles, an opened article with its summary, and generating a summary."""
from __future__ import annotations

import time

import gradio as gr

from ui.web.common import ALL_COUNCILS, MODEL_QUEUE, UserError, shown_errors
from ui.web.library import Library
from ui.web.views import esc
from ui.web.views_articles import ARTICLE_HEADERS, article_view_html
from ui.web.views_councils import EVIDENCE_JS


def generate_summary(service, doc_id: str, force: bool = False, progress=None):
    """Summarize one article through ``service.summarize`` (the CLI's path), reporting each model call.

    ``progress(value, desc=..., unit=...)`` (a gr.Progress) gets (calls made, calls expected). Returns the batch
    report (``done``, ``failed``, ``stopped``); a failure is also stored by the batch.
    """
    t0 = time.monotonic()
    made = [0]

    def on_model_call(calls: int, expected: int) -> None:
        made[0] = calls
        if progress is None:
            return
        desc = ("Loading the model" if calls == 0 else
                f"Summarizing ({time.monotonic() - t0:.0f} s): model call {calls} of about {expected}")
        progress((calls, expected), desc=desc, unit="model calls")

    report = service.summarize([doc_id], workers=1, force=force, on_model_call=on_model_call)
    if progress is not None:
        progress((made[0], max(made[0], 1)), desc=f"Done: {made[0]} model calls in {time.monotonic() - t0:.0f} s",
                 unit="model calls")
    return report


def article_view(service, lib: Library, doc_id: str | None) -> str:
    """The opened article's HTML (or a prompt to pick one)."""
    if not doc_id:
        return '<div class="article-view"><small>Select an article in the table (or the list above) to read it.</small></div>'
    d = service.document(doc_id)
    if d is None:
        return f'<div class="article-view"><p>No article {esc(doc_id)} in the index.</p></div>'
    recs, failures = lib.summaries()
    return article_view_html(d, recs.get(doc_id), failures.get(doc_id))


def summary_button(service, lib: Library, doc_id: str | None) -> dict:
    """The Generate / Regenerate button's state for the opened article."""
    if not doc_id or service.document(doc_id) is None:
        return gr.update(visible=False)
    have = doc_id in lib.summaries()[0]
    return gr.update(visible=True, value="Regenerate summary" if have else "Generate summary",
                     variant="secondary" if have else "primary", interactive=True)


def make_summary(service, lib: Library, doc_id: str | None, progress) -> None:
    """Generate (or regenerate) the opened article's summary; warnings for a stopped or failed batch."""
    if not doc_id or service.document(doc_id) is None:
        raise UserError("Open an article first.")
    force = doc_id in lib.summaries()[0]
    try:
        report = generate_summary(service, doc_id, force=force, progress=progress)
    except Exception as e:  # noqa: BLE001 - the backend could not start (no model, server down)
        raise UserError(f"Could not summarize: {e}") from None
    if report.stopped:
        gr.Warning(f"Summary stopped: {report.stopped}")
    elif doc_id in report.failed:
        gr.Warning(f"The summary failed: {report.failed[doc_id]}")


def build(service, lib: Library) -> dict:
    """The Articles tab's layout and events. Returns its table and picker, and ``connect(refresh)`` to wire the
    summary button once [stats, ask council filter, council picker] (updated after a summary) all exist."""
    with gr.Row():
        query = gr.Textbox(label="Search articles (title, council, judgement or text)", scale=3, elem_id="article-search")
        pick = gr.Dropdown(lib.article_choices(), value=None, label="Open article", scale=2, elem_id="article-pick")
    table = gr.Dataframe(lib.article_rows(), headers=ARTICLE_HEADERS, interactive=False, wrap=True, datatype="str",
                         elem_id="article-table", max_height=640,
                         column_widths=["10%", "18%", "7%", "10%", "8%", "13%", "8%", "7%", "6%", "6%", "7%"],
                         label="Articles (click a column header to sort, a row to open)")
    with gr.Row():
        gen_btn = gr.Button("Generate summary", visible=False, variant="primary", scale=0, min_width=220,
                            elem_id="summary-btn")
        gr.Markdown("Structured summaries come from the local model; every statement is checked against "
                    "the article and linked to its evidence.", elem_id="summary-note")
    view = gr.HTML(article_view(service, lib, None), elem_id="article-view", js_on_load=EVIDENCE_JS)

    def on_open(doc_id):
        return article_view(service, lib, doc_id), summary_button(service, lib, doc_id)

    @shown_errors
    def on_generate(doc_id, q, progress=gr.Progress()):
        make_summary(service, lib, doc_id, progress)
        cs = lib.councils()
        return (*on_open(doc_id), lib.article_rows(q), lib.stats_line(), gr.update(choices=[ALL_COUNCILS] + cs),
                gr.update(choices=cs))

    def on_select(evt: gr.SelectData):
        row = evt.row_value or []
        return row[0] if row else gr.skip()

    query.change(lib.article_rows, [query], [table], api_visibility="private")
    table.select(on_select, None, [pick], api_visibility="private")
    pick.change(on_open, [pick], [view, gen_btn], api_visibility="private")

    def connect(refresh: list) -> None:
        gen_btn.click(on_generate, [pick, query], [view, gen_btn, table, *refresh], api_visibility="private",
                      show_progress_on=[view], **MODEL_QUEUE)
    return {"table": table, "pick": pick, "connect": connect}
