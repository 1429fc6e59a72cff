"""Load a .jsonl collection: one document per line ({"text": ..., "id": ..., ...}), bad lines refused one by one."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from retrieval.doc_fields import derive_title, normalise_date
from retrieval.records import Document, LoadIssue, LoadRefused

_JSONL_KNOWN = ("id", "text", "title", "date", "publication_date", "source", "url", "source_path")


def load_jsonl(path: Path, max_bytes: int) -> tuple[list[Document], list[LoadIssue]]:
    """One document per line ({"text": ..., "id": ..., ...}); bad lines are refused individually."""
    docs: list[Document] = []
    issues: list[LoadIssue] = []
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise LoadRefused(f"cannot be read ({exc.strerror or exc}); check the file permissions") from exc
    any_line = False
    with fh:
        for lineno, raw_line in enumerate(fh, start=1):
            if not raw_line.strip():
                continue
            any_line = True
            src = f"{path}:{lineno}"
            if len(raw_line) > max_bytes:
                issues.append(LoadIssue(src, f"line {lineno}: too large ({len(raw_line):,} bytes; the limit is "
                                             f"{max_bytes:,}); split the document or raise the size limit"))
                continue
            if b"\x00" in raw_line:
                issues.append(LoadIssue(src, f"line {lineno}: contains NUL bytes (binary data); "
                                             "each line must be one JSON object"))
                continue
            try:
                line = raw_line.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError:
                issues.append(LoadIssue(src, f"line {lineno}: is not valid UTF-8; re-save the file as UTF-8"))
                continue
            try:
                obj = json.loads(line.rstrip("\r\n"))  # without the newline, so the column is on this line
            except json.JSONDecodeError as exc:
                issues.append(LoadIssue(src, f"line {lineno}: malformed JSON ({exc.msg.removesuffix(' at')}, column {exc.colno}); "
                                             "fix or remove that line"))
                continue
            try:
                docs.append(jsonl_document(obj, path, lineno))
            except LoadRefused as exc:
                issues.append(LoadIssue(src, f"line {lineno}: {exc}"))
    if not any_line:
        raise LoadRefused("is empty; add one JSON object per line, each with a \"text\" field")
    return docs, issues


def jsonl_document(obj: Any, path: Path, lineno: int) -> Document:
    """Build a Document from one parsed JSONL object (line lineno of path), as ingesting a .jsonl file does."""
    if not isinstance(obj, dict):
        raise LoadRefused("is not a JSON object; each line must be an object with a \"text\" field")
    text = obj.get("text")
    if text is None:
        raise LoadRefused("has no \"text\" field; add the document text under \"text\"")
    if not isinstance(text, str):
        raise LoadRefused("has a \"text\" field that is not a string; put the document text in a string")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise LoadRefused("has an empty \"text\" field; add the document text or remove the line")
    doc_id = obj.get("id")
    doc_id = str(doc_id).strip() if doc_id not in (None, "") else f"{path.stem}-{lineno}"
    title = obj.get("title")
    title = str(title).strip() if title else derive_title(text, pdf=True)
    when = obj.get("date") or obj.get("publication_date")
    source = obj.get("source") or obj.get("url") or obj.get("source_path")
    extra = {k: v for k, v in obj.items() if k not in _JSONL_KNOWN}
    extra.setdefault("format", "jsonl")
    extra["_line"] = lineno
    return Document(id=doc_id, text=text, title=title, source=str(source) if source else None,
                    date=normalise_date(str(when)) if when else None, path=str(path), extra=extra)
