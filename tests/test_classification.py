"""The AI Act classification, company sheet scopes, cues and provision ranges, on the project's own rule
files (corpus/), without a knowledge base: fast."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.parsers import ParseError
from ingest.parsers.guideline_yaml import guideline_source
from kb.classification import Answers, ClassificationRulesError, Rules, classify, load_classification_rules
from kb.cues import Cue, Text
from kb.map_evaluation import covers
from kb.provisions import UnitRange
from kb.sheets import decide, load_sheets

CORPUS = Path(__file__).parents[1] / "corpus"
FIXTURES = Path(__file__).parent / "fixtures" / "internal"

CHATBOT = (
    "An LLM-based customer-support chatbot on our website answers customers' questions about their orders; "
    "the LLM is provided by a US vendor through its API."
)
CREDIT_SCORING = "A credit-scoring model scores consumers' loan applications and decides who gets credit."
FACE_DOOR = (
    "Our office wants staff to open the door by looking into a camera that checks their face against the "
    "photo they enrolled, instead of using a badge."
)


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_classification_rules(CORPUS)


def test_the_chatbot_has_transparency_duties_and_a_deployer_only_ai_literacy(rules: Rules) -> None:
    c = classify(rules, CHATBOT, Answers(role="deployer"), ("EU",))
    assert c.klass == "transparency" and c.basis == ["euaia:art-50(1)", "euaia:art-50(2)"]
    assert c.findings[0].words == ["chatbot"]
    mine = [d.provision for d in c.duties if d.for_caller]
    assert "euaia:art-4" in mine and "euaia:art-50(1)" not in mine  # 50(1) binds the provider
    assert next(d for d in c.duties if d.provision == "euaia:art-50(1)").condition.endswith("applies to providers")
    assert not any(d.provision in ("euaia:art-14", "euaia:art-26", "euaia:art-27") for d in c.duties)


def test_credit_scoring_is_annex_iii_5b_in_the_eu_and_out_of_scope_without_an_eu_link(rules: Rules) -> None:
    eu = classify(rules, CREDIT_SCORING, Answers(role="deployer"), ("EU",))
    assert eu.klass == "high-risk" and eu.basis == ["euaia:annex-3(5)(b)"]
    deployer = {d.provision: d for d in eu.duties if d.for_caller}
    assert {"euaia:art-26", "euaia:art-27", "euaia:art-86"} <= set(deployer)
    assert deployer["euaia:art-26"].condition.startswith("applies if high-risk: Annex III(5)(b) matched")
    assert any(e.provision == "euaia:art-6(3)" and "profiles" in e.text for e in eu.exceptions)
    california = classify(rules, CREDIT_SCORING, Answers(), ("US-CA",))
    assert california.klass == "out-of-scope" and california.would_be == "high-risk" and not california.duties
    assert "Art. 2(1)" in california.scope_note


def test_face_verification_at_the_door_is_ruled_out_of_annex_iii_1a(rules: Rules) -> None:
    c = classify(rules, FACE_DOOR, Answers(), ("EU",))
    assert c.klass == "minimal" and c.basis == ["euaia:annex-3(1)(a)"]
    assert c.ruled_out[0].rule.provision == "euaia:annex-3(1)(a)" and c.ruled_out[0].words == ["open the door"]
    assert any("verification" in e.text for e in c.exceptions)


@pytest.mark.parametrize(
    ("description", "answers", "klass", "basis"),
    [
        (
            "A call centre in Germany uses an AI tool that detects whether agents are stressed or angry from their "
            "voices during calls.",
            Answers(role="deployer"),
            "prohibited",
            "euaia:art-5(1)(f)",
        ),
        ("The police want to scan the faces of everyone at the railway station in real time.", Answers(),
         "prohibited", "euaia:art-5(1)(h)"),
        ("We train a large language model and release it through an API to developers in the EU.",
         Answers(role="provider"), "gpai", "euaia:art-53"),
        ("A defence contractor develops AI target recognition exclusively for a national army.", Answers(),
         "out-of-scope", "euaia:art-2(3)"),
        ("Our recruiting team's tool only sorts incoming applications by language; it does not rank or score "
         "anyone.", Answers(role="provider"), "minimal", "euaia:art-6(3)"),
        ("We make radiology software that detects lung nodules; it is certified as a medical device.",
         Answers(role="provider"), "high-risk", "euaia:art-6(1)"),
    ],
)
def test_classes_with_the_provision_that_decides(
    rules: Rules, description: str, answers: Answers, klass: str, basis: str
) -> None:
    c = classify(rules, description, answers, ("EU",))
    assert c.klass == klass and basis in c.basis


def test_unknown_role_and_eu_link_become_open_questions(rules: Rules) -> None:
    c = classify(rules, CREDIT_SCORING, Answers())
    assert c.role is None and c.in_scope is None
    assert any("provider" in q and "deployer" in q for q in c.questions)
    assert any("EU market" in q for q in c.questions)
    assert c.confidence < classify(rules, CREDIT_SCORING, Answers(role="deployer"), ("EU",)).confidence


def test_a_sector_answer_completes_a_description_that_does_not_say_the_domain(rules: Rules) -> None:
    text = "A reseller distributes another company's AI software that ranks candidates."
    assert classify(rules, text, Answers(role="distributor", sector="employment"), ("EU",)).klass == "high-risk"


def test_a_malformed_rules_file_is_refused_with_its_name(tmp_path: Path) -> None:
    (tmp_path / "ai-act-classes.yaml").write_text("format: x\nclasses: []\n", encoding="utf-8")
    with pytest.raises(ClassificationRulesError, match=r"ai-act-classes\.yaml"):
        load_classification_rules(tmp_path)


def test_cues_need_every_group_and_ignore_negated_words() -> None:
    cue = Cue((("face", "facial"), ("recognition", "identify")))
    assert Text("Facial recognition at the gate").match(cue) == ["Facial".lower(), "recognition"]
    assert Text("a face-to-face meeting").match(cue) is None  # one word is not enough
    assert Text("there is no face recognition here").match(cue) is None  # negated
    assert Text("It screens résumés").find("resumes") == "résumés"
    assert Text("顔認証で入館").find("顔認証") == "顔認証"


def test_unit_ranges_cover_articles_and_sections() -> None:
    assert UnitRange.parse("gdpr:art-51..76").contains("gdpr", "art-70")
    assert not UnitRange.parse("gdpr:art-51..76").contains("gdpr", "art-77")
    assert UnitRange.parse("ccpa:1798.199..1798.199.100").contains("ccpa", "1798.199.40")
    assert covers("gdpr:art-6(1)(b)", "gdpr:art-6") and not covers("euaia:art-5", "euaia:art-5(1)(f)")


def test_the_face_recognition_sheet_applies_only_in_its_scope() -> None:
    sheets = load_sheets(CORPUS)
    present = {"acme-frs"}
    assert decide(sheets, FACE_DOOR, present)[0].applies
    for text in (
        CHATBOT,
        CREDIT_SCORING,
        "Cameras in a shopping street count passers-by to plan opening hours; no face recognition.",
        "駅前広場のカメラ映像から通行人の人数だけをAIで数えたい。顔の照合や個人の特定は行わず、映像はすぐに破棄します。",
    ):
        decision = decide(sheets, text, present)[0]
        assert not decision.applies and decision.why.startswith("out of scope")


def test_a_sheet_declares_its_scope_in_the_guideline_format() -> None:
    scope = guideline_source((FIXTURES / "tiny_scoped.yaml").read_bytes()).scope
    assert scope is not None and scope.summary == "Cameras that recognise licence plates."
    plates = ("licence plate", "license plate", "number plate")
    assert scope.match[0] == (plates, ("recognise", "recognition", "read", "reads"))
    assert scope.unless == ((("no plates are read",),),) and scope.data_categories == ("location",)
    with pytest.raises(ParseError, match=r"scope\.match\[0\]\[1\]: expected a non-empty list of phrases"):
        guideline_source((FIXTURES / "bad_scope.yaml").read_bytes())
