"""The functions the app publishes as its API (``gradio_client``) and, with ``mcp_server=True``, as MCP tools.

Their names, type hints and docstrings (Args/Returns) become the tools' names, input schemas and descriptions.
"""
from __future__ import annotations

from collections.abc import Callable

from ui.web.common import UserError, parse_filters
from ui.web.views import hit_dict


def _ask_tool(service) -> Callable:
    """The ask tool: a checked, cited answer to a question."""

    def ask(question: str, council: str = "", date_from: str = "", date_to: str = "") -> dict:
        """Answer a question about English councils' children's services from the indexed news articles and Ofsted
        reports. Every sentence cites the passages it rests on; when the articles don't say, the answer says so.

        Args:
            question: the question, e.g. "Why was Darlington rated inadequate?"
            council: only use passages about this council (empty: all councils)
            date_from: earliest date, like 2015 or 2015-09-01 (empty: no limit)
            date_to: latest date, like 2019 or 2019-12-31 (empty: no limit)
        Returns:
            the answer: status, text, sentences (each with its citations and checks) and the cited passages
        """
        if not (question or "").strip():
            raise UserError("Give a question.")
        return service.ask(question, parse_filters(council, date_from, date_to)).to_dict()

    return ask


def _search_tool(service) -> Callable:
    """The search tool: the best passages for a query (no language model)."""

    def search(query: str, k: int = 5, council: str = "", date_from: str = "", date_to: str = "") -> list[dict]:
        """Hybrid keyword and semantic search over the indexed articles and reports (no language model).

        Args:
            query: words to search for, e.g. "Darlington assessments"
            k: how many passages to return (1 to 20)
            council: only passages about this council (empty: all councils)
            date_from: earliest date, like 2015 or 2015-09-01 (empty: no limit)
            date_to: latest date, like 2019 or 2019-12-31 (empty: no limit)
        Returns:
            the best passages: article_id, title, date, source, score, councils, text and its character span
        """
        if not (query or "").strip():
            raise UserError("Give a query.")
        k = max(1, min(20, int(k or 5)))
        return [hit_dict(h) for h in service.search(query, k, parse_filters(council, date_from, date_to)).hits]

    return search


def _briefing_tool(service) -> Callable:
    """The council briefing tool: a council's briefing from the stored summaries."""

    def council_briefing(council: str) -> dict:
        """A council's briefing from the stored structured summaries: timeline of inspections with judgements and
        findings, recurring issues and what changed between visits, each point citing its article.

        Args:
            council: the council's name, e.g. "Torbay"
        Returns:
            the briefing: council, covered, timeline (each entry's code-read grade per area), recurring, changes,
            inspections (the graded inspections in date order), areas, grade_changes (per area, from one inspection
            to the next), passages, missing_summaries
        """
        if not (council or "").strip():
            raise UserError("Give a council.")
        return service.council_briefing(council.strip()).as_dict()

    return council_briefing


def _summary_tool(service) -> Callable:
    """The summary tool: one article's stored structured summary."""

    def summary(article_id: str) -> dict:
        """The stored structured summary of one article (per council: inspection kind, date, judgement, weaknesses,
        strengths, actions, figures, people; every item with its evidence spans). Search first to find article ids.

        Args:
            article_id: the article's id, as search and ask return it (article_id / doc_id)
        Returns:
            the summary record, or {"article_id", "summary": null, "reason"} when none is stored yet
        """
        doc_id = (article_id or "").strip()
        if service.document(doc_id) is None:
            raise UserError(f"No article {doc_id!r} in the index.")
        rec = next((r for r in service.stored_summaries() if r.doc_id == doc_id), None)
        if rec is None:
            return {"article_id": doc_id, "summary": None,
                    "reason": f"not generated; run `brief summarize {doc_id}` or use the Articles tab"}
        return rec.model_dump(mode="json")

    return summary


def make_tools(service) -> dict[str, Callable]:
    """{api_name: function} over one service: ask, search, council briefing and stored summary."""
    return {"ask_api": _ask_tool(service), "search_api": _search_tool(service),
            "council_briefing_api": _briefing_tool(service), "summary_api": _summary_tool(service)}
