"""The input contract: every malformed field is a typed error naming the field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from service.errors import InvalidIdentifier, InvalidInput, LimitExceeded
from service.identity.contract import item_key, parse_item

RECORD: dict[str, Any] = {
    "kind": "record",
    "source": "eshop",
    "id": "cust-1001",
    "identifiers": [
        {"type": "EMAIL", "value": "Ana.Silva@Example.com"},
        {"type": "PHONE", "value": "+34 600 12 34 56"},
        {"type": "email", "value": "ana.silva@example.com "},
    ],
    "attributes": {"name": "Ana Silva"},
    "loyalty_tier": "gold",
}
EVENT: dict[str, Any] = {
    "kind": "event",
    "source": "pos",
    "id": "receipt-77",
    "channel": "store",
    "type": "purchase",
    "at": "2026-11-20T11:00:00+01:00",
    "identifiers": [{"type": "LOYALTY_CARD", "value": "7001 2345"}],
    "attributes": {"store": "Madrid Centro", "total": 899.0},
}


def test_a_record_parses_with_identifiers_normalized_and_deduplicated() -> None:
    item = parse_item(RECORD)
    assert item.key == item_key("record", "eshop", "cust-1001") == "record/eshop/cust-1001"
    assert [i.key for i in item.identifiers] == [
        "EMAIL:ana.silva@example.com",
        "PHONE:+34600123456",
    ]
    assert item.attributes == {"name": "Ana Silva", "loyalty_tier": "gold"}


def test_an_event_parses_with_time_in_utc_and_channel_upper_case() -> None:
    item = parse_item(EVENT)
    assert item.channel == "STORE"
    assert item.at == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert item.identifiers[0].value == "70012345"


def test_country_reads_national_phone_numbers() -> None:
    item = parse_item(
        {**RECORD, "country": "es", "identifiers": [{"type": "PHONE", "value": "600 12 34 56"}]}
    )
    assert item.identifiers[0].key == "PHONE:+34600123456"


@pytest.mark.parametrize(
    ("change", "field", "error"),
    [
        ({"kind": "thing"}, "kind", InvalidInput),
        ({"source": None}, "source", InvalidInput),
        ({"source": "a/b"}, "source", InvalidInput),
        ({"id": ""}, "id", InvalidInput),
        ({"id": "x" * 300}, "id", LimitExceeded),
        ({"country": "Spain"}, "country", InvalidInput),
        ({"attributes": [1]}, "attributes", InvalidInput),
        ({"attributes": {"x": "y" * 70000}}, "attributes", LimitExceeded),
        ({"identifiers": "EMAIL"}, "identifiers", InvalidInput),
        ({"identifiers": [{"type": "EMAIL"}]}, "identifiers[0].value", InvalidInput),
        ({"identifiers": [{"value": "x"}]}, "identifiers[0].type", InvalidInput),
        (
            {"identifiers": [{"type": "EMAIL", "value": "nope"}]},
            "identifiers[0].value",
            InvalidIdentifier,
        ),
        (
            {"identifiers": [{"type": "SHOE_SIZE", "value": "42"}]},
            "identifiers[0].value",
            InvalidIdentifier,
        ),
        (
            {"identifiers": [{"type": "EMAIL", "value": f"a{i}@x.org"} for i in range(51)]},
            "identifiers",
            LimitExceeded,
        ),
    ],
)
def test_bad_records_name_the_field(change: dict[str, Any], field: str, error: type) -> None:
    with pytest.raises(error) as raised:
        parse_item({**RECORD, **change})
    assert raised.value.field == field


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "PIGEON"}, "channel"),
        ({"channel": None}, "channel"),
        ({"type": "has spaces"}, "type"),
        ({"at": None}, "at"),
        ({"at": "yesterday"}, "at"),
        ({"at": "2026-11-20T10:00:00"}, "at"),
        ({"identifiers": []}, "identifiers"),
    ],
)
def test_bad_events_name_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_item({**EVENT, **change})
    assert raised.value.field == field


def test_not_an_object() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_item(["kind", "record"])
    assert raised.value.field == "item"


def test_errors_never_echo_personal_values() -> None:
    with pytest.raises(InvalidIdentifier) as raised:
        parse_item({**RECORD, "identifiers": [{"type": "EMAIL", "value": "ana.silva@@x"}]})
    assert "ana.silva" not in str(raised.value)
