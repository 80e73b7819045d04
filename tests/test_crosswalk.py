"""The crosswalk's format and its check (kb check): a tiny fixture for each fault, and the real
crosswalk against the real knowledge base (marked corpus)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from kb.crosswalk import CrosswalkError, Link, check_crosswalk, load_crosswalk
from kb.knowledge import CatalogEntry

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "crosswalk"
TODAY = dt.date(2026, 11, 30)


def _entry(clause_id: str, repealed: bool = False) -> CatalogEntry:
    source, _, number = clause_id.partition(":")
    return CatalogEntry(
        id=clause_id, source_id=source, kind="paragraph", number=number, label=number, title=None,
        text="text", parent_id=None, unit_id=clause_id.split("(")[0], url="", language="en", position=0,
        repealed=repealed,
    )  # fmt: skip


CLAUSES = {c.id: c for c in [_entry("ethics:p1"), *(_entry(f"law:art-2({n})") for n in (1, 2, 3))]}
CLAUSES |= {"law:art-3": _entry("law:art-3", repealed=True), "law:art-9": _entry("law:art-9")}
CLAUSES |= {"law:art-4": _entry("law:art-4")}
BINDING = {"ethics": False, "law": True}


def _kind(clause: CatalogEntry) -> str:
    return "institutional" if clause.unit_id == "law:art-9" else "obligation"


def test_the_fixture_loads_with_every_qualified_field() -> None:
    crosswalk = load_crosswalk(FIXTURE)
    link = crosswalk.theme("oversight").clauses[0]
    assert link == Link(
        id="law:art-2(1)", type="implements", rationale="A sound clause link.", limits="Deployers only.",
        condition="high-risk system", confidence="high", checked=dt.date(2026, 11, 30), roles=("deployer",),
        applies_from=dt.date(2026, 8, 2),
    )  # fmt: skip
    assert link.conditional and not link.applies_on(dt.date(2026, 8, 1)) and link.applies_on(TODAY)
    assert link.why == link.rationale


def test_the_check_names_each_fault_and_warns_for_an_absent_source() -> None:
    findings = check_crosswalk(load_crosswalk(FIXTURE), CLAUSES, BINDING, _kind, TODAY)
    found = {(f.severity, f.link_id, f.message.split(";")[0].split(",")[0]) for f in findings}
    assert found == {
        ("error", "ethics:p1", "linked twice in the same list"),
        ("error", "law:art-2(9)", "no such clause in the knowledge base"),
        ("error", "law:art-3", "the clause is repealed"),
        ("error", "law:art-9", "an institutional provision obliges no company"),
        ("error", "law:art-2(2)", "'soft-law-alignment' links a non-binding text"),
        ("error", "law:art-2(3)", "checked on 2099-01-01"),
        ("error", "ethics:p1", "'implements' is for binding law"),
        ("warning", "absent:1", "source 'absent' is not ingested"),
    }
    assert not any(f.link_id == "law:art-2(1)" for f in findings)  # the sound link passes



def test_a_link_to_a_conditional_provision_must_state_its_condition() -> None:
    def conditional(clause_id: str) -> str | None:
        return "applies only to high-risk systems" if clause_id.startswith(("law:art-2(", "law:art-4")) else None

    findings = check_crosswalk(load_crosswalk(FIXTURE), CLAUSES, BINDING, _kind, TODAY, conditional)
    flagged = {f.link_id for f in findings if "says 'always'" in f.message}
    assert flagged == {"law:art-4"}  # law:art-2(1) states "high-risk system"; the others have other faults

@pytest.mark.parametrize(
    ("field", "message"),
    [("rationale", "'rationale' is required"), ("limits", "'limits' is required"),
     ("condition", "'condition' is required"), ("checked", "'checked' is required"),
     ("type", "'type' must be one of"), ("confidence", "'confidence' must be one of")],
)  # fmt: skip
def test_a_link_without_a_qualified_field_is_refused(tmp_path: Path, field: str, message: str) -> None:
    shutil.copy(FIXTURE / "triggers.yaml", tmp_path)
    text = (FIXTURE / "crosswalk.yaml").read_text(encoding="utf-8")
    first = text.index('{id: "law:art-2(1)"')
    end = text.index("}", first)
    link = text[first:end]
    stripped = ", ".join(p for p in link.split(", ") if not p.strip().startswith(f"{field}:"))
    stripped = "\n".join(line for line in stripped.splitlines() if not line.strip().startswith(f"{field}:"))
    (tmp_path / "crosswalk.yaml").write_text(text[:first] + stripped + text[end:], encoding="utf-8")
    with pytest.raises(CrosswalkError, match=message) as error:
        load_crosswalk(tmp_path)
    assert "law:art-2(1)" in str(error.value)


def test_a_trigger_of_bare_terms_is_refused(tmp_path: Path) -> None:
    shutil.copy(FIXTURE / "crosswalk.yaml", tmp_path)
    text = (FIXTURE / "triggers.yaml").read_text(encoding="utf-8")
    (tmp_path / "triggers.yaml").write_text(text.replace("    detect:\n", "    terms: [face]\n    detect:\n"))
    with pytest.raises(CrosswalkError, match="fire on a word alone"):
        load_crosswalk(tmp_path)


@pytest.mark.corpus
def test_the_real_crosswalk_passes_the_check_on_the_real_knowledge_base(ingested) -> None:
    from kb.crosswalk import check_knowledge_base
    from kb.knowledge import Library

    findings = check_knowledge_base(Library(ingested).get(), ingested.registry_dir)
    assert [str(f) for f in findings if f.severity == "error"] == []
    crosswalk = load_crosswalk(ingested.registry_dir)
    assert all(link.rationale and link.limits and link.condition for _, link in crosswalk.links())


@pytest.mark.corpus
def test_kb_check_and_kb_ingest_exit_non_zero_on_a_broken_link(ingested, tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from cli.main import app
    from tests.conftest import copy_data_dir

    registry = tmp_path / "registry"
    shutil.copytree(ingested.registry_dir, registry)
    text = (registry / "crosswalk.yaml").read_text(encoding="utf-8")
    (registry / "crosswalk.yaml").write_text(text.replace('"gdpr:art-5(2)"', '"gdpr:art-57(1)"', 1))
    monkeypatch.setenv("KB_DATA_DIR", str(copy_data_dir(ingested.data_dir, tmp_path / "data")))
    monkeypatch.setenv("KB_SOURCES_DIR", str(ingested.sources_dir))
    monkeypatch.setenv("KB_REGISTRY_DIR", str(registry))
    checked = CliRunner().invoke(app, ["check"])
    assert checked.exit_code == 1, checked.output
    assert "gdpr:art-57(1): an institutional provision" in checked.output
    ingested_again = CliRunner().invoke(app, ["ingest", "-s", "nec"])
    assert ingested_again.exit_code == 1, ingested_again.output
    assert "crosswalk check: 1 error(s)" in ingested_again.output

def test_the_review_record_exports_keep_type_condition_date_and_limits() -> None:
    from kb.export import CSV_COLUMNS, _bullet, _row
    from kb.presenters import qualified_link
    from kb.views import MappedClause

    link = load_crosswalk(FIXTURE).theme("oversight").clauses[0]
    clause = MappedClause(
        id=link.id, citation="Law Art. 2(1)", source="law", binding=True, url="https://example.org", reason="crosswalk",
        why=link.why, link=qualified_link(link),
    )  # fmt: skip
    bullet = _bullet(clause)
    assert "[implements; applies if: high-risk system; from 2026-08-02; limits: Deployers only.; checked" in bullet
    row = dict(zip(CSV_COLUMNS, _row("clause", "oversight", clause), strict=True))
    assert (row["link_type"], row["condition"], str(row["applies_from"])) == ("implements", "high-risk system", "2026-08-02")
    assert clause.model_dump(mode="json")["link"]["roles"] == ["deployer"]  # the API's shape


@pytest.mark.corpus
def test_the_clause_page_and_the_mapping_show_each_link_qualified(ingested) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    client = TestClient(create_app(ingested))
    page = client.get("/clauses/gdpr:art-22").text  # the crosswalk links Art. 22(1) and 22(3): shown here too
    assert "Through" in page and "applies if:</strong> a decision based solely on automated processing" in page
    assert "<strong>limits:</strong> Not a non-discrimination rule" in page and "checked 2026-11-30" in page
    body = {"description": "A bank uses an AI model to assess the creditworthiness of loan applicants.", "k": 3}
    mapped = client.post("/v1/map", json=body).json()
    direct = {c["id"]: c["link"] for c in mapped["direct"] if c.get("link")}
    links = [*direct.values()]
    links += [c["link"] for t in mapped["themes"] for g in t["clauses_by_source"] for c in g["clauses"] if c["link"]]
    assert links and all({"type", "limits", "condition", "checked"} <= set(link) for link in links)
    assert direct["euaia:art-27(1)"]["applies_from"] == "2026-08-02"  # the FRIA for credit scoring, with its date
    assert "solely on automated processing" in direct["gdpr:art-22(1)"]["condition"]  # Art. 22 with its condition
