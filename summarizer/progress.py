"""Terminal progress bars (tqdm on stderr) for long service calls, shared by the CLI and the benchmarks."""
from __future__ import annotations

import sys
from typing import Callable

Progress = Callable[[str, int, int], None]  # (stage, done, total), as BriefService.ingest reports it


def ingest_progress() -> Progress:
    """A progress callback for `ingest`: one bar per stage (chunks for "embed", documents otherwise)."""
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="chunk" if stage == "embed" else "doc",
                                     file=sys.stderr, leave=False)
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return update
