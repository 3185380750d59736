"""``omnid load --initial`` builds the graph the online path builds (issue 28).

The same items go online (``Ingestor``, one item per transaction so every raw form of an
identifier reaches ``display`` as it does offline) into the session's server, and through
the initial load (offline resolution, neo4j-admin import, swap) into a second local
server; both graphs are read back whole and compared, but for arrival times and the
generated person ids. Hypothesis item sets compare the offline resolution itself (the
partition, shared and linking identifiers) with the online graph, without the import.
After a load, the online path goes on: lookups, new items, merges and splits.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hsettings

from devtools import neo4j_local
from service.errors import InvalidInput, OmnidError
from service.identity.files import Line, read_jsonl
from service.identity.identifiers import IdentifierRules, normalize
from service.identity.ingest import Ingestor
from service.identity.resolution import ResolutionPolicy
from service.load.initial import initial_load
from service.load.resolve import Resolved, resolve
from service.load.staging import stage
from service.read.models import find_person
from service.settings import Settings, load_settings
from service.store.graph import Graph
from service.store.schema import missing_schema
from tests.conftest import ROOT, TEST_PASSWORD, clear_graph
from tests.partition import reference, snapshot
from tests.statements import STATEMENTS
from tests.test_resolution_properties import EXAMPLE_SETTINGS, event, item_sets, record

#: Properties that hold arrival times (the load's time offline) or per-write counters.
ARRIVAL = {"firstSeen", "lastSeen", "updatedAt", "receivedAt", "statusChangedAt", "version"}

LOAD_HOME = Path(os.environ.get("OMNID_TEST_LOAD_HOME", ROOT / ".neo4j" / "load-test"))
LOAD_BOLT = os.environ.get("OMNID_TEST_LOAD_BOLT_PORT", "7852")
LOAD_HTTP = os.environ.get("OMNID_TEST_LOAD_HTTP_PORT", "7853")


def _items() -> list[dict[str, Any]]:
    """Customers sharing phones and a store number, a household address, a blocked
    email, a record sent twice (the last version wins) and an event sent twice (the
    first wins)."""
    items: list[dict[str, Any]] = []
    for n in range(40):
        idents: list[tuple[str, Any]] = [("EMAIL", f"c{n}@example.org")]
        idents.append(("PHONE", f"+34 600 000 {n // 2:03d}"))  # two customers a phone
        if n % 3 == 0:
            idents.append(("PHONE", "+34 910 000 001"))  # the store's own number
        if n % 10 == 0:
            idents.append(("EMAIL", "noemail@example.com"))
        items.append(record("eshop", f"c{n}", idents))
        items.append(event("pos", f"e{n}", [("EMAIL", f" C{n}@Example.org ")]))
    items.append(record("crm", "h1", [("ADDRESS", {"line1": "Calle Mayor 1", "city": "Madrid"})]))
    items.append(record("eshop", "c5", [("EMAIL", "c5@example.org"), ("DEVICE", "d-5")]))
    items.append(event("pos", "e7", [("EMAIL", "someone.else@example.org")]))
    return items


def _lines(items: list[dict[str, Any]]) -> list[Line]:
    return [Line(n, item, None, n) for n, item in enumerate(items, start=1)]


def _offline(items: list[dict[str, Any]], work: Path) -> Resolved:
    rejected: list[OmnidError] = []
    staged = stage(
        [("items", _lines(items))],
        work / "staged",
        IdentifierRules(),
        on_reject=lambda name, line, error: rejected.append(error),
        workers=0,
    )
    assert rejected == []
    return resolve(staged.directory, ResolutionPolicy(), "2026-12-05T00:00:00Z")


def _partition(resolved: Resolved) -> frozenset[frozenset[str]]:
    members: dict[str, set[str]] = {}
    for key, person in resolved.items.select("key", "person").iter_rows():
        members.setdefault(person, set()).add(key)
    linking = resolved.identifiers.filter(resolved.identifiers["linking"])
    for key, person in linking.select("ikey", "person").iter_rows():
        members[person].add(key)
    return frozenset(frozenset(m) for m in members.values())


@given(items=item_sets(max_items=120))
@hsettings(EXAMPLE_SETTINGS, max_examples=8)
async def test_offline_resolution_matches_online(
    graph: Graph, items: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    await clear_graph(graph)
    await Ingestor(graph).ingest(items)
    online = await snapshot(graph)
    offline = _offline(items, tmp_path_factory.mktemp("offline"))
    assert _partition(offline) == online.partition == reference(items).partition
    idents = offline.identifiers
    shared = dict(idents.filter(idents["shared"]).select("ikey", "sharedReason").iter_rows())
    assert set(shared) == set(online.shared)
    assert set(idents.filter(idents["linking"])["ikey"]) == set(online.linking)


# --------------------------------------------------------------- the full load, end to end


@pytest.fixture(scope="module")
def load_settings_() -> Iterator[Settings]:
    """A second local server, the initial load's target."""
    base = {k: v for k, v in os.environ.items() if k.startswith(("NEO4J_", "OMNID_"))}
    settings = load_settings(
        {
            **base,
            "NEO4J_URI": f"bolt://127.0.0.1:{LOAD_BOLT}",
            "NEO4J_PASSWORD": TEST_PASSWORD,
            "OMNID_NEO4J_HOME": str(LOAD_HOME),
            "OMNID_NEO4J_BOLT_PORT": LOAD_BOLT,
            "OMNID_NEO4J_HTTP_PORT": LOAD_HTTP,
            "OMNID_NEO4J_HEAP": "512m",
            "OMNID_NEO4J_PAGECACHE": "256m",
        }
    )
    neo4j_local.start(settings)
    try:
        yield settings
    finally:
        neo4j_local.stop(settings)


@pytest.fixture(scope="module")
async def loaded(
    load_settings_: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Graph]:
    """The load server's graph emptied, then loaded from ``_items()`` with two bad lines
    (one breaks the contract, one is not JSON), parsed in a worker process as the CLI
    sends them (``parse=False``)."""
    target = Graph.connect(load_settings_, STATEMENTS)
    await clear_graph(target)
    work = tmp_path_factory.mktemp("load")
    source = work / "items.jsonl"
    source.write_text(
        "".join(json.dumps(i) + "\n" for i in _items()) + '{"kind": "record"}\n{"kind": \n',
        encoding="utf-8",
    )
    rejected: list[tuple[int, str]] = []
    report = await initial_load(
        load_settings_,
        [("items.jsonl", read_jsonl(source, parse=False))],
        work_dir=work / "work",
        control=neo4j_local.load_control(load_settings_),
        on_reject=lambda name, line, error: rejected.append((line.number, error.code)),
        workers=1,
    )
    assert rejected == [(len(_items()) + 1, "INVALID_INPUT"), (len(_items()) + 2, "INVALID_INPUT")]
    assert report.rejected == 2 and report.counts["records"] == 41
    # The server restarted on the new store: a new driver.
    await target.close()
    target = Graph.connect(load_settings_, STATEMENTS)
    yield target
    await target.close()


def _without_count(reason: str) -> str:
    """A shared reason without its count: online, it is the count when the value crossed
    the limit (a shared value is not re-counted as evidence grows); offline, the count
    over the whole input, which ``reference`` checks."""
    return re.sub(r"seen with \d+ distinct", "seen with N distinct", reason)


async def _dump(graph: Graph) -> dict[str, Any]:
    nodes = {}
    for row in await graph.query("load-test-nodes"):
        props = {k: v for k, v in row["properties"] if k not in ARRIVAL}
        if "sharedReason" in props:
            props["sharedReason"] = _without_count(props["sharedReason"])
        nodes[row["key"]] = (sorted(row["labels"]), props)
    has = sorted(
        (r["item"], r["identifier"], r["source"], r["at"], tuple(sorted(r["keys"])))
        for r in await graph.query("load-test-has")
    )
    persons = await graph.query("load-test-persons")
    return {"nodes": nodes, "has": has, "persons": persons}


async def test_initial_load_builds_the_online_graph(graph: Graph, loaded: Graph) -> None:
    await Ingestor(graph).ingest_batch([])  # warm nothing; one item per transaction below
    for item in _items():
        await Ingestor(graph).ingest_batch([item])
    online, offline = await _dump(graph), await _dump(loaded)
    assert offline["nodes"].keys() == online["nodes"].keys()
    for key, value in online["nodes"].items():
        assert offline["nodes"][key] == value, key
    assert offline["has"] == online["has"]
    # Persons: the same groups of members; a loaded person starts as a new one does.
    assert {frozenset(p["members"]) for p in offline["persons"]} == {
        frozenset(p["members"]) for p in online["persons"]
    }
    for person in offline["persons"]:
        assert person["mergedFrom"] == [] and person["version"] == 0 and person["created"]
    # Every index and constraint the online path's statements rely on is online (the
    # writes after a load plan against them, as on a graph built online).
    assert await missing_schema(loaded) == set() == await missing_schema(graph)
    snap = await snapshot(loaded)  # the structural invariants hold
    assert snap.shared == reference(_items()).shared  # reasons with today's counts
    assert "PHONE:+34910000001" in snap.shared


async def test_online_path_continues_after_a_load(loaded: Graph) -> None:
    ingestor = Ingestor(loaded)
    c6 = normalize("EMAIL", "c6@example.org")
    person = await find_person(loaded, c6)
    assert person is not None
    # c6 and c7 share a phone, c8 and c9 another; a record with c7 and c8 merges them.
    report = await ingestor.ingest(
        [record("app", "m1", [("EMAIL", "c7@example.org"), ("EMAIL", "c8@example.org")])]
    )
    assert report.merged == 1
    merged = await find_person(loaded, normalize("EMAIL", "c8@example.org"))
    assert merged is not None and merged.id == (await find_person(loaded, c6)).id  # type: ignore[union-attr]
    # Correcting that record splits them again.
    report = await ingestor.ingest([record("app", "m1", [("EMAIL", "c7@example.org")])])
    assert report.split == 1
    after = await find_person(loaded, normalize("EMAIL", "c8@example.org"))
    assert after is not None and after.id != (await find_person(loaded, c6)).id  # type: ignore[union-attr]
    await snapshot(loaded)


async def test_a_load_refuses_a_database_that_is_not_empty(
    load_settings_: Settings, loaded: Graph, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInput, match="not empty"):
        await initial_load(
            load_settings_,
            [("none", [])],
            work_dir=tmp_path,
            control=neo4j_local.load_control(load_settings_),
            on_reject=lambda name, line, error: None,
        )
