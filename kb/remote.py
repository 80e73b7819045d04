"""Asking a running ``kb serve`` instead of loading the model in this process.

A command-line search that loads torch and the model takes seconds before its first result; a
server already holds both. With ``KB_SERVER_URL`` set, ``kb search`` sends its query there and
prints what comes back, the same results as ``GET /v1/search``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from kb.errors import KBError

TIMEOUT_S = 30


class ServerUnavailable(KBError):
    """The configured server did not answer, or answered with an error; the message says which."""

    code = "server_unavailable"
    http_status = 502


def search(
    server_url: str, query: str, k: int, sources: tuple[str, ...], group: str, token: str | None = None
) -> list[dict]:
    """The ``results`` of ``GET {server_url}/v1/search`` for the query."""
    params = [("q", query), ("k", str(k)), ("group", group), *(("source", s) for s in sources)]
    url = f"{server_url.rstrip('/')}/v1/search?{urllib.parse.urlencode(params)}"
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return json.loads(response.read())["results"]
    except urllib.error.HTTPError as exc:
        raise ServerUnavailable(f"{server_url} answered {exc.code}: {_error_message(exc)}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ServerUnavailable(
            f"cannot reach the search server at {server_url} ({exc}); unset KB_SERVER_URL to search in this process"
        ) from None


def _error_message(exc: urllib.error.HTTPError) -> str:
    try:
        return json.loads(exc.read())["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return exc.reason
