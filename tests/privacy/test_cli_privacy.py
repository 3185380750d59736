"""Consents through ``omnid import`` (JSON Lines and CSV) and ``omnid resolve``; the
receipt ``omnid erase --json`` prints and the document ``omnid export`` writes."""

from __future__ import annotations

import json
from pathlib import Path

import neo4j

from service.settings import Settings
from tests.test_cli import _clear, omnid


def test_consent_files_import_and_show_in_resolve_then_erase(
    settings: Settings, tmp_path: Path
) -> None:
    auth = (settings.neo4j_user, settings.neo4j_password.get_secret_value())
    with neo4j.GraphDatabase.driver(settings.neo4j_uri, auth=auth) as driver:
        _clear(driver, settings)
    records = tmp_path / "crm.jsonl"
    records.write_text(
        json.dumps(
            {
                "kind": "record",
                "source": "crm",
                "id": "C-1",
                "identifiers": [
                    {"type": "EMAIL", "value": "max@example.net"},
                    {"type": "PHONE", "value": "+34655443322"},
                ],
            }
        )
        + "\n"
        + json.dumps(
            {
                "kind": "consent",
                "source": "newsletter",
                "id": "n-1",
                "purpose": "marketing",
                "channel": "EMAIL",
                "status": "granted",
                "at": "2026-01-01T00:00:00Z",
                "identifiers": [{"type": "EMAIL", "value": "max@example.net"}],
            }
        )
        + "\n"
    )
    consents = tmp_path / "sms.csv"
    consents.write_text(
        "ref,when,mobile,answer\n"
        "s-1,2026-02-01T00:00:00Z,+34655443322,granted\n"
        "s-2,2026-03-01T00:00:00Z,+34655443322,withdrawn\n"
        "s-3,2026-03-01T00:00:00Z,+34655443322,perhaps\n"
    )
    done = omnid(settings, "import", str(records), "--json")
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["total"]["ok"] == 2
    done = omnid(
        settings, "import", str(consents), "--kind", "consent", "--source", "app",
        "--id-column", "ref", "--time-column", "when", "--channel", "SMS",
        "--purpose", "marketing", "--status-column", "answer", "--identifier", "PHONE=mobile",
        "--json",
    )  # fmt: skip
    assert done.exit_code == 1  # the third row's status
    assert json.loads(done.stdout)["total"]["errors"] == 1
    shown = omnid(settings, "resolve", "EMAIL", "max@example.net", "--json")
    assert shown.exit_code == 0, shown.stderr
    consents_shown = json.loads(shown.stdout)["consents"]
    assert [(c["channel"], c["status"], c["id"]) for c in consents_shown] == [
        ("EMAIL", "granted", "n-1"),
        ("SMS", "withdrawn", "s-2"),
    ]
    panel = omnid(settings, "resolve", "EMAIL", "max@example.net")
    assert "Consents (effective)" in panel.stdout and "withdrawn" in panel.stdout

    exported = tmp_path / "max.json"
    done = omnid(settings, "export", "--id", json.loads(shown.stdout)["person"]["id"],
                 "--output", str(exported))  # fmt: skip
    assert done.exit_code == 0, done.stderr
    document = json.loads(exported.read_text())
    assert len(document["consents"]["history"]) == 3
    erased = omnid(settings, "erase", "PHONE", "+34655443322", "--reason", "T-1", "--json")
    assert erased.exit_code == 0, erased.stderr
    receipt = json.loads(erased.stdout)
    assert (receipt["records"], receipt["consents"], receipt["identifiers"]) == (1, 3, 2)
    assert receipt["requestedBy"].startswith("cli:")
    assert omnid(settings, "resolve", "EMAIL", "max@example.net").exit_code == 1
