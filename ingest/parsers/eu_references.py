"""Cross-references in the English text of EU legislation ("Article 6(1)", "Articles 15 to 22",
"point (a) of Article 9(2)", "points (a) and (c) of paragraph 2").

References to other acts ("Article 8(1) of the Charter", "Article 4 of Directive 95/46/EC") are not
references into this act and are ignored; so is a clause's reference to itself. Every reference is
resolved to the finest clause that exists: "Article 9(2)(z)" that does not exist resolves to
Article 9(2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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
_EXTERNAL = re.compile(r"\s+of\s+(?!this\b)(?:the\s+)?(?:[A-Z]|Council|Commission)")
_SUB_PART = re.compile(r"\((\w{1,4})\)")


def extract_references(text: str, clause_id: str, known: set[str]) -> tuple[str, ...]:
    """Ids of the clauses of the same act that ``text`` (of clause ``clause_id``) refers to."""
    source, _, local = clause_id.partition(":")
    own_article = local.split("(")[0] if local.startswith("art-") else None
    found: list[str] = []
    consumed: list[tuple[int, int]] = []
    for match in _POINTS.finditer(text):
        target = _point_target(match, own_article)
        if target is None or _is_external(text, match.end()):
            continue
        points = _SUB_PART.findall(match["points"])
        found.extend(f"{source}:{target}({p})" for p in points)
        consumed.append(match.span())
    for match in _ARTICLES.finditer(text):
        if _inside(match.start(), consumed) or _is_external(text, match.end()):
            continue
        found.extend(f"{source}:art-{n}" for n in _expand_numbers(match["list"]))
        consumed.append(match.span())
    for match in _PARAGRAPHS.finditer(text):
        if _inside(match.start(), consumed):
            continue
        article = f"art-{match['art']}" if match["art"] else own_article
        if article is None or (match["art"] and _is_external(text, match.end())):
            continue
        found.extend(f"{source}:{article}({n})" for n in _expand_numbers(match["list"]))
    return _resolve(found, clause_id, known)


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
