"""Pictures of an assessment, drawn with matplotlib (no display needed): current vs target level by
category (bars), and the items × dates heat map of the current level (progress). SVG or PNG bytes.

Labels are the items' ids and the framework's own (English) names: matplotlib's default font has no
Japanese glyphs, and a picture with empty boxes helps nobody.
"""

from __future__ import annotations

import io
from collections import defaultdict
from statistics import mean

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.colors import ListedColormap

from kb.assessment_views import AssessmentOut
from kb.errors import KBError
from kb.frameworks import Framework

FORMATS = {"svg": "image/svg+xml", "png": "image/png"}
_LABEL_CHARS = 48


class UnknownChartFormat(KBError, ValueError):
    code = "unknown_chart_format"
    http_status = 422


def levels_chart(framework: Framework, assessment: AssessmentOut, fmt: str = "svg") -> bytes:
    """Mean current and target level per category, side by side, on the framework's scale."""
    current, target = defaultdict(list), defaultdict(list)
    for entry in assessment.entries:
        if entry.current is not None:
            current[entry.category].append(entry.current)
        if entry.target is not None:
            target[entry.category].append(entry.target)
    categories = framework.categories
    labels = [_short(f"{c.id}. {c.title}", 28) for c in categories]
    means_current = [mean(current[c.id]) if current[c.id] else 0 for c in categories]
    means_target = [mean(target[c.id]) if target[c.id] else 0 for c in categories]
    figure, axes = plt.subplots(figsize=(max(6.0, 1.3 * len(categories) + 2), 4.2))
    positions = range(len(categories))
    width = 0.38
    axes.bar([p - width / 2 for p in positions], means_current, width, label="current", color="#3b73b9")
    axes.bar([p + width / 2 for p in positions], means_target, width, label="target", color="#f0a23b", alpha=0.85)
    axes.set_xticks(list(positions), labels, rotation=20, ha="right", fontsize=8)
    axes.set_yticks(framework.levels, [f"Lv.{lv.level} {lv.name}" for lv in framework.scale], fontsize=8)
    axes.set_ylim(0, max(framework.levels) + 0.3)
    title = f"{assessment.organisation}: {framework.framework.title}, {assessment.assessed_on:%Y-%m-%d}"
    axes.set_title(title, fontsize=10)
    axes.legend(fontsize=8, loc="upper right")
    axes.grid(axis="y", alpha=0.3)
    return _render(figure, fmt)


def progress_chart(framework: Framework, versions: list[AssessmentOut], fmt: str = "svg") -> bytes:
    """Items (rows) × assessment dates (columns), coloured by the current level; the number in a
    cell is the level, ``–`` not assessed. One column per date: the last version saved for it."""
    by_date: dict = {}
    for version in versions:
        by_date[version.assessed_on] = version  # versions come oldest first: the last of a date wins
    dates = sorted(by_date)
    items = framework.items
    top = max(framework.levels)
    grid = []
    for item in items:
        row = []
        for day in dates:
            entry = next(e for e in by_date[day].entries if e.item == item.id)
            row.append(entry.current if entry.current is not None else float("nan"))
        grid.append(row)
    figure, axes = plt.subplots(figsize=(max(5.5, 1.1 * len(dates) + 5), 0.32 * len(items) + 1.6))
    colours = ListedColormap(["#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b", "#041b3d"][: top + 1])
    image = axes.imshow(grid, cmap=colours, vmin=-0.5, vmax=top + 0.5, aspect="auto")
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            shown = "–" if value != value else str(int(value))
            dark = value == value and value >= top * 0.6
            axes.text(c, r, shown, ha="center", va="center", fontsize=8, color="white" if dark else "black")
    axes.set_xticks(range(len(dates)), [f"{d:%Y-%m-%d}" for d in dates], fontsize=8)
    axes.set_yticks(range(len(items)), [_short(f"{i.id} {i.title}", _LABEL_CHARS) for i in items], fontsize=7)
    colourbar = figure.colorbar(image, ax=axes, ticks=framework.levels)
    colourbar.ax.set_yticklabels([f"Lv.{lv.level}" for lv in framework.scale], fontsize=7)
    axes.set_title(f"{framework.framework.title}: current level by date", fontsize=10)
    return _render(figure, fmt)


def _short(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _render(figure, fmt: str) -> bytes:
    if fmt not in FORMATS:
        plt.close(figure)
        raise UnknownChartFormat(f"no chart format {fmt!r}; known: {sorted(FORMATS)}")
    figure.tight_layout()
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {}
    figure.savefig(buffer, format=fmt, dpi=110, metadata=metadata)
    plt.close(figure)
    return buffer.getvalue()
