"""A stored mapping as Markdown or CSV, for the review record (used by the API, the web page and `kb map`)."""

from __future__ import annotations

import csv
import io

from kb.views import MappedClause, MappingRecord, MappingReview


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
    return f"- [{clause.citation}]({clause.url}) {clause.title or ''} _({clause.reason})_{why}"


CSV_COLUMNS = ["section", "theme", "clause_id", "citation", "title", "source", "binding", "reason", "why", "url"]


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
    ]


# The review record: appended to the exports above, so that what a reviewer decided travels with
# the mapping it decided on (kb/review.py keeps the decisions).

DECISION_WORDS = {"applies": "applies", "does_not_apply": "does not apply", "needs_answer": "needs an answer"}


def review_markdown(review: MappingReview) -> str:
    """The review section of the Markdown record: versions, what was amended since, each decision."""
    current = review.current_kb_version
    same = current == review.kb_version
    lines = [
        "",
        "## Review",
        "",
        f"- **Made against knowledge-base version:** {review.kb_version}",
        f"- **Checked against:** {current}" + (" (the same)" if same else " (newer)"),
        f"- **Items without a decision:** {review.pending} of {len(review.items)}",
        "",
    ]
    if review.amended_since:
        lines += ["### Amended since the mapping was made: re-check", ""]
        lines += [f"- **{c.citation}** ({c.change})" for c in review.amended_since]
        lines.append("")
    else:
        lines += ["No clause of this mapping has been amended since it was made.", ""]
    lines += ["### Decisions", "", "| item | decision | note | reviewer | amended since |", "|---|---|---|---|---|"]
    for item in review.items:
        if item.decision is None and not item.amended_since:
            continue
        decision = DECISION_WORDS.get(item.decision or "", "not reviewed")
        note = item.note.replace("|", "\\|").replace("\n", " ")
        flag = "**yes**" if item.amended_since else ""
        lines.append(f"| {item.citation} (`{item.item_id}`) | {decision} | {note} | {item.reviewer or ''} | {flag} |")
    return "\n".join(lines) + "\n"


REVIEW_COLUMNS = ["decision", "note", "reviewer", "amended_since", "kb_version"]


def review_csv(mapping_csv_text: str, review: MappingReview) -> str:
    """The CSV export with the review's columns added to each row of an item (by its id column), the
    version the mapping was made against on every row."""
    rows = list(csv.reader(io.StringIO(mapping_csv_text)))
    if not rows:
        return mapping_csv_text
    header, body = rows[0], rows[1:]
    id_column = header.index("clause_id") if "clause_id" in header else header.index("id") if "id" in header else None
    by_id = {item.item_id: item for item in review.items}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*header, *REVIEW_COLUMNS])
    for row in body:
        item = by_id.get(row[id_column]) if id_column is not None and id_column < len(row) else None
        if item is None:
            writer.writerow([*row, "", "", "", "", review.kb_version])
            continue
        amended = "yes" if item.amended_since else ""
        writer.writerow([*row, item.decision or "", item.note, item.reviewer or "", amended, review.kb_version])
    return out.getvalue()
