"""The corrections commands: import files, separate (dry run, then for real), override,
overrides, assert-same, withdraw; errors as ``CODE: message`` with exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import neo4j

from service.settings import Settings
from tests.test_cli import _clear, _write_jsonl, omnid


def _glued(tmp_path: Path) -> Path:
    return _write_jsonl(
        tmp_path / "eshop.jsonl",
        [
            {
                "kind": "record",
                "source": "eshop",
                "id": "r1",
                "country": "ES",
                "identifiers": [
                    {"type": "EMAIL", "value": "one@example.org"},
                    {"type": "PHONE", "value": "611 000 009"},
                ],
            },
            {
                "kind": "record",
                "source": "eshop",
                "id": "r2",
                "country": "ES",
                "identifiers": [
                    {"type": "EMAIL", "value": "two@example.org"},
                    {"type": "PHONE", "value": "611 000 009"},
                ],
            },
        ],
    )


def _person(settings: Settings, email: str) -> str:
    done = omnid(settings, "resolve", "EMAIL", email, "--json")
    assert done.exit_code == 0, done.output
    return str(json.loads(done.output)["person"]["id"])


def test_separate_override_assert_and_withdraw_from_the_shell(
    settings: Settings, tmp_path: Path
) -> None:
    auth = (settings.neo4j_user, settings.neo4j_password.get_secret_value())
    with neo4j.GraphDatabase.driver(settings.neo4j_uri, auth=auth) as driver:
        _clear(driver, settings)
    data = _glued(tmp_path)
    assert omnid(settings, "import", str(data)).exit_code == 0

    dry = omnid(settings, "separate", "record:eshop/r1", "record:eshop/r2", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["bridges"] == ["PHONE:+34611000009"]
    done = omnid(
        settings, "separate", "record:eshop/r1", "record:eshop/r2", "--reason", "T-1", "--json"
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["values"] == ["PHONE:+34611000009"]
    assert omnid(settings, "import", str(data)).exit_code == 0  # re-import: still apart
    assert _person(settings, "one@example.org") != _person(settings, "two@example.org")

    again = omnid(settings, "separate", "record:eshop/r1", "record:eshop/r2", "--reason", "T")
    assert again.exit_code == 1 and "ALREADY_SEPARATE" in again.output

    listed = omnid(settings, "overrides", "--json")
    (view,) = json.loads(listed.output)
    assert view["mode"] == "shared" and view["reason"] == "T-1" and view["by"].startswith("cli:")

    cleared = omnid(settings, "override", "PHONE", "611000009", "--country", "ES", "--clear")
    assert cleared.exit_code == 0, cleared.output
    assert _person(settings, "one@example.org") == _person(settings, "two@example.org")

    forced = omnid(
        settings,
        "override",
        "PHONE",
        "611000009",
        "--country",
        "ES",
        "--mode",
        "shared",
        "--reason",
        "till phone",
    )
    assert forced.exit_code == 0, forced.output
    linked = omnid(
        settings,
        "assert-same",
        "EMAIL:one@example.org",
        "EMAIL:two@example.org",
        "--reason",
        "T-2",
        "--json",
    )
    assert linked.exit_code == 0, linked.output
    link = json.loads(linked.output)
    assert _person(settings, "one@example.org") == _person(settings, "two@example.org")
    withdrawn = omnid(settings, "withdraw", link["id"])
    assert withdrawn.exit_code == 0, withdrawn.output
    assert _person(settings, "one@example.org") != _person(settings, "two@example.org")
    gone = omnid(settings, "withdraw", link["id"])
    assert gone.exit_code == 1 and "NOT_FOUND" in gone.output


def test_files_of_corrections_report_each_line(settings: Settings, tmp_path: Path) -> None:
    """``--file`` (CSV or JSON Lines) goes through the same batch as one pair: a result
    per line, a refused line writes nothing, the others go in, exit 1 if any was refused."""
    auth = (settings.neo4j_user, settings.neo4j_password.get_secret_value())
    with neo4j.GraphDatabase.driver(settings.neo4j_uri, auth=auth) as driver:
        _clear(driver, settings)
    third = {
        "kind": "record",
        "source": "crm",
        "id": "c3",
        "identifiers": [{"type": "EMAIL", "value": "three@example.org"}],
    }
    assert omnid(settings, "import", str(_glued(tmp_path))).exit_code == 0
    assert (
        omnid(settings, "import", str(_write_jsonl(tmp_path / "c.jsonl", [third]))).exit_code == 0
    )

    links = tmp_path / "links.csv"
    links.write_text(
        "a,b,reason\n"
        "EMAIL:one@example.org,record:crm/c3,T-1\n"  # line 2: linked
        "nonsense,record:crm/c3,T-2\n"  # line 3: not a side
        "EMAIL:one@example.org,record:crm/nope,T-3\n"  # line 4: no such record
        "EMAIL:one@example.org,EMAIL:three@example.org,\n",  # line 5: no reason
        encoding="utf-8",
    )
    done = omnid(settings, "assert-same", "--file", str(links), "--json")
    assert done.exit_code == 1, done.output
    results = json.loads(done.stdout)
    assert [(r["line"], r["status"]) for r in results] == [
        (2, "ok"),
        (3, "error"),
        (4, "error"),
        (5, "error"),
    ]
    errors = [(r["error"]["code"], r["error"]["field"]) for r in results[1:]]
    assert errors == [("INVALID_INPUT", "a"), ("NOT_FOUND", "b"), ("INVALID_INPUT", "reason")]
    assert _person(settings, "one@example.org") == _person(settings, "three@example.org")

    # JSON Lines, the reason from the option where a line has none; withdraw by file.
    withdrawals = _write_jsonl(
        tmp_path / "withdraw.jsonl", [{"id": results[0]["value"]["id"]}, {"id": "no-such"}, "[1]"]
    )
    text = omnid(settings, "withdraw", "--file", str(withdrawals))
    assert text.exit_code == 1
    assert "line 1: Withdrawn" in text.stdout and "1 done, 2 refused." in text.stdout
    assert "line 2: NOT_FOUND" in text.stderr and "line 3: INVALID_INPUT" in text.stderr
    assert _person(settings, "one@example.org") != _person(settings, "three@example.org")
