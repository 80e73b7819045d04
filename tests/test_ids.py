import pytest

from kb.ids import ClauseId, InvalidClauseId, is_valid


@pytest.mark.parametrize(
    "text",
    [
        "gdpr:art-22",
        "gdpr:art-22(1)",
        "gdpr:art-22(1)(a)",
        "gdpr:recital-71",
        "ccpa:1798.100(a)",
        "ccpa:1798.100(a)(1)(A)",
        "oecd:1.2",
        "oecd:1.4(b)",
        "hleg:req-5",
        "hleg:req-1.1",
        "euaia:annex-3(1)(a)",
        "nec:p1",
        "ccpa:1798.199.100",
    ],
)
def test_ids_round_trip(text: str) -> None:
    assert str(ClauseId.parse(text)) == text


def test_parts_parent_and_unit() -> None:
    cid = ClauseId.parse("gdpr:art-22(1)(a)")
    assert (cid.source, cid.base, cid.subdivisions) == ("gdpr", "art-22", ("1", "a"))
    assert str(cid.parent) == "gdpr:art-22(1)"
    assert str(cid.unit) == "gdpr:art-22"
    assert ClauseId.parse("gdpr:art-22").parent is None
    assert str(ClauseId.parse("gdpr:art-22").child("2")) == "gdpr:art-22(2)"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        "gdpr",
        "art-22",
        "GDPR:art-22",
        "gdpr:",
        "gdpr:art-22(",
        "gdpr:art 22",
        "gdpr:art-22()",
        "gdpr:art-22(1)x",
        "gdpr::art-22",
        "gdpr:-22",
    ],
)
def test_bad_ids_raise_a_clear_error(bad: str) -> None:
    with pytest.raises(InvalidClauseId, match="clause id"):
        ClauseId.parse(bad)
    assert not is_valid(bad)
