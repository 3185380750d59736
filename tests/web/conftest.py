"""Fixtures for the staff page in a real browser: the demo data in the real Neo4j, the
service on a port of its own (stopped and started again by the tests that need it), and
Debian's chromium driven by Playwright.

Screenshots of every step go to ``reports/web/`` (printed at the end of the run).
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, Page, async_playwright

from devtools.demo import Dataset, generate  # the demo module: its one import here
from service.api.app import create_app
from service.identity.ingest import Ingestor
from service.store.graph import Graph
from tests.conftest import ROOT, clear_graph

KEY = "web-test-key"
#: Synthetic customers beside the seeds' stories: enough for each store's phone to be
#: typed at the till for five customers (then shared by the PHONE rule).
DEMO_CUSTOMERS = 60
CHROMIUM = os.environ.get("OMNID_CHROMIUM", "/usr/bin/chromium")
REPORTS = ROOT / "reports" / "web"
SIZES = {"tablet": (768, 1024), "desktop": (1366, 768)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Service:
    """omnid on one port; ``stop`` and ``start`` again as a restart would."""

    graph: Graph
    port: int
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        if self.running:
            return
        app = create_app(self.graph.settings, graph=self.graph)
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", timeout_graceful_shutdown=2
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            await asyncio.sleep(0.02)
            if self._task.done():
                self._task.result()

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        await self._task
        self._server = self._task = None

    async def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
            response = await client.post(
                "/graphql",
                json={"query": query, "variables": variables or {}},
                headers={"Authorization": f"Bearer {KEY}"},
            )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body["errors"]
        return body


@pytest.fixture(scope="module")
def demo() -> Dataset:
    return generate(customers=DEMO_CUSTOMERS)


@pytest.fixture(scope="module")
async def demo_graph(session_graph: Graph, demo: Dataset) -> AsyncIterator[Graph]:
    """The demo data, loaded once for the module (its tests only add events)."""
    await clear_graph(session_graph)
    report = await Ingestor(session_graph).ingest(demo.items)
    assert not report.errors, report.errors[:3]
    yield session_graph


@pytest.fixture(scope="module")
async def web_service(demo_graph: Graph) -> AsyncIterator[Service]:
    settings = demo_graph.settings.model_copy(update={"api_keys": {KEY: ["admin"]}})
    service = Service(Graph(demo_graph.driver, settings, demo_graph.statements), _free_port())
    await service.start()
    yield service
    await service.stop()


@pytest.fixture
async def service(web_service: Service) -> Service:
    """The running service (started again if a test before left it stopped)."""
    await web_service.start()
    return web_service


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    for old in REPORTS.glob("*.png"):
        old.unlink()  # this run's screenshots only
    async with async_playwright() as playwright:
        # Debian's chromium: Playwright's own browser download is not used. Root needs
        # --no-sandbox.
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield launched
        await launched.close()


@dataclass
class Shots:
    """Screenshots of one test's steps: ``reports/web/<test>-<n>-<step>.png``."""

    page: Page
    name: str
    taken: list[Path] = field(default_factory=list)

    async def __call__(self, step: str) -> Path:
        REPORTS.mkdir(parents=True, exist_ok=True)
        path = REPORTS / f"{self.name}-{len(self.taken) + 1}-{step}.png"
        await self.page.screenshot(path=str(path))
        self.taken.append(path)
        return path


def _slug(nodeid: str) -> str:
    name = nodeid.rsplit("::", 1)[-1]
    return name.replace("[", "-").replace("]", "").replace("/", "-")


@dataclass
class Ui:
    """One browser tab on the staff page, at one size."""

    page: Page
    shot: Shots
    service: Service

    async def sign_in(self, key: str = KEY) -> None:
        await self.page.fill("#api-key", key)
        await self.page.press("#api-key", "Enter")

    async def search(self, value: str) -> None:
        """Types ``value`` as at the counter and submits; returns once it is answered."""
        results = self.page.locator("[data-testid=results]")
        before = int(await results.get_attribute("data-seq") or 0)
        await self.page.fill("#search-value", value)
        await self.page.press("#search-value", "Enter")
        answered = "n => Number(document.querySelector('[data-testid=results]').dataset.seq) > n"
        await self.page.wait_for_function(answered, arg=before)

    async def view(self) -> str | None:
        return await self.page.locator("[data-testid=results]").get_attribute("data-view")


@pytest.fixture
async def ui(
    browser: Browser, service: Service, size: str, request: pytest.FixtureRequest
) -> AsyncIterator[Ui]:
    """A fresh tab (no session storage) on ``/``, at the test's ``size``."""
    width, height = SIZES[size]
    context = await browser.new_context(viewport={"width": width, "height": height})
    page = await context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(f"{service.url}/")
    yield Ui(page, Shots(page, _slug(request.node.nodeid)), service)
    await context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if REPORTS.is_dir() and any(REPORTS.glob("*.png")):
        terminalreporter.write_line(f"staff page screenshots: {REPORTS}")
