"""The Councils tab: a council's briefing from the summaries, or what the index metadata records."""
from __future__ import annotations

import gradio as gr

from ui.web.library import Library
from ui.web.views import esc
from ui.web.views_councils import EVIDENCE_JS, briefing_html, metadata_briefing_html


def council_view_html(service, council: str, docs: list, summaries: dict) -> str:
    """``service.council_briefing`` when a summary covers the council, else the metadata view."""
    b = None
    if summaries:
        try:
            b = service.council_briefing(council)
        except Exception:  # noqa: BLE001 - fall back to what the metadata says
            b = None
    if b is not None and b.covered and any(te.summarized for te in b.timeline):
        return briefing_html(b, {d.id: d for d in docs}, summaries)
    about = [d for d in docs if council in d.meta.councils]
    if not about:
        return f"<p>No article in the index is about {esc(council)}.</p>"
    return metadata_briefing_html(council, about)


def council_page(service, lib: Library, council: str | None) -> str:
    if not council:
        return "<small>Pick a council to see what the articles say about it.</small>"
    return council_view_html(service, council, lib.docs(), lib.summaries()[0])


def build(service, lib: Library, councils: list[str]) -> gr.Dropdown:
    """The Councils tab's layout and events; returns its council picker."""
    pick = gr.Dropdown(councils, value=None, label="Council", elem_id="council-pick")
    briefing = gr.HTML(council_page(service, lib, None), elem_id="council-briefing", js_on_load=EVIDENCE_JS)
    pick.change(lambda c: council_page(service, lib, c), [pick], [briefing], api_visibility="private")
    return pick
