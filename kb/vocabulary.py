"""The allowed values that several layers check or offer, defined once."""

from __future__ import annotations

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
