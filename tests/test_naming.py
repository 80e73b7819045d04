"""Which sources a question names (kb/naming.py): by name or jurisdiction, in English or Japanese,
as whole phrases; the named sources' articles come first, each part keeping its order."""

from __future__ import annotations

from kb.lexical import tokenize
from kb.naming import SourceNames, _Name, prefer_named

JURISDICTIONS = {"gdpr": "EU", "euaia": "EU", "ccpa": "US-CA", "cppa-regs": "US-CA", "appi": "JP", "oecd": "OECD"}


def _names(*entries: tuple[str, set[str], set[str]]) -> SourceNames:
    return SourceNames(_Name(tuple(tokenize(p)), frozenset(s), frozenset(j)) for p, s, j in entries)


NAMES = _names(
    ("California", set(), {"US-CA"}),
    ("カリフォルニア", set(), {"US-CA"}),
    ("GDPR", {"gdpr"}, set()),
    ("EU", set(), {"EU"}),
    ("AI Act", {"euaia"}, set()),
)


def test_a_jurisdiction_names_all_its_sources_in_either_language() -> None:
    assert NAMES.named_sources("Can a Californian customer opt out?", JURISDICTIONS) == set()  # another word
    assert NAMES.named_sources("What does California law say about sale?", JURISDICTIONS) == {"ccpa", "cppa-regs"}
    assert NAMES.named_sources("カリフォルニア州法では販売をやめさせられますか", JURISDICTIONS) == {"ccpa", "cppa-regs"}
    assert NAMES.named_sources("EUの顧客のデータ", JURISDICTIONS) == {"gdpr", "euaia"}


def test_a_name_counts_only_as_a_whole_phrase() -> None:
    assert NAMES.named_sources("Under the GDPR, may we keep logs?", JURISDICTIONS) == {"gdpr"}
    assert NAMES.named_sources("Which act covers AI in hiring?", JURISDICTIONS) == set()  # "AI" and "act" apart
    assert NAMES.named_sources("Which AI Act duties apply?", JURISDICTIONS) == {"euaia"}
    assert NAMES.named_sources("What counts as personal data?", JURISDICTIONS) == set()


def test_named_sources_come_first_and_each_part_keeps_its_order() -> None:
    order = [("appi:27", 0.9), ("gdpr:art-17", 0.8), ("ccpa:1798.105", 0.7), ("gdpr:art-21", 0.6)]
    source = lambda item: item[0].split(":")[0]  # noqa: E731
    assert prefer_named(order, source, frozenset({"gdpr"})) == [order[1], order[3], order[0], order[2]]
    assert prefer_named(order, source, frozenset()) == order


def test_only_the_first_few_named_items_are_lifted() -> None:
    order = [("appi:27", 0.9), ("gdpr:art-17", 0.8), ("ccpa:1798.105", 0.7), ("gdpr:art-21", 0.6)]
    source = lambda item: item[0].split(":")[0]  # noqa: E731
    assert prefer_named(order, source, frozenset({"gdpr"}), lift=1) == [order[1], order[0], order[2], order[3]]
