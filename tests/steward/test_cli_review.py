"""``omnid review`` and its catch-up of ``omnid import`` (another process: no listener)."""

from __future__ import annotations

import json
from pathlib import Path

import neo4j

from service.settings import Settings
from tests.test_cli import db, omnid  # noqa: F401  (db: the emptied-graph fixture)


def _glued(tmp_path: Path) -> Path:
    """Two records of different names glued by one email."""
    items = [
        {
            "kind": "record",
            "source": "crm",
            "id": f"r{n}",
            "country": "ES",
            "identifiers": [{"type": "EMAIL", "value": "shared@example.com"}],
            "attributes": {"name": name},
        }
        for n, name in enumerate(("Ana Silva", "Pedro Gil"))
    ]
    data = tmp_path / "crm.jsonl"
    data.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return data


def test_import_then_review_refresh_lists_then_dismiss(
    db: neo4j.Driver,  # noqa: F811
    settings: Settings,
    tmp_path: Path,
) -> None:
    assert omnid(settings, "import", str(_glued(tmp_path))).exit_code == 0

    # The import's process reviews nothing: the list is empty until a refresh.
    before = omnid(settings, "review", "--json")
    assert before.exit_code == 0, before.output
    assert json.loads(before.stdout)["nodes"] == []
    after = omnid(settings, "review", "--refresh", "--json")
    assert after.exit_code == 0, after.output
    [entry] = json.loads(after.stdout)["nodes"]
    assert [r["code"] for r in entry["reasons"]] == ["NAMES_DIFFER"]

    table = omnid(settings, "review")
    assert "NAMES_DIFFER" in table.stdout and entry["person"] in table.stdout

    no_reason = omnid(settings, "review", "--dismiss", entry["person"])
    assert no_reason.exit_code == 1 and "INVALID_INPUT" in no_reason.output
    dismissed = omnid(settings, "review", "--dismiss", entry["person"], "--reason", "checked")
    assert dismissed.exit_code == 0, dismissed.output
    assert json.loads(omnid(settings, "review", "--json").stdout)["nodes"] == []


def test_import_with_review_reviews_what_it_touched(
    db: neo4j.Driver,  # noqa: F811
    settings: Settings,
    tmp_path: Path,
) -> None:
    done = omnid(settings, "import", str(_glued(tmp_path)), "--review")
    assert done.exit_code == 0, done.output
    assert "1 listed" in done.stderr
    [entry] = json.loads(omnid(settings, "review", "--json").stdout)["nodes"]
    assert [r["code"] for r in entry["reasons"]] == ["NAMES_DIFFER"]
