"""Segment changes to live subscribers, published after their transaction commits.

Each subscriber has a bounded queue; one too slow to keep up loses the oldest changes
rather than holding back the evaluation (webhooks, from the outbox, lose nothing).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence

from service.segments.membership import Change

__all__ = ["ChangeFeed"]

log = logging.getLogger("omnid")


class ChangeFeed:
    def __init__(self, queue_size: int = 1000) -> None:
        self._queues: set[asyncio.Queue[Change]] = set()
        self._queue_size = queue_size
        self.dropped = 0

    @property
    def subscribers(self) -> int:
        return len(self._queues)

    def publish(self, changes: Sequence[Change]) -> None:
        for change in changes:
            for queue in self._queues:
                if queue.full():
                    queue.get_nowait()
                    self.dropped += 1
                    log.warning("segment subscriber too slow: dropped a change")
                queue.put_nowait(change)

    async def subscribe(self, names: Sequence[str] | None = None) -> AsyncIterator[Change]:
        queue: asyncio.Queue[Change] = asyncio.Queue(self._queue_size)
        self._queues.add(queue)
        try:
            while True:
                change = await queue.get()
                if names is None or change.segment in names:
                    yield change
        finally:
            self._queues.discard(queue)
