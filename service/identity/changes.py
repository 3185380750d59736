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

Consumers (the segment engine, the review list) read marks after a cursor of their own,
kept in ``(:ChangeCursor {name})``, looking back ``LOOKBACK`` before it, since a
transaction whose mark was stamped earlier may commit after a later one was read, and
remember the mark ids they have handled. A consumer saves its cursor only up to marks it
has finished with, so a crash makes it redo work, never skip it. That is how writes of
other processes (``omnid import``) and writes committed just before a crash are caught.
:class:`MarkFollower` is that bookkeeping, and ``follow`` its loop, for every consumer.
Marks older than ``RETENTION`` are pruned (``prune_marks``, called by a consumer): one
that stops for longer must re-derive its state from the graph.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from service.errors import OmnidError
from service.store.graph import Graph, Tx

__all__ = [
    "LOOKBACK",
    "ORIGIN",
    "RETENTION",
    "Mark",
    "MarkFollower",
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
_LOOKBACK_MS = int(LOOKBACK.total_seconds() * 1000)
_PAGE = 1000
_PRUNE_EVERY = 120  # catch-up rounds between two prunings of old marks

log = logging.getLogger("omnid")


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


class MarkFollower:
    """One consumer's progress through the marks, whichever road brought them: the
    commit listener (``take`` a mark of this process's write) or the catch-up
    (``read``: the marks committed since, any process's). Each mark is taken once and
    stays open until the consumer has ``finish``ed its parts (a part per person, say);
    the cursor ``name`` is saved only up to the oldest open mark."""

    def __init__(self, graph: Graph, name: str, *, grace: float | None = None) -> None:
        self.graph = graph
        self.name = name
        #: With ``grace`` (seconds), marks are left to the process that wrote them: a
        #: consumer whose transactions flag the marks they finish (``mark_evaluated_tx``)
        #: takes another process's mark only when it is still unflagged after ``grace``
        #: (the writer failed to), so a service with several workers handles each once.
        self.grace_ms = None if grace is None else int(grace * 1000)
        self.origin = ORIGIN  # the marks this process writes
        #: Marks taken and not finished: id -> [at, parts outstanding].
        self._open: dict[str, list[int]] = {}
        #: Marks taken (either road), id -> at: each is handled once.
        self._seen: dict[str, int] = {}
        self.read_from = 0  # every mark up to here (epoch ms) has been read
        self._saved: int | None = None

    def take(self, mark: Mark, parts: int = 1) -> bool:
        """Note a mark with ``parts`` to finish; False when either road took it already."""
        if mark.id in self._seen:
            return False
        self._seen[mark.id] = mark.at
        self._open[mark.id] = [mark.at, parts]
        return True

    def finish(self, mark_id: str, parts: int = 1) -> None:
        """``parts`` of a mark are handled; it closes when none is left (``close``: at
        once, whatever is left)."""
        slot = self._open.get(mark_id)
        if slot is not None:
            slot[1] -= parts
            if slot[1] <= 0:
                del self._open[mark_id]

    def close(self, mark_id: str) -> None:
        self._open.pop(mark_id, None)

    def outstanding(self, mark_id: str) -> int | None:
        """The parts of an open mark left to finish; None if it is not open."""
        slot = self._open.get(mark_id)
        return None if slot is None else slot[1]

    def _leaves(self, mark: Mark, due: int) -> bool:
        """Whether the catch-up leaves ``mark`` to the process that wrote it (for now:
        it is read again while within the look-back)."""
        if self.grace_ms is None or mark.origin == self.origin:
            return False
        return mark.evaluated or mark.at > due

    async def load(self) -> None:
        """Start from the saved cursor (at the service's start)."""
        self._saved = await read_cursor(self.graph, self.name)
        self.read_from = self._saved or 0

    async def read(self) -> list[Mark]:
        """The marks committed since the last round that no road has taken yet, now
        taken (a part per person); then the cursor is saved as far as it may be."""
        after = max(0, self.read_from - _LOOKBACK_MS)
        # Server time of the marks against this host's clock: both are real time.
        due = int(time.time() * 1000) - (self.grace_ms or 0)
        taken: list[Mark] = []
        while True:
            found = await marks_since(self.graph, after, limit=_PAGE)
            for mark in found:
                if not self._leaves(mark, due) and self.take(mark, len(mark.persons)):
                    taken.append(mark)
                self.read_from = max(self.read_from, mark.at)
            if len(found) < _PAGE:
                break
            after = found[-1].at - 1
        horizon = self.read_from - 2 * _LOOKBACK_MS
        self._seen = {k: at for k, at in self._seen.items() if at >= horizon or k in self._open}
        await self.save()
        return taken

    async def save(self) -> None:
        """Save how far every mark is finished: up to the oldest one still open, and
        no later than the marks of other processes that may still be left to this one."""
        horizon = self.read_from - (self.grace_ms or 0)
        position = min([horizon, *(at for at, _ in self._open.values())])
        if position > 0 and (self._saved is None or position > self._saved):
            await save_cursor(self.graph, self.name, position)
            self._saved = position

    async def follow(self, interval: float, on_marks: Callable[[list[Mark]], None]) -> None:
        """The catch-up loop: every ``interval`` seconds, hand the new marks to
        ``on_marks``; prune old marks now and then. Runs until cancelled."""
        await self.load()
        rounds = 0
        while True:
            try:
                on_marks(await self.read())
                rounds += 1
                if rounds % _PRUNE_EVERY == 1:
                    retention = int(RETENTION.total_seconds() * 1000)
                    await prune_marks(self.graph, self.read_from - retention)
            except OmnidError as exc:
                log.warning("%s: catch-up: %s", self.name, exc.code)
            except Exception:
                # The loop must outlive a failure, or no other process's write would be
                # handled again; the cursor is saved only after a round that worked.
                log.exception("%s: catch-up failed", self.name)
            await asyncio.sleep(interval)
