"""service/api/web.py: the page is served from its build, and the service starts without one."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.types import ASGIApp

from service.api import web
from service.api.app import create_app
from service.api.web import web_routes
from service.settings import load_settings


def _client(app: ASGIApp) -> httpx.AsyncClient:
    # no lifespan: the page's routes need neither Neo4j nor the app's state
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://omnid")


async def test_root_redirects_to_the_page(tmp_path: Path) -> None:
    client = _client(Starlette(routes=web_routes(tmp_path)))
    response = await client.get("/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/app/"


async def test_a_build_is_served_with_the_page_headers(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<p>Customer 360</p>")
    (tmp_path / "app.js").write_text("export {};")
    client = _client(Starlette(routes=web_routes(tmp_path)))
    page = await client.get("/app", follow_redirects=True)
    assert page.status_code == 200
    assert page.url.path == "/app/"
    assert page.text == "<p>Customer 360</p>"
    assert page.headers["cache-control"] == "no-cache"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    script = await client.get("/app/app.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert (await client.get("/app/missing.js")).status_code == 404


async def test_without_a_build_the_service_starts_and_says_how(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(web, "WEB_DIST", tmp_path / "dist")
    with caplog.at_level(logging.WARNING, logger="omnid"):
        app = create_app(load_settings({}))
    lines = [r.getMessage() for r in caplog.records if "staff page" in r.getMessage()]
    assert len(lines) == 1
    assert "scripts/setup" in lines[0]
    client = _client(app)
    for path in ("/app/", "/app/app.js"):
        response = await client.get(path)
        assert response.status_code == 503
        assert "scripts/setup" in response.text
