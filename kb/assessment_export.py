"""An assessment as a Markdown report (levels by category, every item, the plan to close the gaps,
the pictures beside it) or as CSV (one row per item), for the governance record; used by the API,
the page and `kb assess export`."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from kb.assessment import Assessments
from kb.assessment_charts import levels_chart, progress_chart
from kb.assessment_views import AssessmentOut, FrameworkOut, Plan

CSV_FIELDS = ("item", "category", "title", "current", "target", "gap", "evidence", "links", "assessed_on", "version")


def assessment_markdown(
    framework: FrameworkOut, assessment: AssessmentOut, plan: Plan, pictures: dict[str, str] | None = None
) -> str:
    """The report; ``pictures`` maps a picture's name (levels, progress) to its file name or URL."""
    levels = {lv.level: lv for lv in framework.scale}
    by = f" by {assessment.author}" if assessment.author else ""
    lines = [
        f"# Governance self-assessment: {assessment.organisation}"
        + (f" — {assessment.business_unit}" if assessment.business_unit else ""),
        "",
        f"- **Framework:** {framework.title}" + (f" ({framework.title_ja})" if framework.title_ja else ""),
        f"- **Assessed on:** {assessment.assessed_on:%Y-%m-%d} (version {assessment.version}, "
        f"saved {assessment.created_at:%Y-%m-%d %H:%M} UTC{by})",
        f"- **Assessment id:** {assessment.id}",
        "",
        "## Scale",
        "",
    ]
    lines += [f"- **Lv.{lv.level} {lv.name}**" + (f" ({lv.name_ja})" if lv.name_ja else "") + f": {lv.definition}"
              for lv in framework.scale]
    for name, caption in (("levels", "Current vs target level by category"), ("progress", "Progress by date")):
        if pictures and name in pictures:
            lines += ["", f"![{caption}]({pictures[name]})"]
    lines += ["", "## Items", "", "| item | title | current | target | gap | evidence | links |"]
    lines.append("|---|---|---|---|---|---|---|")
    for entry in assessment.entries:
        lines.append(
            f"| {entry.item} | {_cell(entry.title)} | {_level(levels, entry.current)} | {_level(levels, entry.target)} "
            f"| {'' if entry.gap is None else entry.gap} | {_cell(entry.evidence)} | {', '.join(entry.links)} |"
        )
    lines += ["", "## Plan: the items below target, the largest gap first", ""]
    if not plan.gaps:
        lines.append("Every assessed item is at or above its target.")
    for gap in plan.gaps:
        now = "not assessed" if gap.current is None else f"Lv.{gap.current}"
        lines += ["", f"### {gap.item} {gap.title} ({now} → Lv.{gap.target}, gap {gap.gap})", ""]
        if gap.title_ja:
            lines.append(f"{gap.title_ja}")
            lines.append("")
        if gap.practice_points:
            lines += ["Practice points (実践のポイント):", ""]
            lines += [f"- {p.text} `[{p.id}]`" for p in gap.practice_points]
            lines.append("")
        if gap.suggestions:
            lines += ["Suggested evidence:", ""]
            for s in gap.suggestions:
                lines.append(f"- **{s.citation}** {s.title or s.snippet[:90]} `[{s.id}]` ({s.source_kind})")
    return "\n".join(lines) + "\n"


def assessment_csv(assessment: AssessmentOut) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for entry in assessment.entries:
        writer.writerow(
            {
                "item": entry.item,
                "category": entry.category,
                "title": entry.title,
                "current": "" if entry.current is None else entry.current,
                "target": "" if entry.target is None else entry.target,
                "gap": "" if entry.gap is None else entry.gap,
                "evidence": entry.evidence,
                "links": " ".join(entry.links),
                "assessed_on": f"{assessment.assessed_on:%Y-%m-%d}",
                "version": assessment.version,
            }
        )
    return buffer.getvalue()


def export_assessment(assessments: Assessments, assessment_id: str, folder: Path, suggestions: int = 3) -> list[Path]:
    """Write the report (Markdown and CSV) and the pictures (SVG and PNG) of the latest version into
    ``folder``; return the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    assessment = assessments.get(assessment_id)
    framework = assessments.framework(assessment.framework)
    history = assessments.history(assessment_id)
    stem = f"{assessment_id}"
    written = []
    for fmt in ("svg", "png"):
        for name, data in (
            ("levels", levels_chart(framework, assessment, fmt)),
            ("progress", progress_chart(framework, history, fmt)),
        ):
            path = folder / f"{stem}-{name}.{fmt}"
            path.write_bytes(data)
            written.append(path)
    plan = assessments.plan(assessment_id, suggestions=suggestions)
    pictures = {name: f"{stem}-{name}.svg" for name in ("levels", "progress")}
    report = folder / f"{stem}.md"
    markdown = assessment_markdown(assessments.framework_out(framework.id), assessment, plan, pictures)
    report.write_text(markdown, encoding="utf-8")
    table = folder / f"{stem}.csv"
    table.write_text(assessment_csv(assessment), encoding="utf-8")
    return [report, table, *written]


def _level(levels: dict, value: int | None) -> str:
    if value is None:
        return "–"
    level = levels.get(value)
    return f"Lv.{value} {level.name}" if level else f"Lv.{value}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
