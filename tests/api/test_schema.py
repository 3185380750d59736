"""The SDL file matches the code; every example operation in graphql/examples runs."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from httpx_ws import WebSocketDisconnect, aconnect_ws

from service.api.schema import build_schema, schema
from service.settings import load_settings
from tests.api.conftest import ADMIN_KEY, Api

GRAPHQL = Path(__file__).resolve().parents[2] / "graphql"
EXAMPLES = sorted((GRAPHQL / "examples").glob("*.graphql"))


def test_exported_sdl_is_current() -> None:
    exported = (GRAPHQL / "schema.graphql").read_text(encoding="utf-8")
    assert exported == schema.as_str() + "\n", (
        "graphql/schema.graphql is stale: run `omnid schema export`"
    )


def test_introspection_can_be_switched_off() -> None:
    closed = build_schema(load_settings({"OMNID_INTROSPECTION": "false"}))
    result = closed.execute_sync("{ __schema { queryType { name } } }")
    assert result.errors
    assert schema.execute_sync("{ __schema { queryType { name } } }").errors is None


def test_there_are_examples() -> None:
    assert {p.stem for p in EXAMPLES} >= {
        "upsert-records",
        "record-events",
        "counter-lookup",
        "explain",
        "journey-events",
    }


async def test_every_example_operation_runs(api: Api) -> None:
    queries = [p for p in EXAMPLES if not p.read_text().lstrip("# \n").count("subscription ")]
    order = ["upsert-records", "record-events", "record-consents", "counter-lookup", "explain"]
    queries.sort(key=lambda p: order.index(p.stem) if p.stem in order else len(order))
    for path in queries:
        body = await api.gql(path.read_text(encoding="utf-8"))
        assert "errors" not in body, (path.name, body)
        assert body["data"], path.name
    lookup = await api.gql((GRAPHQL / "examples" / "counter-lookup.graphql").read_text())
    person = lookup["data"]["person"]
    assert {c["channel"] for c in person["channels"]} == {"STORE", "WEB"}
    explained = await api.gql((GRAPHQL / "examples" / "explain.graphql").read_text())
    assert explained["data"]["explain"]["steps"]


@pytest.mark.parametrize(
    "path", [p for p in EXAMPLES if p.stem == "journey-events"], ids=lambda p: p.stem
)
async def test_subscription_example_delivers_committed_events(api: Api, path: Path) -> None:
    await api.gql((GRAPHQL / "examples" / "upsert-records.graphql").read_text())
    async with aconnect_ws(
        f"{api.url}/graphql", api.client, subprotocols=["graphql-transport-ws"]
    ) as ws:
        await ws.send_json({"type": "connection_init", "payload": {"apiKey": ADMIN_KEY}})
        assert (await ws.receive_json())["type"] == "connection_ack"
        await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": path.read_text()}})
        await asyncio.sleep(0.2)
        await api.gql((GRAPHQL / "examples" / "record-events.graphql").read_text())
        message = await asyncio.wait_for(ws.receive_json(), timeout=10)
        assert message["type"] == "next", json.dumps(message)
        payload = message["payload"]["data"]["journeyEvents"]
        assert payload["event"]["type"] == "purchase"  # the page_view is filtered out
        assert payload["event"]["attributes"]["store"] == "Madrid Centro"
        phones = [i["value"] for i in payload["person"]["identifiers"] if i["type"] == "PHONE"]
        assert phones == ["+34600123456"]
        assert {"channel": "STORE", "events": 1} in payload["person"]["channels"]
        assert payload["consents"] == []  # none recorded: not contactable


async def test_subscription_requires_a_key(api: Api) -> None:
    async with aconnect_ws(
        f"{api.url}/graphql", api.client, subprotocols=["graphql-transport-ws"]
    ) as ws:
        await ws.send_json({"type": "connection_init", "payload": {"apiKey": "wrong"}})
        with pytest.raises(WebSocketDisconnect) as closed:
            await asyncio.wait_for(ws.receive_json(), timeout=10)
        assert closed.value.code == 4403


def test_enums_match_the_contract() -> None:
    from service.api.types.common import Channel, IdentifierType
    from service.identity.contract import CHANNELS
    from service.identity.identifiers import BUILTIN_TYPES, DEFAULT_RULES

    assert tuple(c.value for c in Channel) == CHANNELS
    assert {t.value for t in IdentifierType} == set(BUILTIN_TYPES) | set(DEFAULT_RULES.extra_types)


async def test_events_written_by_another_process_reach_subscribers(api: Api) -> None:
    from service.identity.ingest import Ingestor

    other = Ingestor(api.graph)  # not the service's ingestor: like a CLI import elsewhere
    async with aconnect_ws(
        f"{api.url}/graphql", api.client, subprotocols=["graphql-transport-ws"]
    ) as ws:
        await ws.send_json({"type": "connection_init", "payload": {"apiKey": ADMIN_KEY}})
        assert (await ws.receive_json())["type"] == "connection_ack"
        await ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {
                    "query": (
                        "subscription { journeyEvents(channels: [PAYMENT]) "
                        "{ event { id type } person { id } } }"
                    )
                },
            }
        )
        await asyncio.sleep(0.3)
        report = await other.ingest_batch(
            [
                {
                    "kind": "event",
                    "source": "cards",
                    "id": "hotel-1",
                    "channel": "PAYMENT",
                    "type": "card_payment",
                    "at": "2026-11-24T21:00:00Z",
                    "identifiers": [{"type": "PAYMENT_TOKEN", "value": "tok_123"}],
                    "attributes": {"merchant": "Hotel Lisboa", "country": "PT"},
                }
            ]
        )
        message = await asyncio.wait_for(ws.receive_json(), timeout=10)
        live = message["payload"]["data"]["journeyEvents"]
        assert live["event"] == {"id": "hotel-1", "type": "card_payment"}
        assert live["person"]["id"] == report.results[0].person_id
