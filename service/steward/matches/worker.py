"""The commit listener: a written record's possible matches, computed after its write.

``MatchWorker.on_commit`` (registered in ``service/api/app.py``) only notes the keys of
the records a committed batch wrote; a background task refreshes them (``store.
refresh_records``), so that a write's answer never waits for matching. Records written
by another process (``omnid import``) are caught up by ``omnid matches --refresh``
(``store.catch_up``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from service.errors import OmnidError
from service.identity.contract import Item
from service.identity.resolution import BatchOutcome
from service.steward.matches.store import BATCH, refresh_records
from service.store.graph import Graph, in_background

__all__ = ["MatchWorker"]

log = logging.getLogger("omnid")


class MatchWorker:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._pending: set[str] = set()
        self._signal = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None

    async def on_commit(self, items: Sequence[Item], outcome: BatchOutcome) -> None:
        keys = [i.key for i in items if i.kind == "record"]
        if keys:
            self._pending.update(keys)
            self._idle.clear()
            self._signal.set()

    async def start(self) -> None:
        self._task = in_background(self._work())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def idle(self, timeout: float = 30.0) -> None:
        """Wait until every noted record is refreshed (tests)."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def _work(self) -> None:
        while True:
            await self._signal.wait()
            self._signal.clear()
            while self._pending:
                batch = sorted(self._pending)[:BATCH]
                self._pending.difference_update(batch)
                try:
                    await refresh_records(self.graph, batch)
                except OmnidError as exc:
                    log.warning("matches: refresh failed: %s", exc.code)
                except Exception:
                    # Nothing of a failed refresh is committed (one transaction); the
                    # worker must outlive it, or no later record would be matched.
                    log.exception("matches: refresh failed")
            if not self._signal.is_set():
                self._idle.set()
