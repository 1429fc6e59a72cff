"""The faithfulness checker's verdict cache: the model's P(yes) per claim and source, in SQLite, so reruns of an
evaluation cost only the claims not judged before."""
from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path

from summarizer.settings import cache_dir


def default_cache_path() -> Path:
    return cache_dir() / "checker.sqlite"


class VerdictCache:
    """P(yes) per sha256(claim, scored source, model id, prompt version), in SQLite; safe across threads/processes."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else default_cache_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, p_llm REAL NOT NULL, "
                         "model TEXT, prompt_version TEXT, seconds REAL, created REAL)")
        self._db.commit()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(claim: str, source: str, model_id: str, prompt_version: str) -> str:
        blob = json.dumps([claim, source, model_id, prompt_version], ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def get(self, key: str) -> tuple[float, float] | None:
        """(p_llm, seconds it cost when computed), or None."""
        with self._lock:
            row = self._db.execute("SELECT p_llm, seconds FROM verdicts WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return float(row[0]), float(row[1] or 0.0)

    def put(self, key: str, p: float, model_id: str, prompt_version: str, seconds: float) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?, ?, ?, ?)",
                             (key, p, model_id, prompt_version, seconds, time.time()))
            self._db.commit()

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
