"""The MCP endpoint: the real app served on loopback over a real index, listed and called with the `mcp` client.

No model runs: only the search tool is called (ask, council briefing and summary are listed with their schemas).
"""
from __future__ import annotations

import ast
import asyncio
import socket

import pytest

pytest.importorskip("mcp", reason="the mcp package (gradio's mcp extra) is not installed")

pytestmark = [pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]

DARLINGTON = "003_e2e4cb79d3b36c14"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def mcp_url(index_copy):
    from summarizer.service import BriefService
    from summarizer.settings import Settings
    from ui.web import serve

    svc = BriefService(Settings.from_env(index_copy))
    port = _free_port()
    app = serve(svc, host="127.0.0.1", port=port, block=False, preload_model=False, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/gradio_api/mcp/"
    finally:
        app.close()


async def _list_and_search(url: str):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async with streamable_http_client(url) as (read, write, _), ClientSession(read, write) as session:
        await session.initialize()
        tools = {t.name: t for t in (await session.list_tools()).tools}
        hits = await session.call_tool("search", {"query": "Darlington assessments timescales", "k": 3})
        empty = await session.call_tool("search", {"query": "  "})
        return tools, hits, empty


def test_mcp_lists_the_tools_and_searches(mcp_url):
    tools, hits, empty = asyncio.run(_list_and_search(mcp_url))
    assert {"ask", "search", "council_briefing", "summary"} <= set(tools)
    search = tools["search"]
    assert "Hybrid keyword and semantic search" in search.description
    props = search.inputSchema["properties"]
    assert props["query"]["type"] == "string" and "words to search for" in props["query"]["description"]
    assert props["k"]["type"] in ("integer", "number") and search.inputSchema["required"] == ["query"]
    assert tools["ask"].inputSchema["required"] == ["question"]
    assert "council" in tools["council_briefing"].inputSchema["properties"]
    assert not hits.isError
    rows = ast.literal_eval(hits.content[0].text)  # Gradio's MCP server sends a result as its Python repr
    assert 1 <= len(rows) <= 3 and rows[0]["article_id"] == DARLINGTON
    assert {"title", "date", "score", "text", "start", "end"} <= set(rows[0])
    assert empty.isError and "Give a query" in empty.content[0].text


def test_mcp_is_off_when_a_login_is_required(index_copy):
    import httpx

    from summarizer.service import BriefService
    from summarizer.settings import Settings
    from ui.web import serve

    port = _free_port()
    app = serve(BriefService(Settings.from_env(index_copy)), host="127.0.0.1", port=port, auth=("u", "p"),
                block=False, preload_model=False, quiet=True)
    try:
        r = httpx.post(f"http://127.0.0.1:{port}/gradio_api/mcp/", trust_env=False,
                       json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                       headers={"Accept": "application/json, text/event-stream"})
        assert r.status_code in (401, 404), r.text[:200]
    finally:
        app.close()
