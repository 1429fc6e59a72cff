"""Step 1, retrieve: the passages search finds for the question, or the answer when there is nothing to search."""
from __future__ import annotations

from typing import Protocol

from retrieval.records import SearchResult
from retrieval.search import SearchFilters

from summarizer.answer.records import Answer

NOT_IN_ARTICLES = "The articles don't say."


class Retriever(Protocol):
    """What the answerer needs from retrieval (and nothing more)."""

    def search(self, query: str, k: int | None = None, filters: SearchFilters | None = None) -> SearchResult: ...


def retrieve(retriever: Retriever, question: str, passages: int, filters: SearchFilters | None) -> SearchResult:
    """Search hits for the question (a few more than are shown, for the evidence step to choose from)."""
    return retriever.search(question, k=max(passages, 5), filters=filters)


def nothing_found(question: str, result: SearchResult, timings: dict[str, float]) -> Answer | None:
    """The answer when search found nothing to read (a council the corpus lacks, or no match); None otherwise."""
    if result.hits:
        return None
    timings["total_s"] = timings["search_s"]
    if result.missing_councils:
        names = ", ".join(result.missing_councils)
        return Answer(question, "council_not_covered", f"The articles don't cover {names}, so they can't answer this.",
                      missing=result.missing_councils, timings=timings)
    return Answer(question, "not_in_articles", NOT_IN_ARTICLES + " No passage matched the question.", timings=timings)
