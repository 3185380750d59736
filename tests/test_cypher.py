"""The named-statement loader: what it accepts and how it fails, with file:line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.errors import CypherFileError, UnknownStatement
from service.store.cypher import CYPHER_DIR, load_statements


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_project_statements_load_and_are_documented() -> None:
    statements = load_statements()
    assert "merge-identifiers" in statements
    assert len(statements) >= 20
    for stmt in statements:
        assert stmt.cypher.strip(), stmt.name
        assert "$" not in stmt.name


def test_no_cypher_outside_the_cypher_folder() -> None:
    root = CYPHER_DIR.parent / "service"
    offenders = [
        p
        for p in root.rglob("*.py")
        if p.name != "cypher.py"  # its docstring shows the file format
        and any(word in p.read_text() for word in ("MATCH (", "MERGE (", "UNWIND $"))
    ]
    assert offenders == []


def test_shapes_docs_params_and_namespaces(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.cypher",
        """// header comment
// name: one-row^(key)
// Finds one thing.
// Second doc line.
MATCH (n {key: $key}) RETURN n;

// name: nothing!
CREATE (:X);

// name: value$
RETURN 1;

// name: rows
RETURN 1 AS x
""",
    )
    write(tmp_path, "sub/b.cypher", "// name: inner\nRETURN '$notaparam' AS s // $nor\n")
    statements = load_statements(tmp_path)
    one = statements["one-row"]
    assert (one.shape, one.params, one.doc) == (
        "one",
        frozenset({"key"}),
        "Finds one thing. Second doc line.",
    )
    assert one.cypher == "MATCH (n {key: $key}) RETURN n"
    assert one.origin.endswith("/a.cypher:2")
    assert statements["nothing"].shape == "none"
    assert statements["value"].shape == "value"
    assert statements["rows"].shape == "rows"
    assert statements["sub/inner"].params == frozenset()
    assert statements.names("sub/") == ["sub/inner"]


def test_unknown_name_is_a_typed_error(tmp_path: Path) -> None:
    write(tmp_path, "a.cypher", "// name: x\nRETURN 1\n")
    with pytest.raises(UnknownStatement, match="'y'"):
        load_statements(tmp_path)["y"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("// name: x\nRETURN 1\n// name: x\nRETURN 2\n", "a.cypher:3: statement 'x' is alr"),
        ("// name: x\n// only docs\n", "a.cypher:1: statement 'x' is empty"),
        ("// name: x(a)\nRETURN $b\n", "declared but unused: ['a'], used but undeclared: ['b']"),
        ("RETURN 1\n// name: x\nRETURN 1\n", "a.cypher:1: Cypher before the first"),
        ("// name: Bad Name\nRETURN 1\n", "a.cypher:1: malformed name line"),
    ],
)
def test_malformed_files_fail_with_their_location(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, "a.cypher", text)
    with pytest.raises(CypherFileError, match=message.replace("[", r"\[").replace("(", r"\(")):
        load_statements(tmp_path)


#: The statements of the write path and of the API's reads.
HOT_FILES = (
    "ingest.cypher",
    "resolution-items.cypher",
    "resolution-shared.cypher",
    "resolution-persons.cypher",
    "person.cypher",
    "journey.cypher",
    "matches.cypher",
)
_KEYED_NODE = re.compile(r"\((\w*):(\w+)(?::\w+)* \{(key|id): ")
_LABELLED_NODE = re.compile(r"\((\w+):(\w+)")
_KEY_CONDITION = re.compile(r"\b(\w+)\.(key|id) (?:IN|=) ")


def test_key_lookups_in_patterns_are_pinned_to_their_index() -> None:
    """A node found by key or id inside a pattern is pinned to its index with a hint.

    Plans are cached; one made while a label is nearly empty (a new database's first
    batches) may start from the other end of the pattern and scan: a bulk load with four
    writers once ran five times slower, Neo4j scanning the Person index for every key of
    ``window-links``. Only ``USING INDEX SEEK`` keeps the seek whatever the statistics
    say: a plain ``USING INDEX`` can be honoured by scanning the hinted index and
    filtering it on the key, which also happened.
    """
    missing: list[str] = []
    for stmt in load_statements():
        if not stmt.origin.split(":")[0].endswith(HOT_FILES):
            continue
        conditions = set(_KEY_CONDITION.findall(stmt.cypher))
        for line in stmt.cypher.splitlines():
            if "MATCH (" not in line or not ("-[" in line or "]-" in line):
                continue
            for var, label, prop in _KEYED_NODE.findall(line):
                if not var or f"USING INDEX SEEK {var}:{label}({prop})" not in stmt.cypher:
                    missing.append(f"{stmt.name}: {line.strip()}")
            # The same lookup written as a condition: `MATCH (r)-[]->(i:Identifier)
            # WHERE i.key IN $keys`.
            for var, label in _LABELLED_NODE.findall(line):
                for prop in ("key", "id"):
                    hint = f"USING INDEX SEEK {var}:{label}({prop})"
                    if (var, prop) in conditions and hint not in stmt.cypher:
                        missing.append(f"{stmt.name}: {line.strip()} (WHERE {var}.{prop})")
        for line in stmt.cypher.splitlines():
            if "USING INDEX " in line and "USING INDEX SEEK " not in line:
                missing.append(f"{stmt.name}: a hint that allows a scan: {line.strip()}")
    assert missing == []
