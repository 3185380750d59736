"""Cutting a bulk window, or a large call, into transactions that share nothing.

The ingest pipeline (``service/identity/ingest.py``) writes a window of consecutive
batches, or one large API call, as several concurrent transactions. Two transactions that
share an identifier, a record or a person wait on each other's locks (and can deadlock,
then the driver retries a whole batch after a second), so the items are grouped along
connected components (:mod:`service.identity.partition`): over the identifiers they
carry, read in the reading thread (:func:`read_window`), and over what the graph already
joins (:func:`read_links`: the persons they reach, the identifiers stored records
carried), completed with what the previous window's transactions changed
(:func:`written_links`). Statements: ``window-links`` in ``cypher/ingest.cypher``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass

from service.errors import OmnidError
from service.identity.contract import Item
from service.identity.partition import UnionFind, carried_together
from service.identity.resolution import BatchOutcome, ResolutionPolicy
from service.store.graph import Graph

__all__ = [
    "PARTS_PER_WRITER",
    "Window",
    "keep",
    "outcome_by_key",
    "read_links",
    "read_window",
    "written_links",
]

#: Transactions a window (or a large call) is cut into, per writer, run at most
#: ``writers`` at once. Smaller transactions than the input batches cost Neo4j less
#: (a large one's state outlives young collections: the server's collector spent 15-20%
#: of its CPU scanning old regions for references to young objects), and the last
#: transactions of a window, alone on the machine, are shorter. 100,000 items, three
#: writers, alternated runs: 22.8 s and 30.5 Neo4j CPU-seconds with one per writer,
#: 21.6 s and 26.9 with two (bench/README.md, "Sixth session").
PARTS_PER_WRITER = 2


@dataclass(frozen=True, slots=True)
class Window:
    """Consecutive input batches, validated, to be re-cut into transactions that share
    nothing (:func:`service.identity.partition.cut`).

    ``unique`` holds the window's distinct items (the last version of a record, the
    first of an event); ``roots`` their connected components over the identifiers they
    carry, computed in the reading thread: no identifier and no record will be in two
    transactions, so they take disjoint locks (up to the persons they reach, which
    :func:`read_links` reads) and run at once.
    """

    batches: list[list[Item | OmnidError]]
    unique: list[Item]
    #: Item and identifier keys in components (items and what they carry).
    roots: UnionFind[str]
    #: Per batch, the events a batch before it in the window already sent: they report
    #: ``unchanged``, as they would had their batch been written alone.
    repeated: list[set[str]]
    started: float


def keep(unique: dict[str, Item], item: Item) -> bool:
    """Keep ``item`` among distinct items by key: the last version of a record wins,
    the first of an event (events are immutable). Whether it was kept."""
    if item.kind == "record" or item.key not in unique:
        unique[item.key] = item
        return True
    return False


def read_window(
    parse: Callable[[Sequence[object]], list[Item | OmnidError]],
    source: Iterator[Sequence[object]],
    size: int,
) -> Window | None:
    """The next ``size`` batches of ``source``, validated by ``parse``, as a window
    (None once ``source`` is exhausted). Runs in a worker thread."""
    started = time.perf_counter()
    batches: list[list[Item | OmnidError]] = []
    for raw in source:
        batches.append(parse(raw))
        if len(batches) >= size:
            break
    if not batches:
        return None
    unique: dict[str, Item] = {}
    first_batch: dict[str, int] = {}
    repeated: list[set[str]] = [set() for _ in batches]
    for number, parsed in enumerate(batches):
        for entry in parsed:
            if not isinstance(entry, Item):
                continue
            if keep(unique, entry):
                if entry.kind == "event":
                    first_batch[entry.key] = number
            elif first_batch[entry.key] < number:  # an event sent before
                repeated[number].add(entry.key)
    items = list(unique.values())
    return Window(batches, items, carried_together(items), repeated, started)


async def read_links(
    graph: Graph, policy: ResolutionPolicy, items: list[Item]
) -> list[tuple[str, str]]:
    """What joins ``items`` beyond what they carry, as the graph stands: the person
    an identifier or a stored record belongs to, and the identifiers a stored record
    carried until now (the transaction rewriting it changes their relationships)."""
    if len(items) <= 1:
        return []
    # Only linking identifiers belong to a person (an address, a blocked value never
    # does): the others would be index seeks that find nothing.
    links_by_type = policy.type_links
    identifiers = sorted({i.key for item in items for i in item.identifiers if links_by_type(i)})
    records = sorted(item.key for item in items if item.kind == "record")
    found = await graph.query("window-links", identifiers=identifiers, records=records)
    links: list[tuple[str, str]] = [
        (key, "person/" + person)
        for key, person in zip(found["identifiers"], found["persons"], strict=True)
    ]
    for key, person, carried in zip(
        found["records"], found["recordPersons"], found["carried"], strict=True
    ):
        if person:
            links.append((key, "person/" + person))
        links += [(key, other) for other in carried]
    return links


def outcome_by_key(
    groups: list[list[Item]], outcomes: Sequence[BatchOutcome]
) -> dict[str, BatchOutcome]:
    """The outcome of the transaction that wrote each item, by item key."""
    return {
        item.key: outcome for group, outcome in zip(groups, outcomes, strict=True) for item in group
    }


def written_links(
    groups: list[list[Item]],
    outcomes: Sequence[BatchOutcome],
    keys: Container[str],
    policy: ResolutionPolicy,
) -> list[tuple[str, str]]:
    """What written transactions changed of the links (:func:`read_links`) of a
    window whose ``keys`` were read before they committed: the person each written item
    and the linking identifiers it carried belong to now (new persons, merges, a record
    rewritten with other identifiers), and the persons merged into others. A link missed
    here only costs lock waits between two transactions: resolution stays correct."""
    links: list[tuple[str, str]] = []
    for group, outcome in zip(groups, outcomes, strict=True):
        shared = set(outcome.shared)
        for item in group:
            person = outcome.persons.get(item.key)
            if person is None:
                continue
            node = "person/" + person
            if item.key in keys:
                links.append((item.key, node))
            for ident in item.identifiers:
                if ident.key in keys and policy.type_links(ident) and ident.key not in shared:
                    links.append((ident.key, node))
        links += [("person/" + old, "person/" + new) for old, new in outcome.absorbed.items()]
    return links
