"""The consent item of the input contract: what it accepts and how it refuses."""

from __future__ import annotations

from typing import Any

import pytest

from service.errors import InvalidInput
from service.identity.contract import parse_consent
from service.identity.files import CsvMapping
from service.settings import DEFAULT_CONSENT_PURPOSES

GOOD: dict[str, Any] = {
    "kind": "consent",
    "source": "newsletter",
    "id": "opt-1",
    "identifiers": [{"type": "EMAIL", "value": " Ana@Example.com "}],
    "purpose": "Marketing",
    "channel": "email",
    "status": "GRANTED",
    "at": "2026-03-01T12:00:00+01:00",
    "evidence": {"form": "footer", "textVersion": "v3"},
}


def test_a_good_consent_is_normalized() -> None:
    c = parse_consent(GOOD, purposes=DEFAULT_CONSENT_PURPOSES)
    assert (c.key, c.purpose, c.channel, c.status) == (
        "consent/newsletter/opt-1",
        "marketing",
        "EMAIL",
        "granted",
    )
    assert c.identifiers[0].key == "EMAIL:ana@example.com"
    assert c.at.isoformat() == "2026-03-01T11:00:00+00:00"
    assert c.evidence == {"form": "footer", "textVersion": "v3"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"purpose": "astrology"}, "purpose"),
        ({"channel": "FAX"}, "channel"),
        ({"status": "maybe"}, "status"),
        ({"identifiers": []}, "identifiers"),
        ({"identifiers": None}, "identifiers"),
        ({"at": "2026-03-01T12:00:00"}, "at"),
        ({"at": None}, "at"),
        ({"evidence": {"ip": "10.0.0.1"}}, "evidence.ip"),
        ({"evidence": {"ipAddress": "x"}}, "evidence.ipAddress"),
        ({"evidence": {"client": "2001:db8::1"}}, "evidence.client"),
        ({"evidence": {"form": {"nested": 1}}}, "evidence.form"),
        ({"evidence": ["a"]}, "evidence"),
        ({"name": "Ana"}, "name"),
        ({"kind": "record"}, "kind"),
        ({"identifiers": [{"type": "EMAIL", "value": "not-an-email"}]}, "identifiers[0].value"),
    ],
)
def test_bad_consents_name_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_consent(GOOD | change, purposes=DEFAULT_CONSENT_PURPOSES)
    assert refused.value.field == field
    assert "10.0.0.1" not in refused.value.message and "not-an-email" not in refused.value.message


def test_purposes_are_configurable() -> None:
    with pytest.raises(InvalidInput):
        parse_consent(GOOD, purposes=("profiling",))
    assert parse_consent(GOOD | {"purpose": "loyalty"}, purposes=("loyalty",)).purpose == "loyalty"


def test_a_csv_mapping_makes_consents_with_the_other_columns_as_evidence() -> None:
    mapping = CsvMapping(
        kind="consent",
        source="shop",
        id_column="ref",
        time_column="when",
        channel="SMS",
        purpose="marketing",
        status_column="answer",
        identifiers=[("PHONE", "mobile")],
    )
    header = ["ref", "when", "mobile", "answer", "form"]
    mapping.check("c.csv", header)
    row = dict(
        zip(header, ["r1", "2026-01-01T00:00:00Z", "+34600111222", "granted", "till"], strict=True)
    )
    item = mapping.item(row)
    assert item == {
        "kind": "consent",
        "source": "shop",
        "id": "r1",
        "identifiers": [{"type": "PHONE", "value": "+34600111222"}],
        "at": "2026-01-01T00:00:00Z",
        "channel": "SMS",
        "purpose": "marketing",
        "status": "granted",
        "evidence": {"form": "till"},
    }
    assert parse_consent(item, purposes=DEFAULT_CONSENT_PURPOSES).status == "granted"
    with pytest.raises(InvalidInput) as refused:
        CsvMapping(kind="consent", source="s", id_column="ref", time_column="when", channel="SMS",
                   identifiers=[("PHONE", "mobile")]).check("c.csv", header)  # fmt: skip
    assert refused.value.field == "--purpose"
