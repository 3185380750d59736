"""Privacy over GraphQL: consents, contactable, erasure, suppression, export, scopes."""

from __future__ import annotations

from typing import Any

from service.api.auth import key_name
from tests.api.conftest import PRIVACY_KEY, READ_KEY, WRITE_KEY, Api

UPSERT = """
mutation($items: [RecordInput!]!) {
  upsertRecords(items: $items) { index status personId error { code field message } }
}"""
CONSENTS = """
mutation($items: [ConsentInput!]!) {
  recordConsents(items: $items) { index key status personId error { code field message } }
}"""
PERSON = """
query($value: String!, $history: Boolean!) {
  person(identifier: {type: EMAIL, value: $value}) {
    id
    consents(history: $history) {
      purpose channel status at source id evidence through { type value }
    }
    sms: contactable(purpose: "marketing", channel: SMS) { type value consent { id } }
    mail: contactable(purpose: "marketing", channel: EMAIL) { type value consent { id } }
  }
}"""
ERASE = """
mutation($value: String, $id: ID, $reason: String!) {
  erasePerson(identifier: {type: EMAIL, value: $value}, id: $id, reason: $reason) {
    id at requestedBy reason records events identifiers consents aliases suppressed
  }
}"""
ERASE_BY_ID = """
mutation($id: ID!) { erasePerson(id: $id, reason: "ticket 1") { id records } }"""
EXPORT = """
query($value: String!) { exportPerson(identifier: {type: EMAIL, value: $value}) }"""
UNSUPPRESS = """
mutation($value: String!) { unsuppress(identifier: {type: EMAIL, value: $value}) }"""
ERASURES = "query { erasures { id reason records requestedBy } }"


def records() -> list[dict[str, Any]]:
    return [
        {
            "source": "crm",
            "id": "C-1",
            "country": "ES",
            "identifiers": [
                {"type": "EMAIL", "value": "Lea.Privacy@Example.org"},
                {"type": "PHONE", "value": "611 22 33 44"},
            ],
            "attributes": {"name": "Lea"},
        },
        {
            "source": "crm",
            "id": "C-2",
            "identifiers": [{"type": "EMAIL", "value": "other@example.org"}],
        },
    ]


def consents() -> list[dict[str, Any]]:
    return [
        {
            "source": "app",
            "id": "p-1",
            "purpose": "marketing",
            "channel": "SMS",
            "status": "GRANTED",
            "at": "2026-05-01T10:00:00Z",
            "country": "ES",
            "identifiers": [{"type": "PHONE", "value": "+34611223344"}],
            "evidence": {"form": "app-settings", "textVersion": "v2"},
        },
        {
            "source": "newsletter",
            "id": "n-1",
            "purpose": "marketing",
            "channel": "EMAIL",
            "status": "DENIED",
            "at": "2026-05-02T10:00:00Z",
            "identifiers": [{"type": "EMAIL", "value": "lea.privacy@example.org"}],
        },
        {
            "source": "web",
            "id": "bad",
            "purpose": "marketing",
            "channel": "EMAIL",
            "status": "GRANTED",
            "at": "2026-05-02T10:00:00Z",
            "identifiers": [{"type": "EMAIL", "value": "lea.privacy@example.org"}],
            "evidence": {"ip": "203.0.113.9"},
        },
        {
            "source": "web",
            "id": "bad-2",
            "purpose": "horoscopes",
            "channel": "ALL",
            "status": "GRANTED",
            "at": "2026-05-02T10:00:00Z",
            "identifiers": [],
        },
    ]


async def test_consents_per_item_results_effective_and_contactable(api: Api) -> None:
    await api.gql(UPSERT, {"items": records()})
    body = await api.gql(CONSENTS, {"items": consents()}, key=WRITE_KEY)
    results = body["data"]["recordConsents"]
    assert [r["status"] for r in results] == ["OK", "OK", "ERROR", "ERROR"]
    assert results[0]["personId"] == results[1]["personId"] is not None
    assert results[2]["error"]["field"] == "evidence.ip"
    assert "203.0.113.9" not in str(results)
    assert results[3]["error"]["field"] == "identifiers"  # checked before the purpose

    person = (await api.gql(PERSON, {"value": "lea.privacy@example.org", "history": False}))[
        "data"
    ]["person"]
    assert [(c["channel"], c["status"], c["source"]) for c in person["consents"]] == [
        ("EMAIL", "DENIED", "newsletter"),
        ("SMS", "GRANTED", "app"),
    ]
    assert person["consents"][1]["evidence"] == {"form": "app-settings", "textVersion": "v2"}
    assert person["consents"][1]["through"] == [{"type": "PHONE", "value": "+34611223344"}]
    assert person["sms"] == [{"type": "PHONE", "value": "+34611223344", "consent": {"id": "p-1"}}]
    assert person["mail"] == []


async def test_bad_purpose_or_channel_is_a_typed_error(api: Api) -> None:
    await api.gql(UPSERT, {"items": records()})
    body = await api.gql(
        'query { person(identifier: {type: EMAIL, value: "other@example.org"}) '
        '{ contactable(purpose: "astrology", channel: SMS) { value } } }'
    )
    assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "purpose"}
    body = await api.gql(
        'query { person(identifier: {type: EMAIL, value: "other@example.org"}) '
        '{ contactable(purpose: "marketing", channel: ALL) { value } } }'
    )
    assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "channel"}
    body = await api.gql(
        'mutation { recordConsents(items: [{source: "a", id: "1", purpose: "marketing", '
        'channel: FAX, status: GRANTED, at: "2026-01-01T00:00:00Z", identifiers: []}]) '
        "{ status } }"
    )
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_privacy_operations_need_the_privacy_scope(api: Api) -> None:
    await api.gql(UPSERT, {"items": records()})
    for key in (READ_KEY, WRITE_KEY, None):
        for query, variables in (
            (ERASE, {"value": "lea.privacy@example.org", "reason": "ticket 1"}),
            (EXPORT, {"value": "lea.privacy@example.org"}),
            (UNSUPPRESS, {"value": "lea.privacy@example.org"}),
            (ERASURES, {}),
        ):
            body = await api.gql(query, variables, key=key)
            code = body["errors"][0]["extensions"]["code"]
            assert code == ("UNAUTHENTICATED" if key is None else "FORBIDDEN"), (key, query)
    # Nothing was erased.
    still = await api.gql(PERSON, {"value": "lea.privacy@example.org", "history": True})
    assert still["data"]["person"] is not None
    # A privacy key may not read or write the graph.
    body = await api.gql(UPSERT, {"items": records()}, key=PRIVACY_KEY)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_export_erase_receipt_suppression_and_unsuppress(api: Api) -> None:
    await api.gql(UPSERT, {"items": records()})
    await api.gql(CONSENTS, {"items": consents()[:2]})
    exported = (await api.gql(EXPORT, {"value": "LEA.privacy@example.org"}, key=PRIVACY_KEY))[
        "data"
    ]["exportPerson"]
    assert exported["format"] == "omnid.export/1"
    assert {x["value"] for x in exported["identifiers"]} == {
        "lea.privacy@example.org",
        "+34611223344",
    }
    assert exported["identifiers"][0]["sources"] == ["crm"]
    assert exported["records"][0]["attributes"] == {"name": "Lea"}
    assert [c["id"] for c in exported["consents"]["history"]] == ["p-1", "n-1"]

    body = await api.gql(
        ERASE, {"value": "lea.privacy@example.org", "reason": "GDPR ticket 7"}, key=PRIVACY_KEY
    )
    receipt = body["data"]["erasePerson"]
    assert receipt["requestedBy"] == key_name(PRIVACY_KEY)
    assert (receipt["records"], receipt["identifiers"], receipt["consents"]) == (1, 2, 2)
    assert "lea" not in str(receipt).lower()
    assert (await api.gql(ERASURES, key=PRIVACY_KEY))["data"]["erasures"] == [
        {
            "id": receipt["id"],
            "reason": "GDPR ticket 7",
            "records": 1,
            "requestedBy": key_name(PRIVACY_KEY),
        }
    ]
    gone = await api.gql(PERSON, {"value": "lea.privacy@example.org", "history": True})
    assert gone["data"]["person"] is None
    again = await api.gql(
        ERASE, {"value": "lea.privacy@example.org", "reason": "GDPR ticket 7"}, key=PRIVACY_KEY
    )
    assert again["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    unknown = await api.gql(ERASE_BY_ID, {"id": "no-such-person"}, key=PRIVACY_KEY)
    assert unknown["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    # The nightly import sends her record again: suppressed.
    body = await api.gql(UPSERT, {"items": records()[:1]})
    assert body["data"]["upsertRecords"][0]["error"]["code"] == "SUPPRESSED"
    body = await api.gql(UNSUPPRESS, {"value": "Lea.Privacy@example.org"}, key=PRIVACY_KEY)
    assert body["data"]["unsuppress"] is True
    body = await api.gql(UPSERT, {"items": records()[:1]})
    # the phone is still suppressed: the record comes back with the email only
    assert body["data"]["upsertRecords"][0]["status"] == "OK"
    person = await api.gql(PERSON, {"value": "lea.privacy@example.org", "history": True})
    assert person["data"]["person"]["sms"] == []


async def test_erasing_by_an_identifier_only_a_consent_carries(api: Api) -> None:
    optin = {**consents()[1], "id": "n-2", "identifiers": [{"type": "EMAIL", "value": "o@x.org"}]}
    body = await api.gql(CONSENTS, {"items": [optin]})
    assert body["data"]["recordConsents"][0]["status"] == "OK"
    body = await api.gql(ERASE, {"value": "O@x.org", "reason": "ticket 9"}, key=PRIVACY_KEY)
    receipt = body["data"]["erasePerson"]
    assert (receipt["records"], receipt["consents"], receipt["identifiers"]) == (0, 1, 1)
    assert receipt["suppressed"] == 1
    again = await api.gql(ERASE, {"value": "o@x.org", "reason": "ticket 9"}, key=PRIVACY_KEY)
    assert again["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    body = await api.gql(CONSENTS, {"items": [{**optin, "id": "n-3"}]})
    assert body["data"]["recordConsents"][0]["error"]["code"] == "SUPPRESSED"
