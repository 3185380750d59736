"""Reference identity resolution and graph snapshots for the resolution property tests.

``reference(items)`` recomputes, from the final set of input items alone and without any
of ``service.identity.resolution``, what the graph must hold: which identifiers are blocked,
shared (with the reason) or linking, and the persons as ``networkx`` connected
components of the bipartite graph items + linking identifiers. ``snapshot(graph)`` reads
the same things back from Neo4j (statements in ``cypher/testing.cypher``) and checks the
structural invariants on the way.

Only the identifier layer (``service.identity.identifiers.normalize``) is shared with the code
under test: it decides node keys and blocked values, and has its own tests.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

from service.identity.contract import item_key
from service.identity.identifiers import normalize
from service.identity.resolution import ResolutionPolicy
from service.settings import DEFAULT_SHARED_RULES
from service.store.graph import Graph

#: Types that link on their own (the default settings); ADDRESS never links.
LINKING_TYPES = frozenset({"EMAIL", "PHONE", "LOYALTY_CARD", "DEVICE"})

Partition = frozenset[frozenset[str]]


@dataclass(frozen=True)
class Expected:
    """What resolution must produce for a set of items."""

    items: dict[str, frozenset[str]]  # item key -> identifier keys it carries
    identifiers: frozenset[str]
    blocked: frozenset[str]
    shared: dict[str, str]  # identifier key -> reason, from the final evidence
    linking: frozenset[str]
    partition: Partition  # items + linking identifiers, by key
    counts: dict[str, dict[str, int]]  # identifier key -> type -> distinct co-occurring


@dataclass(frozen=True)
class Snapshot:
    """What the graph holds, once the invariants have been checked."""

    persons: dict[str, frozenset[str]]  # person id -> member keys
    person_of: dict[str, str]  # member key -> person id
    items: dict[str, frozenset[str]]
    identifiers: frozenset[str]
    shared: dict[str, str]
    linking: frozenset[str]
    split_from: dict[str, str | None]

    @property
    def partition(self) -> Partition:
        return frozenset(self.persons.values())


def _final_items(items: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """The items the graph ends with: the last version of a record, the first of an event."""
    final: dict[str, Mapping[str, Any]] = {}
    for item in items:
        key = item_key(item["kind"], item["source"], str(item["id"]))
        if item["kind"] == "record" or key not in final:
            final[key] = item
    return final


def reference(items: Iterable[Mapping[str, Any]]) -> Expected:
    """Resolve ``items`` from scratch, the slow and obvious way."""
    carried: dict[str, frozenset[str]] = {}
    type_of: dict[str, str] = {}
    blocked: set[str] = set()
    for key, item in _final_items(items).items():
        keys = set()
        for entry in item.get("identifiers") or ():
            ident = normalize(entry["type"], entry["value"], region=item.get("country"))
            keys.add(ident.key)
            type_of[ident.key] = ident.type
            if ident.blocked is not None:
                blocked.add(ident.key)
        carried[key] = frozenset(keys)

    # Co-occurrence: the distinct non-blocked identifiers of each type seen on the same
    # items as x, whatever their own status (shared identifiers still count).
    seen_with: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for keys in carried.values():
        for x in keys:
            for y in keys:
                if y != x and y not in blocked:
                    seen_with[x][type_of[y]].add(y)
    policy = ResolutionPolicy()
    shared: dict[str, str] = {}
    for x, kind in type_of.items():
        if x in blocked or kind not in LINKING_TYPES:
            continue
        counts = {t: len(v) for t, v in seen_with[x].items()}
        over = any(counts.get(t, 0) > n for t, n in DEFAULT_SHARED_RULES.get(kind, {}).items())
        reason = policy.shared_reason(kind, counts)
        assert over == (reason is not None), (x, counts, reason)
        if reason is not None:
            shared[x] = reason
    linking = frozenset(
        x for x, t in type_of.items() if t in LINKING_TYPES and x not in blocked | set(shared)
    )

    g: nx.Graph = nx.Graph()
    for key, keys in carried.items():
        g.add_node(key)
        for x in keys & linking:
            g.add_edge(key, x)
    partition = frozenset(frozenset(c) for c in nx.connected_components(g))
    return Expected(
        items=carried,
        identifiers=frozenset(type_of),
        blocked=frozenset(blocked),
        shared=shared,
        linking=linking,
        partition=partition,
        counts={x: {t: len(v) for t, v in by_type.items()} for x, by_type in seen_with.items()},
    )


async def snapshot(graph: Graph) -> Snapshot:
    """Read persons and identifier status from Neo4j; fail on any broken invariant."""
    problems = await graph.query("testing-stray-nodes")
    assert problems == [], problems
    duplicates = await graph.query("testing-duplicate-keys")
    assert duplicates == [], duplicates
    double = await graph.query("testing-duplicate-relationships")
    assert double == [], double

    persons: dict[str, frozenset[str]] = {}
    split_from: dict[str, str | None] = {}
    person_of: dict[str, str] = {}
    for row in await graph.query("testing-persons"):
        members = frozenset(row["members"])
        assert len(members) == len(row["members"]), row
        assert members, row
        persons[row["id"]] = members
        split_from[row["id"]] = row["splitFrom"]
        for m in members:
            assert m not in person_of, f"{m} is in two persons"
            person_of[m] = row["id"]

    items: dict[str, frozenset[str]] = {}
    for row in await graph.query("testing-items"):
        assert row["ofs"] == 1 and len(row["persons"]) == 1, row
        assert row["record"] != row["event"], row
        items[row["key"]] = frozenset(row["identifiers"])

    shared: dict[str, str] = {}
    linking: set[str] = set()
    identifiers: set[str] = set()
    for row in await graph.query("testing-identifiers"):
        identifiers.add(row["key"])
        assert "Identifier" in row["labels"] and len(row["labels"]) == 2, row
        if row["linking"]:
            linking.add(row["key"])
            assert row["ofs"] == 1 and len(row["persons"]) == 1, row
            assert not row["shared"] and row["blocked"] is None, row
        else:
            assert row["ofs"] == 0, row
        if row["shared"]:
            assert row["reason"], row
            shared[row["key"]] = row["reason"]
        else:
            assert row["reason"] is None, row

    members = set(person_of)
    assert members == set(items) | linking, (
        "persons' members are not exactly the items and linking identifiers: "
        f"{sorted(members ^ (set(items) | linking))[:10]}"
    )
    return Snapshot(
        persons=persons,
        person_of=person_of,
        items=items,
        identifiers=frozenset(identifiers),
        shared=shared,
        linking=frozenset(linking),
        split_from=split_from,
    )


def assert_matches(snap: Snapshot, expected: Expected) -> None:
    """The graph holds exactly what the reference says, partition included."""
    extra = sorted(set(snap.items.items()) - set(expected.items.items()))
    missing = sorted(set(expected.items.items()) - set(snap.items.items()))
    assert snap.items == expected.items, f"graph only: {extra[:5]}; expected only: {missing[:5]}"
    assert snap.identifiers == expected.identifiers, sorted(snap.identifiers ^ expected.identifiers)
    assert set(snap.shared) == set(expected.shared), sorted(set(snap.shared) ^ set(expected.shared))
    for key, reason in snap.shared.items():
        assert_reason_holds(key, reason, expected)
    assert snap.linking == expected.linking, sorted(snap.linking ^ expected.linking)
    assert snap.partition == expected.partition, describe(snap.partition, expected.partition)


_REASON = re.compile(r"seen with (\d+) distinct ([A-Z_]+) values \(limit (\d+)\)")


def assert_reason_holds(key: str, reason: str, expected: Expected) -> None:
    """A stored reason names a rule of the identifier's type that the evidence breaks.

    The count in the reason is the one seen when the value became shared: a shared value
    is not re-counted as more items carry it (that would cost a walk over a hub, such as
    the store's phone, on every write), so it may be lower than today's count, but it is
    above the limit and never above the evidence.
    """
    match = _REASON.fullmatch(reason)
    assert match, (key, reason)
    seen, other, limit = int(match[1]), match[2], int(match[3])
    kind = key.split(":", 1)[0]
    assert DEFAULT_SHARED_RULES[kind].get(other) == limit, (key, reason)
    assert limit < seen <= expected.counts[key].get(other, 0), (key, reason, expected.counts[key])


def describe(got: Partition, want: Partition) -> str:
    """The parts that differ, smallest first, for a readable failure."""
    extra = sorted(got - want, key=len)[:3]
    missing = sorted(want - got, key=len)[:3]
    return f"in graph but not in reference: {extra}; in reference but not in graph: {missing}"
