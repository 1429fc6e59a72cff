"""BM25 over chunk texts (bm25s), with one tokenizer for indexing and querying."""
from __future__ import annotations

import threading

import numpy as np


_local = threading.local()


def stemmer():
    """The one English Snowball stemmer (PyStemmer), used by BM25 and the claim checks so their terms agree.

    One instance per thread: a PyStemmer instance is not thread-safe (concurrent calls mix up their words)."""
    st = getattr(_local, "stemmer", None)
    if st is None:
        import Stemmer

        st = _local.stemmer = Stemmer.Stemmer("english")
    return st


def stem_words(words: list[str]) -> list[str]:
    """Stems of words, by the shared stemmer."""
    return stemmer().stemWords(list(words))


def tokenize(texts: list[str]) -> list[list[str]]:
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer(), return_ids=False, show_progress=False)


def build_bm25(texts: list[str]):
    """A BM25 index over texts, or None for an empty corpus."""
    import bm25s

    if not texts:
        return None
    retriever = bm25s.BM25()
    retriever.index(tokenize(texts), show_progress=False)
    return retriever


def bm25_scores(retriever, query: str) -> np.ndarray | None:
    """Scores of every indexed text for query; None when no query term is in the vocabulary."""
    if retriever is None:
        return None
    vocab = retriever.vocab_dict
    terms = [t for t in tokenize([query])[0] if t in vocab]
    if not terms:
        return None
    return np.asarray(retriever.get_scores(terms), dtype="float32")
