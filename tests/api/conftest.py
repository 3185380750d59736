"""A real HTTP server for API tests: uvicorn on a free port, in the test session's loop."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
import pytest
import uvicorn

from service.api.app import create_app
from service.api.compiled import Plans
from service.segments.engine import SegmentEngine
from service.settings import DEV_API_KEY
from service.store.graph import Graph

READ_KEY = "test-read-key"
WRITE_KEY = "test-write-key"
PRIVACY_KEY = "test-privacy-key"
STEWARD_KEY = "test-steward-key"
ADMIN_KEY = DEV_API_KEY


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Api:
    url: str
    graph: Graph
    client: httpx.AsyncClient
    #: Compiled counter lookups of the running app (service/api/compiled.py); None
    #: when OMNID_COMPILED_LOOKUPS is off.
    plans: Plans | None

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, *, key: str | None = ADMIN_KEY
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


#: A catch-up interval longer than any test session: one round at start, no more.
_NEVER = 24 * 3600.0


async def _serve(session_graph: Graph, **changes: Any) -> AsyncIterator[ServerInfo]:
    settings = session_graph.settings.model_copy(
        update={
            "api_keys": {
                READ_KEY: ["read"],
                WRITE_KEY: ["write"],
                PRIVACY_KEY: ["privacy"],
                STEWARD_KEY: ["steward"],
                ADMIN_KEY: ["admin"],
            },
            "max_page_size": 100,
            "max_batch_size": 50,
            "max_body_bytes": 256 * 1024,
            **changes,
        }
    )
    graph = Graph(session_graph.driver, settings, session_graph.statements)
    port = _free_port()
    # These servers live for the whole session, beside tests that empty the graph: a
    # catch-up round (other processes' changed-persons marks) running while another
    # test wipes it would write that test's memberships back after the wipe. The API
    # tests write through the server, whose own commits reach its engine directly.
    app = create_app(
        settings,
        graph=graph,
        segments_factory=partial(SegmentEngine, catch_up_interval=_NEVER),
    )
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
        if task.done():
            task.result()
    yield f"http://127.0.0.1:{port}", graph, app.state.plans
    server.should_exit = True
    await task


#: A running service: its URL, its graph and its compiled plans (None when off).
ServerInfo = tuple[str, Graph, Plans | None]


@pytest.fixture(scope="session")
async def api_server(session_graph: Graph) -> AsyncIterator[ServerInfo]:
    """The service as configured: CI runs the API tests once with compiled lookups
    (the default) and once with OMNID_COMPILED_LOOKUPS=false (scripts/test)."""
    async for info in _serve(session_graph):
        yield info


@pytest.fixture(scope="session")
async def compiled_api_server(session_graph: Graph) -> AsyncIterator[ServerInfo]:
    """The service with compiled lookups on, whatever the environment says: the tests
    of the compiled path itself."""
    async for info in _serve(session_graph, compiled_lookups=True):
        yield info


async def _client(info: ServerInfo) -> AsyncIterator[Api]:
    url, app_graph, plans = info
    app_graph.queries = 0
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        yield Api(url, app_graph, client, plans)


@pytest.fixture
async def api(api_server: ServerInfo, graph: Graph) -> AsyncIterator[Api]:
    """The running service on an emptied graph; ``api.graph`` is the app's own graph."""
    async for api in _client(api_server):
        yield api


@pytest.fixture
async def compiled_api(compiled_api_server: ServerInfo, graph: Graph) -> AsyncIterator[Api]:
    """``api`` with compiled lookups on; ``api.plans`` is never None."""
    async for api in _client(compiled_api_server):
        yield api
