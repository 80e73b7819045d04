"""NIST AI RMF 1.0, the Core (Part 2, § 5) as NIST's AI Resource Center publishes it in HTML -> clause records.

The AIRC web edition (https://airc.nist.gov/airmf-resources/airmf/5-sec-core/) lays the Core out as:

- one ``<h2 data-number="5.N" id="ssec:…">`` per **function** (Govern, Map, Measure, Manage), followed
  by the function's prose (paragraphs and bullet lists) up to its table;
- one ``<table class="… rmf-table">`` per function, in which a **category** is a ``<th
  scope="rowgroup">`` cell ("Govern 1: Policies, processes, …") and each **subcategory** a ``<th
  scope="row">`` cell ("Govern 1.1: Legal and regulatory requirements …").

The page sets the identifiers in small capitals ("Govern 1.1"); the PDF prints them in capitals
(GOVERN 1.1), which is how they are cited here. Ids: ``nist-ai-rmf:govern`` (kind "function"),
``nist-ai-rmf:govern-1`` ("category"), ``nist-ai-rmf:govern-1.1`` ("subcategory", grouped under
its category). Anchors are the page's own ids (``ssec:govern``, ``tab:govlongtblr``).
"""

from __future__ import annotations

import re

from lxml import etree, html

from ingest.parsers import ParseError, decode_text
from kb.records import ClauseRecord

SOURCE = "nist-ai-rmf"
FUNCTIONS = ("govern", "map", "measure", "manage")

_OUTCOME_ID = re.compile(r"^\s*(?P<function>Govern|Map|Measure|Manage)\s+(?P<number>\d+(?:\.\d+)?)\s*:\s*", re.I)
_TABLE_REFERENCE = re.compile(r"\bTable\s+\d+\s+lists\b")


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _cell_text(element: html.HtmlElement) -> str:
    """An element's words, with small-capital spans written as capitals (GOVERN, as printed)."""
    element = _copy(element)
    for span in element.xpath('.//span[contains(concat(" ", normalize-space(@class), " "), " smallcaps ")]'):
        span.text = (span.text or "").upper()
    return _clean(element.text_content())


def _copy(element: html.HtmlElement) -> html.HtmlElement:
    return html.fromstring(etree.tostring(element, encoding="unicode"))


def _function_prose(heading: html.HtmlElement) -> tuple[str, html.HtmlElement]:
    """The words between a function's heading and its table, and the table."""
    parts: list[str] = []
    for sibling in heading.itersiblings():
        if not isinstance(sibling.tag, str):
            continue
        if sibling.tag in ("h1", "h2"):
            break
        table = sibling if sibling.tag == "table" else next(iter(sibling.iter("table")), None)
        if table is not None:
            return " ".join(parts), table
        if sibling.tag == "ul":
            parts.extend(f"• {_cell_text(item)}" for item in sibling.iter("li"))
        elif sibling.tag in ("p", "div"):
            text = _cell_text(sibling)
            if text and not _TABLE_REFERENCE.search(text):
                parts.append(text)
    raise ParseError(f"the function heading {_clean(heading.text_content())!r} is not followed by its table")


def _record(kind: str, key: str, label: str, text: str, position: int, *, parent: str | None, unit: str,
            title: str | None = None, anchor: str | None = None) -> ClauseRecord:
    return ClauseRecord(
        id=f"{SOURCE}:{key}", kind=kind, number=label.split(" ", 1)[-1], label=label, text=text,
        parent=parent, unit=unit, title=title, position=position, language="en", anchor=anchor,
    )


def _outcome(cell: html.HtmlElement, function: str, table_id: str | None) -> tuple[str, str, str]:
    """(id key, label, statement) of a category or subcategory cell."""
    text = _cell_text(cell)
    match = _OUTCOME_ID.match(text)
    if match is None or match["function"].lower() != function:
        raise ParseError(f"a {function.upper()} table cell does not start with its outcome id: {text[:60]!r}")
    statement = text[match.end():].strip()
    if not statement:
        raise ParseError(f"{match['function'].upper()} {match['number']} has no text")
    return f"{function}-{match['number']}", f"{function.upper()} {match['number']}", statement


def parse_nist_airc_html(data: bytes) -> list[ClauseRecord]:
    """Parse the AIRC "AI RMF Core" page into functions, categories and subcategories, in order."""
    text = decode_text(data, "HTML")
    try:
        root = html.document_fromstring(text)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise ParseError(f"not HTML: {exc}") from exc
    headings = [h for h in root.iter("h2") if (h.get("id") or "").startswith("ssec:")]
    found = [h.get("id", "").removeprefix("ssec:") for h in headings]
    if found != list(FUNCTIONS):
        raise ParseError(f"expected the four Core functions {list(FUNCTIONS)} as ssec: headings, found {found}")
    records: list[ClauseRecord] = []
    for heading, function in zip(headings, FUNCTIONS, strict=True):
        prose, table = _function_prose(heading)
        table_id = table.get("id")
        function_id = f"{SOURCE}:{function}"
        title = _clean(re.sub(r"^\s*5\.\d\s*", "", heading.text_content()))
        records.append(_record("function", function, function.upper(), prose, len(records), parent=None,
                               unit=function_id, title=title, anchor=heading.get("id")))
        category_id: str | None = None
        for cell in table.iter("th"):
            scope = cell.get("scope")
            if scope == "rowgroup":
                key, label, statement = _outcome(cell, function, table_id)
                category_id = f"{SOURCE}:{key}"
                records.append(_record("category", key, label, statement, len(records), parent=function_id,
                                       unit=category_id, anchor=table_id))
            elif scope == "row":
                key, label, statement = _outcome(cell, function, table_id)
                if category_id is None or not key.startswith(category_id.removeprefix(f"{SOURCE}:") + "."):
                    raise ParseError(f"{label} does not sit under its category in the {function.upper()} table")
                records.append(_record("subcategory", key, label, statement, len(records), parent=category_id,
                                       unit=category_id, anchor=table_id))
    ids = [r.id for r in records]
    if len(set(ids)) != len(ids):
        raise ParseError("an outcome id occurs twice in the Core tables")
    return records
