"""The staff page (Customer 360): ``/app`` serves the built web app, ``/`` redirects there.

The page is a static bundle built from ``web/`` into ``web/dist`` by ``scripts/setup``
(``npm ci`` and ``npm run build``); it talks to the service only through ``/graphql``,
like any other front end. Without a build the service still starts: ``/app`` answers a
short page saying to run ``scripts/setup``, and one line is logged.

    >>> [route.path for route in web_routes(Path("/nowhere"))]
    ['/', '/app', '/app/{path:path}']
"""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

__all__ = ["WEB_DIST", "web_routes"]

log = logging.getLogger("omnid")


def _project_root() -> Path:
    # Walk up rather than count parents: the package layout may change under us.
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "web").is_dir():
            return parent
    return here.parents[2]


#: Where ``npm run build`` (in ``web/``) writes the page.
WEB_DIST = _project_root() / "web" / "dist"

#: The page holds an API key: no framing, no third-party code, no referrer.
_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
    ),
}

_NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>omnid: staff page not built</title></head>
<body style="font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 4rem auto">
<h1>The staff page is not built</h1>
<p>Run <code>scripts/setup</code> in the omnid checkout (it runs <code>npm ci</code> and
<code>npm run build</code> in <code>web/</code>), then reload this page.</p>
<p>The GraphQL API is available at <a href="/graphql">/graphql</a>.</p>
</body></html>
"""


class _Static(StaticFiles):
    """Static files with the page's headers; a revalidation costs a 304."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(_HEADERS)
        return response


async def _to_app(request: Request) -> Response:
    return RedirectResponse("/app/", status_code=307)


async def _not_built(request: Request) -> Response:
    return HTMLResponse(_NOT_BUILT, status_code=503, headers={"Cache-Control": "no-store"})


def web_routes(dist: Path | None = None) -> list[BaseRoute]:
    """The page's routes: the build in ``dist`` (default :data:`WEB_DIST`) if there is
    one, else a page that says how to build it (and one log line)."""
    dist = WEB_DIST if dist is None else dist
    root = Route("/", _to_app, methods=["GET", "HEAD"])
    if (dist / "index.html").is_file():
        return [root, Mount("/app", app=_Static(directory=dist, html=True))]
    log.warning("staff page not built (no %s): run scripts/setup", dist / "index.html")
    return [root, Route("/app", _not_built), Route("/app/{path:path}", _not_built)]
