"""The app: the five tabs over one service, the model queue, the API / MCP tools, login and serving.

Every tab calls the same ``BriefService`` functions as the CLI.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr  # noqa: E402

from ui.web import add, articles, ask, councils, evaluate  # noqa: E402
from ui.web.bind import auth_from_env, check_bind  # noqa: E402
from ui.web.common import ALL_COUNCILS, MODEL_QUEUE, shown_errors  # noqa: E402
from ui.web.library import Library  # noqa: E402
from ui.web.style import CSS, THEME_FONTS  # noqa: E402
from ui.web.tools import make_tools  # noqa: E402

QUEUE_MAX = 16
MCP_PATH = "/gradio_api/mcp/"  # streamable HTTP; /gradio_api/mcp/sse for the SSE transport


def _register_tools(service) -> None:
    """The API endpoints (and MCP tools): ask in the model queue, the others beside it."""
    for api_name, fn in make_tools(service).items():
        queue = MODEL_QUEUE if api_name == "ask_api" else {"concurrency_limit": 4, "concurrency_id": "search"}
        gr.api(shown_errors(fn), api_name=api_name, **queue)


def build_app(service, settings=None, runs_dir: str | Path | None = None, queue_max: int | None = None) -> gr.Blocks:
    """The whole web interface over one service (the same code path as the CLI).

    ``runs_dir``: where evaluation runs are stored and listed (default: eval/runs, as ``brief eval`` uses).
    ``queue_max``: how many requests may wait in the queue (default QUEUE_MAX); one more is told "Queue is full".
    """
    from eval.qa.run import RUNS_DIR

    settings = settings or service.settings
    max_bytes = min(add.MAX_FILE_BYTES,
                    getattr(getattr(settings, "retrieval", None), "max_file_bytes", add.MAX_FILE_BYTES))
    runs_root = Path(runs_dir) if runs_dir else RUNS_DIR
    lib = Library(service)
    with gr.Blocks(title="brief: Ofsted inspection articles", analytics_enabled=False) as app:
        gr.Markdown("## brief: grounded answers about Ofsted inspections of children's services")
        stats = gr.Markdown(lib.stats_line(), elem_id="stats")
        names = lib.councils()
        with gr.Tabs():
            with gr.Tab("Ask", id="ask", elem_id="tab-ask"):
                council = ask.build(service, names)
            with gr.Tab("Articles", id="articles", elem_id="tab-articles"):
                art = articles.build(service, lib)
            with gr.Tab("Councils", id="councils", elem_id="tab-councils"):
                council_pick = councils.build(service, lib, names)
            with gr.Tab("Add articles", id="add", elem_id="tab-add"):
                add.build(service, lib, max_bytes, [art["table"], art["pick"], council, council_pick, stats])
            with gr.Tab("Evaluate", id="evaluate", elem_id="tab-evaluate"):
                runs = evaluate.build(service, runs_root)
        art["connect"]([stats, council, council_pick])
        _register_tools(service)

        def on_load():  # the index, summaries or stored runs may have changed (CLI) since the app was built
            cs = lib.councils()
            return (lib.stats_line(), lib.article_rows(), gr.update(choices=lib.article_choices()),
                    gr.update(choices=[ALL_COUNCILS] + cs), gr.update(choices=cs),
                    *evaluate.runs_outputs(runs_root))

        app.load(on_load, None, [stats, art["table"], art["pick"], council, council_pick, *runs],
                 api_visibility="private")
    app.queue(default_concurrency_limit=1, max_size=QUEUE_MAX if queue_max is None else queue_max)
    return app


def serve(service, host: str = "127.0.0.1", port: int = 7860, auth=None, *, block: bool = True,
          preload_model: bool = True, quiet: bool = False, runs_dir: str | Path | None = None,
          mcp: bool | None = None, queue_max: int | None = None) -> gr.Blocks:
    """Serve the interface; refuses a non-loopback address unless a login is set (BRIEF_USERNAME/BRIEF_PASSWORD).

    ``mcp``: also serve the API functions as MCP tools at ``/gradio_api/mcp/`` (default: on without a login, off
    with one, since Gradio's MCP routes do not ask for the login). ``queue_max``: see ``build_app``. With
    ``block=False`` the server runs in a background thread and the app is returned (``app.close()`` stops it).
    """
    auth = auth or auth_from_env()
    check_bind(host, auth)
    mcp = (not auth) if mcp is None else mcp
    app = build_app(service, service.settings, runs_dir=runs_dir, queue_max=queue_max)
    if preload_model:  # load the model while the first page renders
        threading.Thread(target=lambda: _quietly(lambda: service.llm), daemon=True, name="brief-preload").start()
    shown = f"[{host}]" if ":" in host else host
    if not quiet:
        print(f"brief: serving http://{shown}:{port}/ ({'login required' if auth else 'this machine only'}; "
              "Ctrl-C to stop)" + (f"; MCP tools at http://{shown}:{port}{MCP_PATH}" if mcp else ""), flush=True)
    app.launch(server_name=host, server_port=port, auth=auth, prevent_thread_lock=not block, show_error=True,
               max_file_size=add.MAX_FILE_BYTES, ssr_mode=False, quiet=True, css=CSS,
               theme=gr.themes.Default(**THEME_FONTS), footer_links=["api"], mcp_server=mcp,
               auth_message="brief: sign in with BRIEF_USERNAME / BRIEF_PASSWORD")
    return app


def _quietly(fn: Callable[[], object]) -> None:
    try:
        fn()
    except Exception:  # noqa: BLE001 - the first question will report the problem
        pass
