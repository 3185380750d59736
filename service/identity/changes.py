"""Changed persons: a durable mark in the transaction that changes them.

Every transaction that changes what a person is made of writes one ``PersonChange``
node in that same transaction (``cypher/changes.cypher``)::

    (:PersonChange {id, at, origin, persons: [person ids], kinds: [what changed]})

* written by resolution (``resolve_batch_tx``: records, events, merges, splits, and so
  identifier removals and erasures, which go through it), by the consent writer, and by
  erasure; a transaction that changes nothing (a re-sent event) writes none;
* ``persons``: every person id the transaction touched: the persons of its items, the
  ones merged away (now aliases), those split off and those left empty (deleted);
* ``kinds``: what changed, so a consumer can skip what cannot concern it: ``record``,
  ``event:<type>``, ``identifier`` (identifiers joined or left a person, or changed
  status), ``consent``, ``regroup`` (persons merged, split or emptied), ``erase``. A
  consumer must treat a kind it does not know as "anything may have changed";
* ``at``: the server's real time when the mark is written, the transaction's last steps
  (its commit follows within milliseconds, or the mark never exists);
* ``origin``: the writing process (random, one per process), so that a process can tell
  the marks of its own writes, which it may already have handled in memory;
* ``evaluated``: set (``mark_evaluated_tx``) by the consumer transaction that finishes
  the mark, so that the other processes of a service with several workers, whose
  catch-up reads every mark, leave it to the process that wrote it.

Consumers (the segment engine is the first) read marks after a cursor of their own,
kept in ``(:ChangeCursor {name})``, looking back ``LOOKBACK`` before it, since a
transaction whose mark was stamped earlier may commit after a later one was read, and
remember the mark ids they have handled. A consumer saves its cursor only up to marks it
has finished with, so a crash makes it redo work, never skip it. That is how writes of
other processes (``omnid import``) and writes committed just before a crash are caught.
Marks older than ``RETENTION`` are pruned (``prune_marks``, called by a consumer): one
that stops for longer must re-derive its state from the graph.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from service.store.graph import Graph, Tx

__all__ = [
    "LOOKBACK",
    "ORIGIN",
    "RETENTION",
    "Mark",
    "mark_changed_tx",
    "mark_evaluated_tx",
    "marks_since",
    "prune_marks",
    "read_cursor",
    "save_cursor",
]

#: This process, as the ``origin`` of the marks it writes.
ORIGIN = uuid.uuid4().hex
#: How far before its cursor a consumer reads again (late commits).
LOOKBACK = timedelta(seconds=10)
RETENTION = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Mark:
    id: str
    at: int  # epoch milliseconds, server time
    origin: str
    persons: tuple[str, ...]
    kinds: frozenset[str]
    evaluated: bool = False


async def mark_changed_tx(tx: Tx, persons: Iterable[str], kinds: Iterable[str]) -> Mark | None:
    """Write this transaction's mark; None (nothing written) when no person or no kind."""
    ids = tuple(sorted({p for p in persons if p}))
    what = frozenset(kinds)
    if not ids or not what:
        return None
    mark_id = str(uuid.uuid4())
    at = await tx.run(
        "mark-persons-changed", id=mark_id, origin=ORIGIN, persons=list(ids), kinds=sorted(what)
    )
    return Mark(mark_id, int(at), ORIGIN, ids, what)


async def mark_evaluated_tx(tx: Tx, ids: Iterable[str]) -> None:
    """Flag these marks as answered, in the transaction that answers them."""
    wanted = sorted(set(ids))
    if wanted:
        await tx.run("marks-evaluated", ids=wanted)


async def marks_since(graph: Graph, after: int, *, limit: int = 1000) -> list[Mark]:
    """Marks stamped after ``after`` (epoch ms), oldest first."""
    rows = await graph.query("person-changes-since", after=after, limit=limit)
    return [
        Mark(
            r["id"],
            int(r["at"]),
            r["origin"],
            tuple(r["persons"]),
            frozenset(r["kinds"]),
            bool(r["evaluated"]),
        )
        for r in rows
    ]


async def read_cursor(graph: Graph, name: str) -> int | None:
    at = await graph.query("change-cursor", consumer=name)
    return int(at) if at is not None else None


async def save_cursor(graph: Graph, name: str, at: int) -> None:
    await graph.command("save-change-cursor", consumer=name, at=at)


async def prune_marks(graph: Graph, before: int, *, limit: int = 10_000) -> int:
    """Delete up to ``limit`` marks stamped before ``before`` (epoch ms); how many."""
    return int(await graph.command("prune-person-changes", before=before, limit=limit) or 0)
