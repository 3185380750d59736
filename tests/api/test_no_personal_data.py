"""No personal data where it does not belong: the service's logs, the CLI's stderr and
Neo4j's own logs, after driving both through ingest, lookups, bad input, errors,
consents and erasure, hold none of the values used (raw or normalized)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import neo4j
import pytest

from service.settings import Settings
from tests.api.conftest import PRIVACY_KEY, READ_KEY, Api
from tests.test_cli import _clear, omnid

#: Raw spellings and normalized forms of every value the tests below send.
VALUES = [
    "Zoe.Secret@Example.org",
    "zoe.secret@example.org",
    "zoe.other@example.org",
    "not-an-email-zoe",
    "622 33 44 55",
    "+34622334455",
    "8801 7777",
    "88017777",
    "203.0.113.77",
    "Zoe Secret",
    "Calle Oculta 9",
    "calle oculta 9",
]
ADDRESS = {"line1": "Calle Oculta 9", "postcode": "28001", "city": "Madrid", "country": "ES"}


def _ident(kind: str, value: Any) -> dict[str, Any]:
    return {"type": kind, "value": value}


def items() -> list[dict[str, Any]]:
    return [
        {
            "kind": "record",
            "source": "crm",
            "id": "Z-1",
            "country": "ES",
            "identifiers": [
                _ident("EMAIL", "Zoe.Secret@Example.org"),
                _ident("PHONE", "622 33 44 55"),
                _ident("ADDRESS", ADDRESS),
            ],
            "attributes": {"name": "Zoe Secret"},
        },
        {
            "kind": "record",
            "source": "crm",
            "id": "Z-2",
            "identifiers": [_ident("EMAIL", "not-an-email-zoe")],
        },
        {
            "kind": "event",
            "source": "pos",
            "id": "z-ev",
            "channel": "STORE",
            "type": "purchase",
            "at": "2026-06-01T10:00:00Z",
            "identifiers": [_ident("LOYALTY_CARD", "8801 7777"), _ident("PHONE", "+34622334455")],
        },
        {
            "kind": "consent",
            "source": "app",
            "id": "zc",
            "purpose": "marketing",
            "channel": "SMS",
            "status": "granted",
            "at": "2026-06-01T10:00:00Z",
            "country": "ES",
            "identifiers": [_ident("PHONE", "622 33 44 55")],
        },
        {
            "kind": "consent",
            "source": "app",
            "id": "zc-ip",
            "purpose": "marketing",
            "channel": "EMAIL",
            "status": "granted",
            "at": "2026-06-01T10:00:00Z",
            "identifiers": [_ident("EMAIL", "zoe.other@example.org")],
            "evidence": {"from": "203.0.113.77"},
        },
    ]


def _graphql(identifier: dict[str, Any]) -> dict[str, Any]:
    """An identifier as IdentifierInput: a structured address goes in `address`."""
    if isinstance(identifier["value"], dict):
        return {"type": identifier["type"], "address": identifier["value"]}
    return identifier


def leaks(text: str) -> list[str]:
    folded = text.casefold()
    return [v for v in VALUES if v.casefold() in folded]


def neo4j_logs(settings: Settings) -> str:
    logs = Path(settings.neo4j_home) / "logs"
    if not logs.is_dir():
        return ""
    return "\n".join(p.read_text(errors="replace") for p in sorted(logs.glob("*.log*")))


UPSERT = """
mutation($items: [RecordInput!]!) { upsertRecords(items: $items) { status error { message } } }"""
PERSON = """query($t: IdentifierType!, $v: String!) {
  person(identifier: {type: $t, value: $v, country: "ES"}) {
    id consents { status } identifiers { value } journey { edges { node { id } } }
  }
}"""


async def test_the_service_logs_no_personal_value(
    api: Api, caplog: pytest.LogCaptureFixture, settings: Settings
) -> None:
    caplog.set_level(logging.DEBUG)
    from service.api.types.privacy import ConsentInput  # noqa: F401  (schema loaded)

    records = [
        {k: v for k, v in i.items() if k not in ("kind",)}
        | {"identifiers": [_graphql(x) for x in i["identifiers"]]}
        for i in items()
        if i["kind"] == "record"
    ]
    # A variable that does not fit the schema: graphql-core's message quotes the value.
    await api.gql(
        UPSERT,
        {
            "items": [
                {
                    "source": "crm",
                    "id": "Z-9",
                    "identifiers": [_ident("EMAIL", "zoe.other@example.org") | {"type": "MAIL"}],
                }
            ]
        },
    )
    first = await api.gql(UPSERT, {"items": records})
    assert [r["status"] for r in first["data"]["upsertRecords"]] == ["OK", "ERROR"], first
    await api.gql(
        UPSERT, {"items": [records[0] | {"identifiers": [{"type": "PHONE", "value": "0"}]}]}
    )
    events = [{k: v for k, v in i.items() if k != "kind"} for i in items() if i["kind"] == "event"]
    await api.gql(
        "mutation($items: [EventInput!]!) { recordEvents(items: $items) { status } }",
        {"items": events},
    )
    consents = [
        {k: v for k, v in i.items() if k != "kind"} | {"status": i["status"].upper()}
        for i in items()
        if i["kind"] == "consent"
    ]
    body = await api.gql(
        "mutation($items: [ConsentInput!]!) "
        "{ recordConsents(items: $items) { status error { message } } }",
        {"items": consents},
    )
    assert body["data"]["recordConsents"][1]["status"] == "ERROR"
    for t, v in (
        ("EMAIL", "ZOE.SECRET@example.org"),
        ("PHONE", "622334455"),
        ("EMAIL", "zoe.other@example.org"),
    ):
        await api.gql(PERSON, {"t": t, "v": v}, key=READ_KEY)
    await api.gql(PERSON, {"t": "EMAIL", "v": "not-an-email-zoe"})  # INVALID_IDENTIFIER
    await api.gql(PERSON, {"t": "ADDRESS", "v": "Calle Oculta 9, 28001 Madrid"})
    await api.gql(
        'query { exportPerson(identifier: {type: EMAIL, value: "zoe.secret@example.org"}) }',
        key=PRIVACY_KEY,
    )
    erased = await api.gql(
        'mutation { erasePerson(identifier: {type: EMAIL, value: "zoe.secret@example.org"}, '
        'reason: "asked by Zoe.Secret@Example.org") { id } }',
        key=PRIVACY_KEY,
    )
    assert erased["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    erased = await api.gql(
        'mutation { erasePerson(identifier: {type: PHONE, value: "+34622334455"}, '
        'reason: "ticket 9") { id } }',
        key=PRIVACY_KEY,
    )
    assert "errors" not in erased
    await api.gql(UPSERT, {"items": records[:1]})  # suppressed now
    await api.gql(
        'mutation { unsuppress(identifier: {type: EMAIL, value: "Zoe.Secret@Example.org"}) }',
        key=PRIVACY_KEY,
    )
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert caplog.records, "the service logs something (the test would prove nothing)"
    assert leaks(logged) == []
    assert leaks(neo4j_logs(settings)) == []


def test_the_cli_writes_no_personal_value_to_stderr(settings: Settings, tmp_path: Path) -> None:
    auth = (settings.neo4j_user, settings.neo4j_password.get_secret_value())
    with neo4j.GraphDatabase.driver(settings.neo4j_uri, auth=auth) as driver:
        _clear(driver, settings)
    path = tmp_path / "zoe.jsonl"
    path.write_text("\n".join(json.dumps(i) for i in items()) + "\n{not json\n")
    stderr: list[str] = []

    def run(*args: str, code: int | None = None) -> str:
        result = omnid(settings, *args)
        stderr.append(result.stderr)
        if code is not None:
            assert result.exit_code == code, (args, result.stdout, result.stderr)
        return result.stdout

    run("import", str(path), code=1)  # bad lines: exit 1
    run("resolve", "EMAIL", "ZOE.secret@example.org", code=0)
    run("resolve", "EMAIL", "nobody.zoe@example.org", code=1)
    run("resolve", "EMAIL", "not-an-email-zoe", code=1)
    run("explain", "EMAIL", "zoe.secret@example.org", "PHONE", "+34622334455", code=0)
    run(
        "export",
        "PHONE",
        "622 33 44 55",
        "--country",
        "ES",
        "--output",
        str(tmp_path / "z.json"),
        code=0,
    )
    run(
        "erase",
        "EMAIL",
        "zoe.secret@example.org",
        "--reason",
        "asked by zoe.secret@example.org",
        code=1,
    )
    run("erase", "EMAIL", "zoe.secret@example.org", "--reason", "ticket 10", code=0)
    run("erase", "EMAIL", "zoe.secret@example.org", "--reason", "ticket 10", code=1)
    run("import", str(path), code=1)
    run("unsuppress", "PHONE", "+34622334455", code=0)
    run("unsuppress", "PHONE", "+34622334455", code=1)
    exported = json.loads((tmp_path / "z.json").read_text())
    assert exported["format"] == "omnid.export/1"  # the export itself holds them, on purpose
    assert leaks("".join(stderr)) == []
    assert any("NOT_FOUND" in e for e in stderr)
    assert leaks(neo4j_logs(settings)) == []
