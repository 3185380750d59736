"""``omnid segment`` against the real Neo4j (plain functions: the CLI runs its own loop)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import neo4j
import yaml

from service.settings import Settings
from tests.segments.conftest import TRAVELLING_ABROAD, customer, payment
from tests.test_cli import db, omnid

__all__ = ["db"]  # the fixture, imported for these tests


def test_define_list_show_explain_members_drop(
    settings: Settings, db: neo4j.Driver, tmp_path: Path
) -> None:
    items = tmp_path / "items.jsonl"
    lines = [customer(1), customer(2), payment(1, "p1", "FR"), payment(2, "p2", "ES")]
    items.write_text("".join(json.dumps(i) + "\n" for i in lines), encoding="utf-8")
    assert omnid(settings, "import", str(items)).exit_code == 0
    definition = tmp_path / "travelling-abroad.yaml"
    definition.write_text(yaml.safe_dump(TRAVELLING_ABROAD), encoding="utf-8")

    defined = omnid(settings, "segment", "define", str(definition))
    assert defined.exit_code == 0, defined.output
    assert "version 1: READY" in defined.stderr

    listed = json.loads(omnid(settings, "segment", "list", "--json").stdout)
    assert [(s["name"], s["version"], s["size"], s["evaluated"]) for s in listed] == [
        ("travelling-abroad", 1, 1, 2)
    ]
    shown = json.loads(omnid(settings, "segment", "show", "travelling-abroad").stdout)
    assert shown["definition"] == TRAVELLING_ABROAD

    explained = omnid(settings, "segment", "explain", "travelling-abroad").stdout
    assert "UNWIND $checks AS check" in explained
    assert '"card_payment"' in explained
    assert "FR" not in explained.split("// $checks")[1]  # values travel as parameters

    out = tmp_path / "members.csv"
    exported = omnid(settings, "segment", "members", "travelling-abroad", "--output", str(out))
    assert exported.exit_code == 0, exported.output
    with out.open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["person", "since"] and len(rows) == 2

    again = omnid(settings, "segment", "define", str(definition))
    assert again.exit_code == 1
    assert "SEGMENT_EXISTS" in again.stderr
    assert omnid(settings, "segment", "drop", "travelling-abroad").exit_code == 0
    assert json.loads(omnid(settings, "segment", "list", "--json").stdout) == []


def test_a_bad_definition_file_is_one_line_and_stores_nothing(
    settings: Settings, db: neo4j.Driver, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"name": "x", "rule": {"event": {"type": "t", "within": "soon"}}}),
        encoding="utf-8",
    )
    result = omnid(settings, "segment", "define", str(bad))
    assert result.exit_code == 1
    assert 'INVALID_RULE: rule.event.within: must be a duration like "3d"' in result.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed", encoding="utf-8")
    assert "INVALID_RULE" in omnid(settings, "segment", "define", str(broken)).stderr
    assert json.loads(omnid(settings, "segment", "list", "--json").stdout) == []
