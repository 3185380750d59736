"""Segments in the running service: the evaluation workers, the catch-up over the
changed-persons marks, the window scheduler, the background evaluation of new
definitions, drops, and the webhook drainer.

What to evaluate comes from the changed-persons marks (``service/identity/changes.py``),
which every write commits with itself, by two roads:

* the fast one: the ingestor calls ``on_commit`` after each committed write with its
  mark and items; the persons are queued at once (writes never wait for segments);
* the durable one: a catch-up task reads marks from the graph after its cursor (with a
  look-back), so writes of other processes (``omnid import``) and writes whose
  evaluation a crash lost are evaluated too. The cursor (``ChangeCursor {name:
  'segments'}``) is saved only up to the oldest mark not yet evaluated.

A service with several workers (processes) runs one engine in each, and each one's
catch-up reads every mark: a mark of another process is taken only once it is older
than ``grace`` and not flagged evaluated (the transaction that finishes a mark flags it),
so each write is evaluated once, by the process that wrote it, unless that process
fails to within ``grace``.

Several workers take queued persons, a batch each, never a person another worker holds,
and evaluate in one transaction per batch (membership.py) only the segments the
changes can concern (``Plan.concerns``), then publish the committed changes to
subscribers and wake the drainer. The scheduler re-evaluates persons whose windows
close, by the injectable clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field

from service.errors import NotFound, OmnidError
from service.identity import changes as marks
from service.identity.contract import Item
from service.identity.identifiers import IdentifierRules
from service.identity.resolution import BatchOutcome
from service.segments.clock import Clock, SystemClock
from service.segments.feed import ChangeFeed
from service.segments.membership import Change, evaluate_persons, leave_tx
from service.segments.outbox import Drainer
from service.segments.store import (
    Segment,
    SegmentCache,
    define_segment,
    load_segments,
    start_dropping,
)
from service.segments.webhooks import WebhookTarget, targets_from_settings
from service.store.graph import Graph, in_background

__all__ = ["SegmentEngine"]

log = logging.getLogger("omnid")

#: Persons per transaction of the background evaluation of a new definition, and of
#: the exits of a dropped segment.
_BACKFILL_BATCH = 500
#: The catch-up's cursor among the changed-persons consumers.
CURSOR = "segments"
#: How long another process has to evaluate its own marks before this one does (less
#: than the look-back, so the catch-up still reads the mark once it may take it).
GRACE = marks.LOOKBACK.total_seconds() / 2


@dataclass(slots=True)
class _Pending:
    """What is queued for one person: the kinds of change, the marks it answers, and
    the items written (None: project the stored attributes)."""

    kinds: set[str] = field(default_factory=set)
    marks: set[str] = field(default_factory=set)
    items: dict[str, Item] | None = field(default_factory=dict)

    def absorb(self, other: _Pending) -> None:
        self.kinds |= other.kinds
        self.marks |= other.marks
        if self.items is None or other.items is None:
            self.items = None
        else:
            self.items.update(other.items)


class SegmentEngine:
    def __init__(
        self,
        graph: Graph,
        *,
        clock: Clock | None = None,
        targets: Sequence[WebhookTarget] | None = None,
        scheduler_interval: float = 1.0,
        drain_interval: float = 0.5,
        catch_up_interval: float = 0.5,
        workers: int = 4,
        batch: int = 100,
        grace: float = GRACE,
    ) -> None:
        settings = graph.settings
        # The service's own Graph (its bookmarks, its timing hooks): the workers, the
        # catch-up, the scheduler and the drainer start through ``in_background``, so
        # their statements do not count in the requests' ``graph.queries``.
        self.graph = graph
        self.clock: Clock = clock or SystemClock()
        self.targets = list(targets if targets is not None else targets_from_settings(settings))
        self.cache = SegmentCache(graph)
        self.feed = ChangeFeed()
        self.drainer = Drainer(
            graph,
            self.targets,
            max_attempts=settings.webhook_max_attempts,
            backoff=settings.webhook_backoff,
            timeout=settings.webhook_timeout,
            interval=drain_interval,
        )
        self.scheduler_interval = scheduler_interval
        self.catch_up_interval = catch_up_interval
        self.workers = max(1, workers)
        self.batch = max(1, batch)
        self._pending: dict[str, _Pending] = {}
        self._busy: set[str] = set()
        #: Marks taken by either road, each once, open until its persons are evaluated.
        self.marks = marks.MarkFollower(graph, CURSOR, grace=grace)
        self._signal = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: list[asyncio.Task[None]] = []
        self._backfills: dict[str, asyncio.Task[None]] = {}

    # -- the two roads in -----------------------------------------------------------

    async def on_commit(self, items: Sequence[Item], outcome: BatchOutcome) -> None:
        """A write of this process committed: queue the persons of its mark."""
        if outcome.mark is None:
            return
        # Each person gets the items written to it (their attributes are projected).
        mine: dict[str, dict[str, Item]] = {p: {} for p in outcome.mark.persons}
        for item in items:
            person = outcome.persons.get(item.key)
            if person in mine and item.key not in outcome.unchanged:
                mine[person][item.key] = item
        self._take(outcome.mark, mine)

    def _take(self, mark: marks.Mark, items: dict[str, dict[str, Item]] | None) -> None:
        """Queue a mark's persons (``items``: the items written, per person; None: read
        the stored ones), once per mark."""
        if not self.marks.take(mark, len(mark.persons)):
            return
        self._queue_mark(mark, items)

    def _queue_mark(self, mark: marks.Mark, items: dict[str, dict[str, Item]] | None) -> None:
        for person in mark.persons:
            written = None if items is None else items.get(person, {})
            self._queue(person, _Pending(set(mark.kinds), {mark.id}, written))

    def _queue(self, person: str, entry: _Pending) -> None:
        queued = self._pending.get(person)
        if queued is None:
            self._pending[person] = entry
        else:
            queued.absorb(entry)
        self._idle.clear()
        self._signal.set()

    async def catch_up(self) -> int:
        """Queue the marks committed since the last round that no road has taken yet
        (other processes' writes, or this one's before a crash); how many."""
        taken = await self.marks.read()
        self._caught_up(taken)
        return len(taken)

    def _caught_up(self, taken: list[marks.Mark]) -> None:
        for mark in taken:
            self._queue_mark(mark, None)

    # -- lifecycle -----------------------------------------------------------------

    async def start(self) -> None:
        self._tasks = [in_background(self._work()) for _ in range(self.workers)]
        self._tasks += [
            in_background(self.marks.follow(self.catch_up_interval, self._caught_up)),
            in_background(self._schedule()),
            in_background(self.drainer.run()),
        ]
        try:
            for segment in await load_segments(self.graph):
                if segment.status == "EVALUATING":
                    self._start_backfill(segment.name)
                elif segment.status == "DROPPING":
                    self._start_background(segment.name, self.finish_drop)
        except OmnidError as exc:
            log.warning("segments: background work not resumed: %s", exc.code)

    async def stop(self) -> None:
        tasks = [*self._tasks, *self._backfills.values()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        self._backfills = {}

    async def settle(self, timeout: float = 30.0) -> None:
        """Wait until every queued person is evaluated (tests and benchmarks)."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    # -- definitions ----------------------------------------------------------------

    async def define(self, raw: object, *, replace: bool = False) -> Segment:
        settings = self.graph.settings
        name, _, changed = await define_segment(
            self.graph,
            raw,
            clock=self.clock,
            replace=replace,
            identifier_types=IdentifierRules.from_settings(settings).types,
            purposes=settings.consent_purposes,
        )
        self.cache.invalidate()
        if changed:
            self._start_backfill(name)
        return await self.segment(name)

    async def drop(self, name: str) -> None:
        """Stop evaluating a segment; its members leave in the background (each exit
        recorded and delivered), then it is removed."""
        task = self._backfills.pop(name, None)
        if task is not None:
            task.cancel()
        await start_dropping(self.graph, name)
        self.cache.invalidate()
        self._start_background(name, self.finish_drop)

    async def finish_drop(self, name: str) -> None:
        """Send the exits of a dropping segment's members, a batch per transaction, then
        remove it. Resumed at the next start if interrupted."""
        segment = await self.segment(name)
        while True:
            persons = await self.graph.query(
                "segment-leave-page", segment=name, limit=_BACKFILL_BATCH
            )
            if not persons:
                break
            async with self._holding(persons) as held:
                changes = await self.graph.write(
                    leave_tx, segment, held, self.clock.now(), self.targets
                )
            self._published(changes)
            if not held:
                await asyncio.sleep(0.05)  # every one of them is being evaluated
        while not await self.graph.command("segment-drop", segment=name, limit=5000):
            pass
        log.info("segment %s dropped", name)

    async def segment(self, name: str) -> Segment:
        for segment in await load_segments(self.graph):
            if segment.name == name:
                return segment
        raise NotFound("no segment of this name", name=name)

    # -- the workers ----------------------------------------------------------------

    def _claim(self) -> dict[str, _Pending]:
        """Up to ``batch`` queued persons no worker holds, now held by the caller."""
        batch: dict[str, _Pending] = {}
        for person in self._pending:
            if person not in self._busy:
                batch[person] = self._pending[person]
                if len(batch) >= self.batch:
                    break
        for person in batch:
            del self._pending[person]
            self._busy.add(person)
        return batch

    async def _work(self) -> None:
        while True:
            batch = self._claim()
            if not batch:
                self._signal.clear()
                await self._signal.wait()
                continue
            try:
                await self._evaluate(batch)
                self._finished(batch)
            except Exception as exc:
                # Nothing of a failed evaluation is committed (one transaction). Its
                # marks stay open, so the saved cursor stops before them and the next
                # start evaluates them again; the persons' next write does too.
                if isinstance(exc, OmnidError):
                    log.warning("segments: evaluation failed: %s", exc.code)
                else:
                    log.exception("segments: evaluation failed")
            finally:
                self._busy.difference_update(batch)
                if self._pending:
                    self._signal.set()
                elif not self._busy:
                    self._idle.set()

    async def _evaluate(self, batch: dict[str, _Pending]) -> None:
        segments = await self.cache.current()
        checks = {p: [s for s in segments if s.plan.concerns(e.kinds)] for p, e in batch.items()}
        if not any(checks.values()):
            return
        items: list[Item] | None = []
        for entry in batch.values():
            if entry.items is None or items is None:
                items = None
            else:
                items.extend(entry.items.values())
        changes = await evaluate_persons(
            self.graph,
            checks,
            now=self.clock.now(),
            targets=self.targets,
            items=items,
            answers=self._answered(batch),
        )
        self._published(changes)

    def _answered(self, batch: dict[str, _Pending]) -> list[str]:
        """The marks this batch finishes (no other of their persons left to evaluate)."""
        left: dict[str, int] = {}
        for entry in batch.values():
            for mark in entry.marks:
                outstanding = self.marks.outstanding(mark)
                if outstanding is not None:
                    left[mark] = left.get(mark, outstanding) - 1
        return sorted(m for m, n in left.items() if n <= 0)

    def _finished(self, batch: dict[str, _Pending]) -> None:
        for entry in batch.values():
            for mark in entry.marks:
                self.marks.finish(mark)

    def _published(self, changes: list[Change]) -> None:
        if changes:
            self.feed.publish(changes)
            self.drainer.wake()

    @contextlib.asynccontextmanager
    async def _holding(self, persons: Iterable[str]) -> AsyncIterator[list[str]]:
        """Hold the persons no worker holds (the others are left out), for a direct
        evaluation beside the workers; release them after."""
        held = sorted({p for p in persons if p not in self._busy})
        self._busy.update(held)
        try:
            yield held
        finally:
            self._busy.difference_update(held)
            if self._pending:
                self._signal.set()

    # -- windows closing ------------------------------------------------------------

    async def tick(self) -> int:
        """Re-evaluate the persons whose windows closed by now; returns how many
        (a person a worker holds now is left to the next tick)."""
        segments = await self.cache.current()
        if not segments:
            return 0
        now = self.clock.now()
        persons = await self.graph.query("due-memberships", now=now.isoformat(), limit=500) or []
        async with self._holding(persons) as held:
            if held:
                changes = await evaluate_persons(
                    self.graph, {p: segments for p in held}, now=now, targets=self.targets
                )
                self._published(changes)
        return len(held)

    async def _schedule(self) -> None:
        while True:
            await asyncio.sleep(self.scheduler_interval)
            try:
                while await self.tick() >= 500:
                    pass
            except OmnidError as exc:
                log.warning("segments: scheduler: %s", exc.code)

    # -- background work on one segment: evaluation of a definition, a drop ---------

    def _start_backfill(self, name: str) -> None:
        self._start_background(name, self.backfill)

    def _start_background(self, name: str, work: Callable[[str], Awaitable[None]]) -> None:
        old = self._backfills.pop(name, None)
        if old is not None:
            old.cancel()
        self._backfills[name] = in_background(self._logged(name, work))

    async def _logged(self, name: str, work: Callable[[str], Awaitable[None]]) -> None:
        try:
            await work(name)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Progress is on the segment: the next start resumes it.
            log.exception("segments: background work on %s stopped", name)
        finally:
            if self._backfills.get(name) is asyncio.current_task():
                del self._backfills[name]

    async def backfill(self, name: str) -> None:
        """Evaluate every person for one segment, in batches, recording progress on it.
        A person a worker holds at that moment is queued for it instead."""
        segment = await self.segment(name)
        cursor = segment.cursor
        while True:
            ids: list[str] = (
                await self.graph.query("persons-page", after=cursor, limit=_BACKFILL_BATCH) or []
            )
            if ids:
                async with self._holding(ids) as held:
                    changes = await evaluate_persons(
                        self.graph,
                        {p: [segment] for p in held},
                        now=self.clock.now(),
                        targets=self.targets,
                    )
                for person in set(ids) - set(held):
                    self._queue(person, _Pending({f"segment:{name}"}, set(), None))
                self._published(changes)
                cursor = ids[-1]
            done = len(ids) < _BACKFILL_BATCH
            await self.graph.command(
                "segment-progress",
                segment=name,
                version=segment.version,
                cursor=cursor,
                evaluated=len(ids),
                done=done,
            )
            if done:
                log.info("segment %s evaluated over the whole graph", name)
                return
