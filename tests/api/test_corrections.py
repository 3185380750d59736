"""Operator corrections over GraphQL: scopes, typed errors, who/why, the whole round."""

from __future__ import annotations

import asyncio
from typing import Any

from service.api.auth import key_name
from tests.api.conftest import READ_KEY, STEWARD_KEY, WRITE_KEY, Api

UPSERT = """
mutation($items: [RecordInput!]!) { upsertRecords(items: $items) { index status personId } }"""
PERSON = """
query($value: String!) { person(identifier: {type: EMAIL, value: $value}) { id } }"""
IDENTIFIERS = """
query($value: String!) {
  person(identifier: {type: EMAIL, value: $value}) {
    identifiers { type value linking override { mode by reason } }
  }
}"""
OVERRIDE = """
mutation($value: String!, $mode: OverrideMode!, $reason: String!) {
  overrideValue(items: [{identifier: {type: PHONE, value: $value, country: "ES"}, mode: $mode,
                         reason: $reason}]) {
    index status error { code field message }
    value { type value mode by reason linking separation at }
  }
}"""
CLEAR = """
mutation($value: String!) {
  clearOverride(items: [{type: PHONE, value: $value, country: "ES"}]) { value { cleared } }
}"""
OVERRIDES = "query { overrides { type value mode by reason separation } }"
EXPLAIN_SEPARATION = """
query { explainSeparation(a: {record: {source: "eshop", id: "r1"}},
                          b: {record: {source: "eshop", id: "r2"}}) {
  personId bridges { type value } } }"""
SEPARATE = """
mutation($a: SubjectInput!, $b: SubjectInput!) {
  separate(items: [{a: $a, b: $b, reason: "TICKET-7"}]) {
    index status error { code field message }
    value { id a b values { type value } personA personB by }
  }
}"""
CONFLICTS = "query { separationConflicts { separation { id } personId bridges { type value } } }"
ASSERT = """
mutation($a: SubjectInput!, $b: SubjectInput!) {
  assertSame(items: [{a: $a, b: $b, reason: "same customer"}]) {
    status error { code field } value { id key values { type value } personId by reason }
  }
}"""
ASSERT_MANY = """
mutation($items: [PairInput!]!) {
  assertSame(items: $items) {
    index status error { code field message } value { id personId }
  }
}"""
ACCEPT = """
mutation($a: SubjectInput!, $b: SubjectInput!) {
  acceptMatch(items: [{a: $a, b: $b}]) {
    status error { code field message } value { id personId score reason }
  }
}"""
WITHDRAW = """
mutation($id: ID!) {
  withdrawAssertion(items: [$id]) { status error { code field } value { personIds } }
}"""
SOURCES = """
query($value: String!) {
  person(identifier: {type: EMAIL, value: $value}) { records { source } }
}"""
MATCHES = """
query($id: ID!) { person(id: $id) { possibleMatches(first: 5) { person { id } score } } }"""

R1 = {"record": {"source": "eshop", "id": "r1"}}
R2 = {"record": {"source": "eshop", "id": "r2"}}


def glued() -> list[dict[str, Any]]:
    return [
        {
            "source": "eshop",
            "id": "r1",
            "country": "ES",
            "identifiers": [
                {"type": "EMAIL", "value": "one@example.org"},
                {"type": "PHONE", "value": "611 000 009"},
            ],
        },
        {
            "source": "eshop",
            "id": "r2",
            "country": "ES",
            "identifiers": [
                {"type": "EMAIL", "value": "two@example.org"},
                {"type": "PHONE", "value": "611 000 009"},
            ],
        },
    ]


async def person(api: Api, email: str) -> str:
    return str((await api.gql(PERSON, {"value": email}))["data"]["person"]["id"])


def code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


def one(body: dict[str, Any]) -> dict[str, Any]:
    """The single result of a batch of one."""
    assert "errors" not in body, body
    (result,) = next(iter(body["data"].values()))
    return dict(result)


def item_error(body: dict[str, Any]) -> tuple[str, str | None]:
    """The code and field of a batch of one's refused item."""
    result = one(body)
    assert result["status"] == "ERROR" and result["value"] is None, result
    return result["error"]["code"], result["error"]["field"]


async def test_steward_scope_is_required(api: Api) -> None:
    await api.gql(UPSERT, {"items": glued()})
    for key in (READ_KEY, WRITE_KEY):
        body = await api.gql(
            OVERRIDE, {"value": "611000009", "mode": "SHARED", "reason": "x"}, key=key
        )
        assert code(body) == "FORBIDDEN"
        assert code(await api.gql(SEPARATE, {"a": R1, "b": R2}, key=key)) == "FORBIDDEN"
        assert code(await api.gql(OVERRIDES, key=key)) == "FORBIDDEN"
    assert code(await api.gql(OVERRIDES, key=None)) == "UNAUTHENTICATED"
    assert (await api.gql(OVERRIDES))["data"]["overrides"] == []  # admin implies steward


async def test_override_round_trip_with_who_and_why(api: Api) -> None:
    await api.gql(UPSERT, {"items": glued()})
    assert await person(api, "one@example.org") == await person(api, "two@example.org")
    body = await api.gql(
        OVERRIDE, {"value": "611000009", "mode": "SHARED", "reason": "till phone"}, key=STEWARD_KEY
    )
    view = one(body)["value"]
    assert view["mode"] == "SHARED" and view["by"] == key_name(STEWARD_KEY)
    assert view["reason"] == "till phone" and view["linking"] is False
    assert await person(api, "one@example.org") != await person(api, "two@example.org")
    await api.gql(UPSERT, {"items": glued()})  # re-import: still apart
    assert await person(api, "one@example.org") != await person(api, "two@example.org")
    listed = (await api.gql(OVERRIDES, key=STEWARD_KEY))["data"]["overrides"]
    assert [(o["type"], o["mode"]) for o in listed] == [("PHONE", "SHARED")]
    # Visible on the identifier, to anyone who may read the person.
    body = await api.gql(IDENTIFIERS, {"value": "one@example.org"}, key=READ_KEY)
    shown = {i["type"]: i for i in body["data"]["person"]["identifiers"]}
    assert shown["PHONE"]["override"] == {
        "mode": "SHARED",
        "by": key_name(STEWARD_KEY),
        "reason": "till phone",
    }
    assert shown["EMAIL"]["override"] is None
    cleared = await api.gql(CLEAR, {"value": "611000009"}, key=STEWARD_KEY)
    assert one(cleared)["value"] == {"cleared": True}
    assert await person(api, "one@example.org") == await person(api, "two@example.org")


async def test_unknown_values_and_bad_subjects_are_typed_errors(api: Api) -> None:
    await api.gql(UPSERT, {"items": glued()})
    body = await api.gql(OVERRIDE, {"value": "622999999", "mode": "LINKING", "reason": "x"})
    assert item_error(body)[0] == "NOT_FOUND"
    missing = {"record": {"source": "eshop", "id": "nope"}}
    assert item_error(await api.gql(SEPARATE, {"a": R1, "b": missing})) == ("NOT_FOUND", "b")
    both = {"record": {"source": "eshop", "id": "r1"}, "person": "p"}
    assert item_error(await api.gql(SEPARATE, {"a": both, "b": R2})) == ("INVALID_INPUT", "a")
    own_email = {"identifier": {"type": "EMAIL", "value": "one@example.org"}}
    assert item_error(await api.gql(SEPARATE, {"a": R1, "b": own_email}))[0] == "NOT_SEPARABLE"
    bad_email = {"identifier": {"type": "EMAIL", "value": "not an email"}}
    assert item_error(await api.gql(SEPARATE, {"a": R1, "b": bad_email})) == (
        "INVALID_IDENTIFIER",
        "b.identifier.value",
    )


async def test_separate_then_already_separate_then_conflict(api: Api) -> None:
    await api.gql(UPSERT, {"items": glued()})
    plan = (await api.gql(EXPLAIN_SEPARATION, key=STEWARD_KEY))["data"]["explainSeparation"]
    assert plan["bridges"] == [{"type": "PHONE", "value": "+34611000009"}]
    done = one(await api.gql(SEPARATE, {"a": R1, "b": R2}, key=STEWARD_KEY))["value"]
    assert done["values"] == plan["bridges"] and done["personA"] != done["personB"]
    listed = (await api.gql(OVERRIDES))["data"]["overrides"]
    assert listed[0]["separation"] == done["id"] and listed[0]["reason"] == "TICKET-7"
    assert item_error(await api.gql(SEPARATE, {"a": R1, "b": R2}))[0] == "ALREADY_SEPARATE"
    both = {
        "source": "crm",
        "id": "c1",
        "identifiers": [
            {"type": "EMAIL", "value": "one@example.org"},
            {"type": "EMAIL", "value": "two@example.org"},
        ],
    }
    await api.gql(UPSERT, {"items": [both]})
    (conflict,) = (await api.gql(CONFLICTS))["data"]["separationConflicts"]
    assert conflict["separation"]["id"] == done["id"] and len(conflict["bridges"]) == 1


async def test_assert_same_and_withdraw(api: Api) -> None:
    items = [
        {
            "source": "eshop",
            "id": "r1",
            "identifiers": [{"type": "EMAIL", "value": "one@example.org"}],
        },
        {
            "source": "eshop",
            "id": "r2",
            "identifiers": [{"type": "EMAIL", "value": "two@example.org"}],
        },
    ]
    await api.gql(UPSERT, {"items": items})
    link = one(await api.gql(ASSERT, {"a": R1, "b": R2}, key=STEWARD_KEY))["value"]
    assert link["key"] == f"record/operator/{link['id']}" and link["by"] == key_name(STEWARD_KEY)
    assert await person(api, "one@example.org") == await person(api, "two@example.org")
    undone = one(await api.gql(WITHDRAW, {"id": link["id"]}, key=STEWARD_KEY))["value"]
    apart = [await person(api, "one@example.org"), await person(api, "two@example.org")]
    assert sorted(undone["personIds"]) == sorted(apart) and apart[0] != apart[1]
    assert item_error(await api.gql(WITHDRAW, {"id": link["id"]}))[0] == "NOT_FOUND"
    assert code(await api.gql(ASSERT, {"a": R1, "b": R2}, key=READ_KEY)) == "FORBIDDEN"


async def test_a_mixed_batch_reports_each_item_and_writes_only_the_good_ones(api: Api) -> None:
    items = [
        {"source": "eshop", "id": f"r{n}", "identifiers": [{"type": "EMAIL", "value": e}]}
        for n, e in enumerate(["one@example.org", "two@example.org", "three@example.org"], 1)
    ]
    await api.gql(UPSERT, {"items": items})
    r3 = {"record": {"source": "eshop", "id": "r3"}}
    nope = {"record": {"source": "eshop", "id": "nope"}}
    body = await api.gql(
        ASSERT_MANY,
        {
            "items": [
                {"a": R1, "b": R2, "reason": "T-1"},
                {"a": R1, "b": nope, "reason": "T-2"},  # no such record
                {"a": R2, "b": r3},  # no reason
                {"a": {"identifier": {"type": "EMAIL", "value": "@"}}, "b": r3, "reason": "T"},
            ]
        },
        key=STEWARD_KEY,
    )
    assert "errors" not in body, body
    results = body["data"]["assertSame"]
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    assert [r["status"] for r in results] == ["OK", "ERROR", "ERROR", "ERROR"]
    assert [(r["error"] or {}).get("field") for r in results] == [
        None,
        "b",
        "reason",
        "a.identifier.value",
    ]
    assert [(r["error"] or {}).get("code") for r in results][1:] == [
        "NOT_FOUND",
        "INVALID_INPUT",
        "INVALID_IDENTIFIER",
    ]
    assert results[0]["value"]["personId"] and all(r["value"] is None for r in results[1:])
    # Only the first item was written: r1 and r2 are one person, r3 is still alone.
    assert await person(api, "one@example.org") == await person(api, "two@example.org")
    assert await person(api, "three@example.org") != await person(api, "one@example.org")
    for email, sources in (("one@example.org", 3), ("three@example.org", 1)):
        listed = (await api.gql(SOURCES, {"value": email}))["data"]["person"]["records"]
        assert len(listed) == sources  # one operator link in all, beside r1 and r2


async def test_accept_match_takes_only_a_current_suggestion(api: Api) -> None:
    def named(id: str, email: str) -> dict[str, Any]:
        return {
            "source": "crm",
            "id": id,
            "identifiers": [{"type": "EMAIL", "value": email}],
            "attributes": {"name": "Ana Silva", "birthDate": "1980-03-07"},
        }

    items = [
        named("a", "ana@example.com"),
        named("b", "ana@exmaple.com"),  # a typo in the domain: suggested
        {"source": "crm", "id": "z", "identifiers": [{"type": "EMAIL", "value": "zz@x.org"}]},
    ]
    written = (await api.gql(UPSERT, {"items": items}))["data"]["upsertRecords"]
    a, b, z = (r["personId"] for r in written)
    for _ in range(100):  # the commit listener scores the pair after the write
        found = (await api.gql(MATCHES, {"id": a}))["data"]["person"]["possibleMatches"]
        if found:
            break
        await asyncio.sleep(0.1)
    assert [m["person"]["id"] for m in found] == [b]

    # Not suggested: refused, nothing written (z stays apart).
    refused = await api.gql(ACCEPT, {"a": {"person": a}, "b": {"person": z}}, key=STEWARD_KEY)
    assert item_error(refused) == ("NOT_FOUND", "b")
    assert item_error(await api.gql(ACCEPT, {"a": {"person": "no-such"}, "b": R2}))[0] == (
        "NOT_FOUND"
    )
    assert code(await api.gql(ACCEPT, {"a": R1, "b": R2}, key=READ_KEY)) == "FORBIDDEN"

    accepted = one(await api.gql(ACCEPT, {"a": {"person": a}, "b": {"person": b}}))["value"]
    assert (
        accepted["score"] == found[0]["score"]
        and "accepted a possible match" in (accepted["reason"])
    )
    assert await person(api, "ana@example.com") == await person(api, "ana@exmaple.com")
    assert await person(api, "zz@x.org") != await person(api, "ana@example.com")
    # Now one person: accepting again is refused.
    again = await api.gql(ACCEPT, {"a": {"person": a}, "b": {"person": b}})
    assert item_error(again) == ("INVALID_INPUT", "b")
