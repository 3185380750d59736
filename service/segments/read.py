"""What the API and the CLI read about segments: members, sizes, a person's segments
and history, webhook deliveries; and the retry of parked deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from service.errors import InvalidInput, LimitExceeded
from service.store.graph import Graph

__all__ = [
    "DELIVERY_STATUSES",
    "Delivery",
    "HistoryEntry",
    "Member",
    "deliveries",
    "history",
    "members",
    "memberships",
    "retry_deliveries",
    "size",
]

DELIVERY_STATUSES = ("PENDING", "DELIVERED", "PARKED")
_MAX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class Member:
    person: str
    since: str | None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    id: str
    segment: str
    change: str
    at: str
    cause: str | None  # the key of the event that caused an entry


@dataclass(frozen=True, slots=True)
class Delivery:
    id: str
    target: str
    person: str
    change: str
    status: str
    attempts: int
    last_error: str | None
    created_at: str | None
    next_attempt_at: str | None
    delivered_at: str | None


def _limit(first: int, field: str = "first") -> int:
    if not 1 <= first <= _MAX_PAGE:
        raise LimitExceeded(f"must be between 1 and {_MAX_PAGE}", field=field)
    return first


async def members(graph: Graph, segment: str, *, first: int = 100, after: str = "") -> list[Member]:
    """One page of members by person id; ``after``: the last person id of the page before."""
    rows = await graph.query(
        "segment-members", segment=segment, after=after or "", limit=_limit(first)
    )
    return [Member(r["person"], r["since"]) for r in rows]


async def size(graph: Graph, segment: str) -> int:
    return int(await graph.query("segment-size", segment=segment) or 0)


async def memberships(graph: Graph, persons: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """Per person id: (segment, since) of the segments they are in."""
    found: dict[str, list[tuple[str, str]]] = {p: [] for p in persons}
    for row in await graph.query("segments-of-persons", persons=list(persons)):
        found[row["person"]].append((row["segment"], row["since"]))
    return found


async def history(graph: Graph, person: str, *, limit: int = 50) -> list[HistoryEntry]:
    rows = await graph.query("segment-history", person=person, limit=_limit(limit, "limit"))
    return [HistoryEntry(r["id"], r["segment"], r["change"], r["at"], r["cause"]) for r in rows]


async def deliveries(
    graph: Graph, *, status: str | None = None, target: str | None = None, limit: int = 100
) -> list[Delivery]:
    if status is not None and status not in DELIVERY_STATUSES:
        raise InvalidInput(f"must be one of {', '.join(DELIVERY_STATUSES)}", field="status")
    rows = await graph.query(
        "webhook-deliveries", status=status, target=target, limit=_limit(limit, "limit")
    )
    return [
        Delivery(
            r["id"],
            r["target"],
            r["person"],
            r["change"],
            r["status"],
            int(r["attempts"]),
            r["lastError"],
            r["createdAt"],
            r["nextAttemptAt"],
            r["deliveredAt"],
        )
        for r in rows
    ]


async def retry_deliveries(
    graph: Graph, *, ids: Sequence[str] = (), target: str | None = None
) -> int:
    """Parked deliveries (by id, or every one of a target) wait to be sent again."""
    if not ids and target is None:
        raise InvalidInput("give delivery ids or a target", field="ids")
    now = datetime.now(UTC).isoformat()
    return int(await graph.command("retry-deliveries", ids=list(ids), target=target, now=now))
