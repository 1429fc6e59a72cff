"""QA files: one JSON object per line (id, question, answerable, docs, facts, type, wrong, and the optional councils,
absent and blind; see eval/datasets/README.md)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class QAItem:
    """One evaluation question (fields as in eval/datasets/README.md)."""

    id: str
    question: str
    answerable: bool
    docs: list[str] = field(default_factory=list)
    facts: list[list[str]] = field(default_factory=list)
    type: str = ""
    wrong: list[str] = field(default_factory=list)  # strings whose presence makes an answer wrong (other grades)
    councils: list[str] = field(default_factory=list)  # `councils` questions: the councils a correct answer names
    absent: str = ""  # `partial` questions: the part of the question the documents do not answer
    blind: bool = False  # written before anyone saw the system's answers; reported apart


class QAFileError(ValueError):
    """A QA file that cannot be read; the message names the line and the problem."""


def _strings(d: dict, key: str) -> list[str]:
    """An optional list-of-strings field ([] when missing); TypeError when it is not a list."""
    v = d.get(key, [])
    if not isinstance(v, list):
        raise TypeError(f"{key} must be a list of strings, got {type(v).__name__}")
    return [str(x) for x in v]


def _item(d: dict, n: int) -> QAItem:
    """One parsed line as a QAItem (type defaults from answerable and the number of gold articles)."""
    docs = list(d.get("docs", []))
    kind = d.get("type") or ("unanswerable" if not d["answerable"] else "single" if len(docs) < 2 else "multi")
    blind = d.get("blind", False)
    if not isinstance(blind, bool):
        raise TypeError(f"blind must be true or false, got {blind!r}")
    return QAItem(id=str(d.get("id", f"line{n}")), question=d["question"], answerable=bool(d["answerable"]),
                  docs=docs, facts=[list(g) if isinstance(g, list) else [g] for g in d.get("facts", [])],
                  type=kind, wrong=_strings(d, "wrong"), councils=_strings(d, "councils"),
                  absent=str(d.get("absent") or ""), blind=blind)


def looks_like_qa(path: Path) -> bool:
    """Whether a .jsonl file is a QA set: its first record has a question and an answerable flag.

    The datasets folder also holds gold findings, summaries and labelled claims, which are not questions.
    """
    try:
        with Path(path).open(encoding="utf-8") as f:
            first = next((line for line in f if line.strip()), "")
        record = json.loads(first)
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and "question" in record and "answerable" in record


def load_qa(path: Path) -> list[QAItem]:
    """Every question of a QA file; QAFileError names the first bad line."""
    items = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(_item(json.loads(line), n))
        except (ValueError, KeyError, TypeError) as e:
            raise QAFileError(f"{path}:{n}: {e!r}: each line needs question, answerable, docs and facts") from e
    if not items:
        raise QAFileError(f"{path} holds no questions")
    return items
