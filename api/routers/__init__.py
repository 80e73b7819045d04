"""One router per resource: search, clauses, sources, health."""
