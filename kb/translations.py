"""What a reader must be told beside a translation: whether it has legal effect and whether the
clause has been amended since the text it translates. One wording, shown alike by ``kb show``, the
API's clause view and the web page."""

from __future__ import annotations

from datetime import date

from kb.models import Translation

LANGUAGE_NAMES = {"en": "English", "ja": "Japanese"}


def translation_notice(translation: Translation, source_language: str, source_version: date | None) -> str:
    """A sentence or three: legal effect, the registry's note, and how the translated text stands
    against the current text of this clause."""
    original = LANGUAGE_NAMES.get(source_language, source_language)
    parts = []
    if not translation.legal_effect:
        parts.append(f"This translation has no legal effect; only the {original} text is authoritative.")
    if translation.note:
        parts.append(translation.note.strip())
    translated = translation.version_date
    if translated is not None and source_version is not None and translated < source_version:
        if translation.outdated:
            parts.append(
                f"It translates the text as of {translated.isoformat()}; the {original} text of this clause "
                f"has been amended since (current text: {source_version.isoformat()}), so the translation "
                "does not match it."
            )
        elif translation.outdated is False:
            parts.append(
                f"It translates the text as of {translated.isoformat()}, older than the current text "
                f"({source_version.isoformat()}); this clause reads the same in both."
            )
        else:
            parts.append(
                f"It translates the text as of {translated.isoformat()}; the current text is of "
                f"{source_version.isoformat()}."
            )
    elif translation.outdated:
        parts.append(f"The {original} text of this clause has been amended since this translation was made.")
    return " ".join(parts)
