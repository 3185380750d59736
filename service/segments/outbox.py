"""The webhook drainer: a task of its own that sends what the outbox holds.

At least once: a delivery is marked DELIVERED only after its target answered 2xx, so a
crash in between sends it again (with the same idempotency key). Per target and person,
only the oldest pending delivery is sent, so one person's changes arrive in order;
different persons go out concurrently. A failure (non-2xx, timeout, refused connection)
waits ``backoff * 2**attempts`` seconds (capped) before the next try; after
``max_attempts`` the delivery is PARKED and its target sends nothing more until the
parked deliveries are retried (``retry_deliveries``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from service.errors import OmnidError
from service.segments.webhooks import WebhookTarget, signature_headers
from service.store.graph import Graph

__all__ = ["Drainer"]

log = logging.getLogger("omnid")

_MAX_BACKOFF = 300.0


class Drainer:
    def __init__(
        self,
        graph: Graph,
        targets: Sequence[WebhookTarget],
        *,
        max_attempts: int,
        backoff: float,
        timeout: float,
        interval: float = 0.5,
        batch: int = 200,
    ) -> None:
        self.graph = graph
        self.targets = {t.name: t for t in targets}
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.timeout = timeout
        self.interval = interval
        self.batch = batch
        self._wake = asyncio.Event()
        self.sent = 0

    def wake(self) -> None:
        """New outbox rows committed: drain now rather than at the next interval."""
        self._wake.set()

    async def run(self) -> None:
        """Drain until cancelled."""
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            while True:
                try:
                    more = await self.drain_once(client)
                except OmnidError as exc:
                    log.warning("webhook drainer: %s", exc.code)
                    more = False
                if not more:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.interval)

    async def drain_once(self, client: httpx.AsyncClient) -> bool:
        """Send one round of due deliveries; True when a round found some."""
        if not self.targets:
            return False
        parked = await self.graph.query("parked-targets") or []
        due = await self.graph.query(
            "due-deliveries",
            now=datetime.now(UTC).isoformat(),
            limit=self.batch,
            parked=list(parked),
        )
        if not due:
            return False
        results = await asyncio.gather(*(self._send(client, d) for d in due))
        await self.graph.command("delivery-results", rows=list(results))
        return True

    async def _send(self, client: httpx.AsyncClient, delivery: dict[str, Any]) -> dict[str, Any]:
        attempts = int(delivery["attempts"]) + 1
        now = datetime.now(UTC)
        target = self.targets.get(delivery["target"])
        error: str | None
        if target is None:
            error = "target no longer configured"
        else:
            error = await self._post(client, target, delivery)
        if error is None:
            self.sent += 1
            status, next_at = "DELIVERED", now
        elif attempts >= self.max_attempts:
            log.warning("webhook %s parked after %d attempts", delivery["target"], attempts)
            status, next_at = "PARKED", now
        else:
            delay = min(self.backoff * 2 ** (attempts - 1), _MAX_BACKOFF)
            status, next_at = "PENDING", now + timedelta(seconds=delay)
        return {
            "id": delivery["id"],
            "status": status,
            "attempts": attempts,
            "nextAttemptAt": next_at.isoformat(),
            "error": error,
            "at": now.isoformat(),
        }

    async def _post(
        self, client: httpx.AsyncClient, target: WebhookTarget, delivery: dict[str, Any]
    ) -> str | None:
        """None when the target took it; else why not (no personal data: no body)."""
        body = delivery["body"].encode()
        headers = signature_headers(target, delivery["id"], body, int(time.time()))
        try:
            response = await client.post(target.url, content=body, headers=headers)
        except httpx.TimeoutException:
            return "timeout"
        except httpx.HTTPError as exc:
            return f"connection failed: {type(exc).__name__}"
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"
