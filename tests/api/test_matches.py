"""Possible matches over HTTP: computed after the write by the commit listener, with
reasons; rejectMatch; both need the steward scope."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.api.conftest import READ_KEY, Api

UPSERT = """
mutation($items: [RecordInput!]!) { upsertRecords(items: $items) { status personId } }"""
MATCHES = """
query($id: ID!) {
  person(id: $id) {
    possibleMatches(first: 5) {
      person { id } score weight reasons { field level similarity weight }
    }
  }
}"""
REJECT = """
mutation($a: ID!, $b: ID!) {
  rejectMatch(items: [{a: $a, b: $b, reason: "twins"}, {a: $a, b: "no-such", reason: "x"}]) {
    index status error { code field } value { id a b records }
  }
}"""


def item(id: str, email: str) -> dict[str, Any]:
    return {
        "source": "crm",
        "id": id,
        "identifiers": [{"type": "EMAIL", "value": email}],
        "attributes": {"name": "Ana Silva", "birthDate": "1980-03-07"},
    }


async def suggested(api: Api, person: str, wanted: int) -> list[dict[str, Any]]:
    """possibleMatches, once the listener has refreshed (it runs after the write)."""
    for _ in range(100):
        found = (await api.gql(MATCHES, {"id": person}))["data"]["person"]["possibleMatches"]
        if len(found) == wanted:
            return list(found)
        await asyncio.sleep(0.1)
    raise AssertionError(f"never {wanted} suggestions: {found}")


async def test_written_records_are_suggested_and_rejected_over_graphql(api: Api) -> None:
    written = await api.gql(
        UPSERT, {"items": [item("a", "ana@example.com"), item("b", "ana@exmaple.com")]}
    )
    a, b = (r["personId"] for r in written["data"]["upsertRecords"])
    assert a != b  # never merged
    found = await suggested(api, a, 1)
    assert found[0]["person"]["id"] == b and found[0]["score"] >= 0.9
    fields = {r["field"]: r["level"] for r in found[0]["reasons"]}
    assert fields == {
        "given_name": "exact",
        "surname": "exact",
        "birth_date": "exact",
        "email": "typo",
    }

    rejected, missing = (await api.gql(REJECT, {"a": a, "b": b}))["data"]["rejectMatch"]
    value = rejected["value"]
    assert (value["a"], value["b"], value["records"]) == (a, b, 2)
    assert (missing["index"], missing["status"], missing["value"]) == (1, "ERROR", None)
    assert missing["error"] == {"code": "NOT_FOUND", "field": "b"}
    assert await suggested(api, a, 0) == []
    assert await suggested(api, b, 0) == []


async def test_a_read_only_key_is_forbidden(api: Api) -> None:
    written = await api.gql(
        UPSERT, {"items": [item("a", "ana@example.com"), item("b", "ana@exmaple.com")]}
    )
    a, b = (r["personId"] for r in written["data"]["upsertRecords"])
    for query, variables in ((MATCHES, {"id": a}), (REJECT, {"a": a, "b": b})):
        body = await api.gql(query, variables, key=READ_KEY)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
