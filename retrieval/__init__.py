"""Ingestion, indexing and hybrid search over articles. Knows nothing of the language model."""
