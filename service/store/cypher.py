"""Named Cypher statements, loaded from the ``cypher/`` folder.

Every statement omnid runs lives in a ``.cypher`` file that analysts can open in Neo4j
Browser as it is. A statement opens with a name line, then comment lines that document
it, then the Cypher itself, up to the next name line::

    // name: person-by-key^
    // The person owning one identifier, or no row.
    MATCH (:Identifier {key: $key})-[:OF]->(p:Person)
    RETURN p.id AS id;

The suffix of the name says what the caller gets back (borrowed from aiosql):

    (none)  all rows, as a list of dicts
    ^       one row (dict) or None
    $       one value or None
    !       nothing: the result is consumed

A name may declare its parameters, ``// name: merge-identifiers(rows, now)``; the loader
then checks that the Cypher uses exactly those. Statements in ``cypher/analyst/`` are
namespaced ``analyst/<name>``. Duplicate names, empty statements and parameter
mismatches fail at load time with ``file:line``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from service.errors import CypherFileError, UnknownStatement

__all__ = ["CYPHER_DIR", "Shape", "Statement", "Statements", "load_statements"]

CYPHER_DIR = Path(__file__).resolve().parents[2] / "cypher"

Shape = Literal["rows", "one", "value", "none"]

_SUFFIX: dict[str, Shape] = {"^": "one", "$": "value", "!": "none", "": "rows"}
_NAME_LINE = re.compile(
    r"^//\s*name:\s*(?P<name>[a-z0-9][a-z0-9_-]*)(?P<suffix>[\^$!]?)\s*"
    r"(?:\((?P<params>[^)]*)\))?\s*$"
)
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_STRING_OR_COMMENT = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|//[^\n]*")


@dataclass(frozen=True, slots=True)
class Statement:
    """One named statement: its Cypher text, result shape, documentation and origin."""

    name: str
    cypher: str
    shape: Shape
    doc: str
    params: frozenset[str]
    origin: str  # "file:line" of the name line

    def __str__(self) -> str:
        return self.cypher


class Statements:
    """The loaded statements, by name. ``statements["merge-identifiers"]``."""

    def __init__(self, statements: dict[str, Statement]) -> None:
        self._by_name = statements

    def __getitem__(self, name: str) -> Statement:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownStatement(
                f"no Cypher statement named {name!r} in cypher/", name=name
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[Statement]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def names(self, prefix: str = "") -> list[str]:
        return sorted(n for n in self._by_name if n.startswith(prefix))


def load_statements(*directories: Path) -> Statements:
    """Read every ``*.cypher`` file under ``directories`` (recursively; the product's
    ``cypher/`` folder when none is given) into ``Statements``. Tests and benchmarks add
    folders of their own, so their statements never ship in the product's folder."""
    found: dict[str, Statement] = {}
    for directory in directories or (CYPHER_DIR,):
        for path in sorted(directory.rglob("*.cypher")):
            namespace = path.parent.relative_to(directory).as_posix()
            for stmt in _parse_file(path, directory):
                name = stmt.name if namespace == "." else f"{namespace}/{stmt.name}"
                if name in found:
                    raise CypherFileError(
                        f"{stmt.origin}: statement {name!r} is already defined at "
                        f"{found[name].origin}",
                        name=name,
                    )
                found[name] = Statement(
                    name, stmt.cypher, stmt.shape, stmt.doc, stmt.params, stmt.origin
                )
    return Statements(found)


def _parse_file(path: Path, root: Path) -> list[Statement]:
    rel = path.relative_to(root.parent).as_posix()
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[tuple[int, re.Match[str], list[str]]] = []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        match = _NAME_LINE.match(stripped)
        if match:
            blocks.append((number, match, []))
        elif stripped.startswith("// name:"):
            raise CypherFileError(f"{rel}:{number}: malformed name line {stripped!r}")
        elif blocks:
            blocks[-1][2].append(line)
        elif stripped and not stripped.startswith("//"):
            raise CypherFileError(f"{rel}:{number}: Cypher before the first '// name:' line")
    return [_statement(rel, number, match, body) for number, match, body in blocks]


def _statement(rel: str, number: int, match: re.Match[str], body: list[str]) -> Statement:
    origin = f"{rel}:{number}"
    doc_lines: list[str] = []
    code_lines: list[str] = []
    for line in body:
        if not code_lines and line.strip().startswith("//"):
            doc_lines.append(line.strip()[2:].strip())
        elif code_lines or line.strip():
            code_lines.append(line)
    cypher = "\n".join(code_lines).strip().rstrip(";").strip()
    if not cypher:
        raise CypherFileError(f"{origin}: statement {match['name']!r} is empty")
    used = frozenset(_PARAM.findall(_STRING_OR_COMMENT.sub("", cypher)))
    if match["params"] is not None:
        declared = frozenset(p.strip() for p in match["params"].split(",") if p.strip())
        if declared != used:
            missing = sorted(declared - used)
            undeclared = sorted(used - declared)
            raise CypherFileError(
                f"{origin}: parameters of {match['name']!r} do not match its declaration "
                f"(declared but unused: {missing}, used but undeclared: {undeclared})"
            )
    return Statement(
        name=match["name"],
        cypher=cypher,
        shape=_SUFFIX[match["suffix"]],
        doc=" ".join(doc_lines).strip(),
        params=used,
        origin=origin,
    )
