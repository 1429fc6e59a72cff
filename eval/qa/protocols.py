"""What the QA eval needs from the service it evaluates, as explicit Protocols (no hasattr probes).

`summarizer.service.BriefService` satisfies them; tests and the web UI pass small stand-ins. eval/qa never needs
the concrete service class.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, Sequence

if TYPE_CHECKING:  # annotations only: keeps this module free of the search stack's imports
    from retrieval.search import SearchFilters


class HasModelId(Protocol):
    """The generator, as far as a run's records go: its id."""

    model_id: str


class BaselineRetriever(Protocol):
    """Dense-only and BM25-only retrieval, the baselines beside the hybrid search (needed with baselines=True)."""

    def dense_only(self, query: str, k: int) -> Sequence[Any]: ...

    def bm25_only(self, query: str, k: int) -> Sequence[Any]: ...


class QAService(Protocol):
    """Search and ask through the same path as the CLI; the model id and settings are recorded with the run.

    `retriever` is only read with baselines=True; `documents()` supplies the reader comments an answer must not
    rest on (a service whose documents cannot be listed, e.g. with no index, is evaluated without them).
    """

    llm: HasModelId
    settings: Any

    @property
    def retriever(self) -> BaselineRetriever: ...

    def search(self, query: str, k: int | None = None, filters: SearchFilters | None = None) -> Any: ...

    def ask(self, question: str, filters: SearchFilters | None = None) -> Any: ...

    def documents(self) -> list[Any]: ...
