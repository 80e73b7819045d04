"""Cross-references in the English text of EU legislation ("Article 6(1)", "Articles 15 to 22",
"point (a) of Article 9(2)", "points (a) and (c) of paragraph 2") and to its annexes ("Annex III",
"Annexes VI and VII", "point 1(a) of Annex III", "Annex III, point 1(a)", "points 5 (b) and (c) of
Annex III", "paragraph 1, first subparagraph, point (h)", "point 3 of Section A of Annex VIII",
"Section A, points 1 to 10, of Annex VIII").

Annex ids follow the Formex parser: ``annex-3``, ``annex-3(1)(a)``, a section as a subdivision
(``annex-8(A)(3)``), a dotted point "3.1" as ``annex-7(3)(1)``. Inside an annex a bare "point 8"
names a point of the same annex (or annex section): the caller says which with ``point_scope``.

References to other acts ("Article 8(1) of the Charter", "Article 4 of Directive 95/46/EC", "Annex I
to Decision No 768/2008/EC") are not references into this act and are ignored; so is a clause's
reference to itself. Every reference is resolved to the finest clause that exists: "Article 9(2)(z)"
that does not exist resolves to Article 9(2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from kb.text import roman_to_int

_SUBS = r"(?:\(\w{1,4}\))*"
_NUM_LIST = rf"\d+{_SUBS}(?:\s*(?:,|and|or|to)\s*\d+{_SUBS})*"
_ARTICLES = re.compile(rf"\bArticles?\s+(?P<list>{_NUM_LIST})")
_POINTS = re.compile(
    r"\b[Pp]oints?\s+(?P<points>\(\w{1,4}\)(?:\s*(?:,|and|or|to)\s*\(\w{1,4}\))*)"
    r"(?:\s+of\s+(?:the\s+\w+\s+subparagraph\s+of\s+)?"
    rf"(?:paragraph\s+(?P<para>\d+)(?:\s+of\s+Article\s+(?P<para_art>\d+))?"
    rf"|Article\s+(?P<art>\d+{_SUBS})))?"
)
_PARAGRAPHS = re.compile(
    r"\b[Pp]aragraphs?\s+(?P<list>\d+(?:\s*(?:,|and|or|to)\s*\d+)*)(?!\s*\()"
    r"(?:\s+of\s+Article\s+(?P<art>\d+))?"
)
_TRAILING_POINTS = re.compile(
    r",\s*(?:(?:first|second|third|fourth|fifth|sixth)\s+subparagraph\s*,\s*)?[Pp]oints?\s+"
    r"(?P<points>(?:\(\w{1,4}\))+(?:\s*(?:,|and|or)\s*(?:\(\w{1,4}\))+)*)"
)
_TRAILING_POINT = re.compile(r"(?:\(\w{1,4}\))+")
_THEREOF = re.compile(r"\s*,?\s*thereof\b")
_EXTERNAL = re.compile(r"\s+of\s+(?!this\b)(?:the\s+)?(?:[A-Z]|Council|Commission)")
_SUB_PART = re.compile(r"\((\w{1,4})\)")

# Annexes: Roman numbers, points "1", "1(a)", "1 (a)", "3.1", sections "A" or "1".
_ROMAN_NUMBER = r"[IVXLC]+\b"
_ANNEX_LIST = rf"{_ROMAN_NUMBER}(?:\s*(?:,|and|or|to)\s*{_ROMAN_NUMBER})*"
_ANNEX_POINT = r"\d+(?:\.\d+)*(?:\s*\(\w{1,4}\))*"
_ANNEX_POINT_LIST = rf"{_ANNEX_POINT}(?:\s*(?:,\s*and\s+points|,|and|or|to)\s*(?:{_ANNEX_POINT}|\(\w{{1,4}}\)))*"
_SECTION = r"(?:[A-Z]|\d+)\b"
_SECTION_LIST = rf"{_SECTION}(?:\s*(?:,|and|or)\s*{_SECTION})*"
_ANNEXES = re.compile(
    rf"(?:\b[Pp]oints?\s+(?P<pre_points>{_ANNEX_POINT_LIST})\s*,?\s+of\s+)?"
    rf"(?:\b(?:the\s+)?[Ss]ections?\s+(?P<sections>{_SECTION_LIST})"
    rf"(?:\s*,\s*[Pp]oints?\s+(?P<mid_points>{_ANNEX_POINT_LIST})\s*,?)?\s+of\s+)?"
    rf"\bAnnex(?:es)?\s+(?P<annexes>{_ANNEX_LIST})"
    rf"(?:\s*,\s*(?:[Ss]ection\s+(?P<post_section>{_SECTION})\s*,\s*)?"
    rf"[Pp]oints?\s+(?P<post_points>{_ANNEX_POINT_LIST}))?"
)
_ANNEX_EXTERNAL = re.compile(r"\s+to\s+(?:Decision|Directive|Regulation)\b")
_BARE_ANNEX_POINTS = re.compile(rf"\b[Pp]oints?\s+(?P<points>(?>{_ANNEX_POINT_LIST}))(?!\s*,?\s*of\b)")


def extract_references(
    text: str, clause_id: str, known: set[str], *, point_scope: str | None = None
) -> tuple[str, ...]:
    """Ids of the clauses of the same act that ``text`` (of clause ``clause_id``) refers to.

    ``point_scope`` is the id ("euaia:annex-8(A)") whose points a bare "point 8" in the text names;
    None (the default, and always for articles) leaves bare numbered points alone.
    """
    source, _, local = clause_id.partition(":")
    own_article = local.split("(")[0] if local.startswith("art-") else None
    found: list[str] = []
    consumed: list[tuple[int, int]] = []
    _annex_references(text, source, found, consumed)
    if point_scope is not None:
        _bare_annex_points(text, point_scope, found, consumed)
    for match in _POINTS.finditer(text):
        target = _point_target(match, own_article)
        if target is None or _is_external(text, match.end()):
            continue
        points = _SUB_PART.findall(match["points"])
        found.extend(f"{source}:{target}({p})" for p in points)
        consumed.append(match.span())
    for match in _ARTICLES.finditer(text):
        numbers = _expand_numbers(match["list"])
        end = match.end()
        trailing = _TRAILING_POINTS.match(text, end) if len(numbers) == 1 else None
        if trailing is not None:  # "Article 5(1), first subparagraph, point (h)(iii)"
            end = trailing.end()
            numbers = [numbers[0] + p for p in _TRAILING_POINT.findall(trailing["points"])]
        if _inside(match.start(), consumed) or _is_external(text, end) or _THEREOF.match(text, end):
            continue
        found.extend(f"{source}:art-{n}" for n in numbers)
        consumed.append((match.start(), end))
    for match in _PARAGRAPHS.finditer(text):
        if _inside(match.start(), consumed):
            continue
        article = f"art-{match['art']}" if match["art"] else own_article
        if article is None or (match["art"] and _is_external(text, match.end())):
            continue
        paths = [f"({n})" for n in _expand_numbers(match["list"])]
        trailing = _TRAILING_POINTS.match(text, match.end()) if len(paths) == 1 else None
        if trailing is not None:  # "paragraph 1, first subparagraph, point (h)": the point, not the paragraph
            paths = [paths[0] + p for p in _TRAILING_POINT.findall(trailing["points"])]
        found.extend(f"{source}:{article}{path}" for path in paths)
    return _resolve(found, clause_id, known)


def _annex_references(text: str, source: str, found: list[str], consumed: list[tuple[int, int]]) -> None:
    """References to annexes: "Annex III", "point 1(a) of Annex III", "Section A, points 1 to 10, of
    Annex VIII" and the like."""
    for match in _ANNEXES.finditer(text):
        if _ANNEX_EXTERNAL.match(text, match.end()) or _is_external(text, match.end()):
            continue
        points = match["pre_points"] or match["mid_points"] or match["post_points"]
        sections = _expand_sections(match["sections"] or match["post_section"] or "")
        for annex in _expand_annexes(match["annexes"]):
            base = f"{source}:annex-{annex}"
            scopes = [f"{base}({s})" for s in sections] or [base]
            for scope in scopes:
                found.extend(_annex_point_ids(scope, points) if points else [scope])
        consumed.append(match.span())


def _bare_annex_points(text: str, scope: str, found: list[str], consumed: list[tuple[int, int]]) -> None:
    """A bare "point 8" inside an annex: a point of the same annex (or annex section)."""
    for match in _BARE_ANNEX_POINTS.finditer(text):
        if _inside(match.start(), consumed):
            continue
        found.extend(_annex_point_ids(scope, match["points"]))
        consumed.append(match.span())


def _annex_point_ids(scope: str, listing: str) -> list[str]:
    """'1, 6 and 7' -> scope(1), scope(6), scope(7); '5 (b) and (c)' -> scope(5)(b), scope(5)(c);
    '2 to 4' -> 2, 3, 4; '3.1(a)' -> scope(3)(1)(a)."""
    tokens = re.findall(r"\d+(?:\.\d+)*(?:\s*\(\w{1,4}\))*|\(\w{1,4}\)|\bto\b", listing)
    points: list[list[str]] = []
    for i, token in enumerate(tokens):
        if token == "to":
            low = points[-1] if points else None
            high = tokens[i + 1] if i + 1 < len(tokens) else ""
            if low and len(low) == 1 and low[0].isdigit() and high.isdigit() and int(low[0]) < int(high) <= 100:
                points.extend([str(n)] for n in range(int(low[0]) + 1, int(high)))
        elif token.startswith("("):
            if points:
                points.append([*points[-1][:-1], token.strip("()")])
        else:
            number, _, subs = token.partition("(")
            points.append([*number.strip().split("."), *_SUB_PART.findall(f"({subs}" if subs else "")])
    return [scope + "".join(f"({part})" for part in parts) for parts in points]


def _expand_annexes(listing: str) -> list[int]:
    """'VI and VII' -> [6, 7]; 'I to III' -> [1, 2, 3]."""
    tokens = re.findall(r"[IVXLC]+|\bto\b", listing)
    out: list[int] = []
    for i, token in enumerate(tokens):
        if token == "to" and out and i + 1 < len(tokens) and tokens[i + 1] != "to":
            out.extend(range(out[-1] + 1, roman_to_int(tokens[i + 1])))
        elif token != "to":
            out.append(roman_to_int(token))
    return out


def _expand_sections(listing: str) -> list[str]:
    return re.findall(r"[A-Z]|\d+", listing)


def _point_target(match: re.Match[str], own_article: str | None) -> str | None:
    if match["art"]:
        return f"art-{match['art']}"
    if match["para"]:
        article = f"art-{match['para_art']}" if match["para_art"] else own_article
        return f"{article}({match['para']})" if article else None
    return None


def _is_external(text: str, end: int) -> bool:
    return _EXTERNAL.match(text, end) is not None


def _inside(position: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def _expand_numbers(listing: str) -> list[str]:
    """'15 to 22' -> 15..22; '13 and 14' -> 13, 14; '6(1)' -> '6(1)'."""
    tokens = re.findall(rf"\d+{_SUBS}|to", listing)
    out: list[str] = []
    for i, token in enumerate(tokens):
        if token == "to" and out and i + 1 < len(tokens):
            low, high = out[-1], tokens[i + 1]
            if low.isdigit() and high.isdigit() and int(low) < int(high) <= int(low) + 100:
                out.extend(str(n) for n in range(int(low) + 1, int(high)))
        elif token != "to":
            out.append(_parenthesised(token))
    return out


def _parenthesised(token: str) -> str:
    number, _, rest = token.partition("(")
    return number + (f"({rest}" if rest else "")


def _resolve(candidates: list[str], clause_id: str, known: set[str]) -> tuple[str, ...]:
    """Map each candidate to the finest existing clause; drop self-references and duplicates."""
    out: list[str] = []
    for candidate in candidates:
        target = candidate
        while target not in known and "(" in target:
            target = target[: target.rindex("(")]
        if target in known and target != clause_id and target not in out:
            out.append(target)
    return tuple(out)
