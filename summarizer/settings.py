"""The one typed settings object for brief; every field has a default that works."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from retrieval.settings import RetrievalSettings, index_dir_from_env


def cache_dir() -> Path:
    """Where brief caches models, wheels and checker verdicts: $BRIEF_CACHE, else ~/.cache/brief."""
    return Path(os.environ.get("BRIEF_CACHE", Path.home() / ".cache" / "brief"))




@dataclass
class ModelSettings:
    """The local generator and how it runs."""

    model_id: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    model_path: Path | None = None  # a GGUF file; None = assemble the bundled one into cache_dir
    cache_dir: Path = field(default_factory=cache_dir)
    n_ctx: int = 4096
    n_threads: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))
    n_batch: int = 256
    max_answer_tokens: int = 384
    prefix_cache_mb: int = 2048  # saved KV states of documents' prompt prefixes (~28 KB a token for this model)
    temperature: float = 0.0
    seed: int = 0


@dataclass
class AnswerSettings:
    """How questions are answered from passages."""

    search_hits: int = 10  # hits whose documents the plan may read
    max_docs: int = 5  # documents read one by one for a question across councils or documents
    fallback_docs: int = 2  # documents tried in turn for a single-document question
    gate_passages: int = 4  # search hits the answerable gate reads (as fragments, not whole documents): those of the
    # search_hits whose best sentence bears most on the question
    gate_passage_chars: int = 550  # each trimmed to its most relevant sentences within this budget
    doc_chars: int = 9000  # a document this long is shown whole (most news articles); a longer one by its most relevant sentences
    warm_docs: int = 20  # documents `brief serve` reads into the prefix cache at start (0: none)
    warm_findings: int = 5  # articles whose findings `brief serve` labels at start, after the prefix cache (0: none)
    list_councils_per_doc: int = 3  # councils a document may put in a list answer (its own first)
    list_item_tokens: int = 90  # one council's sentence in a list answer
    passage_chars: int = 420  # adjacent sentences grouped into one numbered passage up to this length
    answerable_threshold: float = 0.6  # P(yes) the passages answer the question, below which we refuse (dev set)
    min_support: float = 0.5  # share of an answer sentence's content words found in its cited passages
    check_sentences: bool = True  # the faithfulness checker scores every kept sentence; below its threshold it is dropped
    relevance_threshold: float = 0.3  # P(the sentence answers the question), below which it is dropped (0: off)
    extract_candidates: int = 6  # a document's (or council's) sentences closest to the question, put to the model
    extract_threshold: float = 0.5  # P(the sentence answers the question) at which a quoted sentence is kept
    max_question_chars: int = 1000  # longer questions are refused with a clear message (QuestionTooLong)
    prompt_margin_tokens: int = 160  # context kept free beyond the answer's tokens (the judge's statement, its ask)


@dataclass
class BackendSettings:
    """Which model backend generates structured summaries: llama (in-process, default), transformers, or openai
    (any OpenAI-compatible HTTP server)."""

    kind: str = "llama"  # llama | transformers | openai
    base_url: str | None = None  # openai: e.g. http://127.0.0.1:8000/v1
    api_key: str | None = None
    model: str | None = None  # openai: the served model name
    hf_model: str | None = None  # transformers: a model directory or .gguf (default: the bundled GGUF)
    timeout_s: float = 300.0
    workers: int = 1  # requests at once (openai only; the in-process model serves one at a time)


@dataclass
class Settings:
    """All of brief's configuration."""

    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    answer: AnswerSettings = field(default_factory=AnswerSettings)
    backend: BackendSettings = field(default_factory=BackendSettings)

    @classmethod
    def from_env(cls, index_dir: str | Path | None = None) -> "Settings":
        """Defaults, overridden by BRIEF_* environment variables and an explicit index directory."""
        s = cls()
        s.retrieval.index_dir = index_dir_from_env(index_dir)
        if os.environ.get("BRIEF_MODEL_PATH"):
            s.model.model_path = Path(os.environ["BRIEF_MODEL_PATH"])
        if os.environ.get("BRIEF_THREADS"):
            s.model.n_threads = int(os.environ["BRIEF_THREADS"])
        env = os.environ.get
        if env("BRIEF_BACKEND"):
            s.backend.kind = env("BRIEF_BACKEND").strip().lower()
        if env("BRIEF_OPENAI_BASE_URL"):
            s.backend.base_url = env("BRIEF_OPENAI_BASE_URL")
        if env("BRIEF_OPENAI_API_KEY"):
            s.backend.api_key = env("BRIEF_OPENAI_API_KEY")
        if env("BRIEF_OPENAI_MODEL"):
            s.backend.model = env("BRIEF_OPENAI_MODEL")
        if env("BRIEF_HF_MODEL"):  # transformers backend: a Hugging Face model directory or a .gguf file
            s.backend.hf_model = env("BRIEF_HF_MODEL")
        if env("BRIEF_OPENAI_TIMEOUT"):
            s.backend.timeout_s = float(env("BRIEF_OPENAI_TIMEOUT"))
        return s
