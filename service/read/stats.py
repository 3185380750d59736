"""Counts over the whole graph: what ``omnid stats`` prints, as one dataclass.

The statements live in ``cypher/stats.cypher`` and run in one read transaction, so the
figures are one consistent snapshot::

    >>> bucket(1), bucket(4), bucket(51)
    ('1', '3-5', '>50')

A person's *size* is the number of records and events that resolved to them: a one-off
newsletter signup is 1, a loyal customer with a card and a year of purchases is 50+, and
a size far above the rest is where to look for a false merge.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from service.store.graph import Graph, Tx

__all__ = [
    "SIZE_BUCKETS",
    "GraphStats",
    "IdentifierTypeStats",
    "ItemCount",
    "SharedIdentifier",
    "bucket",
    "graph_stats",
    "person_count",
]

#: Size buckets of persons: (label, smallest size, largest size or None).
SIZE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("1", 1, 1),
    ("2", 2, 2),
    ("3-5", 3, 5),
    ("6-10", 6, 10),
    ("11-50", 11, 50),
    (">50", 51, None),
)


def bucket(size: int) -> str:
    """The label of the size bucket ``size`` falls in; ``"0"`` for a person without items."""
    for label, low, high in SIZE_BUCKETS:
        if size >= low and (high is None or size <= high):
            return label
    return "0"


@dataclass(frozen=True, slots=True)
class IdentifierTypeStats:
    """Identifiers of one type: all of them, and how many link, are shared or blocked."""

    type: str
    total: int
    linking: int
    shared: int
    blocked: int


@dataclass(frozen=True, slots=True)
class ItemCount:
    """Records (``channel`` None) or events of one source and channel."""

    kind: str  # "record" or "event"
    source: str
    channel: str | None
    total: int


@dataclass(frozen=True, slots=True)
class SharedIdentifier:
    """An identifier that stopped linking because too many customers carry it."""

    key: str
    type: str
    value: str
    reason: str | None
    items: int
    persons: int


@dataclass(frozen=True, slots=True)
class GraphStats:
    """Everything ``omnid stats`` shows."""

    persons: int
    identifiers: list[IdentifierTypeStats] = field(default_factory=list)
    items: list[ItemCount] = field(default_factory=list)
    #: Persons per size bucket, in :data:`SIZE_BUCKETS` order (every bucket present).
    sizes: dict[str, int] = field(default_factory=dict)
    #: The most connected shared identifiers (at most ``top_shared`` of them).
    shared: list[SharedIdentifier] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(c.total for c in self.items if c.kind == "record")

    @property
    def events(self) -> int:
        return sum(c.total for c in self.items if c.kind == "event")

    @property
    def shared_total(self) -> int:
        return sum(t.shared for t in self.identifiers)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (what ``omnid stats --json`` prints)."""
        return {
            "persons": self.persons,
            "records": self.records,
            "events": self.events,
            "identifiers": [asdict(t) for t in self.identifiers],
            "items": [asdict(c) for c in self.items],
            "sizes": dict(self.sizes),
            "sharedTotal": self.shared_total,
            "shared": [asdict(s) for s in self.shared],
        }


async def person_count(graph: Graph) -> int:
    """How many persons the graph holds."""
    return int(await graph.query("stats-person-count") or 0)


async def graph_stats(graph: Graph, *, top_shared: int = 20) -> GraphStats:
    """Counts over the whole graph, in one read transaction."""

    async def stats_tx(tx: Tx) -> GraphStats:
        persons = await tx.run("stats-person-count")
        identifier_rows = await tx.run("stats-identifiers")
        item_rows = await tx.run("stats-items")
        size_rows = await tx.run("stats-person-sizes")
        shared_rows = await tx.run("stats-shared-identifiers", limit=top_shared)
        sizes = {label: 0 for label, _, _ in SIZE_BUCKETS}
        for row in size_rows:
            label = bucket(int(row["size"]))
            sizes[label] = sizes.get(label, 0) + int(row["persons"])
        return GraphStats(
            persons=int(persons or 0),
            identifiers=[
                IdentifierTypeStats(
                    r["type"],
                    int(r["total"]),
                    int(r["linking"]),
                    int(r["shared"]),
                    int(r["blocked"]),
                )
                for r in identifier_rows
            ],
            items=[
                ItemCount(r["kind"], r["source"], r["channel"], int(r["total"])) for r in item_rows
            ],
            sizes=sizes,
            shared=[
                SharedIdentifier(
                    r["key"],
                    r["type"],
                    r["value"],
                    r["reason"],
                    int(r["items"]),
                    int(r["persons"]),
                )
                for r in shared_rows
            ],
        )

    return await graph.read(stats_tx)
