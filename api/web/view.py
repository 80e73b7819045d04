"""What the reviewers' pages compute, apart from HTTP: the search form read from the query string,
source badges, highlighted snippets, facet counts and the tree of a clause's subdivisions.

Facet counts come from running the same search again **without that facet's own filter** (the
other filters stay applied) and counting, per value, the results among the best ``depth`` of it.
So each number says how many of the top matches a tick would keep, and ticking a second value
of the same facet widens the results instead of emptying the other counts.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from markupsafe import Markup, escape
from starlette.datastructures import QueryParams

from kb.crosswalk import Crosswalk, Link, Theme
from kb.highlight import marked_characters
from kb.knowledge import CatalogEntry, KnowledgeBase
from kb.models import Source
from kb.presenters import clause_ref
from kb.search import Filters, Hit
from kb.service import ClauseMap
from kb.views import ClauseRef

DEFAULT_K = 10
FACET_DEPTH = 50  # facet counts: results counted among the best this many of each relaxed search
GROUPS = {"article": "One result per article", "clause": "Every matching clause"}
FACETS = {
    "source": "Source",
    "jurisdiction": "Jurisdiction",
    "kind": "Type of document",
    "binding": "Legal force",
    "language": "Language",
}
KIND_LABELS = {
    "regulation": "Regulation",
    "law": "Statute",
    "guideline": "Guideline",
    "principles": "Principles",
    "internal": "Internal policy",
}
JURISDICTION_LABELS = {
    "EU": "European Union",
    "US-CA": "California (US)",
    "US-CO": "Colorado (US)",
    "US": "United States (federal)",
    "OECD": "OECD",
    "JP": "Japan",
    "internal": "Internal (company)",
}
LANGUAGE_LABELS = {"en": "English", "ja": "Japanese"}
LANGUAGE_NATIVE = {"ja": "日本語"}
BINDING_LABELS = {"true": "Binding", "false": "Not binding"}
EXAMPLE_QUERIES = (  # (query, its language)
    ("decision about a loan made only by an algorithm, no human involved", "en"),
    ("face recognition at the entrance of a shop", "en"),
    ("how long may we keep the personal data of former customers", "en"),
    ("selling customers' personal information to a data broker", "en"),
    ("explaining to users that they are talking to an AI system", "en"),
    ("プライバシー", "ja"),
)


@dataclass
class SearchForm:
    """The search page's state, all of it in the query string so that every URL can be shared."""

    q: str = ""
    sources: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    binding: bool | None = None
    languages: tuple[str, ...] = ()
    group: str = "article"
    k: int = DEFAULT_K
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_params(cls, params: QueryParams, max_k: int) -> SearchForm:
        """Read the form leniently: a bad value becomes a message on the page, never an error page."""
        form = cls(
            q=params.get("q", ""),
            sources=_values(params, "source"),
            jurisdictions=_values(params, "jurisdiction"),
            kinds=_values(params, "kind"),
            languages=_values(params, "language"),
        )
        binding = params.get("binding", "").strip().lower()
        if binding in ("true", "false"):
            form.binding = binding == "true"
        elif binding:
            form.errors.append(f"“Legal force” must be binding or not binding, not {binding!r}.")
        group = params.get("group", "article") or "article"
        if group in GROUPS:
            form.group = group
        else:
            form.errors.append(f"Results can be grouped by article or by clause, not {group!r}.")
        k = params.get("k", "") or str(DEFAULT_K)
        if k.isdigit() and 1 <= int(k) <= max_k:
            form.k = int(k)
        else:
            form.errors.append(f"The number of results must be a whole number from 1 to {max_k}, not {k!r}.")
        return form

    @property
    def has_query(self) -> bool:
        return bool(self.q.strip())

    def filters(self, without: str | None = None) -> Filters:
        """The search filters, optionally without one facet's (to count that facet's values)."""
        filters = Filters(self.sources, self.jurisdictions, self.kinds, self.binding, self.languages)
        relaxed = {
            "source": {"sources": ()},
            "jurisdiction": {"jurisdictions": ()},
            "kind": {"kinds": ()},
            "binding": {"binding": None},
            "language": {"languages": ()},
        }
        return dataclasses.replace(filters, **relaxed[without]) if without else filters

    def selected(self, facet: str) -> tuple[str, ...]:
        if facet == "binding":
            return () if self.binding is None else (str(self.binding).lower(),)
        return {
            "source": self.sources,
            "jurisdiction": self.jurisdictions,
            "kind": self.kinds,
            "language": self.languages,
        }[facet]

    @property
    def active_filters(self) -> int:
        return sum(len(self.selected(name)) for name in FACETS)

    def query_string(self, **changes: object) -> str:
        """This form as a query string, with ``changes`` (e.g. ``k=20``) applied."""
        state = {"q": self.q, "group": self.group, "k": self.k, **changes}
        pairs: list[tuple[str, object]] = [("q", state["q"])]
        pairs += [(name, value) for name in FACETS for value in self.selected(name)]
        if state["group"] != "article":
            pairs.append(("group", state["group"]))
        if state["k"] != DEFAULT_K:
            pairs.append(("k", state["k"]))
        return urlencode(pairs)


def _values(params: QueryParams, name: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in params.getlist(name) if v.strip()))


@dataclass(frozen=True)
class Badge:
    """How a source is marked in results: by colour AND by words, never colour alone."""

    css: str
    text: str


def badge(source: Source) -> Badge:
    if source.binding:
        return Badge("binding", "Binding law")
    if source.kind == "internal":
        return Badge("internal", "Internal policy")
    return Badge("guidance", "Guidance · not binding")


def web_url(url: str | None) -> str | None:
    """The link to an official text, or None where the 'URL' is a local file (internal policies)."""
    return url if url and url.startswith(("https://", "http://")) else None


def clause_href(clause_id: str) -> str:
    return "/clauses/" + quote(clause_id, safe=":()-.")


def highlight(text: str, query: str) -> Markup:
    """``text`` escaped, with the words that match a query term wrapped in ``<mark>`` (the marking is
    kb/highlight.py's, the same stemming and Japanese bigrams as the lexical index)."""
    marked = marked_characters(text, query)
    return _wrap_marked(text, marked) if any(marked) else escape(text)


def _wrap_marked(text: str, marked: list[bool]) -> Markup:
    out: list[str] = []
    i = 0
    while i < len(text):
        j = i
        while j < len(text) and marked[j] == marked[i]:
            j += 1
        piece = escape(text[i:j])
        out.append(f"<mark>{piece}</mark>" if marked[i] else str(piece))
        i = j
    return Markup("".join(out))


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    native: str | None = None  # the value's name in its own language (a language facet), with lang=value


@dataclass
class Facet:
    name: str
    legend: str
    values: list[FacetValue]
    total: int  # results of the relaxed search (what "any" counts, for the single-choice facet)

    @property
    def single_choice(self) -> bool:
        return self.name == "binding"


def facet_options(kb: KnowledgeBase) -> dict[str, list[tuple[str, str]]]:
    """Every value each facet can take in this knowledge base, in the order the page lists them."""
    sources = sorted(kb.sources.values(), key=lambda s: (not s.binding, s.kind == "internal", s.short_name))
    jurisdictions = dict.fromkeys(s.jurisdiction for s in sources)
    kinds = [k for k in KIND_LABELS if any(s.kind == k for s in sources)]
    kinds += sorted({s.kind for s in sources} - set(kinds))
    languages = sorted({key.language for key in kb.index.keys}, key=lambda lang: (lang != "en", lang))
    return {
        "source": [(s.id, s.short_name) for s in sources],
        "jurisdiction": [(j, JURISDICTION_LABELS.get(j, j)) for j in jurisdictions],
        "kind": [(k, KIND_LABELS.get(k, k)) for k in kinds],
        "binding": list(BINDING_LABELS.items()),
        "language": [(lang, LANGUAGE_LABELS.get(lang, lang)) for lang in languages],
    }


def hit_value(kb: KnowledgeBase, hit: Hit, facet: str) -> str:
    source = kb.sources[hit.clause.source_id]
    return {
        "source": source.id,
        "jurisdiction": source.jurisdiction,
        "kind": source.kind,
        "binding": str(source.binding).lower(),
        "language": hit.clause.language,
    }[facet]


def count_facets(service: ClauseMap, kb: KnowledgeBase, form: SearchForm, depth: int = FACET_DEPTH) -> list[Facet]:
    """Each facet's values with counts from the same search without that facet's filter.

    Facets whose filter is not set share one search (all filters applied), so a search with no
    filter costs one extra search, and each set facet one more; the query is embedded once.
    """
    depth = min(depth, service.settings.max_k)
    relaxed_filters = {name: form.filters(without=name) for name in FACETS}
    pools = service.search_variants(kb, form.q, depth, list(relaxed_filters.values()), form.group)
    facets = []
    for name, legend in FACETS.items():
        hits = pools[relaxed_filters[name]]
        counts = Counter(hit_value(kb, hit, name) for hit in hits)
        chosen = form.selected(name)
        options = facet_options(kb)[name]
        options += [(v, v) for v in chosen if v not in {value for value, _ in options}]  # unknown, still untickable
        native = LANGUAGE_NATIVE if name == "language" else {}
        values = [
            FacetValue(value, label, counts.get(value, 0), value in chosen, native.get(value))
            for value, label in options
        ]
        facets.append(Facet(name, legend, values, len(hits)))
    return facets


@dataclass
class Node:
    """A subdivision shown on a clause's page, with its own subdivisions where they are in the
    same citable unit (an article shows its paragraphs and points; a chapter only its articles)."""

    entry: CatalogEntry
    children: list[Node]


def subdivisions(kb: KnowledgeBase, clause: CatalogEntry) -> list[Node]:
    def grow(entry: CatalogEntry) -> Node:
        inside = entry.unit_id == clause.unit_id
        return Node(entry, [grow(c) for c in kb.children(entry.id)] if inside else [])

    return [grow(child) for child in kb.children(clause.id)]


@dataclass
class ThemeOfClause:
    """A crosswalk theme this clause (or the article it belongs to) is part of, with the theme's
    principles and key clauses of the other frameworks, each with the crosswalk's one-line why."""

    theme: Theme
    link: Link  # the theme's qualified link to this clause (or to the enclosing clause in ``via``)
    via: ClauseRef | None  # the enclosing clause the theme names, when it does not name this one
    principles: list[tuple[ClauseRef, Link]]
    clauses: list[tuple[ClauseRef, Link]]


def clause_themes(crosswalk: Crosswalk, kb: KnowledgeBase, clause: CatalogEntry) -> list[ThemeOfClause]:
    """The themes that name this clause, else its nearest enclosing clause, else one of its subdivisions."""
    chain = [clause.id] + [a.id for a in reversed(kb.ancestors(clause))]
    found = []
    for theme in crosswalk.themes:
        named = {link.id: link for link in theme.links}
        match = next((i for i in chain if i in named), None) or next(
            (i for i in named if i.startswith(f"{clause.id}(")), None
        )  # an article's page shows the themes that link one of its paragraphs or points
        if match is None:
            continue

        def others(links: tuple, match: str = match) -> list[tuple[ClauseRef, Link]]:
            return [(clause_ref(kb, link.id), link) for link in links if link.id != match and link.id in kb.clauses]

        via = clause_ref(kb, match) if match != clause.id else None
        found.append(ThemeOfClause(theme, named[match], via, others(theme.principles), others(theme.clauses)))
    return found


@dataclass
class InheritedRef:
    """A cross-reference made by (or to) one of the clause's subdivisions, e.g. Art. 22(4) -> Art. 9(1)."""

    ref: ClauseRef
    subdivision: ClauseRef


def subdivision_references(
    kb: KnowledgeBase, clause: CatalogEntry, nodes: list[Node]
) -> tuple[list[InheritedRef], list[InheritedRef]]:
    """What the subdivisions shown on the page cite outside the clause's unit, and what outside
    it cites them: an article's paragraphs carry its cross-references, and a reviewer reading the
    article wants them all (but not "paragraph 2 cites paragraph 1" of the same article)."""

    def outside(clause_id: str) -> bool:
        other = kb.clauses.get(clause_id)
        return other is None or other.unit_id != clause.unit_id

    cites: list[InheritedRef] = []
    cited_by: list[InheritedRef] = []
    stack = [n for n in reversed(nodes) if n.entry.unit_id == clause.unit_id]
    while stack:
        node = stack.pop()
        outgoing, incoming = kb.references(node.entry.id)
        here = clause_ref(kb, node.entry.id)
        cites += [InheritedRef(clause_ref(kb, i), here) for i in outgoing if outside(i)]
        cited_by += [InheritedRef(clause_ref(kb, i), here) for i in incoming if outside(i)]
        stack += reversed(node.children)
    return cites, cited_by


def short_citation(citation: str, short_name: str) -> str:
    """'GDPR Art. 22(1)' -> 'Art. 22(1)' where the source is already named nearby."""
    return citation.removeprefix(short_name + " ")
