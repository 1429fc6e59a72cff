"""Clean article/report text: drop site boilerplate and page furniture, unwrap broken lines, mark reader comments.

Every character of the cleaned text maps back to the original (``CleanText.offsets``), so citations point at the
original words. Cleaning only deletes characters or turns a whitespace run into one space or one newline. The parts
live in siblings: text_lines (the line model), reflow (unwrapping), boilerplate (site furniture), comments.
"""
from __future__ import annotations

from retrieval.boilerplate import PAGE_NUMBER_RE, drop_address_blocks, is_boilerplate, mark_repeated_furniture
from retrieval.comments import comment_section, trailing_comments
from retrieval.records import CleanText, Segment
from retrieval.reflow import is_wrapped, join_kind, line_width, reflow_lines
from retrieval.text_lines import URL_RE, Line, split_lines

__all__ = ["URL_RE", "body_text", "clean_text", "reflow_lines"]

Paragraph = list[tuple[int, str]]  # (line index, how it joins the line before: break | space | none)
Span = tuple[int, int, str]  # raw [start, end) and its role


def _content_lines(raw: str) -> tuple[list[Line], list[str]]:
    """The raw text's lines and their cleaned texts, page numbers and running headers/footers marked."""
    lines = split_lines(raw)
    texts = [ln.text(raw) for ln in lines]
    for idx, ln in enumerate(lines):
        if ln.kind == "content" and PAGE_NUMBER_RE.match(texts[idx]):
            ln.kind = "boilerplate"
    mark_repeated_furniture(lines, raw, texts)
    return lines, texts


def _paragraphs(lines: list[Line], texts: list[str], content_idx: list[int]) -> list[Paragraph]:
    """Group content lines into paragraphs of (line index, join kind); unwrap only hard-wrapped text."""
    ctexts = [texts[i] for i in content_idx]
    wrapped = is_wrapped(ctexts)
    width = line_width(ctexts)
    paragraphs: list[Paragraph] = []
    prev_i: int | None = None
    for i in content_idx:
        kind = "break"
        if wrapped and prev_i is not None:
            gap = any(lines[k].kind != "content" for k in range(prev_i + 1, i))
            kind = join_kind(
                texts[prev_i], texts[i], gap, width, lines[i].bullet, len(" ".join(lines[prev_i].raw.split()))
            )
        if kind == "break":
            paragraphs.append([(i, "break")])
        else:
            paragraphs[-1].append((i, kind))
        prev_i = i
    return paragraphs


def _boilerplate_paragraphs(lines: list[Line], texts: list[str],
                            paras: list[Paragraph]) -> tuple[list[str], list[bool]]:
    """Each paragraph's cleaned text, and whether it is boilerplate (as cleaned or as written) or an address."""
    ptexts = [" ".join(texts[i] for i, _ in para) for para in paras]
    raw_ptexts = [" ".join(" ".join(lines[i].raw.split()) for i, _ in para) for para in paras]
    drop = [is_boilerplate(r) or is_boilerplate(t) for r, t in zip(raw_ptexts, ptexts)]
    drop_address_blocks(ptexts, drop)
    return ptexts, drop


def _kept_paragraphs(lines: list[Line], paras: list[Paragraph], ptexts: list[str], drop: list[bool],
                     comment_para: int | None) -> tuple[list[Paragraph], list[str], int | None]:
    """The paragraphs kept (dropped ones' lines marked boilerplate), their texts, and where comments start."""
    paragraphs: list[Paragraph] = []
    para_texts: list[str] = []
    first_comment_para: int | None = None
    for p, para in enumerate(paras):
        if drop[p]:
            for i, _ in para:
                lines[i].kind = "boilerplate"
            continue
        if comment_para is not None and p >= comment_para and first_comment_para is None:
            first_comment_para = len(paragraphs)
        paragraphs.append(para)
        para_texts.append(ptexts[p])
    return paragraphs, para_texts, first_comment_para


def _line_spans(ln: Line, role: str) -> list[Span]:
    """Role spans of one kept line: its text in ``role``, and what was removed inside it."""
    spans: list[Span] = []
    pos = ln.keep[0]
    for s_, e_ in sorted(ln.removed):
        if s_ > pos:
            spans.append((pos, s_, role))
        spans.append((s_, e_, "instruction" if (s_, e_) in ln.instructions else "boilerplate"))
        pos = max(pos, e_)
    if ln.keep[-1] + 1 > pos:
        spans.append((pos, ln.keep[-1] + 1, role))
    return spans


def _boilerplate_spans(lines: list[Line]) -> list[Span]:
    """A boilerplate span for each non-blank line dropped as boilerplate."""
    spans: list[Span] = []
    for ln in lines:
        if ln.kind == "boilerplate":
            stripped = ln.raw.strip()
            if stripped:
                s_ = ln.start + ln.raw.index(stripped[0])
                spans.append((s_, s_ + len(stripped), "boilerplate"))
    return spans


def _assemble(raw: str, lines: list[Line], paragraphs: list[Paragraph], first_comment_para: int | None) -> CleanText:
    """Write the kept paragraphs one per line, with the offset map and the role segments of the original."""
    out: list[str] = []
    offsets: list[int] = []
    comment_start: int | None = None
    spans: list[Span] = []
    for p, para in enumerate(paragraphs):
        is_comment = first_comment_para is not None and p >= first_comment_para
        role = "comment" if is_comment else "body"
        if offsets:
            prev_line = lines[paragraphs[p - 1][-1][0]]
            out.append("\n")
            offsets.append(prev_line.start + len(prev_line.raw))
        if is_comment and comment_start is None:
            comment_start = len(offsets)
        for n, (i, kind) in enumerate(para):
            ln = lines[i]
            if n > 0 and kind == "space":
                prev_line = lines[para[n - 1][0]]
                out.append(" ")
                offsets.append(prev_line.start + len(prev_line.raw))
            out.append(ln.text(raw))
            offsets.extend(ln.keep)
            spans.extend(_line_spans(ln, role))
    spans.extend(_boilerplate_spans(lines))
    return CleanText(text="".join(out), offsets=offsets, segments=_merge_spans(spans), comment_start=comment_start)


def clean_text(raw: str) -> CleanText:
    """Clean raw article/report text; keep a map to the original and mark boilerplate and reader comments."""
    lines, texts = _content_lines(raw)
    content_idx = [i for i, ln in enumerate(lines) if ln.kind == "content"]
    all_paras = _paragraphs(lines, texts, content_idx)
    ptexts, drop = _boilerplate_paragraphs(lines, texts, all_paras)
    # explicit comment section: a header paragraph after some body text; everything after it is comments
    comment_para = comment_section(ptexts, [len(para) for para in all_paras], drop)
    paragraphs, para_texts, first_comment_para = _kept_paragraphs(lines, all_paras, ptexts, drop, comment_para)
    if comment_para is None:  # trailing paragraphs that read as a reader's comment rather than reporting
        first_comment_para = trailing_comments(para_texts)
    return _assemble(raw, lines, paragraphs, first_comment_para)


def _merge_spans(spans: list[Span]) -> list[Segment]:
    """Sort role spans and merge neighbours of the same role (gaps of whitespace join the run)."""
    segs: list[Segment] = []
    for start, end, role in sorted(spans):
        if segs and segs[-1].role == role and start >= segs[-1].end - 0:
            segs[-1].end = max(segs[-1].end, end)
        elif segs and start < segs[-1].end:
            segs.append(Segment(start=max(start, segs[-1].end), end=end, role=role))
        else:
            segs.append(Segment(start=start, end=end, role=role))
    return [s for s in segs if s.end > s.start]


def body_text(clean: CleanText) -> str:
    """The cleaned text without reader comments."""
    return clean.text if clean.comment_start is None else clean.text[: clean.comment_start].rstrip()
