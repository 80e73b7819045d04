"""HTML routes of the reviewers' page: search (``/``, ``/search``), a clause (``/clauses/{id}``) and
the sources (``/sources``).

They call the same service and the same presenters as the JSON API, so the page shows exactly
what ``/v1/...`` returns. Every state is in the URL; problems (a query too long, an unknown
clause, nothing ingested yet) become a message on the page with the fitting status, never a 500.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from api.web import STATIC_DIR, TEMPLATES_DIR
from api.web.view import (
    EXAMPLE_QUERIES,
    FACET_DEPTH,
    GROUPS,
    JURISDICTION_LABELS,
    KIND_LABELS,
    LANGUAGE_LABELS,
    SearchForm,
    ThemeOfClause,
    badge,
    clause_href,
    clause_themes,
    count_facets,
    highlight,
    short_citation,
    subdivision_references,
    subdivisions,
    web_url,
)
from kb.crosswalk import CrosswalkError
from kb.errors import KBError
from kb.knowledge import CatalogEntry, KnowledgeBase
from kb.presenters import clause_history, clause_out, clause_ref, search_result, source_out
from kb.search import InvalidQuery
from kb.service import ClauseMap


class PageRoute(APIRoute):
    """The one place where the pages translate the knowledge base's errors: a message page with the
    error's status (``KBError.http_status``) and a heading for its code, never a 500."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except KBError as exc:
                return error_page(request, exc)

        return handle


router = APIRouter(include_in_schema=False, route_class=PageRoute)
templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.globals.update(
    asset_version=hashlib.sha256(b"".join(p.read_bytes() for p in sorted(STATIC_DIR.iterdir()))).hexdigest()[:10],
    badge=badge,
    clause_href=clause_href,
    short_citation=short_citation,
    web_url=web_url,
    kind_labels=KIND_LABELS,
    jurisdiction_labels=JURISDICTION_LABELS,
    language_labels=LANGUAGE_LABELS,
)
templates.env.filters["highlight"] = highlight
HEADINGS = {
    "invalid_clause_id": "That is not a clause id",
    "unknown_clause": "No such clause",
    "data_dir_unwritable": "The mapping could not be stored",
    "crosswalk_invalid": "The crosswalk cannot be read",
}
HEADINGS_BY_STATUS = {404: "Not found", 409: "Busy", 422: "That cannot be answered", 507: "Nothing could be stored"}


def _service(request: Request) -> ClauseMap:
    return request.app.state.service


def _page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template, context, status_code=status)


def error_page(request: Request, exc: KBError) -> HTMLResponse:
    default = "The knowledge base is not available" if exc.http_status >= 500 else "That cannot be answered"
    heading = HEADINGS.get(exc.code) or HEADINGS_BY_STATUS.get(exc.http_status, default)
    return _page(request, "message.html", exc.http_status, heading=heading, message=str(exc))


@router.get("/", response_class=HTMLResponse)
@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request) -> HTMLResponse:
    """The search box, the results grouped by article, and the filters with their counts."""
    service = _service(request)
    form = SearchForm.from_params(request.query_params, service.settings.max_k)
    kb = service.kb()
    context: dict[str, Any] = {"form": form, "groups": GROUPS, "version": kb.version}
    if form.errors:
        return _page(request, "search.html", 422, errors=form.errors, **context)
    if not form.has_query:
        return _page(request, "search.html", examples=EXAMPLE_QUERIES, stats=_stats(kb), **context)
    started = time.perf_counter()
    try:
        outcome = service.search(form.q, form.k, form.filters(), form.group)
        facets = count_facets(service, outcome.kb, form)
    except InvalidQuery as exc:  # shown beside the form, which keeps what was typed
        return _page(request, "search.html", 422, errors=[str(exc)], **context)
    kb = outcome.kb
    results = [
        {
            "result": search_result(kb, hit),
            "unit": clause_ref(kb, hit.unit.id),
            "source": kb.sources[hit.clause.source_id],
            "matched": [clause_ref(kb, i) for i in hit.matched[1:]],
        }
        for hit in outcome.hits
    ]
    took_ms = (time.perf_counter() - started) * 1000
    more = len(results) == form.k and form.k < service.settings.max_k
    return _page(
        request,
        "search.html",
        results=results,
        facets=facets,
        facet_depth=min(FACET_DEPTH, service.settings.max_k),
        took_ms=took_ms,
        named_sources=[kb.sources[s].short_name for s in outcome.named_sources],
        more_href=f"/search?{form.query_string(k=min(form.k + 10, service.settings.max_k))}" if more else None,
        **{**context, "version": kb.version},
    )


@router.get("/clauses/{clause_id}", response_class=HTMLResponse)
def clause_page(request: Request, clause_id: str) -> HTMLResponse:
    """A clause: where it sits, its words and subdivisions, what it cites and what cites it."""
    service = _service(request)
    kb, clause = service.clause(clause_id)
    out = clause_out(kb, clause)
    nodes = subdivisions(kb, clause)
    inner_cites, inner_cited_by = subdivision_references(kb, clause, nodes)
    unit = kb.clauses.get(clause.unit_id, clause)
    if clause.kind == "recital":
        related_heading = "Articles this recital explains"
        related = [clause_ref(kb, i) for i in kb.units_of_recital.get(clause.id, [])]
    else:
        related_heading = "Related recitals" if unit is clause else f"Recitals related to {kb.citation(unit)}"
        related = [clause_ref(kb, i) for i in kb.recitals_of.get(unit.id, [])]
    return _page(
        request,
        "clause.html",
        clause=out,
        entry=clause,
        source=kb.sources[clause.source_id],
        nodes=nodes,
        inner_cites=inner_cites,
        inner_cited_by=inner_cited_by,
        labels={c.id: c.label for c in (kb.clauses.get(h.id) for h in out.hierarchy) if c},
        related_heading=related_heading,
        related=related,
        themes=_themes(service, kb, clause),
        history=clause_history(kb.history(clause.id)),
        version=kb.version,
    )


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request) -> HTMLResponse:
    """Every source with its kind, jurisdiction, force, version date, clause count and status."""
    kb = _service(request).kb()
    sources = sorted(kb.sources.values(), key=lambda s: (not s.binding, s.kind == "internal", s.short_name))
    return _page(
        request,
        "sources.html",
        sources=[(source_out(s), badge(s)) for s in sources],
        version=kb.version,
    )


def _stats(kb: KnowledgeBase) -> dict[str, int]:
    return {
        "sources": sum(1 for s in kb.sources.values() if s.status == "ingested"),
        "clauses": sum(1 for c in kb.clauses.values() if not c.repealed),
    }


def _themes(service: ClauseMap, kb: KnowledgeBase, clause: CatalogEntry) -> list[ThemeOfClause] | None:
    """The crosswalk themes of the clause; None (the page says so) when the crosswalk cannot be read."""
    try:
        return clause_themes(service.crosswalk, kb, clause)
    except CrosswalkError:
        return None


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request) -> HTMLResponse:
    """A use case in, the applicable themes out: each framework's principle side by side, the
    supporting clauses, the checklist for the phase, and the exports. The form state is the URL."""

    from pydantic import ValidationError

    from api.schemas import MapIn
    from kb.mapping import ROLES
    from kb.vocabulary import JURISDICTIONS, PHASES

    service = _service(request)
    params = request.query_params
    form = {
        "description": params.get("description", ""),
        "jurisdictions": params.getlist("jurisdiction"),
        "phase": params.get("phase") or None,
        "data_categories": params.getlist("data"),
        "role": params.get("role") or None,
        "sector": params.get("sector") or None,
    }
    categories = [(t.id, t.title) for t in service.crosswalk.triggers]
    context: dict[str, Any] = {
        "form": form,
        "jurisdictions": JURISDICTIONS,
        "phases": PHASES,
        "roles": ROLES,
        "categories": categories,
        "result": None,
        "error": None,
    }
    if form["description"].strip():
        try:
            body = MapIn(
                description=form["description"],
                jurisdictions=form["jurisdictions"],
                phase=form["phase"],
                data_categories=form["data_categories"],
                role=form["role"],
                sector=form["sector"],
            )
            context["result"] = service.map_and_store(body.query())
        except ValidationError as exc:  # shown beside the form, which keeps what was typed
            context["error"] = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            return _page(request, "map.html", 422, **context)
        except InvalidQuery as exc:
            context["error"] = str(exc)
            return _page(request, "map.html", 422, **context)
    return _page(request, "map.html", **context)


@router.get("/changes", response_class=HTMLResponse)
def changes_page(request: Request) -> HTMLResponse:
    """What changed at each ingest, per source, with the word-level diffs of amended clauses."""
    from kb.presenters import source_changes

    service = _service(request)
    source = request.query_params.get("source") or None
    kb = service.kb()
    versions = [source_changes(kb, v) for v in service.changes(source=source if source in kb.sources else None)]
    return _page(
        request,
        "changes.html",
        versions=versions,
        sources=sorted(kb.sources.values(), key=lambda s: s.id),
        chosen=source,
        feed_url=f"/v1/sources/{source}/changes.atom" if source in kb.sources else "/v1/changes.atom",
    )
