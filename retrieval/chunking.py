"""Sentence-aware chunking into passages that fit the embedder's 256 word-piece window."""
from __future__ import annotations

from collections.abc import Callable

from retrieval.records import Chunk, CleanText, DocMeta
from retrieval.sentences import split_sentences

TokenCounter = Callable[[list[str]], list[int]]


def _approx_counts(texts: list[str]) -> list[int]:
    """Word-piece estimate for tests without the tokenizer: ~1.3 pieces per word."""
    return [int(len(t.split()) * 1.3) + 1 for t in texts]


def tokenizer_counter() -> TokenCounter:
    """Exact word-piece counts from the embedder's own tokenizer."""
    from retrieval.embedding import shared_tokenizer

    tok = shared_tokenizer()

    def count(texts: list[str]) -> list[int]:
        if not texts:
            return []
        enc = tok(texts, add_special_tokens=False, truncation=False)["input_ids"]
        return [len(ids) for ids in enc]

    return count


def _pack(
    doc_id: str,
    clean: CleanText,
    spans: list[tuple[int, int]],
    counts: list[int],
    max_tokens: int,
    overlap: int,
    councils: list[str],
    role: str,
    first_ordinal: int,
) -> list[Chunk]:
    chunks: list[Chunk] = []
    i = 0
    n = len(spans)
    while i < n:
        j, total = i, 0
        while j < n and (j == i or total + counts[j] <= max_tokens):
            total += counts[j]
            j += 1
        cs, ce = spans[i][0], spans[j - 1][1]
        if counts[i] > max_tokens:  # one over-long sentence: cut it by characters
            ce = cs + max(1, int((ce - cs) * max_tokens / counts[i]))
        s, e = clean.original_span(cs, ce)
        chunks.append(
            Chunk(
                id=f"{doc_id}#{first_ordinal + len(chunks)}",
                doc_id=doc_id,
                text=clean.text[cs:ce],
                start=s,
                end=e,
                councils=list(councils),
                role=role,
                ordinal=first_ordinal + len(chunks),
            )
        )
        if j >= n:
            break
        i = max(i + 1, j - overlap)
    return chunks


def chunk_document(
    doc_id: str,
    clean: CleanText,
    meta: DocMeta,
    max_tokens: int = 200,
    overlap: int = 1,
    count_tokens: TokenCounter | None = None,
) -> list[Chunk]:
    """Chunks of the article body, then (role="comment") of reader comments, each with original spans."""
    count_tokens = count_tokens or _approx_counts
    body_end = clean.comment_start if clean.comment_start is not None else len(clean.text)
    out: list[Chunk] = []
    for role, (a, b) in (("body", (0, body_end)), ("comment", (body_end, len(clean.text)))):
        spans = split_sentences(clean.text, a, b)
        if not spans:
            continue
        counts = count_tokens([clean.text[s:e] for s, e in spans])
        out.extend(_pack(doc_id, clean, spans, counts, max_tokens, overlap, meta.councils, role, len(out)))
    return out
