"""Query.person reads the person, their identifiers and the selected journey page in one
statement and primes the DataLoaders: same answers as the fields loading them one by one."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.api.test_api import (
    EVENTS,
    HOUSEHOLD_ADDRESS,
    UPSERT,
    events,
    household_records,
    merge_records,
    sofa_records,
)

#: The benchmark's lookup (bench/api.py): a counter screen.
LOOKUP = """
query Lookup($type: IdentifierType!, $value: String!) {
  person(identifier: {type: $type, value: $value}) {
    id
    identifiers { type value }
    journey(first: 50) { edges { node { at channel type source id attributes } } }
  }
}"""

FIELDS = """
    id mergedFrom splitFrom
    identifiers { type value display linking shared sharedReason blocked blockedReason
                  firstSeen lastSeen sources }
    journey(first: $first, after: $after, channels: $channels, types: $types,
            since: $since, until: $until) {
      edges { cursor node { source id channel type at attributes seenWith { type value } } }
      pageInfo { hasNextPage endCursor }
    }
"""
VARIABLES = """$first: Int = 20, $after: String, $channels: [Channel!], $types: [String!],
               $since: DateTime, $until: DateTime"""
#: Prefetched: person(identifier:) looks ahead.
PREFETCHED = f"""
query($ident: IdentifierInput!, {VARIABLES}) {{ person(identifier: $ident) {{ {FIELDS} }} }}"""
#: Loader path: persons(identifier:) does not look ahead; its fields load themselves.
LOADED = f"""
query($ident: IdentifierInput!, {VARIABLES}) {{ persons(identifier: $ident) {{ {FIELDS} }} }}"""
BY_ID = f"""query($id: ID!, {VARIABLES}) {{ person(id: $id) {{ {FIELDS} }} }}"""


CARD = {"type": "LOYALTY_CARD", "value": "70012345"}
#: Variables of PREFETCHED over _load's data: every journey argument, an address.
ARGUMENT_CASES: list[dict[str, Any]] = [
    {"ident": {"type": "PHONE", "value": "0034600123456"}},  # sofa buyer: address, sources
    {"ident": CARD},
    {"ident": CARD, "first": 50},
    {"ident": CARD, "first": 5, "channels": ["WEB", "STORE"]},
    {"ident": CARD, "first": 3, "types": "purchase"},  # one value for a list
    {"ident": CARD, "since": "2026-10-03T00:00:00Z", "until": "2026-10-20T10:00:00+00:00"},
    {"ident": {"type": "EMAIL", "value": "card@example.org"}, "first": 7},
]


async def _count(api: Api, query: str, variables: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    before = api.graph.queries
    body = await api.gql(query, variables)
    assert "errors" not in body, body
    return api.graph.queries - before, body["data"]


async def _load(api: Api) -> None:
    await api.gql(UPSERT, {"items": sofa_records()})
    await api.gql(EVENTS, {"items": events(28)})
    more = events(9, card="7001 2345", start_day=1)
    for i, e in enumerate(more):  # same instants as others: ties broken by key
        e["id"] = f"tie-{i}"
        e["identifiers"].append({"type": "EMAIL", "value": "card@example.org"})
    await api.gql(EVENTS, {"items": more})
    card = {
        "source": "loyalty",
        "id": "c",
        "identifiers": [
            {"type": "LOYALTY_CARD", "value": "70012345"},
            {"type": "PHONE", "value": "+33612345678"},
            {"type": "ADDRESS", "address": {"line1": "Rue X 1", "city": "Paris", "country": "FR"}},
        ],
        "attributes": {"tier": "gold"},
    }
    await api.gql(UPSERT, {"items": [card]})


async def test_the_benchmark_lookup_is_one_query(api: Api) -> None:
    await _load(api)
    count, data = await _count(api, LOOKUP, {"type": "LOYALTY_CARD", "value": "7001 2345"})
    assert count == 1
    assert len(data["person"]["journey"]["edges"]) == 37
    assert len(data["person"]["identifiers"]) == 4
    count, data = await _count(api, LOOKUP, {"type": "EMAIL", "value": "nobody@example.org"})
    assert (count, data) == (1, {"person": None})
    by_id = (
        "query($id: ID!) { person(id: $id) { identifiers { value } journey { edges { cursor } } } }"
    )
    person = (await _count(api, LOOKUP, {"type": "PHONE", "value": "+33612345678"}))[1]["person"]
    count, data = await _count(api, by_id, {"id": person["id"]})
    assert count == 1 and len(data["person"]["journey"]["edges"]) == 20


async def test_prefetched_answers_equal_the_loader_path(api: Api) -> None:
    await _load(api)
    for variables in ARGUMENT_CASES:
        count, prefetched = await _count(api, PREFETCHED, variables)
        assert count == 1, variables
        loaded = (await _count(api, LOADED, variables))[1]
        assert loaded["persons"] == [prefetched["person"]], variables
        assert prefetched["person"]["identifiers"]
        assert prefetched["person"]["journey"]["edges"] or variables["ident"]["type"] == "PHONE"

    # Page through with cursors: every page is one query and equals the loader's.
    after = None
    seen = 0
    while True:
        variables = {"ident": CARD, "first": 4, "after": after}
        count, prefetched = await _count(api, PREFETCHED, variables)
        loaded = (await _count(api, LOADED, variables))[1]
        assert count == 1 and loaded["persons"] == [prefetched["person"]]
        page = prefetched["person"]["journey"]
        seen += len(page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == 37

    # By id, the same person and page.
    person = (await _count(api, PREFETCHED, {"ident": CARD}))[1]["person"]
    count, by_id = await _count(api, BY_ID, {"id": person["id"]})
    assert count == 1 and by_id["person"] == person


async def test_prefetch_keeps_aliases_errors_and_fields_it_does_not_plan(api: Api) -> None:
    apart, bridge = merge_records()
    first = (await api.gql(UPSERT, {"items": apart}))["data"]["upsertRecords"]
    device_events = events(3)
    for e in device_events:
        e["identifiers"] = [{"type": "DEVICE", "value": "cookie-1"}]
    await api.gql(EVENTS, {"items": device_events})
    survivor = (await api.gql(UPSERT, {"items": [bridge]}))["data"]["upsertRecords"][0]
    loaded = (await _count(api, LOADED, {"ident": {"type": "EMAIL", "value": "x@example.org"}}))[1][
        "persons"
    ][0]
    for old in {r["personId"] for r in first}:
        count, data = await _count(api, BY_ID, {"id": old})
        assert count == 1
        assert data["person"] == loaded and data["person"]["id"] == survivor["personId"]

    # Two journey aliases: the first is prefetched, the second loads (same answers).
    query = """
    query($id: ID!) { person(id: $id) {
      a: journey(first: 2) { edges { cursor } }
      b: journey(first: 3) { edges { cursor } }
      ... on Person { identifiers { value } }
    } }"""
    count, data = await _count(api, query, {"id": survivor["personId"]})
    assert count == 2
    assert data["person"]["a"]["edges"] == data["person"]["b"]["edges"][:2]
    assert sorted(i["value"] for i in data["person"]["identifiers"]) == [
        "cookie-1",
        "x@example.org",
    ]

    # A bad cursor or page size is still the journey field's own error.
    body = await api.gql(
        '{ person(identifier: {type: EMAIL, value: "x@example.org"}) '
        '{ id journey(after: "nope") { edges { cursor } } } }'
    )
    assert body["data"]["person"] is None  # journey is non-null: its error nulls the person
    assert body["errors"][0]["path"] == ["person", "journey"]
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"

    # An identifier attached to several persons is AMBIGUOUS_IDENTIFIER, prefetch or not.
    address = HOUSEHOLD_ADDRESS
    items = household_records()
    await api.gql(UPSERT, {"items": items})
    body = await api.gql(PREFETCHED, {"ident": {"type": "ADDRESS", "address": address}})
    assert body["data"]["person"] is None
    assert body["errors"][0]["extensions"]["code"] == "AMBIGUOUS_IDENTIFIER"
    assert "Paix" not in body["errors"][0]["message"]


async def test_sources_and_seen_with_are_read_only_when_selected(api: Api) -> None:
    await _load(api)
    card = {"type": "LOYALTY_CARD", "value": "70012345"}
    loaded = (await _count(api, LOADED, {"ident": card}))[1]["persons"][0]
    # Selected through fragments and aliases: read in the one statement.
    query = """
    query($ident: IdentifierInput!) { person(identifier: $ident) {
      ... on Person { identifiers { ...I } }
      journey { edges { node { id ... on Event { s: seenWith { type value } } } } }
    } }
    fragment I on PersonIdentifier { value sources }"""
    count, data = await _count(api, query, {"ident": card})
    assert count == 1
    assert [i["sources"] for i in data["person"]["identifiers"]] == [
        i["sources"] for i in loaded["identifiers"]
    ]
    assert [e["node"]["s"] for e in data["person"]["journey"]["edges"]] == [
        e["node"]["seenWith"] for e in loaded["journey"]["edges"]
    ]
    assert any(i["sources"] for i in data["person"]["identifiers"])
    assert all(e["node"]["s"] for e in data["person"]["journey"]["edges"])

    # The person root leaves them out; a second root asking for them reads them again.
    query = """
    query($ident: IdentifierInput!) {
      person(identifier: $ident) { identifiers { value } journey { edges { cursor } } }
      persons(identifier: $ident) {
        identifiers { value sources }
        journey { edges { node { seenWith { type value } } } }
      }
    }"""
    count, data = await _count(api, query, {"ident": card})
    both = data["persons"][0]
    assert [i["sources"] for i in both["identifiers"]] == [
        i["sources"] for i in loaded["identifiers"]
    ]
    assert [e["node"]["seenWith"] for e in both["journey"]["edges"]] == [
        e["node"]["seenWith"] for e in loaded["journey"]["edges"]
    ]
    assert count == 4  # person-pages, persons-by-identifier, identifiers and journey again
