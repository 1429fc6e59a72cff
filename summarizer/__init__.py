"""Grounded answers and summaries from a local language model, over retrieval's passages."""
