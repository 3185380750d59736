"""Operator corrections over GraphQL: scopes, typed errors, who/why, the whole round."""

from __future__ import annotations

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
  overrideValue(identifier: {type: PHONE, value: $value, country: "ES"}, mode: $mode,
                reason: $reason) { type value mode by reason linking separation at }
}"""
CLEAR = """
mutation($value: String!) {
  clearOverride(identifier: {type: PHONE, value: $value, country: "ES"})
}"""
OVERRIDES = "query { overrides { type value mode by reason separation } }"
EXPLAIN_SEPARATION = """
query { explainSeparation(a: {record: {source: "eshop", id: "r1"}},
                          b: {record: {source: "eshop", id: "r2"}}) {
  personId bridges { type value } } }"""
SEPARATE = """
mutation($a: SubjectInput!, $b: SubjectInput!) {
  separate(a: $a, b: $b, reason: "TICKET-7") { id a b values { type value } personA personB by }
}"""
CONFLICTS = "query { separationConflicts { separation { id } personId bridges { type value } } }"
ASSERT = """
mutation($a: SubjectInput!, $b: SubjectInput!) {
  assertSame(a: $a, b: $b, reason: "same customer") {
    id key values { type value } personId by reason
  }
}"""
ACCEPT = """
mutation($a: SubjectInput!, $b: SubjectInput!) {
  acceptMatch(a: $a, b: $b, score: 0.97) { id personId score reason }
}"""
WITHDRAW = "mutation($id: ID!) { withdrawAssertion(id: $id) }"

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
    view = body["data"]["overrideValue"]
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
    assert (await api.gql(CLEAR, {"value": "611000009"}, key=STEWARD_KEY))["data"]["clearOverride"]
    assert await person(api, "one@example.org") == await person(api, "two@example.org")


async def test_unknown_values_and_bad_subjects_are_typed_errors(api: Api) -> None:
    await api.gql(UPSERT, {"items": glued()})
    body = await api.gql(OVERRIDE, {"value": "622999999", "mode": "LINKING", "reason": "x"})
    assert code(body) == "NOT_FOUND"
    missing = {"record": {"source": "eshop", "id": "nope"}}
    body = await api.gql(SEPARATE, {"a": R1, "b": missing})
    assert code(body) == "NOT_FOUND" and body["errors"][0]["extensions"]["field"] == "b"
    both = {"record": {"source": "eshop", "id": "r1"}, "person": "p"}
    body = await api.gql(SEPARATE, {"a": both, "b": R2})
    assert code(body) == "INVALID_INPUT" and body["errors"][0]["extensions"]["field"] == "a"
    own_email = {"identifier": {"type": "EMAIL", "value": "one@example.org"}}
    assert code(await api.gql(SEPARATE, {"a": R1, "b": own_email})) == "NOT_SEPARABLE"


async def test_separate_then_already_separate_then_conflict(api: Api) -> None:
    await api.gql(UPSERT, {"items": glued()})
    plan = (await api.gql(EXPLAIN_SEPARATION, key=STEWARD_KEY))["data"]["explainSeparation"]
    assert plan["bridges"] == [{"type": "PHONE", "value": "+34611000009"}]
    done = (await api.gql(SEPARATE, {"a": R1, "b": R2}, key=STEWARD_KEY))["data"]["separate"]
    assert done["values"] == plan["bridges"] and done["personA"] != done["personB"]
    listed = (await api.gql(OVERRIDES))["data"]["overrides"]
    assert listed[0]["separation"] == done["id"] and listed[0]["reason"] == "TICKET-7"
    assert code(await api.gql(SEPARATE, {"a": R1, "b": R2})) == "ALREADY_SEPARATE"
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


async def test_assert_same_accept_match_and_withdraw(api: Api) -> None:
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
    p1, p2 = await person(api, "one@example.org"), await person(api, "two@example.org")
    link = (await api.gql(ASSERT, {"a": R1, "b": R2}, key=STEWARD_KEY))["data"]["assertSame"]
    assert link["key"] == f"record/operator/{link['id']}" and link["by"] == key_name(STEWARD_KEY)
    assert await person(api, "one@example.org") == await person(api, "two@example.org")
    undone = (await api.gql(WITHDRAW, {"id": link["id"]}, key=STEWARD_KEY))["data"]
    apart = [await person(api, "one@example.org"), await person(api, "two@example.org")]
    assert sorted(undone["withdrawAssertion"]) == sorted(apart) and apart[0] != apart[1]
    assert code(await api.gql(WITHDRAW, {"id": link["id"]})) == "NOT_FOUND"

    # Person ids after the split (p2 may now be an alias of p1's person).
    p1, p2 = apart
    accepted = await api.gql(ACCEPT, {"a": {"person": p1}, "b": {"person": p2}}, key=STEWARD_KEY)
    assert accepted["data"]["acceptMatch"]["score"] == 0.97
    assert await person(api, "one@example.org") == await person(api, "two@example.org")
    body = await api.gql(ACCEPT, {"a": {"person": "no-such"}, "b": R2})
    assert code(body) == "NOT_FOUND"
    assert code(await api.gql(ACCEPT, {"a": R1, "b": R2}, key=READ_KEY)) == "FORBIDDEN"
