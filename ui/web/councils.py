"""The Councils tab: a council's briefing from the summaries (or what the index metadata records), its judgement areas
over time as a chart, and the digest of every council (filterable by judgement and year) with judgements by year."""
from __future__ import annotations

import gradio as gr

from ui.web.library import Library
from ui.web.views import esc
from ui.web.views_councils import EVIDENCE_JS, briefing_html, metadata_briefing_html
from ui.web.views_record import ANY, DIGEST_HEADERS, digest_filters, digest_rows, record_html


def _briefing(service, council: str):
    """``service.council_briefing``, or None when the index cannot give one (no index yet)."""
    try:
        return service.council_briefing(council)
    except Exception:  # noqa: BLE001 - fall back to what the metadata says
        return None


def council_view_html(service, council: str, docs: list, summaries: dict, b=None) -> str:
    """The briefing when a summary covers the council, else the metadata view; then its graded record."""
    b = b if b is not None else _briefing(service, council)
    if b is not None and b.covered and summaries and any(te.summarized for te in b.timeline):
        return briefing_html(b, {d.id: d for d in docs}, summaries) + record_html(b)
    about = [d for d in docs if council in d.meta.councils]
    if not about:
        return f"<p>No article in the index is about {esc(council)}.</p>"
    return metadata_briefing_html(council, about) + record_html(b)


def council_outputs(service, lib: Library, council: str | None):
    """(briefing HTML, chart Figure or None) for the picked council."""
    if not council:
        return "<small>Pick a council to see what the articles say about it.</small>", None
    b = _briefing(service, council)
    page = council_view_html(service, council, lib.docs(), lib.summaries()[0], b)
    return page, (service.council_chart(b) if b is not None else None)


def council_page(service, lib: Library, council: str | None) -> str:
    return council_outputs(service, lib, council)[0]


def _digest(service) -> dict | None:
    try:
        return service.digest()
    except Exception:  # noqa: BLE001 - no index yet: an empty digest
        return None


def digest_outputs(service, judgement: str | None = None, year: str | None = None):
    """(filtered table, judgements-by-year Figure, judgement choices, year choices) of the digest."""
    d = _digest(service)
    judgements, years = digest_filters(d)
    chart = service.digest_chart(d) if d is not None else None
    return digest_rows(d, judgement, year), chart, judgements, years


def _build_digest(service) -> None:
    """The digest section: filters, the councils table and the distribution chart (re-read on open and Refresh)."""
    rows, fig, judgements, years = digest_outputs(service)
    with gr.Accordion("Digest: every council's latest judgement, and judgements by year", open=False,
                      elem_id="digest") as acc:
        with gr.Row():
            judgement = gr.Dropdown(judgements, value=ANY, label="Judgement", elem_id="digest-judgement")
            year = gr.Dropdown(years, value=ANY, label="Year", elem_id="digest-year")
            refresh = gr.Button("Refresh", scale=0, min_width=120, elem_id="digest-refresh")
        table = gr.Dataframe(rows, headers=DIGEST_HEADERS, interactive=False, wrap=True, datatype="str",
                             elem_id="digest-table", max_height=480)
        chart = gr.Plot(fig, label="Overall effectiveness judgements by year", elem_id="digest-chart")

    def filtered(j, y):
        return digest_outputs(service, j, y)[:2]

    def reread(j, y):
        t, c, js, ys = digest_outputs(service, j, y)
        return t, c, gr.update(choices=js), gr.update(choices=ys)

    for ev in (judgement.input, year.input):
        ev(filtered, [judgement, year], [table, chart], api_visibility="private")
    for ev in (refresh.click, acc.expand):
        ev(reread, [judgement, year], [table, chart, judgement, year], api_visibility="private")


def build(service, lib: Library, councils: list[str]) -> gr.Dropdown:
    """The Councils tab's layout and events; returns its council picker."""
    pick = gr.Dropdown(councils, value=None, label="Council", elem_id="council-pick")
    chart = gr.Plot(label="Judgement areas over time", elem_id="council-chart")
    briefing = gr.HTML(council_page(service, lib, None), elem_id="council-briefing", js_on_load=EVIDENCE_JS)
    pick.change(lambda c: council_outputs(service, lib, c), [pick], [briefing, chart], api_visibility="private")
    _build_digest(service)
    return pick
