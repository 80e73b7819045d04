"""The MCP server: clausemap's search, clauses, mapping and changes as tools an AI assistant can
call, and the clauses as resources (id, citation, official link).

A third interface beside the API and the CLI, on the same service (``kb.service.ClauseMap``): each
tool calls the method the matching HTTP endpoint calls and returns the same view record, with the
same limits (from kb/settings.py) and, on failure, the API's error shape
``{"error": {"code", "message"}}`` as the tool's error text. ``kb mcp`` serves it over stdio; the
HTTP app mounts it at ``/mcp`` (streamable HTTP, stateless), behind the same read token.
"""

import functools
import json
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp_types import Resource as MCPResource
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field, ValidationError, create_model
from sqlalchemy.exc import OperationalError

from kb import presenters
from kb.errors import KBError
from kb.presenters import clause_out, search_answer, source_changes, source_out
from kb.search import Filters
from kb.service import ClauseMap
from kb.views import ClauseOut, ClauseVersionOut, MappingQuery, MappingRecord, SearchAnswer, SourceChanges, SourceOut
from kb.vocabulary import JURISDICTIONS, LANGUAGES, PHASES, SOURCE_KINDS, canonical

CLAUSE_URI = "clausemap://clause/{clause_id}"
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
INSTRUCTIONS = (
    "clausemap is a clause-level knowledge base of laws, guidelines and principles on AI and data "
    "(GDPR, EU AI Act, CCPA/CPRA, OECD AI Principles, EU HLEG guidelines, Japan's METI/MIC AI "
    "Guidelines, a company's own rules). Every clause has a stable id such as gdpr:art-22(1) and a link "
    "to the official text: cite the id and the link. Use search_clauses to find provisions for a "
    "situation, show_clause to read one, map_use_case to get everything that applies to an AI use "
    "case, list_changes to see what was amended. Do not invent ids: take them from these answers."
)

F = TypeVar("F", bound=Callable[..., Any])


class HistoryAnswer(BaseModel):
    clause_id: str
    versions: list[ClauseVersionOut] = Field(description="oldest first, each with its word diff from the one before")


class ChangesAnswer(BaseModel):
    versions: list[SourceChanges] = Field(description="newest first")


class SourcesAnswer(BaseModel):
    sources: list[SourceOut]


class InvalidRequest(KBError, ValueError):
    """Arguments outside the API's limits (what FastAPI's validation answers over HTTP)."""

    code = "invalid_request"
    http_status = 422


def error_text(exc: Exception) -> str:
    """The one translation of the library's errors for MCP: the HTTP API's error shape, as text."""
    if isinstance(exc, KBError):
        code, message = exc.code, str(exc)
    elif isinstance(exc, OperationalError):
        code, message = "database_unavailable", "the clause database cannot be reached right now; try again shortly"
    else:
        raise exc
    return json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False)


def answering(tool: F) -> F:
    """Run a tool, turning the library's errors into the tool error the model reads."""

    @functools.wraps(tool)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return tool(*args, **kwargs)
        except (KBError, OperationalError) as exc:
            raise ToolError(error_text(exc)) from exc

    return run  # type: ignore[return-value]


def validated(model: type[BaseModel], **values: Any) -> Any:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InvalidRequest(problems) from exc


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidRequest(f"{name}: a date like 2024-05-03 is expected, not {value!r}") from exc


def _end_of(day: date | None) -> datetime | None:
    return datetime.combine(day, time.max, tzinfo=UTC) if day else None


class ClauseMapMCP(MCPServer):
    """The MCP server over one service; its resource list is read from the knowledge base serving now."""

    def __init__(self, service: ClauseMap) -> None:
        super().__init__(
            name="clausemap", title="clausemap", version="0.1.0", instructions=INSTRUCTIONS, log_level="WARNING"
        )
        # the SDK gives the root logger a handler; bm25s sets its own logger to DEBUG, which would then
        # print a line each time a version is opened
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.service = service
        register_tools(self, service)
        register_resources(self, service)

    async def list_resources(self) -> list[MCPResource]:
        """Every article, recital, principle and other top-level unit, with its official link
        (subdivisions are read by id through the ``clausemap://clause/{clause_id}`` template)."""
        try:
            kb = self.service.kb()
        except KBError:
            return []
        return [
            MCPResource(
                uri=CLAUSE_URI.format(clause_id=c.id),
                name=c.id,
                title=f"{kb.citation(c)} {c.title or ''}".strip(),
                description=f"official text: {c.url}",
                mime_type="application/json",
                _meta={"clause_id": c.id, "official_url": c.url, "source": c.source_id},
            )
            for c in kb.clauses.values()
            if c.unit_id == c.id and not c.repealed
        ]


def register_tools(server: MCPServer, service: ClauseMap) -> None:
    settings = service.settings
    search_limits = create_model(  # the limits of GET /v1/search, from the same settings
        "SearchArgs",
        query=(str, Field(min_length=1, max_length=settings.max_query_chars)),
        k=(int, Field(ge=1, le=settings.max_k)),
    )

    @server.tool(annotations=READ_ONLY)
    @answering
    def search_clauses(
        query: Annotated[str, Field(description="the situation or topic in plain words (English or Japanese)")],
        k: Annotated[
            int, Field(description=f"how many results, 1 to {settings.max_k}", json_schema_extra={"minimum": 1})
        ] = 10,
        group: Annotated[
            Literal["article", "clause"],
            Field(description="article: one result per article or recital (best for reading); clause: per paragraph"),
        ] = "article",
        sources: Annotated[list[str] | None, Field(description="only these source ids, e.g. ['gdpr', 'euaia']")] = None,
        jurisdictions: Annotated[
            list[str] | None, Field(description=f"only sources of {', '.join(JURISDICTIONS)}")
        ] = None,
        kinds: Annotated[
            list[str] | None, Field(description=f"only sources of these kinds: {', '.join(SOURCE_KINDS)}")
        ] = None,
        binding: Annotated[bool | None, Field(description="true: binding law only; false: non-binding only")] = None,
        languages: Annotated[
            list[str] | None, Field(description=f"only texts in these languages: {', '.join(LANGUAGES)}")
        ] = None,
        as_of: Annotated[str | None, Field(description="search the texts in force on this date, YYYY-MM-DD")] = None,
    ) -> SearchAnswer:
        """Find the provisions (articles, recitals, principles, check items) that deal with a
        situation described in plain words, ranked best first, each with its clause id, citation,
        snippet, the sentences that matched and the link to the official text. Use this first when
        you need to know which rules speak to a question; then show_clause to read one in full."""
        args = validated(search_limits, query=query, k=k)
        filters = Filters(
            tuple(sources or ()),
            tuple(jurisdictions or ()),
            tuple(kinds or ()),
            binding,
            tuple(languages or ()),
            _end_of(_day(as_of, "as_of")),
        )
        return search_answer(service.search(args.query, args.k, filters, group), k, group)

    @server.tool(annotations=READ_ONLY)
    @answering
    def show_clause(
        clause_id: Annotated[str, Field(description="a clause id such as gdpr:art-22(1) or euaia:annex-3(1)(a)")],
        as_of: Annotated[str | None, Field(description="the text as it read on this date, YYYY-MM-DD")] = None,
    ) -> ClauseOut:
        """Read one clause in full: its text, title, citation, official link, where it sits (its
        chapter, article), its subdivisions, the clauses it cites and those that cite it, and any
        translation. Use the ids returned by search_clauses or map_use_case."""
        kb, clause = service.clause(clause_id, _end_of(_day(as_of, "as_of")))
        return clause_out(kb, clause)

    @server.tool(annotations=READ_ONLY)
    @answering
    def clause_history(
        clause_id: Annotated[str, Field(description="a clause id such as gdpr:art-43(3)")],
    ) -> HistoryAnswer:
        """Every recorded version of one clause, oldest first, each with the word-level diff from the
        version before: use it to say how and when a provision was amended."""
        kb, clause = service.clause(clause_id)
        return HistoryAnswer(clause_id=clause.id, versions=presenters.clause_history(kb.history(clause.id)))

    @server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False))
    @answering
    def map_use_case(
        description: Annotated[
            str, Field(description="the AI use case in a few sentences: who does what with which data")
        ],
        jurisdictions: Annotated[
            list[str] | None,
            Field(description=f"only sources of {', '.join(JURISDICTIONS)} (internal rules always apply)"),
        ] = None,
        phase: Annotated[
            str | None,
            Field(description=f"lifecycle phase: {', '.join(PHASES)}; the company's check items for it are included"),
        ] = None,
        data_categories: Annotated[
            list[str] | None,
            Field(
                description="biometric, health, children, location, surveillance, employment, credit, "
                "automated-decisions"
            ),
        ] = None,
        k: Annotated[int, Field(description="how many themes, 1 to 20", json_schema_extra={"minimum": 1})] = 5,
        as_of: Annotated[
            str | None, Field(description="map against the texts in force on this date, YYYY-MM-DD")
        ] = None,
    ) -> MappingRecord:
        """Everything that applies to an AI use case: the cross-framework themes it raises (privacy,
        fairness, human oversight, ...), each framework's principle for them, the binding clauses
        by source, the clauses its data and domain trigger directly, and the company's risk-check
        items for the phase, each with the reason it is included. The answer is stored: its id can be
        reviewed and exported over the HTTP API (/v1/map/{id}). Use this for a whole use case, and
        search_clauses for a single question."""
        try:  # what the API's request schema checks (422 invalid_request there too)
            canonical(tuple(jurisdictions or ()), JURISDICTIONS, "jurisdiction")
            phase = canonical((phase,), PHASES, "phase")[0] if phase else None
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from exc
        query = validated(
            MappingQuery,
            description=description,
            jurisdictions=jurisdictions or [],
            phase=phase,
            data_categories=data_categories or [],
            k=k,
            as_of=_day(as_of, "as_of"),
        )
        return service.map_and_store(query)

    @server.tool(annotations=READ_ONLY)
    @answering
    def list_changes(
        source: Annotated[str | None, Field(description="only this source id, e.g. gdpr")] = None,
        since: Annotated[str | None, Field(description="only versions in effect from this date, YYYY-MM-DD")] = None,
    ) -> ChangesAnswer:
        """What each recorded version of the sources changed: clauses added, amended (with the word
        diff) and repealed, newest first. Use it to answer "what changed in ... since ..."."""
        day = _day(since, "since")
        start = datetime(day.year, day.month, day.day) if day else None
        kb = service.kb()
        return ChangesAnswer(versions=[source_changes(kb, v) for v in service.changes(start, source)])

    @server.tool(annotations=READ_ONLY)
    @answering
    def list_sources() -> SourcesAnswer:
        """The documents in the knowledge base (their ids, titles, jurisdictions, whether binding,
        version dates and official links): use the ids to filter search_clauses and list_changes."""
        return SourcesAnswer(sources=[source_out(s) for s in service.kb().sources.values()])


def register_resources(server: MCPServer, service: ClauseMap) -> None:
    @server.resource(CLAUSE_URI, name="clause", title="A clause by id", mime_type="application/json")
    def clause_resource(clause_id: str) -> str:
        """One clause (text, citation, official link, hierarchy, references) by its id."""
        try:
            kb, clause = service.clause(clause_id)
        except KBError as exc:
            error = ResourceNotFoundError if exc.http_status == 404 else ResourceError
            raise error(error_text(exc)) from exc
        return clause_out(kb, clause).model_dump_json()


def build_server(service: ClauseMap) -> ClauseMapMCP:
    return ClauseMapMCP(service)
