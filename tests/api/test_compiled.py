"""Compiled lookups (service/api/compiled.py) answer byte for byte what strawberry answers.

Every case is sent twice over HTTP: as a plain request, which a plan answers when the
operation is covered, and with an ``extensions`` member, which always goes through
strawberry's general path. The two responses must be the same bytes with the same
status and content type, and ``plans.answered`` says which path answered.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from service.api.compiled import Lookup, Plan
from tests.api.conftest import ADMIN_KEY, Api
from tests.api.test_api import HOUSEHOLD_ADDRESS, UPSERT, household_records, merge_records
from tests.api.test_prefetch import (
    ARGUMENT_CASES,
    BY_ID,
    CARD,
    FIELDS,
    LOOKUP,
    PREFETCHED,
    VARIABLES,
    _load,
)


@pytest.fixture
def api(compiled_api: Api) -> Api:
    """These tests are about the compiled path: on whatever OMNID_COMPILED_LOOKUPS says."""
    return compiled_api


async def _both(
    api: Api,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    operation: str | None = None,
    key: str | None = ADMIN_KEY,
) -> tuple[bool, dict[str, Any]]:
    """(whether a plan answered, the body) after checking both paths agree."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    payload: dict[str, Any] = {"query": query, "variables": variables}
    if operation is not None:
        payload["operationName"] = operation
    before = api.plans.answered
    plain = await api.client.post("/graphql", json=payload, headers=headers)
    answered = api.plans.answered - before
    general = await api.client.post("/graphql", json={**payload, "extensions": {}}, headers=headers)
    assert api.plans.answered - before == answered, "extensions must take the general path"
    assert plain.status_code == general.status_code
    assert plain.headers["content-type"] == general.headers["content-type"]
    assert plain.content == general.content, (plain.text, general.text)
    body: dict[str, Any] = plain.json()
    return answered == 1, body


SOFA_PHONE = {"type": "PHONE", "value": "0034600123456"}


async def test_the_benchmark_lookup_is_compiled_and_equal(api: Api) -> None:
    await _load(api)
    for variables in (
        {"type": "LOYALTY_CARD", "value": "7001 2345"},
        {"type": "PHONE", "value": "+33612345678"},
        {"type": "EMAIL", "value": "nobody@example.org"},  # no person: null
    ):
        compiled, body = await _both(api, LOOKUP, variables)
        assert compiled, variables
        assert "errors" not in body
    compiled, body = await _both(api, LOOKUP, {"type": "LOYALTY_CARD", "value": "7001 2345"})
    assert len(body["data"]["person"]["journey"]["edges"]) == 37


async def test_every_prefetched_field_and_argument_is_equal(api: Api) -> None:
    await _load(api)
    for variables in ARGUMENT_CASES:
        compiled, body = await _both(api, PREFETCHED, variables)
        assert compiled and "errors" not in body, variables
        assert body["data"]["person"]["identifiers"]
    # cursors: page through
    after, seen = None, 0
    while True:
        compiled, body = await _both(api, PREFETCHED, {"ident": CARD, "first": 4, "after": after})
        assert compiled
        journey = body["data"]["person"]["journey"]
        seen += len(journey["edges"])
        if not journey["pageInfo"]["hasNextPage"]:
            break
        after = journey["pageInfo"]["endCursor"]
    assert seen == 37


async def test_fragments_aliases_typename_and_several_roots(api: Api) -> None:
    await _load(api)
    query = """
    fragment Ids on PersonIdentifier { t: type value __typename }
    fragment Page on Person {
      mergedFrom splitFrom
      journey(first: 2) { edges { cursor node { at seenWith { type value } __typename } } }
    }
    query Q($phone: String!) {
      __typename
      a: person(identifier: {type: PHONE, value: $phone}) {
        __typename id ...Page
        identifiers(types: [EMAIL, ADDRESS]) { ...Ids }
        more: identifiers { value } more: identifiers { type linking }
      }
      b: person(identifier: {type: LOYALTY_CARD, value: "7001-2345"}) {
        ... on Person {
          id
          journey(first: 3, channels: [WEB, APP], types: ["page_view", "order"]) {
            pageInfo { hasNextPage endCursor __typename }
            edges { node { id type channel } }
          }
        }
      }
      c: person(identifier: {type: EMAIL, value: "nobody@example.org"}) { id }
      d: person(identifier: {type: PHONE, value: $phone}) { identifiers { sources } }
    }
    query Other { person(identifier: {type: EMAIL, value: "card@example.org"}) { id } }
    """
    compiled, body = await _both(api, query, {"phone": "+34 600 12 34 56"}, operation="Q")
    assert compiled and "errors" not in body
    data = body["data"]
    assert data["__typename"] == "Query" and data["c"] is None
    assert data["a"]["__typename"] == "Person"
    assert {i["t"] for i in data["a"]["identifiers"]} == {"EMAIL", "ADDRESS"}
    assert set(data["a"]["more"][0]) == {"value", "type", "linking"}
    assert all(i["sources"] for i in data["d"]["identifiers"])
    compiled, body = await _both(api, query, operation="Other")
    assert compiled and body["data"]["person"]["id"]


async def test_lookups_by_id_follow_merges(api: Api) -> None:
    apart, bridge = merge_records()
    first = (await api.gql(UPSERT, {"items": apart}))["data"]["upsertRecords"]
    old_ids = [r["personId"] for r in first]
    await api.gql(UPSERT, {"items": [bridge]})
    for person in old_ids:  # the survivor's id, and the alias of the merged one
        compiled, body = await _both(api, BY_ID, {"id": person})
        assert compiled and "errors" not in body
        assert body["data"]["person"]["id"] in old_ids
        assert len(body["data"]["person"]["mergedFrom"]) == 1
    compiled, body = await _both(api, BY_ID, {"id": "no-such-person"})
    assert compiled and body["data"] == {"person": None}


@pytest.mark.parametrize(
    ("query", "variables", "key"),
    [
        # an identifier attached to two persons: AMBIGUOUS_IDENTIFIER
        (PREFETCHED, {"ident": {"type": "ADDRESS", "address": HOUSEHOLD_ADDRESS}}, ADMIN_KEY),
        # not an email: INVALID_IDENTIFIER
        (PREFETCHED, {"ident": {"type": "EMAIL", "value": "not an email"}}, ADMIN_KEY),
        # a page out of bounds, a cursor this API did not return
        (PREFETCHED, {"ident": CARD, "first": 0}, ADMIN_KEY),
        (PREFETCHED, {"ident": CARD, "after": "bogus"}, ADMIN_KEY),
        # variables that do not coerce, a missing one
        (PREFETCHED, {"ident": {"type": "FAX", "value": "1"}}, ADMIN_KEY),
        (PREFETCHED, {}, ADMIN_KEY),
        # no key, an unknown key
        (PREFETCHED, {"ident": CARD}, None),
        (PREFETCHED, {"ident": CARD}, "not-a-key"),
        # neither identifier nor id
        ("{ person { id } }", None, ADMIN_KEY),
    ],
)
async def test_errors_step_aside_to_the_general_path(
    api: Api, query: str, variables: dict[str, Any] | None, key: str | None
) -> None:
    await _load(api)
    await api.gql(UPSERT, {"items": household_records()})
    compiled, body = await _both(api, query, variables, key=key)
    assert not compiled
    assert body["errors"][0]["extensions"]["code"]


@pytest.mark.parametrize(
    "query",
    [
        # fields the one-statement lookup does not read
        '{ person(identifier: {type: LOYALTY_CARD, value: "70012345"}) { id records { source } } }',
        '{ person(identifier: {type: LOYALTY_CARD, value: "70012345"}) { channels { channel } } }',
        # two journey pages on one person
        '{ person(identifier: {type: LOYALTY_CARD, value: "70012345"}) '
        "{ a: journey(first: 1) { edges { cursor } } b: journey(first: 2) { edges { cursor } } } }",
        # directives, other roots
        'query($s: Boolean!) { person(identifier: {type: LOYALTY_CARD, value: "70012345"}) '
        "{ id @skip(if: $s) } }",
        '{ persons(identifier: {type: LOYALTY_CARD, value: "70012345"}) { id } }',
    ],
)
async def test_operations_a_plan_does_not_cover_are_answered_by_strawberry(
    api: Api, query: str
) -> None:
    await _load(api)
    variables = {"s": False} if "$s" in query else None
    compiled, body = await _both(api, query, variables)
    assert not compiled
    assert "errors" not in body, body


async def test_a_person_with_every_field_by_fragment_equals_the_full_selection(api: Api) -> None:
    await _load(api)
    spread = f"""
    fragment All on Person {{ {FIELDS} }}
    query($ident: IdentifierInput!, {VARIABLES}) {{ person(identifier: $ident) {{ ...All }} }}
    """
    compiled, body = await _both(api, spread, {"ident": SOFA_PHONE, "first": 10})
    assert compiled
    direct = await api.gql(PREFETCHED, {"ident": SOFA_PHONE, "first": 10})
    assert body == direct


async def test_concurrent_lookups_share_statements_and_keep_their_answers(api: Api) -> None:
    """Lookups arriving while others run go together into the next person-pages
    statement (service/read/coalesce.py), each still getting its own person."""
    items = [
        {
            "source": "crm",
            "id": f"c{i}",
            "identifiers": [
                {"type": "EMAIL", "value": f"c{i}@example.org"},
                {"type": "PHONE", "value": f"+3460012{i:04d}"},
            ],
        }
        for i in range(24)
    ]
    await api.gql(UPSERT, {"items": items})
    alone = [
        await api.gql(LOOKUP, {"type": "EMAIL", "value": f"c{i}@example.org"}) for i in range(24)
    ]
    assert len({a["data"]["person"]["id"] for a in alone}) == 24
    before = api.graph.queries
    together = await asyncio.gather(
        *(api.gql(LOOKUP, {"type": "PHONE", "value": f"+3460012{i:04d}"}) for i in range(24))
    )
    assert together == alone
    statements = api.graph.queries - before
    assert statements < 24 / 2, f"{statements} statements for 24 concurrent lookups"


async def test_a_failing_plan_is_answered_by_strawberry(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await _load(api)

    async def broken(self: Plan, lookup: Lookup, variables: dict[str, Any] | None) -> None:
        raise KeyError("EMAIL:someone@example.org")

    monkeypatch.setattr(Plan, "run", broken)
    compiled, body = await _both(api, LOOKUP, {"type": "LOYALTY_CARD", "value": "7001 2345"})
    assert not compiled
    assert "errors" not in body and len(body["data"]["person"]["journey"]["edges"]) == 37
    assert "compiled lookup failed (KeyError)" in caplog.text
    assert "someone@" not in caplog.text  # no personal data in logs
