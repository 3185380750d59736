"""The GraphQL API end to end: real HTTP, real Neo4j."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from typing import Any

import pytest

from service.settings import Settings
from tests.api.conftest import READ_KEY, WRITE_KEY, Api

UPSERT = """
mutation($items: [RecordInput!]!) {
  upsertRecords(items: $items) {
    index key status personId error { code field message } blockedTypes
  }
}"""
EVENTS = """
mutation($items: [EventInput!]!) {
  recordEvents(items: $items) { index key status personId error { code field message } }
}"""
PERSON = """
query($type: IdentifierType!, $value: String!, $country: String) {
  person(identifier: {type: $type, value: $value, country: $country}) {
    id mergedFrom
    identifiers { type value display linking shared sharedReason blocked sources }
    records { source id attributes }
    channels { channel events first last }
    transitions { from to seconds }
    firstSeen lastSeen
  }
}"""


def sofa_records() -> list[dict[str, Any]]:
    return [
        {
            "source": "newsletter",
            "id": "n-1",
            "identifiers": [{"type": "EMAIL", "value": "sofa.fan@example.org"}],
        },
        {
            "source": "eshop",
            "id": "c-1",
            "country": "ES",
            "identifiers": [
                {"type": "EMAIL", "value": "Home.Sofa@Example.org "},
                {"type": "PHONE", "value": "600 12 34 56"},
                {
                    "type": "ADDRESS",
                    "address": {
                        "line1": "Calle Mayor 5",
                        "postcode": "28013",
                        "city": "Madrid",
                        "country": "ES",
                    },
                },
            ],
            "attributes": {"name": "Ana"},
        },
        {
            "source": "pos",
            "id": "old-7",
            "identifiers": [
                {"type": "EMAIL", "value": "ana@office.example"},
                {"type": "PHONE", "value": "+34600123456"},
                {"type": "EMAIL", "value": "sofa.fan@example.org"},
            ],
        },
    ]


def events(n: int, *, card: str = "7001 2345", start_day: int = 1) -> list[dict[str, Any]]:
    channels = ["WEB", "STORE", "WEB", "CALL_CENTER"]
    return [
        {
            "source": "pos",
            "id": f"ev-{card}-{i}",
            "channel": channels[i % len(channels)],
            "type": "purchase" if i % 2 else "page_view",
            "at": f"2026-10-{start_day + i:02d}T10:00:00+00:00",
            "identifiers": [{"type": "LOYALTY_CARD", "value": card}],
            "attributes": {"n": i},
        }
        for i in range(n)
    ]


async def test_sofa_buyer_is_one_person_with_every_identifier(api: Api) -> None:
    body = await api.gql(UPSERT, {"items": sofa_records()})
    results = body["data"]["upsertRecords"]
    assert [r["status"] for r in results] == ["OK", "OK", "OK"]
    assert len({r["personId"] for r in results}) == 1

    body = await api.gql(PERSON, {"type": "PHONE", "value": "0034600123456"})
    person = body["data"]["person"]
    kinds = sorted((i["type"], i["value"]) for i in person["identifiers"])
    assert kinds == [
        ("ADDRESS", "calle mayor 5||28013|madrid|ES"),
        ("EMAIL", "ana@office.example"),
        ("EMAIL", "home.sofa@example.org"),
        ("EMAIL", "sofa.fan@example.org"),
        ("PHONE", "+34600123456"),
    ]
    address = next(i for i in person["identifiers"] if i["type"] == "ADDRESS")
    assert address["linking"] is False
    assert sorted(r["source"] for r in person["records"]) == ["eshop", "newsletter", "pos"]
    assert person["firstSeen"] is not None


async def test_person_lookup_normalizes_and_returns_null_when_unknown(api: Api) -> None:
    await api.gql(UPSERT, {"items": sofa_records()})
    body = await api.gql(PERSON, {"type": "EMAIL", "value": "  SOFA.FAN@example.ORG "})
    assert body["data"]["person"] is not None
    body = await api.gql(PERSON, {"type": "EMAIL", "value": "nobody@example.org"})
    assert body["data"]["person"] is None and "errors" not in body


async def test_invalid_identifier_is_a_typed_error_without_the_value(api: Api) -> None:
    body = await api.gql(PERSON, {"type": "EMAIL", "value": "not-an-email"})
    error = body["errors"][0]
    assert error["extensions"]["code"] == "INVALID_IDENTIFIER"
    assert "not-an-email" not in error["message"]
    assert "Traceback" not in str(body)


HOUSEHOLD_ADDRESS = {
    "line1": "Rue de la Paix 1",
    "postcode": "75002",
    "city": "Paris",
    "country": "FR",
}


def household_records(address: dict[str, str] = HOUSEHOLD_ADDRESS) -> list[dict[str, Any]]:
    """Two people, each with an email of their own, at one home address."""
    return [
        {
            "source": "crm",
            "id": f"h-{i}",
            "identifiers": [
                {"type": "EMAIL", "value": f"member{i}@example.org"},
                {"type": "ADDRESS", "address": address},
            ],
        }
        for i in range(2)
    ]


async def test_household_address_is_ambiguous_and_persons_lists_both(api: Api) -> None:
    address = HOUSEHOLD_ADDRESS
    items = household_records()
    results = (await api.gql(UPSERT, {"items": items}))["data"]["upsertRecords"]
    assert results[0]["personId"] != results[1]["personId"]
    variables = {"a": {"type": "ADDRESS", "address": address}}
    body = await api.gql("query($a: IdentifierInput!) { person(identifier: $a) { id } }", variables)
    assert body["errors"][0]["extensions"]["code"] == "AMBIGUOUS_IDENTIFIER"
    body = await api.gql(
        "query($a: IdentifierInput!) { persons(identifier: $a) { id } }", variables
    )
    assert sorted(p["id"] for p in body["data"]["persons"]) == sorted(
        r["personId"] for r in results
    )


async def test_batch_reports_per_item_errors_and_keeps_the_rest(api: Api) -> None:
    items = sofa_records()
    items.insert(
        1, {"source": "eshop", "id": "bad", "identifiers": [{"type": "PHONE", "value": "12"}]}
    )
    items.append({"source": "bad/source", "id": "x", "identifiers": []})
    results = (await api.gql(UPSERT, {"items": items}))["data"]["upsertRecords"]
    assert [r["status"] for r in results] == ["OK", "ERROR", "OK", "OK", "ERROR"]
    assert results[1]["error"]["code"] == "INVALID_IDENTIFIER"
    assert results[1]["error"]["field"] == "identifiers[0].value"
    assert results[4]["error"]["field"] == "source"
    assert results[0]["personId"] == results[2]["personId"] == results[3]["personId"]


async def test_blocked_identifier_is_reported_and_does_not_link(api: Api) -> None:
    items = [
        {
            "source": "pos",
            "id": f"t-{i}",
            "identifiers": [
                {"type": "EMAIL", "value": "test@test.com"},
                {"type": "LOYALTY_CARD", "value": f"CARD{i}"},
            ],
        }
        for i in range(2)
    ]
    results = (await api.gql(UPSERT, {"items": items}))["data"]["upsertRecords"]
    assert results[0]["blockedTypes"] == ["EMAIL"]
    assert results[0]["personId"] != results[1]["personId"]


async def test_events_are_immutable_and_journey_pages_newest_first(api: Api) -> None:
    first = (await api.gql(EVENTS, {"items": events(7)}))["data"]["recordEvents"]
    assert {r["status"] for r in first} == {"OK"}
    again = (await api.gql(EVENTS, {"items": events(7)}))["data"]["recordEvents"]
    assert {r["status"] for r in again} == {"UNCHANGED"}
    assert [r["personId"] for r in again] == [r["personId"] for r in first]

    query = """
    query($after: String) {
      person(identifier: {type: LOYALTY_CARD, value: "70012345"}) {
        journey(first: 3, after: $after) {
          edges { cursor node { id at channel type seenWith { type value } attributes } }
          pageInfo { hasNextPage endCursor }
        }
      }
    }"""
    seen: list[str] = []
    after = None
    while True:
        page = (await api.gql(query, {"after": after}))["data"]["person"]["journey"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"ev-7001 2345-{i}" for i in reversed(range(7))]
    body = await api.gql(query, {"after": None})
    node = body["data"]["person"]["journey"]["edges"][0]["node"]
    assert node["seenWith"] == [{"type": "LOYALTY_CARD", "value": "70012345"}]
    assert node["attributes"] == {"n": 6}


async def test_journey_filters_channels_summary_and_transitions(api: Api) -> None:
    await api.gql(EVENTS, {"items": events(8)})
    body = await api.gql("""
    {
      person(identifier: {type: LOYALTY_CARD, value: "70012345"}) {
        stores: journey(channels: [STORE]) { edges { node { channel } } }
        buys: journey(types: ["purchase"], since: "2026-10-03T00:00:00Z") {
          edges { node { type at } }
        }
        channels { channel events first last }
        transitions { from to seconds }
      }
    }""")
    person = body["data"]["person"]
    assert [e["node"]["channel"] for e in person["stores"]["edges"]] == ["STORE", "STORE"]
    assert [e["node"]["at"][:10] for e in person["buys"]["edges"]] == [
        "2026-10-08",
        "2026-10-06",
        "2026-10-04",
    ]
    channels = {c["channel"]: c["events"] for c in person["channels"]}
    assert channels == {"WEB": 4, "STORE": 2, "CALL_CENTER": 2}
    hops = [(t["from"], t["to"]) for t in person["transitions"]]
    assert hops[:3] == [("WEB", "STORE"), ("STORE", "WEB"), ("WEB", "CALL_CENTER")]
    assert person["transitions"][0]["seconds"] == 86400.0


def merge_records() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Two records of two persons (an email, a device), and the record that merges them."""
    a = {"source": "eshop", "id": "a", "identifiers": [{"type": "EMAIL", "value": "x@example.org"}]}
    b = {"source": "app", "id": "b", "identifiers": [{"type": "DEVICE", "value": "cookie-1"}]}
    bridge = {
        "source": "crm",
        "id": "c",
        "identifiers": [
            {"type": "EMAIL", "value": "x@example.org"},
            {"type": "DEVICE", "value": "cookie-1"},
        ],
    }
    return [a, b], bridge


async def test_merge_keeps_old_ids_reachable_and_explain_shows_the_chain(api: Api) -> None:
    apart, bridge = merge_records()
    first = (await api.gql(UPSERT, {"items": apart}))["data"]["upsertRecords"]
    old_ids = {r["personId"] for r in first}
    assert len(old_ids) == 2
    merged = (await api.gql(UPSERT, {"items": [bridge]}))["data"]["upsertRecords"][0]
    survivor = merged["personId"]
    assert survivor in old_ids
    for old in old_ids:
        body = await api.gql("query($id: ID!) { person(id: $id) { id mergedFrom } }", {"id": old})
        assert body["data"]["person"]["id"] == survivor
    body = await api.gql("""
    { explain(a: {type: EMAIL, value: "X@example.org"}, b: {type: DEVICE, value: "cookie-1"}) {
        person { id } steps { identifier { type value } itemKind source sourceId } } }""")
    steps = body["data"]["explain"]["steps"]
    assert steps[0]["identifier"] == {"type": "EMAIL", "value": "x@example.org"}
    assert (steps[1]["itemKind"], steps[1]["source"], steps[1]["sourceId"]) == (
        "record",
        "crm",
        "c",
    )
    assert steps[2]["identifier"] == {"type": "DEVICE", "value": "cookie-1"}
    body = await api.gql("""
    { explain(a: {type: EMAIL, value: "x@example.org"}, b: {type: EMAIL, value: "y@example.org"})
      { person { id } } }""")
    assert body["data"]["explain"] is None


async def test_remove_identifier_splits_the_person(api: Api) -> None:
    await api.gql(UPSERT, {"items": sofa_records()})
    body = await api.gql("""
    mutation { removeIdentifier(record: {source: "pos", id: "old-7"},
                                identifier: {type: EMAIL, value: "sofa.fan@example.org"}) {
        status personId } }""")
    assert body["data"]["removeIdentifier"]["status"] == "OK"
    newsletter = await api.gql(PERSON, {"type": "EMAIL", "value": "sofa.fan@example.org"})
    phone = await api.gql(PERSON, {"type": "PHONE", "value": "+34600123456"})
    assert newsletter["data"]["person"]["id"] != phone["data"]["person"]["id"]
    body = await api.gql("""
    mutation { removeIdentifier(record: {source: "pos", id: "nope"},
                                identifier: {type: EMAIL, value: "sofa.fan@example.org"}) {
        status } }""")
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_api_keys_and_scopes(api: Api) -> None:
    query = '{ person(identifier: {type: EMAIL, value: "a@example.org"}) { id } }'
    body = await api.gql(query, key=None)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    body = await api.gql(query, key="wrong-key")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "errors" not in await api.gql(query, key=READ_KEY)
    body = await api.gql(UPSERT, {"items": sofa_records()}, key=READ_KEY)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["data"] is None
    body = await api.gql(UPSERT, {"items": sofa_records()}, key=WRITE_KEY)
    assert "errors" not in body
    response = await api.client.post(
        "/graphql", json={"query": query}, headers={"X-API-Key": READ_KEY}
    )
    assert "errors" not in response.json()


async def test_limits_page_size_batch_size_depth_and_aliases(api: Api) -> None:
    body = await api.gql(
        '{ person(identifier: {type: EMAIL, value: "a@example.org"}) { journey(first: 101) '
        "{ pageInfo { hasNextPage } } } }"
    )
    # Unknown person: null, so the page-size check runs only when there is a person.
    await api.gql(EVENTS, {"items": events(1)})
    body = await api.gql(
        '{ person(identifier: {type: LOYALTY_CARD, value: "70012345"}) { journey(first: 101) '
        "{ pageInfo { hasNextPage } } } }"
    )
    assert body["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
    too_many = [{"source": "crm", "id": str(i), "identifiers": []} for i in range(51)]
    body = await api.gql(UPSERT, {"items": too_many})
    assert body["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
    deep = (
        "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType "
        "{ ofType { ofType { ofType { ofType { name } } } } } } } } } } } } }"
    )
    body = await api.gql(deep)
    assert "errors" in body and body.get("data") is None
    aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(40)) + " }"
    body = await api.gql(aliases)
    assert "errors" in body


async def test_health_and_readiness(api: Api) -> None:
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


async def test_compiled_lookups_follow_their_setting(api: Api, settings: Settings) -> None:
    """One seam: with OMNID_COMPILED_LOOKUPS off no plan exists and strawberry answers."""
    assert (api.plans is not None) == settings.compiled_lookups
    body = await api.gql('{ person(identifier: {type: EMAIL, value: "x@example.org"}) { id } }')
    assert body == {"data": {"person": None}}
    if api.plans is not None:
        assert api.plans.answered >= 1


async def test_keys_scopes_for_every_operation_kind(api: Api) -> None:
    remove = """mutation { removeIdentifier(record: {source: "crm", id: "1"},
        identifier: {type: EMAIL, value: "a@example.org"}) { status } }"""
    assert (await api.gql(remove, key=READ_KEY))["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for headers in (
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dGVzdC1yZWFkLWtleTo="},
        {"Authorization": f"Bearer {READ_KEY}x"},
        {"X-API-Key": READ_KEY[:-1]},
    ):
        response = await api.client.post(
            "/graphql",
            json={"query": '{ person(identifier: {type: EMAIL, value: "a@example.org"}) { id } }'},
            headers=headers,
        )
        body = response.json()
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", headers
        assert READ_KEY not in response.text


def test_keys_are_compared_in_constant_time_against_every_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from service.api import auth

    compared: list[bytes] = []
    real = hmac.compare_digest

    def compare(a: bytes, b: bytes) -> bool:
        compared.append(a)
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", compare)
    keys = {"k1": ["read"], "k2": ["write"], "k3": ["admin"]}
    assert auth.authenticate("k1", keys).scopes == frozenset({"read"})
    assert compared == [b"k1", b"k2", b"k3"]  # no early exit on the match
    assert auth.authenticate("k3", keys).scopes == frozenset(
        {"admin", "write", "read", "privacy", "steward"}
    )
    assert auth.authenticate("k4", keys).scopes is None


async def test_body_over_the_limit_is_refused_before_parsing(api: Api) -> None:
    limit = 256 * 1024  # the api fixture's OMNID_MAX_BODY_BYTES
    huge = '{"query": "{ __typename }", "variables": {"x": "' + "a" * limit + '"}}'
    response = await api.client.post(
        "/graphql",
        content=huge,
        headers={"Authorization": f"Bearer {READ_KEY}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "LIMIT_EXCEEDED", "field": "body"}

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
        yield b'{"query": "{ __typename }", "variables": {"x": "'
        for _ in range(limit // 8192 + 2):
            yield b"a" * 8192
        yield b'"}}'

    response = await api.client.post(
        "/graphql",
        content=chunks(),
        headers={"Authorization": f"Bearer {READ_KEY}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
    # just under the limit goes through, and the service still answers
    ok = '{"query": "{ __typename }", "variables": {"x": "' + "a" * (limit - 100) + '"}}'
    response = await api.client.post(
        "/graphql",
        content=ok,
        headers={"Authorization": f"Bearer {READ_KEY}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"__typename": "Query"}}
