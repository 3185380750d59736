"""The ``omnid`` command against the real Neo4j, through typer's CliRunner.

The commands call ``asyncio.run``, which cannot run inside pytest-asyncio's loop, so
these tests are plain functions: they run the CLI with the ``settings`` fixture's
connection in its environment and read or clear the graph with a sync driver.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import neo4j
import pytest
from typer.testing import CliRunner, Result

from devtools import demo
from service.cli import app
from service.settings import Settings, load_settings
from tests.statements import STATEMENTS


@pytest.fixture
def db(settings: Settings) -> Iterator[neo4j.Driver]:
    """A sync driver on an emptied graph."""
    auth = (settings.neo4j_user, settings.neo4j_password.get_secret_value())
    with neo4j.GraphDatabase.driver(settings.neo4j_uri, auth=auth) as driver:
        _clear(driver, settings)
        yield driver


def _clear(db: neo4j.Driver, settings: Settings) -> None:
    with db.session(database=settings.neo4j_database) as session:  # auto-commit statement
        session.run(STATEMENTS["delete-all"].cypher).consume()


def _rows(db: neo4j.Driver, settings: Settings, name: str, **params: Any) -> list[dict[str, Any]]:
    records, _, _ = db.execute_query(
        STATEMENTS[name].cypher, params, database_=settings.neo4j_database
    )
    return [r.data() for r in records]


def omnid(settings: Settings, *args: str, **env: str) -> Result:
    environ = {
        "NEO4J_URI": settings.neo4j_uri,
        "NEO4J_USER": settings.neo4j_user,
        "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
        "NEO4J_DATABASE": settings.neo4j_database,
        "COLUMNS": "200",
        **env,
    }
    return CliRunner().invoke(app, list(args), env=environ)


def _write_jsonl(path: Path, lines: list[object | str]) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for line in lines:
            out.write((line if isinstance(line, str) else json.dumps(line)) + "\n")
    return path


def _partition(db: neo4j.Driver, settings: Settings) -> dict[str, str]:
    """Item key -> person id."""
    return {
        member: row["id"]
        for row in _rows(db, settings, "testing-persons")
        for member in row["members"]
        if member.startswith(("record/", "event/"))
    }


def _household() -> list[dict[str, Any]]:
    """Two customers sharing an address (ADDRESS does not link)."""
    address = {"line1": "Rue de la Paix 3", "postcode": "75002", "city": "Paris", "country": "FR"}
    return [
        {
            "kind": "record",
            "source": "crm",
            "id": f"H-{n}",
            "country": "FR",
            "identifiers": [
                {"type": "EMAIL", "value": email},
                {"type": "ADDRESS", "value": address},
            ],
            "attributes": {"name": name},
        }
        for n, (email, name) in enumerate(
            [("claire.martin@orange.fr", "Claire"), ("hugo.martin@free.fr", "Hugo")]
        )
    ]


BAD_LINES = [
    "this is not json",
    "",
    {
        "kind": "record",
        "source": "crm",
        "id": "bad-1",
        "identifiers": [{"type": "EMAIL", "value": "secret-not-an-email"}],
    },
    [1, 2, 3],
    {"kind": "event", "source": "pos", "id": "bad-2", "channel": "SHOP", "type": "purchase",
     "at": "2026-02-01T10:00:00Z", "identifiers": [{"type": "PHONE", "value": "+34611223344"}]},
]  # fmt: skip


@pytest.fixture
def stories(tmp_path: Path) -> Path:
    """The seeds' stories, a household, then bad lines (lines 30+ of the file)."""
    return _write_jsonl(tmp_path / "stories.jsonl", [*demo.story_items(), *_household()])


def test_import_jsonl_then_rerun_changes_nothing(
    settings: Settings, db: neo4j.Driver, stories: Path
) -> None:
    first = omnid(settings, "import", str(stories), "--json", "--batch-size", "7")
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)["total"]
    items = len(demo.story_items()) + 2
    assert summary["items"] == items
    assert summary["ok"] == items
    assert summary["errors"] == 0
    assert summary["personsCreated"] > 0
    counts = _rows(db, settings, "graph-counts")
    partition = _partition(db, settings)
    assert len(partition) == items

    again = omnid(settings, "import", str(stories), "--json", "--batch-size", "7")
    assert again.exit_code == 0, again.output
    rerun = json.loads(again.stdout)["total"]
    assert rerun["items"] == items
    assert rerun["errors"] == 0
    assert (rerun["personsCreated"], rerun["merges"], rerun["splits"]) == (0, 0, 0)
    assert rerun["sharedFound"] == 0
    events = sum(1 for i in demo.story_items() if i["kind"] == "event")
    assert rerun["unchanged"] == events  # events are immutable; records are rewritten
    assert _rows(db, settings, "graph-counts") == counts
    assert _partition(db, settings) == partition
    assert not (stories.parent / "stories.jsonl.rejected.jsonl").exists()


def test_import_reports_bad_lines_and_exits_1(
    settings: Settings, db: neo4j.Driver, tmp_path: Path
) -> None:
    good = demo.story_items()[:3]
    path = _write_jsonl(tmp_path / "mixed.jsonl", [*good, *BAD_LINES])
    result = omnid(settings, "import", str(path), "--json")
    assert result.exit_code == 1
    summary = json.loads(result.stdout)["total"]
    assert (summary["items"], summary["ok"], summary["errors"]) == (7, 3, 4)  # blank skipped

    report = tmp_path / "mixed.jsonl.rejected.jsonl"
    rejected = [json.loads(line) for line in report.read_text().splitlines()]
    assert [(r["line"], r["code"], r["field"]) for r in rejected] == [
        (4, "INVALID_INPUT", "line"),
        (6, "INVALID_IDENTIFIER", "identifiers[0].value"),
        (7, "INVALID_INPUT", "item"),
        (8, "INVALID_INPUT", "channel"),
    ]
    assert all(r["file"] == "mixed.jsonl" and r["message"] for r in rejected)
    assert "secret-not-an-email" not in report.read_text()  # values stay out of reports
    # The good lines went in despite the bad ones.
    assert len(_partition(db, settings)) == 3

    # --report-input copies the line's text, to fix and re-send from the report.
    custom = tmp_path / "out" / "rejects.jsonl"
    result = omnid(settings, "import", str(path), "--report", str(custom), "--report-input")
    assert result.exit_code == 1
    assert "4 rejected lines" in result.stdout
    inputs = [json.loads(line)["input"] for line in custom.read_text().splitlines()]
    assert inputs[0] == "this is not json"

    # Fixed file: exit 0, and the stale report is gone.
    _write_jsonl(path, good)
    result = omnid(settings, "import", str(path))
    assert result.exit_code == 0, result.output
    assert not report.exists()


def test_import_csv_with_mapping_file_and_flags(
    settings: Settings, db: neo4j.Driver, tmp_path: Path
) -> None:
    csv_path = tmp_path / "receipts.csv"
    csv_path.write_text(
        "receipt;at;ch;email_col;phone_col;cc;total;note\n"
        "R-100;2026-03-01T12:00:00Z;STORE;Zoe.Test@Example.org;;ES;19.90;\n"
        'R-101;2026-03-02T12:00:00Z;STORE;;611 22 33 44;ES;5.00;"two\nlines"\n'
        "R-102;2026-03-03T12:00:00Z;STORE;zoe.test@example.org;0034611223344;ES;7.50;\n"
        "R-103;2026-03-04T12:00:00Z;STORE\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "map.json"
    mapping.write_text(
        json.dumps(
            {
                "kind": "event",
                "source": "pos",
                "id_column": "receipt",
                "time_column": "at",
                "channel_column": "ch",
                "identifiers": {"EMAIL": "email_col"},
                "country_column": "cc",
                "delimiter": ";",
            }
        )
    )
    args = ("import", str(csv_path), "--mapping", str(mapping), "--type", "purchase")
    result = omnid(settings, *args, "--identifier", "PHONE=phone_col", "--json")
    assert result.exit_code == 1, result.output  # the short row R-103
    summary = json.loads(result.stdout)["total"]
    assert (summary["items"], summary["ok"], summary["errors"]) == (4, 3, 1)
    rejected = json.loads((tmp_path / "receipts.csv.rejected.jsonl").read_text())
    assert (rejected["line"], rejected["field"]) == (6, "line")  # R-101 spans lines 3-4

    # Email and phone variants meet on R-102: one person with all three receipts.
    profile = json.loads(omnid(settings, "resolve", "PHONE", "+34 611 22 33 44", "--json").stdout)
    store = profile["channels"]["STORE"]
    assert store["events"] == 3
    latest = {e["id"]: e for e in store["latest"]}
    assert set(latest) == {"R-100", "R-101", "R-102"}
    assert latest["R-101"]["attributes"] == {"total": "5.00", "note": "two\nlines"}
    assert latest["R-100"]["type"] == "purchase"

    again = omnid(settings, *args, "--identifier", "PHONE=phone_col", "--json")
    rerun = json.loads(again.stdout)["total"]
    assert (rerun["unchanged"], rerun["personsCreated"], rerun["merges"]) == (3, 0, 0)

    # A mapping naming a column the file lacks fails before anything is written.
    result = omnid(settings, "import", str(csv_path), "--mapping", str(mapping), "--type", "x",
                   "--identifier", "PHONE=mobile")  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.startswith("INVALID_INPUT: mapping: receipts.csv has no column mobile")


def test_resolve_panel_json_ambiguous_and_unknown(
    settings: Settings, db: neo4j.Driver, stories: Path
) -> None:
    assert omnid(settings, "import", str(stories)).exit_code == 0

    # The sofa buyer (seeds/002): one person, three emails, one phone, two addresses.
    result = omnid(settings, "resolve", "PHONE", "0034600123456", "--json")
    assert result.exit_code == 0, result.output
    profile = json.loads(result.stdout)
    values = {t: {i["value"] for i in ids} for t, ids in profile["identifiers"].items()}
    assert values["EMAIL"] == {
        "ana.silva@example.com",
        "anasilvacasa@gmail.com",
        "asilva@bufete-mayor.es",
    }
    assert values["PHONE"] == {"+34600123456"}
    assert len(values["ADDRESS"]) == 2
    assert {r["source"] for r in profile["records"]} == {"newsletter", "eshop", "pos"}
    assert {"WEB", "STORE", "EMAIL"} <= set(profile["channels"])

    panel = omnid(settings, "resolve", "email", "  Ana.Silva@Example.COM ")
    assert panel.exit_code == 0, panel.output
    assert f"Person {profile['person']['id']}" in panel.stdout
    for text in ("asilva@bufete-mayor.es", "+34600123456", "Identifiers", "Records", "WEB"):
        assert text in panel.stdout

    household = omnid(settings, "resolve", "ADDRESS", "Rue de la Paix 3, 75002 Paris, France")
    assert household.exit_code == 0, household.output
    assert "2 persons" in household.stdout
    listed = json.loads(
        omnid(settings, "resolve", "ADDRESS", "Rue de la Paix 3, 75002 Paris, FR", "--json").stdout
    )
    assert len(listed["persons"]) == 2

    unknown = omnid(settings, "resolve", "EMAIL", "nobody@example.org")
    assert unknown.exit_code == 1
    assert unknown.stderr == "NOT_FOUND: no person is known by this EMAIL identifier\n"
    invalid = omnid(settings, "resolve", "PHONE", "12")
    assert invalid.exit_code == 1
    assert invalid.stderr.startswith("INVALID_IDENTIFIER: ")


def test_explain(settings: Settings, db: neo4j.Driver, stories: Path) -> None:
    assert omnid(settings, "import", str(stories)).exit_code == 0
    args = ("explain", "EMAIL", "asilva@bufete-mayor.es", "EMAIL", "AnaSilva.Casa@gmail.com")
    tree = omnid(settings, *args)
    assert tree.exit_code == 0, tree.output
    assert "Person " in tree.stdout and "PHONE +34600123456" in tree.stdout

    chain = json.loads(omnid(settings, *args, "--json").stdout)
    steps = chain["steps"]
    assert steps[0] == {"identifier": {"type": "EMAIL", "value": "asilva@bufete-mayor.es"}}
    assert steps[-1] == {"identifier": {"type": "EMAIL", "value": "anasilvacasa@gmail.com"}}
    assert any("item" in s for s in steps)

    apart = omnid(settings, "explain", "EMAIL", "ana.silva@example.com", "EMAIL",
                  "jean.dupond@free.fr")  # fmt: skip
    assert apart.exit_code == 1
    assert apart.stderr.startswith("NOT_FOUND: these two identifiers (EMAIL, EMAIL)")


def test_stats(settings: Settings, db: neo4j.Driver, stories: Path) -> None:
    empty = json.loads(omnid(settings, "stats", "--json").stdout)
    assert (empty["persons"], empty["records"], empty["events"]) == (0, 0, 0)

    assert omnid(settings, "import", str(stories)).exit_code == 0
    result = omnid(settings, "stats", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    persons = _rows(db, settings, "testing-persons")
    assert data["persons"] == len(persons)
    assert sum(data["sizes"].values()) == len(persons)
    assert list(data["sizes"]) == ["1", "2", "3-5", "6-10", "11-50", ">50"]
    items = [i for i in [*demo.story_items(), *_household()]]
    assert data["records"] == sum(1 for i in items if i["kind"] == "record")
    assert data["events"] == sum(1 for i in items if i["kind"] == "event")
    by_type = {t["type"]: t for t in data["identifiers"]}
    assert by_type["ADDRESS"]["linking"] == 0
    assert by_type["EMAIL"]["total"] >= 5

    text = omnid(settings, "stats")
    assert text.exit_code == 0
    for title in ("Identifiers per type", "per source and channel", "Persons by size", "Shared"):
        assert title in text.stdout


def test_stats_shows_shared_identifiers(
    settings: Settings, db: neo4j.Driver, tmp_path: Path
) -> None:
    # The store's phone typed at the till for six customers: shared, not a merge.
    till = "+34 915 23 41 87"
    path = _write_jsonl(
        tmp_path / "till.jsonl",
        [
            {"kind": "event", "source": "pos", "id": f"T-{n}", "channel": "STORE",
             "type": "purchase", "at": f"2026-03-0{n + 1}T10:00:00Z",
             "identifiers": [{"type": "EMAIL", "value": f"customer{n}@example.net"},
                             {"type": "PHONE", "value": till}]}
            for n in range(6)
        ],
    )  # fmt: skip
    summary = json.loads(omnid(settings, "import", str(path), "--json").stdout)["total"]
    assert summary["sharedFound"] == 1
    data = json.loads(omnid(settings, "stats", "--json").stdout)
    assert data["persons"] == 6
    assert data["sharedTotal"] == 1
    (shared,) = data["shared"]
    assert (shared["key"], shared["items"], shared["persons"]) == ("PHONE:+34915234187", 6, 6)
    assert "EMAIL" in shared["reason"]


def test_schema_export_check(settings: Settings, tmp_path: Path) -> None:
    current = omnid(settings, "schema", "export", "--check")  # graphql/schema.graphql
    assert current.exit_code == 0, current.output

    target = tmp_path / "schema.graphql"
    assert omnid(settings, "schema", "export", "--output", str(target)).exit_code == 0
    assert target.read_text() == Path("graphql/schema.graphql").read_text()
    assert omnid(settings, "schema", "export", "--output", str(target), "--check").exit_code == 0
    target.write_text(target.read_text() + "# drift\n")
    drift = omnid(settings, "schema", "export", "--output", str(target), "--check")
    assert drift.exit_code == 1
    assert "out of date" in drift.stderr


def test_schema_apply(settings: Settings, db: neo4j.Driver) -> None:
    result = omnid(settings, "schema", "apply")
    assert result.exit_code == 0, result.output
    assert "Schema applied" in result.stdout


def test_demo_loads_and_writes_truth(settings: Settings, db: neo4j.Driver, tmp_path: Path) -> None:
    result = omnid(settings, "demo", "--customers", "4", "--seed", "3", "--output", str(tmp_path))
    assert result.exit_code == 0, result.output
    dataset = demo.generate(4, seed=3)
    lines = (tmp_path / "demo.jsonl").read_text().splitlines()
    assert len(lines) == len(dataset.items)
    truth = (tmp_path / "demo.truth.jsonl").read_text().splitlines()
    assert len(truth) == len(dataset.truth)
    assert len(_partition(db, settings)) == len(dataset.items)
    # The demo file imports as it is, and changes nothing the second time.
    again = omnid(settings, "import", str(tmp_path / "demo.jsonl"), "--json")
    rerun = json.loads(again.stdout)["total"]
    assert (rerun["errors"], rerun["personsCreated"], rerun["merges"]) == (0, 0, 0)


@pytest.mark.parametrize(
    ("uri", "browser"),
    [
        ("bolt://127.0.0.1:7687", "http://localhost:7474/browser/"),  # omnid neo4j start
        ("bolt://localhost", "http://localhost:7474/browser/"),
        ("bolt://neo4j:7687", "http://localhost:7474/browser/"),  # docker-compose
        ("bolt://127.0.0.1:7691", None),  # another server on this machine
        ("neo4j+s://db.example.com", None),  # a remote one
    ],
)
def test_serve_names_the_browser_only_of_servers_it_knows(uri: str, browser: str | None) -> None:
    from service.cli.serve import _browser_url

    assert _browser_url(load_settings({"NEO4J_URI": uri})) == browser


def test_serve_loads_the_demo_on_an_empty_graph(
    settings: Settings, db: neo4j.Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    started: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.update(app=app, **kw))
    small = demo.generate(2)
    monkeypatch.setattr(demo, "generate", lambda *a, **kw: small)

    # As for the local server omnid manages: Bolt on OMNID_NEO4J_BOLT_PORT.
    bolt_port = str(urlparse(settings.neo4j_uri).port)
    local = {"OMNID_NEO4J_BOLT_PORT": bolt_port, "OMNID_NEO4J_HTTP_PORT": "7999"}
    result = omnid(settings, "serve", "--port", "8123", **local)
    assert result.exit_code == 0, result.output
    assert (started["host"], started["port"], started["log_level"]) == ("127.0.0.1", 8123, "info")
    assert "http://127.0.0.1:8123/graphql" in result.stdout
    assert "Neo4j Browser: http://localhost:7999/browser/" in result.stdout
    assert "omnid-dev-key" in result.stdout
    assert len(_partition(db, settings)) == len(small.items)

    # Not empty any more: nothing is loaded again.
    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("the demo was generated for a graph that has persons")

    monkeypatch.setattr(demo, "generate", fail)
    assert omnid(settings, "serve").exit_code == 0

    # --no-demo and OMNID_LOAD_DEMO=false skip loading altogether.
    _clear(db, settings)
    assert omnid(settings, "serve", "--no-demo").exit_code == 0
    assert _partition(db, settings) == {}
    assert omnid(settings, "serve", OMNID_LOAD_DEMO="false").exit_code == 0
    assert _partition(db, settings) == {}


def test_neo4j_status(settings: Settings, tmp_path: Path) -> None:
    result = omnid(settings, "neo4j", "status", OMNID_NEO4J_HOME=str(tmp_path / "none"))
    assert result.exit_code == 0, result.output
    assert "installed" in result.stdout and "running" in result.stdout


def test_graph_unavailable_is_one_line(settings: Settings) -> None:
    result = omnid(settings, "stats", NEO4J_URI="bolt://127.0.0.1:1")
    assert result.exit_code == 1
    assert result.stderr == "GRAPH_UNAVAILABLE: Neo4j is unavailable: ServiceUnavailable\n"
