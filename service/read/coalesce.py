"""Concurrent lookups share statements.

The Python driver spends about half a millisecond of CPU on every statement, whatever
it returns (bench/README.md), and Neo4j has a fixed cost per statement too: under load,
a service answering each lookup with a statement of its own spends most of its CPU on
that overhead. ``Coalescer`` runs at most ``concurrency`` batch loads at once; loads
that arrive while they run wait and go together in the next one, up to ``max_batch``
keys. Alone, a load starts at once (no added latency on a quiet service); under load,
batches grow with the queue, and the per-statement cost is shared by the batch.

It differs from a per-request DataLoader in what it batches: loads of *different*
requests, over time, not the fields of one request within one loop iteration. Nothing
is cached: every load reads the graph.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["Coalescer"]

K = TypeVar("K")
V = TypeVar("V")


class Coalescer(Generic[K, V]):
    """Batches concurrent ``load`` calls into calls of ``load_many`` (same order out)."""

    def __init__(
        self,
        load_many: Callable[[Sequence[K]], Awaitable[Sequence[V]]],
        *,
        concurrency: int = 2,
        max_batch: int = 50,
    ) -> None:
        if concurrency < 1 or max_batch < 1:
            raise ValueError("concurrency and max_batch must be at least 1")
        self._load_many = load_many
        self._concurrency = concurrency
        self._max_batch = max_batch
        self._queue: deque[tuple[K, asyncio.Future[V]]] = deque()
        self._running = 0
        self._tasks: set[asyncio.Task[None]] = set()
        #: Batch loads run and keys loaded (tests read them).
        self.batches = 0
        self.keys = 0

    async def load(self, key: K) -> V:
        return (await self.load_many([key]))[0]

    async def load_many(self, keys: Sequence[K]) -> list[V]:
        """The values of ``keys``; they join the queue together, so a batch a caller
        already made (a request's DataLoader) stays one statement when it fits."""
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[V]] = []
        for key in keys:
            future: asyncio.Future[V] = loop.create_future()
            self._queue.append((key, future))
            futures.append(future)
        if self._running < self._concurrency:
            self._start()
        return list(await asyncio.gather(*futures))

    def _start(self) -> None:
        batch = [self._queue.popleft() for _ in range(min(self._max_batch, len(self._queue)))]
        self._running += 1
        task = asyncio.create_task(self._run(batch))
        self._tasks.add(task)  # a task nobody references may be collected mid-run
        task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[tuple[K, asyncio.Future[V]]]) -> None:
        try:
            # a caller may have gone (cancelled): its key is not read
            live = [(k, f) for k, f in batch if not f.done()]
            if live:
                self.batches += 1
                self.keys += len(live)
                try:
                    values = await self._load_many([k for k, _ in live])
                except asyncio.CancelledError:  # shutting down: so are the callers
                    for _, future in live:
                        future.cancel()
                    raise
                except Exception as exc:  # every caller of the batch gets it
                    for _, future in live:
                        if not future.done():
                            future.set_exception(exc)
                else:
                    for (_, future), value in zip(live, values, strict=True):
                        if not future.done():
                            future.set_result(value)
        finally:
            self._running -= 1
            if self._queue:
                self._start()
