"""The reviewers' web page: server-rendered HTML (Jinja2) over the same service as the JSON API.

``routes`` holds the HTML routes, ``view`` what the pages compute apart from HTTP (badges,
highlighted snippets, facet counts); templates and the stylesheet sit beside them, so the page
needs no build step and no network.
"""

from pathlib import Path

WEB_DIR = Path(__file__).parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
