"""Live events: every committed event, with its person, to whoever subscribed.

Two feeds meet in one broker:

* events this process writes are published from the ingestor's commit hook, at once;
* events other processes write (a CLI import, another replica) are found by a poller
  that reads recently received events from Neo4j while anyone is subscribed.

Each event is delivered once (keys seen recently are remembered). Each subscriber gets a
bounded queue; one too slow to keep up loses the oldest events rather than slowing the
writers down (the drop is counted and logged).

When the poller finds Neo4j unreachable, every subscription ends with that error
(GRAPH_UNAVAILABLE) rather than going silent: a subscriber cannot tell "no events" from
"no database", so it is told, and subscribes again (the poller tells it again while
Neo4j stays down).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from service.errors import GraphUnavailable, OmnidError
from service.identity.contract import Item
from service.identity.identifiers import Identifier
from service.identity.resolution import BatchOutcome
from service.read.models import parse_time
from service.store.graph import Graph

__all__ = ["Broker", "LiveEvent"]

log = logging.getLogger("omnid")

#: How far back the poller looks: covers transactions that commit a while after the
#: time they stamped on their events.
_OVERLAP = timedelta(seconds=10)
_SEEN_SECONDS = 120.0


@dataclass(frozen=True, slots=True)
class LiveEvent:
    item: Item
    person_id: str


class Broker:
    def __init__(self, queue_size: int = 1000) -> None:
        self._queues: set[asyncio.Queue[LiveEvent | GraphUnavailable]] = set()
        self._queue_size = queue_size
        self._seen: OrderedDict[str, float] = OrderedDict()
        self.dropped = 0

    @property
    def subscribers(self) -> int:
        return len(self._queues)

    async def publish(self, items: Sequence[Item], outcome: BatchOutcome) -> None:
        """Commit hook for the ingestor: fan new events out to every subscriber."""
        if not self._queues:
            return
        for item in items:
            if item.kind != "event" or item.key in outcome.unchanged:
                continue
            person = outcome.persons.get(item.key)
            if person is not None:
                self._deliver(LiveEvent(item, person))

    def _deliver(self, event: LiveEvent) -> None:
        now = time.monotonic()
        while self._seen and next(iter(self._seen.values())) < now - _SEEN_SECONDS:
            self._seen.popitem(last=False)
        if event.item.key in self._seen:
            return
        self._seen[event.item.key] = now
        for queue in self._queues:
            if queue.full():
                queue.get_nowait()
                self.dropped += 1
                log.warning("live subscriber too slow: dropped an event")
            queue.put_nowait(event)

    def _fail(self, error: GraphUnavailable) -> None:
        """End every subscription with ``error``, after the events already queued."""
        for queue in list(self._queues):
            if queue.full():
                queue.get_nowait()
                self.dropped += 1
            queue.put_nowait(error)
        self._queues.clear()

    async def subscribe(
        self, *, types: Sequence[str] | None = None, channels: Sequence[str] | None = None
    ) -> AsyncIterator[LiveEvent]:
        queue: asyncio.Queue[LiveEvent | GraphUnavailable] = asyncio.Queue(self._queue_size)
        self._queues.add(queue)
        try:
            while True:
                event = await queue.get()
                if isinstance(event, GraphUnavailable):
                    raise event
                if types is not None and event.item.type not in types:
                    continue
                if channels is not None and event.item.channel not in channels:
                    continue
                yield event
        finally:
            self._queues.discard(queue)

    async def poll(self, graph: Graph, *, interval: float = 0.25, limit: int = 500) -> None:
        """Deliver events other processes commit; runs until cancelled."""
        since: datetime | None = None
        while True:
            await asyncio.sleep(interval)
            if not self._queues:
                since = None
                continue
            started = datetime.now(UTC)
            window = since - _OVERLAP if since else started - _OVERLAP
            try:
                rows = await graph.query("events-received-since", since=window, limit=limit)
            except GraphUnavailable as exc:
                log.warning("live poller: %s; ending %d subscriptions", exc.code, len(self._queues))
                self._fail(exc)
                since = None
                continue
            except OmnidError as exc:
                log.warning("live poller: %s", exc.code)
                continue
            for row in rows:
                self._deliver(_live_event(row))
            since = started


def _live_event(row: dict[str, Any]) -> LiveEvent:
    item = Item(
        kind="event",
        source=row["source"],
        id=row["sourceId"],
        identifiers=tuple(
            Identifier(i["type"], i["value"], i["value"]) for i in row["identifiers"]
        ),
        attributes=json.loads(row["attributes"] or "{}"),
        channel=row["channel"],
        type=row["type"],
        at=parse_time(row["at"]),
    )
    return LiveEvent(item, row["person"])
