"""Live events: every committed event, with its person, to whoever subscribed.

An in-process broker. Each subscriber gets a bounded queue; a subscriber too slow to
keep up loses the oldest events rather than slowing the writers down (the drop is
counted and logged). Events written by another process (a CLI import) are not seen
here; run bulk imports through the API, or one service per database, for live delivery.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from service.contract import Item
from service.resolution import BatchOutcome

__all__ = ["Broker", "LiveEvent"]

log = logging.getLogger("omnid")


@dataclass(frozen=True, slots=True)
class LiveEvent:
    item: Item
    person_id: str


class Broker:
    def __init__(self, queue_size: int = 1000) -> None:
        self._queues: set[asyncio.Queue[LiveEvent]] = set()
        self._queue_size = queue_size
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
            if person is None:
                continue
            event = LiveEvent(item, person)
            for queue in self._queues:
                if queue.full():
                    queue.get_nowait()
                    self.dropped += 1
                    log.warning("live subscriber too slow: dropped an event")
                queue.put_nowait(event)

    async def subscribe(
        self, *, types: Sequence[str] | None = None, channels: Sequence[str] | None = None
    ) -> AsyncIterator[LiveEvent]:
        queue: asyncio.Queue[LiveEvent] = asyncio.Queue(self._queue_size)
        self._queues.add(queue)
        try:
            while True:
                event = await queue.get()
                if types is not None and event.item.type not in types:
                    continue
                if channels is not None and event.item.channel not in channels:
                    continue
                yield event
        finally:
            self._queues.discard(queue)
