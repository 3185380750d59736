"""The service on a real HTTP server for the review list's tests, with small size guards
and a handle on its commit listener (``Reviewer``) to wait until writes are reviewed."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from service.api.app import create_app
from service.steward.review import Reviewer
from service.store.graph import Graph

READ_KEY = "review-read-key"
WRITE_KEY = "review-write-key"
STEWARD_KEY = "review-steward-key"

UPSERT = """
mutation($items: [RecordInput!]!) {
  upsertRecords(items: $items) { status personId error { code message } }
}"""
LIST = """
query($first: Int!, $after: String) {
  suspiciousPersons(first: $first, after: $after) {
    nodes {
      personId score reasons { code detail } bridges { type value } person { id } reviewedAt
    }
    endCursor hasNextPage
  }
}"""


def record(
    id: str,
    *identifiers: tuple[str, str],
    name: str | None = None,
    country: str = "ES",
    source: str = "crm",
    **attributes: Any,
) -> dict[str, Any]:
    attrs = {**({"name": name} if name else {}), **attributes}
    return {
        "source": source,
        "id": id,
        "country": country,
        "identifiers": [{"type": t, "value": v} for t, v in identifiers],
        "attributes": attrs,
    }


@dataclass
class Steward:
    client: httpx.AsyncClient
    graph: Graph
    reviewer: Reviewer

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, *, key: str = STEWARD_KEY
    ) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def upsert(self, *items: dict[str, Any]) -> list[dict[str, Any]]:
        body = await self.gql(UPSERT, {"items": list(items)}, key=WRITE_KEY)
        results: list[dict[str, Any]] = body["data"]["upsertRecords"]
        assert all(r["status"] == "OK" for r in results), results
        await self.reviewer.settle()
        return results

    async def listed(self, first: int = 50, after: str | None = None) -> dict[str, Any]:
        body = await self.gql(LIST, {"first": first, "after": after})
        assert "errors" not in body, body
        page: dict[str, Any] = body["data"]["suspiciousPersons"]
        return page


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
async def steward_server(session_graph: Graph) -> AsyncIterator[tuple[str, Graph, Any]]:
    settings = session_graph.settings.model_copy(
        update={
            "api_keys": {READ_KEY: ["read"], WRITE_KEY: ["write"], STEWARD_KEY: ["steward"]},
            "review_max_per_type": {"EMAIL": 3},
            "review_max_identifiers": 6,
        }
    )
    graph = Graph(session_graph.driver, settings, session_graph.statements)
    port = _free_port()
    app = create_app(settings, graph=graph)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
        if task.done():
            task.result()
    yield f"http://127.0.0.1:{port}", graph, app
    server.should_exit = True
    await task


@pytest.fixture
async def steward(steward_server: tuple[str, Graph, Any], graph: Graph) -> AsyncIterator[Steward]:
    """The running service on an emptied graph."""
    url, app_graph, app = steward_server
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        yield Steward(client, app_graph, app.state.reviewer)
