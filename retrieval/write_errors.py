"""Writes the disk refuses (read-only directory, full disk) as one typed error with a message a user can act on."""
from __future__ import annotations

import errno
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path

LOW_SPACE_BYTES = 1 << 20  # a failed write with less than this free on the index's disk is a full disk


class WriteProblem(str, Enum):
    """Why an index write failed, as a reason code."""

    READ_ONLY = "read_only"
    DISK_FULL = "disk_full"


class IndexWriteError(RuntimeError):
    """The index directory could not be written; the snapshot on disk (if any) is unchanged."""

    def __init__(self, root: Path, problem: WriteProblem, detail: str) -> None:
        self.root, self.problem, self.detail = Path(root), problem, detail
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"Cannot write to the index at {self.root}"
        kept = "The index on disk was not changed."
        if self.problem is WriteProblem.READ_ONLY:
            return (f"{where}: it is read-only or not writable by you ({self.detail}). Make it writable (check its "
                    f"permissions, or remount the disk read-write) or choose another directory with --index. {kept}")
        return (f"{where}: the disk is full ({self.detail}). Free some space and run the same command again "
                f"(passages already embedded are kept and not embedded again), or choose another directory with "
                f"--index. {kept}")


def _free_bytes(root: Path) -> int | None:
    for p in (root, *root.parents):
        try:
            return shutil.disk_usage(p).free
        except OSError:
            continue
    return None


def write_problem(e: BaseException, root: Path) -> WriteProblem | None:
    """The reason code for a failed write under root, or None when the failure is not the disk's doing."""
    text = str(e).lower()
    if isinstance(e, OSError) and e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return WriteProblem.READ_ONLY
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        return WriteProblem.DISK_FULL
    if isinstance(e, sqlite3.Error) and ("readonly" in text or "read-only" in text):
        return WriteProblem.READ_ONLY
    if isinstance(e, sqlite3.Error) and "disk is full" in text:
        return WriteProblem.DISK_FULL
    # numpy's short writes (OSError without errno), FAISS's and bm25s's failed writes: ask the disk
    if isinstance(e, (OSError, RuntimeError, sqlite3.Error)):
        free = _free_bytes(Path(root))
        if free is not None and free < LOW_SPACE_BYTES:
            return WriteProblem.DISK_FULL
    return None


@contextmanager
def guard_writes(root: Path) -> Iterator[None]:
    """Turn a write the disk refuses under root into IndexWriteError; anything else passes through unchanged."""
    try:
        yield
    except IndexWriteError:
        raise
    except (OSError, RuntimeError, sqlite3.Error) as e:
        problem = write_problem(e, root)
        if problem is None:
            raise
        raise IndexWriteError(root, problem, f"{type(e).__name__}: {e}") from e
