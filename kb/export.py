"""A stored mapping as Markdown or CSV, for the review record (used by the API, the web page and `kb map`)."""

from __future__ import annotations

import csv
import io

from kb.views import MappedClause, MappingRecord


def mapping_markdown(mapping: MappingRecord) -> str:
    request = mapping.request
    lines = [
        "# Use-case mapping",
        "",
        f"- **Use case:** {request.description}",
        f"- **Date:** {mapping.created_at:%Y-%m-%d %H:%M} UTC",
        f"- **Knowledge-base version:** {mapping.kb_version}",
        f"- **Jurisdictions:** {', '.join(request.jurisdictions) or 'all'}",
        f"- **Phase:** {request.phase or 'all'}",
        f"- **Data categories and domains:** {', '.join(mapping.triggers) or 'none'}",
        f"- **Mapping id:** {mapping.id}",
        "",
        "## Themes",
    ]
    for theme in mapping.themes:
        lines += ["", f"### {theme.title} (score {theme.score:.2f})", "", "Principles:", ""]
        lines += [_bullet(p) for p in theme.principles] or ["- none ingested"]
        for group in theme.clauses_by_source:
            kind = "binding" if group.binding else "non-binding"
            lines += ["", f"{group.short_name} ({kind}):", ""]
            lines += [_bullet(c) for c in group.clauses]
    lines += ["", "## Clauses the use case triggers directly", ""]
    lines += [_bullet(c) for c in mapping.direct] or ["- none"]
    lines += ["", "## Checklist", ""]
    for check in mapping.checklist:
        lines.append(
            f"- [ ] **{check.citation}** {check.question or ''} — {check.statement} "
            f"_(phases: {', '.join(check.phases)}; {check.reason})_"
        )
    if not mapping.checklist:
        lines.append("- no internal check items apply")
    return "\n".join(lines) + "\n"


def _bullet(clause: MappedClause) -> str:
    why = f" — {clause.why}" if clause.why else ""
    return f"- [{clause.citation}]({clause.url}) {clause.title or ''} _({clause.reason})_{why}{_qualification(clause)}"


def _qualification(clause: MappedClause) -> str:
    """The crosswalk link's type, condition, date and limits, so the review record keeps them."""
    link = clause.link
    if link is None:
        return ""
    parts = [link.type]
    if link.condition != "always":
        parts.append(f"applies if: {link.condition}")
    if link.applies_from:
        parts.append(f"from {link.applies_from}")
    parts.append(f"limits: {link.limits}")
    return f" [{'; '.join(parts)}; checked {link.checked}]"


CSV_COLUMNS = [
    "section", "theme", "clause_id", "citation", "title", "source", "binding", "reason", "why", "url",
    "link_type", "condition", "applies_from", "limits", "confidence", "checked",
]  # fmt: skip


def mapping_csv(mapping: MappingRecord) -> str:
    """One row per principle, clause and check, so a spreadsheet can filter and sort them."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for theme in mapping.themes:
        for principle in theme.principles:
            writer.writerow(_row("principle", theme.id, principle))
        for group in theme.clauses_by_source:
            for clause in group.clauses:
                writer.writerow(_row("clause", theme.id, clause))
    for clause in mapping.direct:
        writer.writerow(_row("direct", "", clause))
    for check in mapping.checklist:
        writer.writerow(
            [
                "check",
                "",
                check.id,
                check.citation,
                check.question or "",
                check.id.split(":")[0],
                False,
                check.reason,
                check.statement,
                "",
                *[""] * 6,
            ]
        )
    return out.getvalue()


def _row(section: str, theme: str, clause: MappedClause) -> list:
    return [
        section,
        theme,
        clause.id,
        clause.citation,
        clause.title or "",
        clause.source,
        clause.binding,
        clause.reason,
        clause.why or "",
        clause.url,
        *_link_cells(clause),
    ]


def _link_cells(clause: MappedClause) -> list:
    link = clause.link
    if link is None:
        return [""] * 6
    return [link.type, link.condition, link.applies_from or "", link.limits, link.confidence, link.checked]
