"""The Ask tab: streamed, checked answers (from the typed answer events), session history, passage search."""
from __future__ import annotations

import time
from collections.abc import Iterator

import gradio as gr

from summarizer.answer.events import AnswerReady, PassagesFound, SentenceChecked, TokenStreamed
from ui.web.common import ALL_COUNCILS, MODEL_QUEUE, UserError, parse_filters, shown_errors
from ui.web.views import history_html, search_results_html
from ui.web.views_answer import ANSWER_JS, AnswerView

EXAMPLES = [
    "Why was Darlington rated inadequate?",
    "What went wrong with Torbay's senior leadership?",
    "Which council was appointed as Worcestershire's improvement partner?",
    "What did the focused visit find about Tameside's front door?",
    "What penalties did Ofsted impose on Darlington?",
]
TOKEN_REFRESH_S = 0.8  # re-render at most this often while tokens stream


def answer_views(service, question: str, filters) -> Iterator[AnswerView]:
    """The answer view after each event worth showing (passages found, sentences checked, tokens now and then)."""
    view = AnswerView(service, question)
    yield view
    last = time.monotonic()
    for ev in service.ask_stream(question, filters):
        if isinstance(ev, PassagesFound):
            view.passages = ev.passages
            view.stage = f"Found {len(ev.passages)} passages; checking that they answer the question…"
        elif isinstance(ev, TokenStreamed):
            view.tokens += 1
            if time.monotonic() - last < TOKEN_REFRESH_S:
                continue
        elif isinstance(ev, SentenceChecked):
            view.sentences.append(ev.sentence)
        elif isinstance(ev, AnswerReady):
            view.answer = ev.answer
            if ev.answer.passages and not view.passages:
                view.passages = ev.answer.passages
            continue
        last = time.monotonic()
        yield view


def history_entry(question: str, view: AnswerView) -> dict:
    """What the session history keeps of one answer (its final HTML too, to show it again)."""
    a = view.answer
    return {"question": question, "status": a.status if a else "error", "text": a.text if a else "",
            "total_s": (a.timings.get("total_s", 0.0) if a else 0.0), "when": time.strftime("%H:%M:%S"),
            "html": view.render()}


def ask(service, question: str, council: str, date_from: str, date_to: str, history: list[dict]):
    """The Ask button: yields (answer HTML, history, history HTML, earlier-answer picker) as the answer streams."""
    question = (question or "").strip()
    if not question:
        raise UserError("Type a question first.")
    filters = parse_filters(council, date_from, date_to)
    view = None
    try:
        for view in answer_views(service, question, filters):
            yield view.render(), history, gr.skip(), gr.skip()
    except Exception as e:  # noqa: BLE001 - show the problem instead of a hung spinner
        raise UserError(f"Could not answer: {e}") from None
    history = history + [history_entry(question, view)]
    choices = [(f"{i + 1}. {h['question'][:80]}", i) for i, h in enumerate(history)]
    yield history[-1]["html"], history, history_html(history), gr.update(choices=choices, value=None)


def show_earlier(index, history: list[dict]):
    if index is None or not isinstance(index, int) or not (0 <= index < len(history)):
        return gr.skip()
    return history[index]["html"]


def search_html(service, query: str, k: float, council: str, date_from: str, date_to: str) -> str:
    """The passage search (no model) as HTML."""
    query = (query or "").strip()
    if not query:
        return '<div class="search-results"><small>Type words to search for.</small></div>'
    return search_results_html(service.search(query, int(k or 5), parse_filters(council, date_from, date_to)))


def build(service, councils: list[str]) -> gr.Dropdown:
    """The Ask tab's layout and events; returns its council filter (other tabs refresh its choices)."""
    history = gr.State([])
    with gr.Row():
        with gr.Column(scale=3):
            question = gr.Textbox(label="Question", placeholder="e.g. Why was Darlington rated inadequate?",
                                  lines=2, elem_id="question")
            with gr.Row():
                council = gr.Dropdown([ALL_COUNCILS] + councils, value=ALL_COUNCILS, label="Council",
                                      elem_id="council-filter")
                date_from = gr.Textbox(label="From (YYYY or YYYY-MM-DD)", elem_id="date-from")
                date_to = gr.Textbox(label="To (YYYY or YYYY-MM-DD)", elem_id="date-to")
            ask_btn = gr.Button("Ask", variant="primary", elem_id="ask-btn")
            gr.Examples([[q] for q in EXAMPLES], inputs=[question], label="Example questions")
            answer = gr.HTML('<div class="brief-answer"><small>The answer appears here, sentence by sentence, '
                             "each checked against the passage it cites.</small></div>",
                             elem_id="answer", js_on_load=ANSWER_JS, min_height=80)
        with gr.Column(scale=1):
            gr.Markdown("#### This session")
            earlier = gr.Dropdown([], value=None, label="Show an earlier answer", type="value", elem_id="history-pick")
            hist = gr.HTML(history_html([]), elem_id="history")
    with gr.Accordion("Search passages (no model)", open=False, elem_id="search-acc"):
        with gr.Row():
            search_q = gr.Textbox(label="Search words", scale=4, elem_id="search-q")
            search_k = gr.Number(5, label="Passages", precision=0, minimum=1, maximum=20, scale=1)
            search_btn = gr.Button("Search", scale=1, elem_id="search-btn")
        search_out = gr.HTML(elem_id="search-out")

    @shown_errors
    def on_ask(question, council, date_from, date_to, history):
        yield from ask(service, question, council, date_from, date_to, history)

    @shown_errors
    def on_search(query, k, council, date_from, date_to):
        return search_html(service, query, k, council, date_from, date_to)

    for trigger in (ask_btn.click, question.submit):
        trigger(on_ask, [question, council, date_from, date_to, history], [answer, history, hist, earlier],
                api_visibility="private", show_progress_on=[answer], **MODEL_QUEUE)
    earlier.change(show_earlier, [earlier, history], [answer], api_visibility="private")
    for trigger in (search_btn.click, search_q.submit):
        trigger(on_search, [search_q, search_k, council, date_from, date_to], [search_out], api_visibility="private")
    return council
