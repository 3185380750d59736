"""Neo4j goes away under a running service, then comes back.

Lookups answer GRAPH_UNAVAILABLE in bounded time (``OMNID_UNAVAILABLE_SECONDS``),
``/readyz`` turns red, writes are refused with the same typed error, subscribers are
told on their subscription; when Neo4j is back everything works again without a
restart of the service.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from httpx_ws import aconnect_ws

from service.api.app import create_app
from service.settings import DEV_API_KEY
from service.store.graph import Graph
from tests.api.conftest import _free_port
from tests.faults.conftest import FaultServer

#: The bound under test: small, so the test is quick.
UNAVAILABLE_SECONDS = 2.0
LOOKUP = '{ person(identifier: {type: EMAIL, value: "ana@example.org"}) { id } }'
UPSERT = """mutation($items: [RecordInput!]!) {
  upsertRecords(items: $items) { status personId error { code } } }"""
EVENT = """mutation($id: String!) { recordEvents(items: [{source: "pos", id: $id,
  channel: STORE, type: "purchase", at: "2026-11-01T10:00:00Z",
  identifiers: [{type: EMAIL, value: "ana@example.org"}]}]) { status error { code } } }"""
SUBSCRIBE = "subscription { journeyEvents { event { id } person { id } } }"


@pytest.fixture
async def service(fault_graph: Graph) -> AsyncIterator[httpx.AsyncClient]:
    """The service on the fault server, with its own driver (as in production)."""
    settings = fault_graph.settings.model_copy(
        update={"unavailable_seconds": UNAVAILABLE_SECONDS, "api_keys": {DEV_API_KEY: ["admin"]}}
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
        if task.done():
            task.result()
    headers = {"Authorization": f"Bearer {DEV_API_KEY}"}
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60
        ) as client:
            yield client
    finally:
        server.should_exit = True
        await task


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def timed(client: httpx.AsyncClient, query: str, **variables: Any) -> tuple[float, Any]:
    began = time.monotonic()
    body = await gql(client, query, **variables)
    return time.monotonic() - began, body


async def test_neo4j_down_is_a_typed_answer_and_recovery_needs_no_restart(
    service: httpx.AsyncClient, fault_server: FaultServer
) -> None:
    record = {
        "source": "crm",
        "id": "1",
        "identifiers": [{"type": "EMAIL", "value": "ana@example.org"}],
    }
    written = await gql(service, UPSERT, items=[record])
    assert written["data"]["upsertRecords"][0]["status"] == "OK", written
    person = (await gql(service, LOOKUP))["data"]["person"]["id"]

    async with aconnect_ws(
        f"{service.base_url}/graphql", service, subprotocols=["graphql-transport-ws"]
    ) as ws:
        await ws.send_json({"type": "connection_init", "payload": {"apiKey": DEV_API_KEY}})
        assert (await ws.receive_json())["type"] == "connection_ack"
        await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}})
        await asyncio.sleep(0.5)

        await asyncio.to_thread(fault_server.kill)

        took, body = await timed(service, LOOKUP)
        assert codes(body) == ["GRAPH_UNAVAILABLE"], body
        # the compiled lookup and strawberry's path may each wait the bound once
        assert took < 2 * UNAVAILABLE_SECONDS + 3, took
        assert "ana" not in str(body)
        took, body = await timed(service, EVENT, id="while-down")
        assert codes(body) == ["GRAPH_UNAVAILABLE"], body
        assert took < 2 * UNAVAILABLE_SECONDS + 3, took
        ready = await service.get("/readyz")
        assert ready.status_code == 503 and ready.json()["neo4j"] == "GRAPH_UNAVAILABLE"
        assert (await service.get("/healthz")).status_code == 200

        told = await asyncio.wait_for(ws.receive_json(), timeout=4 * UNAVAILABLE_SECONDS + 5)
        assert told["type"] in ("next", "error"), told
        errors = told["payload"]["errors"] if told["type"] == "next" else told["payload"]
        assert [e["extensions"]["code"] for e in errors] == ["GRAPH_UNAVAILABLE"], told

    await asyncio.to_thread(fault_server.start)
    deadline = time.monotonic() + 60
    while (await service.get("/readyz")).status_code != 200:
        assert time.monotonic() < deadline, "the service did not become ready again"
        await asyncio.sleep(0.5)
    assert (await gql(service, LOOKUP))["data"]["person"]["id"] == person

    # a new subscription gets what is written after the recovery
    async with aconnect_ws(
        f"{service.base_url}/graphql", service, subprotocols=["graphql-transport-ws"]
    ) as ws:
        await ws.send_json({"type": "connection_init", "payload": {"apiKey": DEV_API_KEY}})
        assert (await ws.receive_json())["type"] == "connection_ack"
        await ws.send_json({"id": "2", "type": "subscribe", "payload": {"query": SUBSCRIBE}})
        await asyncio.sleep(0.5)
        body = await gql(service, EVENT, id="after")
        assert body["data"]["recordEvents"][0]["status"] == "OK", body
        message = await asyncio.wait_for(ws.receive_json(), timeout=10)
        live = message["payload"]["data"]["journeyEvents"]
        assert live == {"event": {"id": "after"}, "person": {"id": person}}
    # the write refused while Neo4j was down was not half-written
    body = await gql(
        service,
        '{ person(identifier: {type: EMAIL, value: "ana@example.org"}) '
        "{ channels { channel events } } }",
    )
    assert body["data"]["person"]["channels"] == [{"channel": "STORE", "events": 1}]
