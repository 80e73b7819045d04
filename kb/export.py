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
    ]
    lines += _classification_markdown(mapping)
    lines += _jurisdictions_markdown(mapping)
    lines += ["## Company check sheets", ""]
    lines += [
        f"- **{s.title}** ({s.source}): {'applies' if s.applies else 'does not apply'} — {s.why}"
        for s in mapping.company_sheets
    ] or ["- none"]
    if mapping.company_sheets and not any(s.applies for s in mapping.company_sheets):
        lines += ["", "No internal check sheet applies to this use case."]
    lines += [
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
    reason = f"{clause.kind}; {clause.reason}" if clause.kind else clause.reason
    condition = f" **Condition:** {clause.condition}." if clause.condition else ""
    head = f"- [{clause.citation}]({clause.url}) {clause.title or ''}"
    return f"{head} _({reason})_{why}{condition}{_qualification(clause)}"


def _classification_markdown(mapping: MappingRecord) -> list[str]:
    c = mapping.classification
    if c is None:
        return []
    lines = ["## EU AI Act classification", "", f"**{c.title}** — confidence {c.confidence:.2f} ({c.confidence_label})"]
    if c.basis:
        lines += ["", f"Decided by: {', '.join(c.basis)}."]
    if c.would_be:
        lines += ["", f"With an EU link it would be: {c.would_be}."]
    lines += ["", f"Scope: {c.scope_note}", "", "Why:", ""]
    lines += [f"- {f.citation} {f.title} ({f.risk_class}) — words: {', '.join(f.words)}" for f in c.findings] or [
        "- no prohibited, high-risk, general-purpose or transparency case found in the description"
    ]
    lines += [f"- ruled out: {f.citation} {f.title} — words: {', '.join(f.words)}" for f in c.ruled_out]
    if c.exceptions:
        lines += ["", "What could change it:", ""] + [f"- {e.citation}: {e.text}" for e in c.exceptions]
    if c.open_questions:
        lines += ["", "Open questions:", ""] + [f"- {q}" for q in c.open_questions]
    role = f"{c.role} ({c.role_basis})" if c.role else "not known: the duties of every role are listed"
    lines += ["", f"Duties (your role: {role}):", ""]
    lines += [
        f"- {'' if d.for_you else '(another role) '}**{d.citation}** {d.title} — {d.condition}"
        + (f"; from {d.applies_from}" if d.applies_from else "")
        for d in c.duties
    ] or ["- none"]
    return [*lines, ""]


def _jurisdictions_markdown(mapping: MappingRecord) -> list[str]:
    lines = []
    for j in mapping.jurisdictions:
        lines += [f"## {j.title} ({j.code})", ""]
        if j.missing:
            lines += [f"**{j.missing}**", ""]
        if j.condition:
            lines += [f"Condition: {j.condition}.", ""]
        if j.always_applies:
            lines += ["Always applies to processing personal data:", "", *map(_bullet, j.always_applies), ""]
        if j.situation:
            lines += ["What this situation brings:", "", *map(_bullet, j.situation), ""]
    return lines


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
    "link_type", "condition", "applies_from", "limits", "confidence", "checked", "kind", "applies_if",
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
    for clause in mapping.context:
        writer.writerow(_row("context", "", clause))
    for j in mapping.jurisdictions:
        for clause in j.always_applies:
            writer.writerow(_row("always applies", j.code, clause))
        for clause in j.situation:
            writer.writerow(_row("situation", j.code, clause))
    if mapping.classification is not None:
        c = mapping.classification
        for d in c.duties:
            cells = ["duty", c.risk_class, d.provision, d.citation, d.title, d.provision.split(":")[0], True]
            writer.writerow([*cells, "AI Act class", ", ".join(d.roles), "", *[""] * 6, "obligation", d.condition])
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
                *[""] * 8,
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
        clause.kind or "",
        clause.condition or "",
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
def _link_cells(clause: MappedClause) -> list:
    link = clause.link
    if link is None:
        return [""] * 6
    return [link.type, link.condition, link.applies_from or "", link.limits, link.confidence, link.checked]
