"""Delivery end to end: the service over HTTP, a subscriber on its websocket and a real
webhook receiver on loopback."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from httpx_ws import AsyncWebSocketSession, aconnect_ws
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service.api.app import create_app
from service.segments import ManualClock, SegmentEngine
from service.segments.webhooks import verify
from service.settings import DEV_API_KEY
from service.store.graph import Graph
from tests.segments.conftest import ABROAD_WITH_SMS, TRAVELLING_ABROAD, consent, customer, payment

SECRET = "a-webhook-secret-of-some-length"
READ_KEY = "segments-read-key"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def _serving(app: Starlette, port: int) -> AsyncIterator[None]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
        if task.done():
            task.result()
    try:
        yield
    finally:
        server.should_exit = True
        await task


@dataclass
class Receiver:
    """A marketing tool's endpoint: answers ``plan`` (status or "slow") in turn, then 200."""

    port: int = field(default_factory=_free_port)
    plan: list[int | str] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)  # 2xx only
    attempts: list[str] = field(default_factory=list)  # idempotency keys, every attempt

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        headers = request.headers
        assert verify(SECRET, headers["x-omnid-timestamp"], body, headers["x-omnid-signature"])
        self.attempts.append(headers["x-omnid-idempotency-key"])
        step = self.plan.pop(0) if self.plan else 200
        if step == "slow":
            await asyncio.sleep(1.0)  # past the client's timeout
            return Response(status_code=200)
        if step == 200:
            self.received.append({"key": headers["x-omnid-idempotency-key"], **json.loads(body)})
        return Response(status_code=int(step))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])


@dataclass
class Service:
    url: str
    client: httpx.AsyncClient
    clock: ManualClock
    engine: SegmentEngine

    async def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {DEV_API_KEY}"},
        )
        body: dict[str, Any] = response.json()
        return body


@asynccontextmanager
async def service(
    graph: Graph, receiver: Receiver, clock: ManualClock | None = None, **changes: Any
) -> AsyncIterator[Service]:
    settings = graph.settings.model_copy(
        update={
            "api_keys": {DEV_API_KEY: ["read", "write", "admin"], READ_KEY: ["read"]},
            "webhooks": [{"name": "sms-tool", "url": receiver.url, "secret": SECRET}],
            "webhook_allowed_hosts": ["127.0.0.1"],
            "webhook_backoff": 0.05,
            "webhook_timeout": 0.3,
            "webhook_max_attempts": 5,
            **changes,
        }
    )
    app_graph = Graph(graph.driver, settings, graph.statements)
    clock = clock or ManualClock()
    engines: list[SegmentEngine] = []

    def make(g: Graph) -> SegmentEngine:
        engines.append(SegmentEngine(g, clock=clock, scheduler_interval=0.05, drain_interval=0.05))
        return engines[0]

    port = _free_port()
    app = create_app(settings, graph=app_graph, segments_factory=make)
    async with _serving(app, port), httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
        yield Service(f"http://127.0.0.1:{port}", c, clock, engines[0])


@asynccontextmanager
async def subscribed(svc: Service, names: list[str]) -> AsyncIterator[AsyncWebSocketSession]:
    async with aconnect_ws(
        f"{svc.url}/graphql", svc.client, subprotocols=["graphql-transport-ws"]
    ) as ws:
        await ws.send_json({"type": "connection_init", "payload": {"apiKey": DEV_API_KEY}})
        assert (await ws.receive_json())["type"] == "connection_ack"
        query = (
            "subscription($names: [String!]) { segmentChanges(names: $names) "
            "{ change segment person { id phones emails consents { purpose channel status } } "
            "event { key type } } }"
        )
        await ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": query, "variables": {"names": names}},
            }
        )
        await asyncio.sleep(0.2)
        yield ws


DEFINE = "mutation($d: JSON!) { defineSegment(definition: $d) { name version status } }"
RECORD = "mutation($items: [RecordInput!]!) { upsertRecords(items: $items) { status personId } }"
CONSENTS = "mutation($items: [ConsentInput!]!) { recordConsents(items: $items) { status } }"
EVENTS = "mutation($items: [EventInput!]!) { recordEvents(items: $items) { status personId } }"


def _record_input(n: int, **attributes: Any) -> dict[str, Any]:
    c = customer(n)
    return {
        "source": c["source"],
        "id": c["id"],
        "country": c["country"],
        "identifiers": c["identifiers"],
        "attributes": attributes or c["attributes"],
    }


def _payment_input(n: int, id: str, country: str) -> dict[str, Any]:
    p = payment(n, id, country)
    return {k: p[k] for k in ("source", "id", "type", "at", "identifiers", "attributes")} | {
        "channel": "PAYMENT"
    }


async def _until(check: Any, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


async def _ready(svc: Service, name: str) -> None:
    async def done() -> bool:
        answer = await svc.gql("query($n: String!) { segment(name: $n) { status } }", {"n": name})
        return bool(answer["data"]["segment"]["status"] == "READY")

    await _until(done)


async def test_the_hotel_story_end_to_end(graph: Graph) -> None:
    receiver = Receiver()
    async with _serving(receiver.app(), receiver.port), service(graph, receiver) as svc:
        defined = await svc.gql(DEFINE, {"d": ABROAD_WITH_SMS})
        assert defined["data"]["defineSegment"]["version"] == 1, defined
        await _ready(svc, "abroad-sms")
        # Two phones; marketing by SMS granted through the first one only.
        record = _record_input(7)
        record["identifiers"] = [*record["identifiers"], {"type": "PHONE", "value": "+34699000007"}]
        await svc.gql(RECORD, {"items": [record]})
        granted = {k: v for k, v in consent(7, "sms-7", "granted", 60).items() if k != "kind"}
        granted["status"] = "GRANTED"
        assert (await svc.gql(CONSENTS, {"items": [granted]}))["data"]["recordConsents"] == [
            {"status": "OK"}
        ]
        async with subscribed(svc, ["abroad-sms"]) as ws:
            paid = await svc.gql(EVENTS, {"items": [_payment_input(7, "hotel-1", "PT")]})
            person = paid["data"]["recordEvents"][0]["personId"]
            message = await asyncio.wait_for(ws.receive_json(), 10)
            entered = message["payload"]["data"]["segmentChanges"]
            assert entered["change"] == "ENTERED"
            assert entered["person"] == {
                "id": person,
                "phones": ["+34600120007"],
                "emails": [],
                "consents": [{"purpose": "marketing", "channel": "SMS", "status": "GRANTED"}],
            }
            assert entered["event"] == {"key": "event/cards/hotel-1", "type": "card_payment"}

            await _until(lambda: _received(receiver, 1))
            hook = receiver.received[0]
            assert (hook["change"], hook["segment"]) == ("ENTERED", "abroad-sms")
            assert (hook["person"]["phones"], hook["person"]["emails"]) == (["+34600120007"], [])
            assert [(c["channel"], c["status"], c["id"]) for c in hook["person"]["consents"]] == [
                ("SMS", "granted", "sms-7")
            ]

            view = await svc.gql(
                "query($p: ID!, $n: String!) { person(id: $p) { segments { segment } } "
                "segment(name: $n) { size members(first: 5) { nodes { personId } } } }",
                {"p": person, "n": "abroad-sms"},
            )
            assert view["data"]["person"]["segments"] == [{"segment": "abroad-sms"}]
            assert view["data"]["segment"]["size"] == 1
            assert view["data"]["segment"]["members"]["nodes"] == [{"personId": person}]

            svc.clock.advance(timedelta(days=3))  # the window closes; the scheduler sees it
            message = await asyncio.wait_for(ws.receive_json(), 10)
            left = message["payload"]["data"]["segmentChanges"]
            assert (left["change"], left["person"]["id"], left["event"]) == ("LEFT", person, None)
            await _until(lambda: _received(receiver, 2))
            assert receiver.received[1]["change"] == "LEFT"
        delivered = await svc.gql("{ webhookDeliveries(status: DELIVERED) { target attempts } }")
        assert delivered["data"]["webhookDeliveries"] == [
            {"target": "sms-tool", "attempts": 1},
            {"target": "sms-tool", "attempts": 1},
        ]


async def _received(receiver: Receiver, count: int) -> bool:
    return len(receiver.received) >= count


async def test_retries_on_500_and_timeouts_then_parks_and_is_retried(graph: Graph) -> None:
    receiver = Receiver(plan=[500, "slow", 500])
    async with (
        _serving(receiver.app(), receiver.port),
        service(graph, receiver, webhook_max_attempts=3) as svc,
    ):
        await svc.gql(DEFINE, {"d": TRAVELLING_ABROAD})
        await svc.gql(RECORD, {"items": [_record_input(1)]})
        await _ready(svc, "travelling-abroad")
        await svc.gql(EVENTS, {"items": [_payment_input(1, "p1", "FR")]})

        async def parked() -> bool:
            found = await svc.gql("{ webhookDeliveries(status: PARKED) { id attempts lastError } }")
            return bool(found["data"]["webhookDeliveries"])

        await _until(parked)
        found = await svc.gql("{ webhookDeliveries(status: PARKED) { id attempts lastError } }")
        (delivery,) = found["data"]["webhookDeliveries"]
        assert delivery["attempts"] == 3 and delivery["lastError"] == "HTTP 500"
        assert len(set(receiver.attempts)) == 1  # one idempotency key for every attempt
        assert receiver.received == []

        retried = await svc.gql('mutation { retryWebhookDeliveries(target: "sms-tool") }')
        assert retried["data"]["retryWebhookDeliveries"] == 1
        await _until(lambda: _received(receiver, 1))
        assert receiver.received[0]["key"] == delivery["id"]


async def test_one_persons_changes_arrive_in_order(graph: Graph) -> None:
    receiver = Receiver(plan=[500, 500])
    gold = {"name": "gold", "rule": {"record": {"where": [{"attribute": "tier", "eq": "gold"}]}}}
    async with _serving(receiver.app(), receiver.port), service(graph, receiver) as svc:
        await svc.gql(DEFINE, {"d": gold})
        await _ready(svc, "gold")
        for tier in ("gold", "silver", "gold", "silver"):
            await svc.gql(RECORD, {"items": [_record_input(3, tier=tier)]})
            await svc.engine.settle()
        await _until(lambda: _received(receiver, 4))
        assert [r["change"] for r in receiver.received] == ["ENTERED", "LEFT", "ENTERED", "LEFT"]


async def test_the_outbox_survives_a_restart(graph: Graph) -> None:
    down = Receiver(plan=[503] * 50)
    clock = ManualClock()
    async with (
        _serving(down.app(), down.port),
        service(graph, down, clock, webhook_max_attempts=100) as svc,
    ):
        await svc.gql(DEFINE, {"d": TRAVELLING_ABROAD})
        await svc.gql(RECORD, {"items": [_record_input(2)]})
        await _ready(svc, "travelling-abroad")
        await svc.gql(EVENTS, {"items": [_payment_input(2, "p2", "FR")]})
        await _until(lambda: _attempted(down))
    assert down.received == []
    # A new service on the same database (and a receiver that is up again) delivers it.
    up = Receiver(port=down.port)
    async with _serving(up.app(), up.port), service(graph, up, clock):
        await _until(lambda: _received(up, 1))
    assert up.received[0]["key"] == down.attempts[0]
    assert up.received[0]["change"] == "ENTERED"


async def _attempted(receiver: Receiver) -> bool:
    return bool(receiver.attempts)


async def test_bad_definitions_are_typed_errors_and_store_nothing(graph: Graph) -> None:
    receiver = Receiver()
    async with service(graph, receiver) as svc:
        bad = {"name": "x", "rule": {"all": [{"event": {"type": "t"}}, {"event": {"within": "3"}}]}}
        answer = await svc.gql(DEFINE, {"d": bad})
        error = answer["errors"][0]
        assert error["extensions"]["code"] == "INVALID_RULE"
        assert error["message"].startswith('rule.all[1].event.within: must be a duration like "3d"')
        unknown = await svc.gql(
            DEFINE, {"d": {"name": "x", "rule": {"identifier": {"type": "FAX"}}}}
        )
        assert unknown["errors"][0]["extensions"]["code"] == "INVALID_RULE"
        consent = {"name": "x", "rule": {"consent": {"purpose": "bingo", "channel": "SMS"}}}
        refused = await svc.gql(DEFINE, {"d": consent})
        assert refused["errors"][0]["extensions"]["code"] == "INVALID_RULE"
        assert refused["errors"][0]["message"].startswith("rule.consent.purpose: unknown purpose")
        listed = await svc.gql("{ segments { name } }")
        assert listed["data"]["segments"] == []

        assert "errors" not in await svc.gql(DEFINE, {"d": TRAVELLING_ABROAD})
        again = await svc.gql(DEFINE, {"d": TRAVELLING_ABROAD})
        assert again["errors"][0]["extensions"]["code"] == "SEGMENT_EXISTS"
        response = await svc.client.post(
            "/graphql",
            json={"query": DEFINE, "variables": {"d": {**TRAVELLING_ABROAD, "name": "y"}}},
            headers={"Authorization": f"Bearer {READ_KEY}"},
        )
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        listed = await svc.gql("{ segments { name version } }")
        assert listed["data"]["segments"] == [{"name": "travelling-abroad", "version": 1}]


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/hook", "http://elsewhere.example.com/hook"])
async def test_a_bad_webhook_url_is_refused_before_the_service_starts(
    graph: Graph, url: str
) -> None:
    from service.errors import InvalidWebhook
    from service.segments.webhooks import targets_from_settings

    settings = graph.settings.model_copy(
        update={
            "webhooks": [{"name": "t", "url": url, "secret": SECRET}],
            "webhook_allowed_hosts": ["127.0.0.1"],
        }
    )
    with pytest.raises(InvalidWebhook) as raised:
        targets_from_settings(settings)
    assert raised.value.field == "OMNID_WEBHOOKS[0].url"
