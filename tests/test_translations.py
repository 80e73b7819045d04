"""What a reader is told beside a translation: legal effect, the registry's note, and how the
translated text stands against the clause's current text (amended since, the same, or not compared)."""

from __future__ import annotations

from datetime import date

from kb.models import Translation
from kb.translations import translation_notice

CURRENT = date(2026, 7, 17)


def _translation(**fields) -> Translation:
    return Translation(clause_id="appi:27(1)", language="en", text="…", **fields)


def test_a_translation_without_legal_effect_says_so_with_its_note() -> None:
    notice = translation_notice(_translation(note="Official translation (JLT)."), "ja", CURRENT)
    assert notice == "This translation has no legal effect; only the Japanese text is authoritative. Official translation (JLT)."


def test_an_older_translation_says_whether_this_clause_changed_since() -> None:
    amended = translation_notice(_translation(version_date=date(2021, 5, 19), outdated=True), "ja", CURRENT)
    assert "amended since (current text: 2026-07-17)" in amended and "does not match" in amended
    same = translation_notice(_translation(version_date=date(2021, 5, 19), outdated=False), "ja", CURRENT)
    assert "reads the same in both" in same and "amended" not in same
    unknown = translation_notice(_translation(version_date=date(2025, 6, 4), outdated=None), "ja", date(2025, 9, 1))
    assert unknown.endswith("It translates the text as of 2025-06-04; the current text is of 2025-09-01.")


def test_a_translation_with_legal_effect_and_of_the_current_text_needs_no_warning() -> None:
    assert translation_notice(_translation(legal_effect=True, version_date=CURRENT, outdated=False), "ja", CURRENT) == ""
