"""The allowed values that several layers check or offer, defined once."""

from __future__ import annotations

import re

JURISDICTIONS = ("EU", "US", "US-CA", "US-CO", "JP", "OECD", "internal")
PHASES = ("planning", "design", "operation")  # lifecycle order
PHASE_NAMES = {"planning": "planning/proposal", "design": "design/development", "operation": "operation/maintenance"}
SOURCE_KINDS = ("law", "regulation", "guideline", "principles", "internal")
LANGUAGES = ("en", "ja")


def canonical(values: tuple[str, ...], allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    """``values`` spelled as in ``allowed``, matched without regard to case (``eu`` is ``EU``);
    ValueError naming the unknown ones and listing the allowed values otherwise."""
    by_folded = {value.casefold(): value for value in allowed}
    unknown = [value for value in values if value.casefold() not in by_folded]
    if unknown:
        raise ValueError(f"unknown {what} {', '.join(map(repr, unknown))}; valid values: {', '.join(allowed)}")
    return tuple(by_folded[value.casefold()] for value in values)


_JURISDICTION_CODE = re.compile(r"^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$")


def canonical_jurisdictions(values: tuple[str, ...]) -> tuple[str, ...]:
    """Known jurisdictions spelled as defined (``eu`` is ``EU``); any other country or state code (``uk``,
    ``US-NY``) kept in capitals, so a mapping can say that its binding law is missing; ValueError listing the
    valid values for anything else."""
    by_folded = {value.casefold(): value for value in JURISDICTIONS}
    out, unknown = [], []
    for value in values:
        code = value.strip()
        if code.casefold() in by_folded:
            out.append(by_folded[code.casefold()])
        elif _JURISDICTION_CODE.match(code.upper()):
            out.append(code.upper())
        else:
            unknown.append(value)
    if unknown:
        raise ValueError(
            f"unknown jurisdiction {', '.join(map(repr, unknown))}; valid values: {', '.join(JURISDICTIONS)}, "
            "or another country or state code such as UK or US-NY"
        )
    return tuple(out)
