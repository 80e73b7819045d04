"""Trigger detection (corpus/triggers.yaml, kb/triggers.py): each trigger fires on what it requires and
not on a word alone. Every trigger has positive and negative descriptions here (a test checks that)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.crosswalk import Crosswalk, load_crosswalk
from kb.triggers import detect_triggers

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

POSITIVE = {
    "biometric": [
        "A retail chain uses face recognition at store entrances to spot known shoplifters.",
        "Staff unlock the warehouse door with their fingerprint.",
        "Photos of visitors' faces are taken at the gate. The system matches them against a watchlist.",
        "コンビニの入口で顔認証を使って常連客を識別する。",
        "日本の小売チェーンが店舗の入口で顔認識を使う。",
        "The call centre analyses callers' voice to detect emotions.",
    ],
    "health": [
        "A hospital uses AI to predict patient readmission from medical records.",
        "An app tracks users' mental health and suggests exercises.",
        "A wearable collects health data such as heart rate and sleep.",
        "病院が患者の診断データをAIで分析する。",
    ],
    "children": [
        "An online game for children recommends in-game purchases.",
        "A tutoring app is used by primary school pupils to practise reading.",
        "We need parental consent before kids under 13 create an account.",
        "小学生向けの学習アプリで児童の回答を分析する。",
    ],
    "education": [
        "A university uses AI to rank applicants for admission.",
        "An online proctoring tool flags students who may be cheating during exams.",
        "AI grades students' essays at a vocational training institution.",
        "大学の入試でAIが受験者の答案を採点する。",
        "Remote exam software records pupils' webcams and evaluates whether they look away from the screen.",
    ],
    "location": [
        "A delivery app records drivers' GPS location every minute.",
        "The city analyses pedestrian flows around the station with phone data.",
        "We track customers' movements through the mall.",
        "スマートフォンの位置情報から人流を分析する。",
    ],
    "surveillance": [
        "CCTV cameras record customers in the store.",
        "Cameras at the office entrance film every visitor.",
        "店舗の防犯カメラの映像を分析する。",
    ],
    "employment": [
        "An AI tool screens CVs for job openings and ranks candidates.",
        "The system monitors employee productivity and flags low performers.",
        "Recruitment: the chatbot interviews job applicants first.",
        "人事評価にAIを使って従業員を評価する。",
        "A delivery platform ranks its riders by speed and assigns the best shifts to the top ones.",
    ],
    "credit": [
        "A bank uses a model to assess the creditworthiness of loan applicants.",
        "An AI decides whether to approve a mortgage.",
        "The fintech app sets credit limits for new customers automatically.",
        "融資の審査にAIを使う。",
        "与信モデルで個人の信用スコアを算出する。",
    ],
    "insurance": [
        "An insurer prices life insurance premiums with an AI risk model.",
        "Health insurance applicants are assessed by an underwriting model.",
        "生命保険の引受査定にAIのリスクモデルを使う。",
    ],
    "automated-decisions": [
        "The system automatically rejects applicants whose score is below 600.",
        "Profiling of customers to predict their reliability.",
        "Benefit claims are decided without human review.",
        "AIが応募者を自動で判定し、不合格を通知する。",
    ],
}

NEGATIVE = {
    "biometric": [
        "A chatbot answers questions in face-to-face customer meetings.",
        "A customer-facing chatbot identifies the intent of each question.",
        "We generate product photos with a diffusion model; models' faces appear in the images.",
        "The voice assistant transcribes meeting notes.",
        "店舗の入口で来店客数をカメラで数える。",
        "A blurred photo in which the child's face is still recognizable was posted online.",
    ],
    "health": [
        "The monitoring dashboard shows the health of our servers.",
        "A workplace health and safety checklist is summarised by an LLM.",
        "An AI model detects plant disease in crop images.",
        "The controller's treatment of personal data of its customers lacked a legal basis.",
    ],
    "children": [
        "University students use a chatbot to find library books.",
        "The parser walks each child node of the XML tree.",
        "Adult learners at a business school get course recommendations.",
    ],
    "education": [
        "We run A/B tests on the checkout page.",
        "Unit tests run on every commit of the school's website.",
        "A chatbot explains the history of the French revolution.",
        "社内研修の教材をAIで作成する。",
        "Both bidders submitted an application and were evaluated on price and delivery time.",
    ],
    "location": [
        "A chatbot tells customers our store location and opening hours.",
        "Order tracking: customers see where their parcel is.",
        "We track bugs in an issue tracking system.",
        "The following locations are covered by the retention policy.",
    ],
    "surveillance": [
        "A model generates marketing videos from a text prompt.",
        "Employees watch training videos about security.",
        "We monitor model drift and performance weekly.",
    ],
    "employment": [
        "Employees use an internal chatbot to draft emails.",
        "A nightly batch job exports invoices.",
        "The recommender scores candidate items for each user.",
        "新しいAIツールを社内で採用した。",
    ],
    "credit": [
        "A bank's chatbot answers questions about branch opening hours.",
        "The photo credit appears under each generated image.",
        "We detect credit card fraud in payment transactions.",
        "An insurer's underwriting model prices car insurance policies.",
        "Students earn course credits for completing the module.",
        "The bank refused to stop sending credit card statements by email.",
    ],
    "insurance": [
        "A car insurance chatbot helps customers file a claim.",
        "We bought insurance for our office building.",
        "自動車保険の事故受付をチャットボットが行う。",
    ],
    "automated-decisions": [
        "An algorithm ranks search results for product queries.",
        "The system automatically backs up the database every night.",
        "A spam filter sorts incoming emails.",
        "The authority's decision concerned a surveillance system that films citizens.",
    ],
}


@pytest.fixture(scope="module")
def crosswalk() -> Crosswalk:
    return load_crosswalk(CORPUS)


def _fired(crosswalk: Crosswalk, description: str) -> set[str]:
    return {f.trigger.id for f in detect_triggers(crosswalk.triggers, description)}


@pytest.mark.parametrize(("trigger", "description"), [(t, d) for t, ds in POSITIVE.items() for d in ds])
def test_trigger_fires_on_what_it_requires(crosswalk: Crosswalk, trigger: str, description: str) -> None:
    assert trigger in _fired(crosswalk, description)


@pytest.mark.parametrize(("trigger", "description"), [(t, d) for t, ds in NEGATIVE.items() for d in ds])
def test_trigger_does_not_fire_on_a_word_alone(crosswalk: Crosswalk, trigger: str, description: str) -> None:
    assert trigger not in _fired(crosswalk, description)


def test_every_trigger_has_positive_and_negative_descriptions(crosswalk: Crosswalk) -> None:
    ids = {t.id for t in crosswalk.triggers}
    assert ids == set(POSITIVE) == set(NEGATIVE)
    assert all(len(POSITIVE[t]) >= 2 and len(NEGATIVE[t]) >= 2 for t in ids)


def test_a_declared_category_fires_without_words_and_says_so(crosswalk: Crosswalk) -> None:
    fired = detect_triggers(crosswalk.triggers, "A chatbot for our website.", ("health",))
    assert [(f.trigger.id, f.declared, f.evidence) for f in fired] == [("health", True, ())]


def test_the_evidence_names_the_words_that_led_there(crosswalk: Crosswalk) -> None:
    fired = {f.trigger.id: f for f in detect_triggers(crosswalk.triggers, "Cameras match faces against a watchlist.")}
    assert fired["biometric"].evidence == ("faces", "match")


def test_terms_of_two_groups_must_be_near_each_other(crosswalk: Crosswalk) -> None:
    far = "Our stores have cameras. We sell shoes. Prices change weekly. We also recognise loyal customers."
    assert "biometric" not in _fired(crosswalk, far)  # 'face' nowhere; and no identification near a face
    near = "Photos of faces are stored. The system then identifies each visitor."
    assert "biometric" in _fired(crosswalk, near)


def test_accents_and_full_width_are_folded(crosswalk: Crosswalk) -> None:
    assert "employment" in _fired(crosswalk, "The tool ranks résumés for each job opening.")
    assert "biometric" in _fired(crosswalk, "ＦＡＣＥ ＲＥＣＯＧＮＩＴＩＯＮ at the gate")
