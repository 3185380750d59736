"""An engine on the test graph: a manual clock, a started worker, an ingestor feeding it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service.identity.ingest import Ingestor
from service.segments import ManualClock, SegmentEngine
from service.store.graph import Graph

TRAVELLING_ABROAD = {
    "name": "travelling-abroad",
    "description": "a card payment abroad in the last three days",
    "rule": {
        "event": {
            "type": "card_payment",
            "within": "3d",
            "where": [{"attribute": "country", "ne": {"home": "country"}}],
        }
    },
}

#: The issue's example: abroad, and marketing by SMS granted (its deliveries carry the
#: phones that consent allows).
ABROAD_WITH_SMS = {
    "name": "abroad-sms",
    "rule": {
        "all": [
            TRAVELLING_ABROAD["rule"],
            {"consent": {"purpose": "marketing", "channel": "SMS"}},
        ]
    },
}


def consent(n: int, id: str, status: str, minutes_ago: int) -> dict[str, Any]:
    """A marketing-by-SMS consent through customer ``n``'s phone."""
    return {
        "kind": "consent",
        "source": "app",
        "id": id,
        "identifiers": [{"type": "PHONE", "value": f"+3460012{n:04d}"}],
        "purpose": "marketing",
        "channel": "SMS",
        "status": status,
        "at": (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(),
    }


def customer(n: int = 1, country: str = "ES") -> dict[str, Any]:
    return {
        "kind": "record",
        "source": "bank",
        "id": f"c{n}",
        "country": country,
        "identifiers": [
            {"type": "PHONE", "value": f"+3460012{n:04d}"},
            {"type": "EMAIL", "value": f"c{n}@example.com"},
        ],
        "attributes": {"tier": "gold" if n % 2 else "silver"},
    }


def payment(n: int, id: str, country: str, at: datetime | None = None) -> dict[str, Any]:
    return {
        "kind": "event",
        "source": "cards",
        "id": id,
        "channel": "WEB",
        "type": "card_payment",
        "at": (at or datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "identifiers": [{"type": "EMAIL", "value": f"c{n}@example.com"}],
        "attributes": {"country": country, "amount": 120},
    }


class Rig:
    def __init__(self, graph: Graph, engine: SegmentEngine, clock: ManualClock) -> None:
        self.graph = graph
        self.engine = engine
        self.clock = clock
        self.ingestor = Ingestor(graph, on_commit=engine.on_commit)

    async def write(self, *items: dict[str, Any]) -> None:
        report = await self.ingestor.ingest_batch(list(items))
        assert not report.errors, [r.error for r in report.errors]
        await self.engine.settle()


@pytest.fixture
async def rig(graph: Graph) -> AsyncIterator[Rig]:
    clock = ManualClock()
    engine = SegmentEngine(graph, clock=clock, targets=[], scheduler_interval=3600)
    await engine.start()
    yield Rig(graph, engine, clock)
    await engine.stop()
