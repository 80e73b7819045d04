"""Governance self-assessments: frameworks (``/v1/frameworks``), and assessments saved as dated
versions (``/v1/assessments``): create, revise, read a version or the one in force on a date,
compare two dates, the plan to close the gaps, the pictures and the report."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import PlainTextResponse, Response

from api.deps import get_service
from api.schemas import ErrorResponse
from kb.assessment_charts import FORMATS, levels_chart, progress_chart
from kb.assessment_export import assessment_csv, assessment_markdown
from kb.assessment_views import (
    ASSESSMENT_ID_PATTERN,
    AssessmentIn,
    AssessmentOut,
    AssessmentSummary,
    ComparisonOut,
    FrameworkOut,
    Plan,
    RevisionIn,
    Suggestion,
)
from kb.service import ClauseMap

router = APIRouter(prefix="/v1", tags=["assessments"])
Service = Annotated[ClauseMap, Depends(get_service)]
AssessmentId = Annotated[str, Path(pattern=ASSESSMENT_ID_PATTERN, examples=["acme-ai-office"])]
Version = Annotated[int | None, Query(ge=1, description="a version number; default: the latest")]
AsOf = Annotated[date | None, Query(description="the version in force on this date (YYYY-MM-DD)")]
ERRORS = {404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}}


@router.get("/frameworks", response_model=list[FrameworkOut], summary="The assessment frameworks")
def list_frameworks(service: Service) -> list[FrameworkOut]:
    return [service.assessments.framework_out(f) for f in service.assessments.frameworks()]


@router.get("/frameworks/{framework_id}", response_model=FrameworkOut, responses=ERRORS)
def get_framework(framework_id: str, service: Service) -> FrameworkOut:
    return service.assessments.framework_out(framework_id)


@router.get(
    "/frameworks/{framework_id}/items/{item_id}/suggestions",
    response_model=list[Suggestion],
    responses=ERRORS,
    summary="Clauses that bear on an item: the company's own first, then METI, NIST AI RMF, the laws",
)
def suggest_evidence(
    framework_id: str, item_id: str, service: Service, k: Annotated[int, Query(ge=1, le=10)] = 3
) -> list[Suggestion]:
    return service.assessments.suggest(framework_id, item_id, k)


@router.get("/assessments", response_model=list[AssessmentSummary])
def list_assessments(service: Service) -> list[AssessmentSummary]:
    return service.assessments.list()


@router.post(
    "/assessments", response_model=AssessmentOut, status_code=201, responses={**ERRORS, 409: {"model": ErrorResponse}}
)
def create_assessment(body: AssessmentIn, service: Service) -> AssessmentOut:
    return service.assessments.create(body)


# The .md and .csv routes come first: "/assessments/{id}" would otherwise capture "….md".


@router.get("/assessments/{assessment_id}.md", response_class=PlainTextResponse, responses=ERRORS)
def assessment_report(
    assessment_id: AssessmentId,
    service: Service,
    version: Version = None,
    suggestions: Annotated[int, Query(ge=0, le=10)] = 3,
) -> PlainTextResponse:
    assessments = service.assessments
    assessment = assessments.get(assessment_id, version)
    plan = assessments.plan(assessment_id, assessment.version, suggestions)
    base = f"/v1/assessments/{assessment_id}/charts"
    pictures = {"levels": f"{base}/levels.svg?version={assessment.version}", "progress": f"{base}/progress.svg"}
    text = assessment_markdown(assessments.framework_out(assessment.framework), assessment, plan, pictures)
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")


@router.get("/assessments/{assessment_id}.csv", response_class=PlainTextResponse, responses=ERRORS)
def assessment_table(assessment_id: AssessmentId, service: Service, version: Version = None) -> PlainTextResponse:
    assessment = service.assessments.get(assessment_id, version)
    return PlainTextResponse(
        assessment_csv(assessment),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="assessment-{assessment_id}-v{assessment.version}.csv"'},
    )


@router.get("/assessments/{assessment_id}", response_model=AssessmentOut, responses=ERRORS)
def get_assessment(
    assessment_id: AssessmentId, service: Service, version: Version = None, as_of: AsOf = None
) -> AssessmentOut:
    return service.assessments.get(assessment_id, version, as_of)


@router.get("/assessments/{assessment_id}/versions", response_model=AssessmentSummary, responses=ERRORS)
def list_versions(assessment_id: AssessmentId, service: Service) -> AssessmentSummary:
    return service.assessments.summary(assessment_id)


@router.post(
    "/assessments/{assessment_id}/versions",
    response_model=AssessmentOut,
    status_code=201,
    responses=ERRORS,
    summary="Revise: save a new dated version (the items not given carry over)",
)
def revise_assessment(assessment_id: AssessmentId, body: RevisionIn, service: Service) -> AssessmentOut:
    return service.assessments.revise(assessment_id, body)


@router.get("/assessments/{assessment_id}/compare", response_model=ComparisonOut, responses=ERRORS)
def compare_assessment(
    assessment_id: AssessmentId,
    service: Service,
    before: Annotated[date, Query(description="the earlier date")],
    after: Annotated[date, Query(description="the later date")],
) -> ComparisonOut:
    return service.assessments.compare(assessment_id, before, after)


@router.get("/assessments/{assessment_id}/gaps", response_model=Plan, responses=ERRORS)
def assessment_gaps(
    assessment_id: AssessmentId,
    service: Service,
    version: Version = None,
    suggestions: Annotated[int, Query(ge=0, le=10, description="suggested clauses per group of sources")] = 3,
) -> Plan:
    return service.assessments.plan(assessment_id, version, suggestions)


@router.get(
    "/assessments/{assessment_id}/charts/{name}.{fmt}",
    response_class=Response,
    responses={**ERRORS, 200: {"content": {"image/svg+xml": {}, "image/png": {}}}},
    summary="levels: current vs target by category; progress: items × dates",
)
def assessment_chart(
    assessment_id: AssessmentId,
    name: Annotated[str, Path(pattern="^(levels|progress)$")],
    fmt: Annotated[str, Path(pattern="^(svg|png)$")],
    service: Service,
    version: Version = None,
) -> Response:
    assessments = service.assessments
    assessment = assessments.get(assessment_id, version)
    framework = assessments.framework(assessment.framework)
    if name == "levels":
        data = levels_chart(framework, assessment, fmt)
    else:
        data = progress_chart(framework, assessments.history(assessment_id), fmt)
    return Response(data, media_type=FORMATS[fmt])
