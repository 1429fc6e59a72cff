"""QA files: one JSON object per line (id, question, answerable, docs, facts, type, wrong; see eval/datasets/README.md)."""
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


class QAFileError(ValueError):
    """A QA file that cannot be read; the message names the line and the problem."""


def _item(d: dict, n: int) -> QAItem:
    """One parsed line as a QAItem (type defaults from answerable and the number of gold articles)."""
    docs = list(d.get("docs", []))
    kind = d.get("type") or ("unanswerable" if not d["answerable"] else "single" if len(docs) < 2 else "multi")
    return QAItem(id=str(d.get("id", f"line{n}")), question=d["question"], answerable=bool(d["answerable"]),
                  docs=docs, facts=[list(g) if isinstance(g, list) else [g] for g in d.get("facts", [])],
                  type=kind, wrong=[str(w) for w in d.get("wrong", [])])


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
