"""The allowed values that several layers check or offer, defined once."""

from __future__ import annotations

JURISDICTIONS = ("EU", "US-CA", "JP", "OECD", "internal")
PHASES = ("planning", "design", "operation")  # lifecycle order
PHASE_NAMES = {"planning": "planning/proposal", "design": "design/development", "operation": "operation/maintenance"}
SOURCE_KINDS = ("law", "regulation", "guideline", "principles", "internal")
LANGUAGES = ("en", "ja")
