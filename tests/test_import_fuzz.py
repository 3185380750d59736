"""Hostile files through ``omnid import``: random JSON Lines and CSV, valid and invalid
lines mixed (bad encodings, control characters, unpaired surrogates, huge numbers, deep
nesting, lines of 10 MB), and the import's memory.

What must hold for any file: every invalid line is rejected on its own, with its line
number, a code and the field at fault, and no value of it in the report; every valid
line is written, whatever its neighbours (nothing half-written: the graph holds exactly
the valid lines' items, its invariants hold, nothing faults-leftovers names); the
process's peak memory does not grow with the file or the line (it streams).

Hypothesis examples run the command in this process (typer's runner: quick); the memory
checks run it in a process of its own and read its peak RSS from ``wait4``.
``OMNID_FAULTS_LONG=1`` runs more examples and a larger file.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from service.settings import Settings
from service.store.graph import Graph
from tests.conftest import ROOT
from tests.partition import snapshot
from tests.statements import STATEMENTS
from tests.test_cli import omnid

LONG = os.environ.get("OMNID_FAULTS_LONG", "") not in ("", "0", "false")
EXAMPLES = hsettings(
    max_examples=60 if LONG else 12,
    deadline=None,
    # No shrinking: each example runs an import against Neo4j, and the failing file and
    # the assertion say enough.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
#: Put in every invalid value: no report may repeat it.
SECRET = "secret-value-9931"
MB = 1024 * 1024

# ------------------------------------------------------------------------ the oracle


@dataclass
class File:
    """The lines written so far, and what ``omnid import`` must make of them."""

    parts: list[bytes] = field(default_factory=list)
    line: int = 1  # the number of the next physical line
    valid: set[str] = field(default_factory=set)  # item keys that must be written
    invalid: set[int] = field(default_factory=set)  # line numbers that must be rejected
    lines: int = 0  # items and rejected lines: what the tally counts

    def add(self, data: bytes, key: str | None) -> None:
        """One item (``key``) or one invalid line (``None``), ending in a newline."""
        if key is None:
            self.invalid.add(self.line)
        else:
            self.valid.add(key)
        self.lines += 1
        self.parts.append(data)
        self.line += data.count(b"\n")

    def blank(self) -> None:
        self.parts.append(b"   \n")
        self.line += 1

    def write(self, path: Path) -> Path:
        path.write_bytes(b"".join(self.parts))
        return path


def check_import(settings: Settings, path: Path, f: File, *args: str) -> None:
    """Run ``omnid import`` on an emptied graph; the report and the graph as the oracle says."""
    run(settings, _clear_tx)
    result = omnid(settings, "import", str(path), "--json", *args)
    assert result.exit_code == (1 if f.invalid else 0), result.output[-3000:]
    check_report(path, f)
    total = json.loads(result.stdout)["total"]
    assert (total["items"], total["errors"]) == (f.lines, len(f.invalid)), total
    assert total["ok"] + total["unchanged"] == len(f.valid), total
    keys = run(settings, _items_and_invariants)
    assert keys == f.valid, (sorted(keys - f.valid)[:5], sorted(f.valid - keys)[:5])


def check_report(path: Path, f: File) -> None:
    report = path.with_name(path.name + ".rejected.jsonl")
    if not f.invalid:
        assert not report.exists()
        return
    text = report.read_text(encoding="utf-8")
    rejected = [json.loads(line) for line in text.splitlines()]
    lines = [r["line"] for r in rejected]
    assert lines == sorted(f.invalid), [r for r in rejected if r["line"] not in f.invalid]
    for r in rejected:
        assert r["code"] in ("INVALID_INPUT", "INVALID_IDENTIFIER", "LIMIT_EXCEEDED"), r
        assert r["field"] and r["message"], r
    assert SECRET not in text  # messages mask values; the line's text is not copied


def run(settings: Settings, work: Callable[[Graph], Any]) -> Any:
    async def main() -> Any:
        graph = Graph.connect(settings, STATEMENTS)
        try:
            return await work(graph)
        finally:
            await graph.close()

    return asyncio.run(main())


async def _clear_tx(graph: Graph) -> None:
    await graph.wipe()


async def _items_and_invariants(graph: Graph) -> set[str]:
    snap = await snapshot(graph)  # no duplicate, no empty person, one person per item...
    # A record sent with no identifier is valid (its identifiers withdrawn): a person of
    # its own, which faults-leftovers allows.
    assert await graph.query("faults-leftovers") == []
    return set(snap.items)


# ------------------------------------------------------------------- JSON Lines lines

#: Text without unpaired surrogates (which JSON can carry, escaped, but UTF-8 cannot).
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
#: Values attributes may hold: control characters, any script, numbers up to 10**300.
ATTRIBUTE = st.one_of(
    TEXT,
    st.integers(-(10**300), 10**300),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.lists(TEXT, max_size=3),
)
IDENTIFIER = st.one_of(
    st.integers(0, 30).map(lambda n: {"type": "EMAIL", "value": f" Customer{n}@Example.org"}),
    st.integers(0, 30).map(lambda n: {"type": "PHONE", "value": f"+34 61{n + 1:07d}"}),
    st.integers(0, 30).map(lambda n: {"type": "LOYALTY_CARD", "value": f"LC-{n}"}),
    st.just({"type": "ADDRESS", "value": {"line1": "Calle Mayor 1", "city": "Madrid"}}),
)


def item(n: int, kind: str, identifiers: list[Any], attributes: dict[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {"kind": kind, "source": "fuzz", "id": f"{kind[0]}{n}", "country": "ES"}
    if kind == "event":
        base |= {"channel": "STORE", "type": "purchase", "at": "2026-11-20T10:00:00Z"}
    return base | {"identifiers": identifiers, "attributes": attributes}


@st.composite
def valid_line(draw: st.DrawFn, n: int) -> tuple[bytes, str]:
    kind = draw(st.sampled_from(["record", "event"]))
    idents = draw(st.lists(IDENTIFIER, min_size=1, max_size=3))
    attributes = draw(st.dictionaries(TEXT, ATTRIBUTE, max_size=4))
    raw = item(n, kind, idents, attributes)
    text = json.dumps(raw, ensure_ascii=draw(st.booleans())).encode("utf-8")
    return text + draw(st.sampled_from([b"\n", b"\r\n"])), f"{kind}/fuzz/{raw['id']}"


def _bad(n: int, **change: Any) -> bytes:
    raw = item(n, "event", [{"type": "EMAIL", "value": f"{SECRET}@example.org"}], {}) | change
    return json.dumps(raw).encode()


#: Lines that must be rejected, each by one rule (the number makes ids distinct).
INVALID: list[Callable[[int], bytes]] = [
    lambda n: b"\xff\xfe" + f'{{"kind": "record", "id": "{SECRET}"}}'.encode(),  # not UTF-8
    lambda n: _bad(n).replace(b"@", b"\xc3@"),  # a broken UTF-8 sequence inside a value
    lambda n: f'{{"kind": "record", "id": "{SECRET}", '.encode(),  # cut short
    lambda n: b"[1, 2, 3]",
    lambda n: b"42",
    lambda n: b"null",
    lambda n: _bad(n, channel="SHOP"),
    lambda n: _bad(n, at="yesterday"),
    lambda n: _bad(n, identifiers=[]),
    lambda n: _bad(n, identifiers=[{"type": "EMAIL", "value": f"{SECRET}\x00@example.org"}]),
    lambda n: _bad(n, identifiers=[{"type": "PHONE", "value": 10**30}]),
    lambda n: _bad(n, id=f"{SECRET}\u0007"),
    lambda n: _bad(n, id="x" * 300),
    lambda n: _bad(n).replace(b'"attributes": {}', b'"attributes": {"a": "\\ud800"}'),
    lambda n: _bad(n).replace(b'"attributes": {}', b'"attributes": {"a": NaN}'),
    lambda n: _bad(n).replace(b'"attributes": {}', b'"attributes": {"a": 1e400}'),
    lambda n: _bad(n).replace(b'"id": "e', b'"id": ' + b"9" * 5000 + b', "x": "'),  # 5000 digits
    lambda n: _bad(n).replace(b'"attributes": {}', b'"attributes": ' + b"[" * 50_000),
    lambda n: _bad(n, attributes={"blob": SECRET * 5000}),  # over 64 KB
]


@st.composite
def jsonl_file(draw: st.DrawFn) -> File:
    f = File()
    for n in range(draw(st.integers(1, 40))):
        choice = draw(st.integers(0, 9))
        if choice < 6:
            data, key = draw(valid_line(n))
            f.add(data, key)
        elif choice < 9:
            rule = draw(st.sampled_from(INVALID))
            f.add(rule(n) + b"\n", None)
        else:
            f.blank()
    return f


@EXAMPLES
@given(f=jsonl_file(), batch=st.sampled_from(["1", "3", "50"]))
def test_random_jsonl_each_line_alone(settings: Settings, tmp_path: Path, f: File, batch: str):
    path = f.write(tmp_path / "fuzz.jsonl")
    check_import(settings, path, f, "--batch-size", batch)


# -------------------------------------------------------------------------- CSV lines

CSV_HEADER = ["id", "email", "phone", "name"]
CSV_ARGS = ("--source", "fuzzcsv", "--id-column", "id", "--identifier", "EMAIL=email")
CSV_ARGS += ("--identifier", "PHONE=phone")
#: Names with what makes CSV hard: quotes, delimiters, line breaks inside a field.
NAME = st.text(
    st.one_of(st.characters(exclude_categories=["Cs", "Cc"]), st.sampled_from('",;\n\r\t')),
    max_size=12,
)


def csv_row(cells: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerow(cells)  # \r\n, as spreadsheets write: a lone \r is quoted
    return out.getvalue().encode("utf-8")


@st.composite
def csv_file(draw: st.DrawFn) -> File:
    f = File()
    f.add(csv_row(CSV_HEADER), None)
    f.invalid.clear()  # the header is no item
    f.lines = 0
    for n in range(draw(st.integers(1, 40))):
        choice = draw(st.integers(0, 9))
        email = f"customer{draw(st.integers(0, 30))}@example.org"
        if choice < 6:
            # a record may carry no identifier (all of them withdrawn): valid
            email = draw(st.sampled_from([email, ""]))
            phone = draw(st.sampled_from(["", "+34 611 000 001", "0034611000002"]))
            f.add(csv_row([f"c{n}", email, phone, draw(NAME)]), f"record/fuzzcsv/c{n}")
        elif choice < 9:
            bad = draw(
                st.sampled_from(
                    [
                        csv_row([f"c{n}", email, "", SECRET, "one too many"]),
                        csv_row([f"c{n}", email]),
                        csv_row([f"c{n}", f"{SECRET}@", "", "bad email"]),
                        csv_row([f"c{n}", f"{SECRET}\x01@example.org", "", "control"]),
                        csv_row([f"c{n}", email, "", SECRET]).replace(b"@", b"@\xff"),
                        csv_row(["", email, "", "no id"]),
                    ]
                )
            )
            f.add(bad, None)
        else:
            f.blank()
    return f


@EXAMPLES
@given(f=csv_file(), batch=st.sampled_from(["1", "4", "50"]))
def test_random_csv_each_row_alone(settings: Settings, tmp_path: Path, f: File, batch: str):
    path = f.write(tmp_path / "fuzz.csv")
    check_import(settings, path, f, *CSV_ARGS, "--batch-size", batch)


# ---------------------------------------------------------------------- memory bounds


#: ``omnid`` with its peak RSS (VmHWM: of this process's own memory since its exec;
#: ``wait4``'s ru_maxrss would also count the test process it was forked from) written
#: at exit to the file named by OMNID_TEST_PEAK_FILE.
_MEASURED_OMNID = """
import atexit, os
from service.cli import main

def peak():
    with open("/proc/self/status") as status:
        kb = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["OMNID_TEST_PEAK_FILE"], "w") as out:
        out.write(kb)

atexit.register(peak)
main()
"""


def peak_rss_import(settings: Settings, path: Path, *args: str) -> tuple[int, int]:
    """``omnid import`` in a process of its own: its exit code and peak RSS in bytes."""
    peak = path.with_name("peak-rss")
    env = {
        **os.environ,
        "NEO4J_URI": settings.neo4j_uri,
        "NEO4J_USER": settings.neo4j_user,
        "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
        "NEO4J_DATABASE": settings.neo4j_database,
        "OMNID_TEST_PEAK_FILE": str(peak),
    }
    command = [sys.executable, "-c", _MEASURED_OMNID, "import", str(path), "--json", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, check=False)
    return done.returncode, int(peak.read_text()) * 1024


def _valid(n: int) -> bytes:
    raw = item(n, "record", [{"type": "EMAIL", "value": f"m{n}@example.org"}], {"n": n})
    return json.dumps(raw).encode() + b"\n"


def test_a_10_mb_line_is_rejected_alone_in_bounded_memory(settings: Settings, tmp_path: Path):
    small = File()
    for n in range(20):
        small.add(_valid(n), f"record/fuzz/r{n}")
    run(settings, _clear_tx)
    code, baseline = peak_rss_import(settings, small.write(tmp_path / "small.jsonl"))
    assert code == 0

    run(settings, _clear_tx)
    f = File()
    for n in range(10):
        f.add(_valid(n), f"record/fuzz/r{n}")
    f.add(_bad(10, attributes={"blob": "x" * (10 * MB)}) + b"\n", None)  # valid JSON, too big
    f.add(b'{"kind": "record", "id": "' + b"y" * (10 * MB) + b"\n", None)  # not JSON at all
    for n in range(12, 20):
        f.add(_valid(n), f"record/fuzz/r{n}")
    path = f.write(tmp_path / "huge-line.jsonl")
    code, peak = peak_rss_import(settings, path)
    assert code == 1
    check_report(path, f)
    assert run(settings, _items_and_invariants) == f.valid
    # a 10 MB line is read, decoded and parsed: a few copies of it, never the file's
    print(f"peak RSS {peak / MB:.0f} MB, baseline {baseline / MB:.0f} MB")
    assert peak - baseline < 120 * MB, (peak // MB, baseline // MB)

    rows = File()
    rows.add(csv_row(CSV_HEADER), None)
    rows.invalid.clear()
    rows.lines = 0
    rows.add(csv_row(["c1", "c1@example.org", "", "Ana"]), "record/fuzzcsv/c1")
    rows.add(csv_row(["c2", "c2@example.org", "", "z" * (10 * MB)]), None)  # over the limit
    rows.add(csv_row(["c3", "c3@example.org", "", "Hugo"]), "record/fuzzcsv/c3")
    run(settings, _clear_tx)
    path = rows.write(tmp_path / "huge-field.csv")
    code, peak = peak_rss_import(settings, path, *CSV_ARGS)
    assert code == 1
    check_report(path, rows)
    assert run(settings, _items_and_invariants) == rows.valid
    print(f"peak RSS {peak / MB:.0f} MB, baseline {baseline / MB:.0f} MB")
    assert peak - baseline < 120 * MB, (peak // MB, baseline // MB)


def test_a_large_file_is_streamed(settings: Settings, tmp_path: Path):
    """A file far larger than the bound: read whole, it alone would break it."""
    small = File()
    for n in range(20):
        small.add(_valid(n), f"record/fuzz/r{n}")
    run(settings, _clear_tx)
    code, baseline = peak_rss_import(settings, small.write(tmp_path / "small.jsonl"))
    assert code == 0

    size = (400 if LONG else 150) * MB
    padding = "p" * 2000
    path = tmp_path / "large.jsonl"
    valid: set[str] = set()
    lines = 0
    with path.open("wb") as out:
        n = 0
        while out.tell() < size:
            if n % 500 == 0:  # a few are written; the others fail the contract cheaply
                out.write(_valid(n))
                valid.add(f"record/fuzz/r{n}")
            else:
                out.write(_bad(n, channel="SHOP", attributes={"pad": padding}) + b"\n")
            n += 1
        lines = n
    run(settings, _clear_tx)
    code, peak = peak_rss_import(settings, path, "--batch-size", "1000")
    assert code == 1
    keys = run(settings, _items_and_invariants)
    assert keys == valid, len(keys ^ valid)
    report = path.with_name(path.name + ".rejected.jsonl")
    with report.open() as text:
        assert sum(1 for _ in text) == lines - len(valid)
    print(f"peak RSS {peak / MB:.0f} MB, baseline {baseline / MB:.0f} MB")
    assert peak - baseline < 120 * MB, (peak // MB, baseline // MB)
