"""Charts of a council's record and of the digest (matplotlib, Agg canvas, no pyplot, so safe in server threads).

The inputs are plain data from ``summarizer.briefing.history``; the output is a matplotlib ``Figure`` (the web UI
shows it with gr.Plot) or PNG bytes (exports embed them as a data URI).
"""
from __future__ import annotations

import base64
import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from summarizer.briefing.history import RANK, parse_date

# The ordinal axis, worst at the bottom; "adequate" (before 2014) shares the "requires improvement" row.
AXIS_LABELS = ("inadequate", "requires improvement\n(or adequate)", "good", "outstanding")
GRADE_COLOURS = {"outstanding": "#15803d", "good": "#2563eb", "requires improvement": "#d97706",
                 "adequate": "#a8a29e", "inadequate": "#b91c1c"}
GRADE_ORDER = ("outstanding", "good", "requires improvement", "adequate", "inadequate")
_MARKERS = "osD^vP*X"


def _figure(width: float = 8.0, height: float = 3.6) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def area_chart(series: dict[str, list[tuple[str, str]]], title: str = "") -> Figure | None:
    """Each judgement area's grade over time on an ordinal axis; None when no area has a dated grade."""
    points = {area: [(parse_date(d), RANK[g]) for d, g in pts if parse_date(d) and g in RANK]
              for area, pts in series.items()}
    points = {a: p for a, p in points.items() if p}
    if not points:
        return None
    fig = _figure()
    ax = fig.add_subplot()
    n = len(points)
    for i, (area, pts) in enumerate(points.items()):
        offset = (i - (n - 1) / 2) * 0.06  # lines that share a grade stay apart
        ax.plot([d for d, _ in pts], [r + offset for _, r in pts], marker=_MARKERS[i % len(_MARKERS)],
                linewidth=1.6, markersize=6, label=area)
    ax.set_yticks(range(len(AXIS_LABELS)), AXIS_LABELS)
    ax.set_ylim(-0.5, len(AXIS_LABELS) - 0.5)
    ax.grid(axis="y", alpha=0.3)
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    ax.set_title(title or "Judgement areas over time", fontsize=11)
    return fig


def distribution_chart(by_year: dict[int, dict[str, int]], title: str = "") -> Figure | None:
    """Stacked bars: how many inspections each year gave each grade; None when there are none."""
    if not by_year:
        return None
    years = sorted(by_year)
    fig = _figure()
    ax = fig.add_subplot()
    bottom = [0] * len(years)
    for grade in [g for g in GRADE_ORDER if any(by_year[y].get(g) for y in years)]:
        heights = [by_year[y].get(grade, 0) for y in years]
        ax.bar([str(y) for y in years], heights, bottom=bottom, label=grade, color=GRADE_COLOURS[grade])
        bottom = [b + h for b, h in zip(bottom, heights)]
    ax.set_ylabel("inspections")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, max(bottom) * 1.12)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    ax.set_title(title or "Overall effectiveness judgements by year", fontsize=11)
    return fig


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def png_data_uri(fig: Figure) -> str:
    """The figure as a ``data:image/png;base64,...`` URI, for a standalone HTML page."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(fig)).decode("ascii")
