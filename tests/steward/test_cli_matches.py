"""``omnid matches`` and ``omnid reject-match`` against the real Neo4j: records written
by ``omnid import`` (another process than a service) are caught up by ``--refresh``.
Plain functions: the commands run their own event loop (``asyncio.run``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j
import pytest
from typer.testing import CliRunner, Result

from service.cli import app
from service.settings import Settings
from tests.statements import STATEMENTS


@pytest.fixture
def empty(settings: Settings) -> Iterator[None]:
    auth = (settings.neo4j_user, settings.neo4j_password.get_secret_value())
    with (
        neo4j.GraphDatabase.driver(settings.neo4j_uri, auth=auth) as driver,
        driver.session(database=settings.neo4j_database) as session,
    ):
        session.run(STATEMENTS["delete-all"].cypher).consume()
    yield


def omnid(settings: Settings, *args: str) -> Result:
    env = {
        "NEO4J_URI": settings.neo4j_uri,
        "NEO4J_USER": settings.neo4j_user,
        "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
        "NEO4J_DATABASE": settings.neo4j_database,
        "COLUMNS": "200",
    }
    return CliRunner().invoke(app, list(args), env=env)


def ok_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def person(settings: Settings, email: str) -> str:
    return str(ok_json(omnid(settings, "resolve", "EMAIL", email, "--json"))["person"]["id"])


def test_import_refresh_suggest_reject(settings: Settings, empty: None, tmp_path: Path) -> None:
    items = [
        {
            "kind": "record",
            "source": "crm",
            "id": "a",
            "identifiers": [{"type": "EMAIL", "value": "jonas.becker@example.com"}],
            "attributes": {"name": "Jonas Becker", "birthDate": "1984-02-29"},
        },
        {
            "kind": "record",
            "source": "pos",
            "id": "b",
            "identifiers": [{"type": "EMAIL", "value": "jonas.becker@exmaple.com"}],
            "attributes": {"name": "Jonas Beker", "birthDate": "1984-02-29"},
        },
    ]
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    assert omnid(settings, "import", str(path)).exit_code == 0
    a = person(settings, "jonas.becker@example.com")
    b = person(settings, "jonas.becker@exmaple.com")
    assert a != b

    assert ok_json(omnid(settings, "matches", a, "--json"))["matches"] == []  # not yet
    refreshed = ok_json(omnid(settings, "matches", "--refresh", "--json"))["refreshed"]
    assert refreshed["records"] == 2 and refreshed["kept"] == 1
    found = ok_json(omnid(settings, "matches", a, "--json"))["matches"]
    assert [m["person"] for m in found] == [b]
    fields = {r["field"]: r["level"] for r in found[0]["reasons"]}
    assert fields == {
        "given_name": "exact",
        "surname": "close",
        "birth_date": "exact",
        "email": "typo",
    }
    table = omnid(settings, "matches", b)
    assert table.exit_code == 0 and a in table.stdout and "email typo" in table.stdout

    rejected = ok_json(omnid(settings, "reject-match", a, b, "--reason", "brothers", "--json"))
    assert (rejected["a"], rejected["b"], rejected["records"]) == (a, b, 2)
    assert ok_json(omnid(settings, "matches", b, "--json"))["matches"] == []
    assert person(settings, "jonas.becker@example.com") == a  # nothing merged

    missing = omnid(settings, "matches", "no-such-person")
    assert missing.exit_code == 1 and "NOT_FOUND" in missing.output
