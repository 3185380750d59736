"""Segments in the running service: the commit listener, the evaluation worker, the
window scheduler, the background evaluation of new definitions and the webhook drainer.

The ingestor calls ``on_commit`` after each committed write; it only notes the persons
touched (and merged, and split off), so writes never wait for segments. A worker takes
whatever has accumulated, evaluates it in one transaction (membership.py) and then
publishes the committed changes to subscribers and wakes the drainer. The scheduler
re-evaluates persons whose windows close, by the injectable clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from service.errors import NotFound, OmnidError
from service.identity.contract import Item
from service.identity.identifiers import IdentifierRules
from service.identity.resolution import BatchOutcome
from service.segments.clock import Clock, SystemClock
from service.segments.feed import ChangeFeed
from service.segments.membership import Change, evaluate_persons
from service.segments.outbox import Drainer
from service.segments.store import (
    Segment,
    SegmentCache,
    define_segment,
    drop_segment,
    load_segments,
)
from service.segments.webhooks import WebhookTarget, targets_from_settings
from service.store.graph import Graph

__all__ = ["SegmentEngine"]

log = logging.getLogger("omnid")

#: Persons per transaction of the background evaluation of a new definition.
_BACKFILL_BATCH = 500


@dataclass
class _Touched:
    persons: set[str] = field(default_factory=set)
    absorbed: dict[str, str] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)
    split: bool = False


class SegmentEngine:
    def __init__(
        self,
        graph: Graph,
        *,
        clock: Clock | None = None,
        targets: Sequence[WebhookTarget] | None = None,
        scheduler_interval: float = 1.0,
        drain_interval: float = 0.5,
    ) -> None:
        settings = graph.settings
        # The same driver, its own Graph: its background statements (scheduler, drainer,
        # definitions) do not count in the requests' ``graph.queries``.
        graph = type(graph)(graph.driver, settings, graph.statements)
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
        self._touched = _Touched()
        self._signal = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: list[asyncio.Task[None]] = []
        self._backfills: dict[str, asyncio.Task[None]] = {}

    # -- the commit listener -------------------------------------------------------

    async def on_commit(self, items: Sequence[Item], outcome: BatchOutcome) -> None:
        """Note what a committed write touched; the worker evaluates it."""
        touched = self._touched
        touched.persons.update(outcome.persons.values())
        touched.persons.update(outcome.absorbed.values())
        touched.absorbed.update(outcome.absorbed)
        touched.items.extend(i for i in items if i.key not in outcome.unchanged)
        touched.split = touched.split or outcome.split > 0
        self._idle.clear()
        self._signal.set()

    # -- lifecycle -----------------------------------------------------------------

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._work()),
            asyncio.create_task(self._schedule()),
            asyncio.create_task(self.drainer.run()),
        ]
        try:
            for segment in await load_segments(self.graph):
                if segment.status == "EVALUATING":
                    self._start_backfill(segment.name)
        except OmnidError as exc:
            log.warning("segments: background evaluations not resumed: %s", exc.code)

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
        """Wait until every noted write is evaluated (tests and benchmarks)."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    # -- definitions ----------------------------------------------------------------

    async def define(self, raw: object, *, replace: bool = False) -> Segment:
        types = IdentifierRules.from_settings(self.graph.settings).types
        name, _, changed = await define_segment(
            self.graph, raw, clock=self.clock, replace=replace, identifier_types=types
        )
        self.cache.invalidate()
        if changed:
            self._start_backfill(name)
        return await self.segment(name)

    async def drop(self, name: str) -> None:
        task = self._backfills.pop(name, None)
        if task is not None:
            task.cancel()
        await drop_segment(self.graph, name)
        self.cache.invalidate()

    async def segment(self, name: str) -> Segment:
        for segment in await load_segments(self.graph):
            if segment.name == name:
                return segment
        raise NotFound("no segment of this name", name=name)

    # -- the worker -----------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            await self._signal.wait()
            self._signal.clear()
            touched, self._touched = self._touched, _Touched()
            try:
                await self._evaluate(touched)
            except OmnidError as exc:
                log.warning("segments: evaluation failed: %s", exc.code)
            except Exception:
                # Nothing of a failed evaluation is committed (one transaction); the
                # worker must outlive it, or no later write would be evaluated.
                log.exception("segments: evaluation failed")
            if not self._signal.is_set():
                self._idle.set()

    async def _evaluate(self, touched: _Touched) -> None:
        segments = await self.cache.current()
        if not segments or not touched.persons:
            return
        persons = touched.persons
        if touched.split:
            parts = await self.graph.query("persons-split-from", ids=sorted(persons))
            persons = persons | set(parts or [])
        changes = await evaluate_persons(
            self.graph,
            sorted(persons),
            segments,
            now=self.clock.now(),
            targets=self.targets,
            absorbed=touched.absorbed,
            items=touched.items,
        )
        self._published(changes)

    def _published(self, changes: list[Change]) -> None:
        if changes:
            self.feed.publish(changes)
            self.drainer.wake()

    # -- windows closing ------------------------------------------------------------

    async def tick(self) -> int:
        """Re-evaluate the persons whose windows closed by now; returns how many."""
        segments = await self.cache.current()
        if not segments:
            return 0
        now = self.clock.now()
        persons = await self.graph.query("due-memberships", now=now.isoformat(), limit=500) or []
        if persons:
            changes = await evaluate_persons(
                self.graph, persons, segments, now=now, targets=self.targets, items=[]
            )
            self._published(changes)
        return len(persons)

    async def _schedule(self) -> None:
        while True:
            await asyncio.sleep(self.scheduler_interval)
            try:
                while await self.tick() >= 500:
                    pass
            except OmnidError as exc:
                log.warning("segments: scheduler: %s", exc.code)

    # -- the background evaluation of a new or changed definition -------------------

    def _start_backfill(self, name: str) -> None:
        old = self._backfills.pop(name, None)
        if old is not None:
            old.cancel()
        self._backfills[name] = asyncio.create_task(self._backfill_logged(name))

    async def _backfill_logged(self, name: str) -> None:
        try:
            await self.backfill(name)
        except Exception:
            # Progress is on the segment: the next start resumes from its cursor.
            log.exception("segments: background evaluation of %s stopped", name)

    async def backfill(self, name: str) -> None:
        """Evaluate every person for one segment, in batches, recording progress on it."""
        segment = await self.segment(name)
        cursor = segment.cursor
        while True:
            ids: list[str] = (
                await self.graph.query("persons-page", after=cursor, limit=_BACKFILL_BATCH) or []
            )
            if ids:
                changes = await evaluate_persons(
                    self.graph, ids, [segment], now=self.clock.now(), targets=self.targets
                )
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
                self._backfills.pop(name, None)
                return
