"""The self-assessment pages: ``/assess`` (the assessments, and a form to start one) and
``/assess/{id}`` (the latest version as a table to revise, the pictures, the comparison of two dates,
the plan to close the gaps, the exports). They call the same ``ClauseMap.assessments`` as
``/v1/assessments``; a revision posted from the table is a new dated version, like the API's."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.web.routes import PageRoute, _page, _service
from kb.assessment import InvalidAssessment
from kb.assessment_views import AssessmentIn, RevisionIn

router = APIRouter(include_in_schema=False, route_class=PageRoute)
PAGE_SUGGESTIONS = 2  # suggested clauses per group of sources, per gap, on the page


@router.get("/assess", response_class=HTMLResponse)
def assessments_page(request: Request) -> HTMLResponse:
    assessments = _service(request).assessments
    frameworks = [assessments.framework_out(f) for f in assessments.frameworks()]
    return _page(request, "assess_list.html", summaries=assessments.list(), frameworks=frameworks, today=date.today())


@router.post("/assess", response_class=HTMLResponse)
async def create_from_form(request: Request) -> Response:
    form = await request.form()
    fields = {
        k: str(form.get(k) or "").strip() or None
        for k in ("id", "framework", "organisation", "business_unit", "assessed_on", "author")
    }
    body = _validated(AssessmentIn, fields)
    _service(request).assessments.create(body)
    return RedirectResponse(f"/assess/{body.id}", status_code=303)


@router.get("/assess/{assessment_id}", response_class=HTMLResponse)
def assessment_page(request: Request, assessment_id: str) -> HTMLResponse:
    params = request.query_params
    version = int(params["version"]) if params.get("version", "").isdigit() else None
    return _page(request, "assess.html", **_context(request, assessment_id, version))


def _context(request: Request, assessment_id: str, version: int | None = None) -> dict[str, Any]:
    """What the assessment page shows: a version, the pictures, the comparison, the plan."""
    assessments = _service(request).assessments
    params = request.query_params
    assessment = assessments.get(assessment_id, version)
    framework = assessments.framework_out(assessment.framework)
    summary = assessments.summary(assessment_id)
    dates = sorted({v.assessed_on for v in summary.versions})
    before, after = _day(params.get("before")), _day(params.get("after"))
    comparison = None
    if before and after:
        comparison = assessments.compare(assessment_id, before, after)
    elif len(dates) >= 2:
        before, after = dates[-2], dates[-1]
        comparison = assessments.compare(assessment_id, before, after)
    context: dict[str, Any] = {
        "assessment": assessment,
        "framework": framework,
        "items": {item.id: item for item in framework.items},
        "categories": {c.id: c for c in framework.categories},
        "summary": summary,
        "dates": dates,
        "before": before,
        "after": after,
        "comparison": comparison,
        "plan": assessments.plan(assessment_id, assessment.version, PAGE_SUGGESTIONS),
        "today": date.today(),
        "latest": assessment.version == summary.versions[-1].version,
        "error": None,
    }
    return context


@router.post("/assess/{assessment_id}", response_class=HTMLResponse)
async def revise_from_form(request: Request, assessment_id: str) -> Response:
    assessments = _service(request).assessments
    form = await request.form()
    latest = assessments.get(assessment_id)
    entries = []
    for entry in latest.entries:
        item = entry.item
        entries.append(
            {
                "item": item,
                "current": str(form.get(f"current-{item}") or "") or None,
                "target": str(form.get(f"target-{item}") or "") or None,
                "evidence": str(form.get(f"evidence-{item}") or ""),
                "links": str(form.get(f"links-{item}") or "").replace(",", " ").split(),
            }
        )
    fields = {"assessed_on": str(form.get("assessed_on") or ""), "author": str(form.get("author") or "") or None}
    try:
        assessments.revise(assessment_id, _validated(RevisionIn, {**fields, "entries": entries}))
    except InvalidAssessment as exc:  # shown above the table, which keeps what was typed
        context = _context(request, assessment_id)
        shown = {e.item: e for e in context["assessment"].entries}
        typed = [shown[e["item"]].model_copy(update={**e, **_levels(e)}) for e in entries]
        context["assessment"] = context["assessment"].model_copy(update={"entries": typed})
        return _page(request, "assess.html", 422, **{**context, "error": str(exc), "typed": fields})
    return RedirectResponse(f"/assess/{assessment_id}", status_code=303)


def _validated(model, data: dict):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InvalidAssessment(problems) from exc


def _levels(entry: dict) -> dict:
    """The levels as typed, read leniently for showing them again (a wrong one shows as none)."""
    return {
        k: int(v) if isinstance(v, str) and v.isdigit() else None
        for k, v in entry.items()
        if k in ("current", "target")
    }


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError as exc:
        raise InvalidAssessment(f"{value!r} is not a date (YYYY-MM-DD)") from exc
