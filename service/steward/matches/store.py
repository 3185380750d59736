"""Possible matches in the graph: refreshed per written record, read per person,
rejected by stewards, caught up after writes from another process.

    report = await refresh_records(graph, ["record/eshop/c-1"])   # after a write
    found = await possible_matches(graph, person_id, first=10)    # best first
    await reject_match(graph, a, b, reason="siblings", by="key-1a2b")
    await catch_up(graph)                  # records written by `omnid import` meanwhile

A refresh stores each record's blocking keys, reads its candidates (bounded by
``MatchLimits``), scores every pair and keeps those scoring at least ``KEEP`` as
``MAY_MATCH`` between the two records; all of it in one write transaction per batch.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from service.errors import InvalidInput, NotFound, OmnidError
from service.steward.batch import Outcome, each
from service.steward.matches.blocking import MatchLimits, block_keys
from service.steward.matches.comparisons import compare
from service.steward.matches.profile import Profile, record_profile
from service.steward.matches.scoring import DEFAULT_THRESHOLD, Reason, score
from service.store.graph import Graph, Tx

__all__ = [
    "KEEP",
    "PossibleMatch",
    "Refresh",
    "RejectRequest",
    "Rejection",
    "catch_up",
    "index_records",
    "possible_matches",
    "refresh_records",
    "reject_match",
    "reject_match_each",
    "suggestion_tx",
]

#: Pairs scoring below this are not stored (a steward may lower minScore down to it).
KEEP = 0.5
#: Records refreshed per transaction by the catch-up and the commit listener.
BATCH = 200
#: The catch-up's cursor stays this far behind the clock: a transaction that took its
#: timestamp before the cursor moved but committed after is still read next time.
_SETTLE = timedelta(seconds=5)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Refresh:
    """What a refresh did: records seen, candidate pairs scored, pairs kept."""

    records: int = 0
    candidates: int = 0
    kept: int = 0

    def __add__(self, other: Refresh) -> Refresh:
        return Refresh(
            self.records + other.records,
            self.candidates + other.candidates,
            self.kept + other.kept,
        )


@dataclass(frozen=True, slots=True)
class PossibleMatch:
    person: str
    score: float
    weight: float
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class Rejection:
    id: str
    a: str
    b: str
    records: int  # records the rejection is tied to, both sides
    at: datetime


@dataclass(frozen=True, slots=True)
class RejectRequest:
    """One item of ``reject_match_each``: persons ``a`` and ``b`` are not one customer."""

    a: str
    b: str
    reason: str


def _pair(record: str, candidate: str, result: Any) -> dict[str, Any]:
    a, b = sorted((record, candidate))
    reasons = [[r.field, r.level, r.similarity, r.weight] for r in result.reasons]
    return {
        "a": a,
        "b": b,
        "score": result.probability,
        "weight": result.weight,
        "reasons": json.dumps(reasons, separators=(",", ":")),
    }


async def _refresh_tx(
    tx: Tx, keys: Sequence[str], limits: MatchLimits, keep: float, now: datetime
) -> Refresh:
    stored = await tx.run("match-records", keys=list(keys))
    profiles: dict[str, Profile] = {
        row["key"]: record_profile(row["attributes"], row["identifiers"]) for row in stored
    }
    rows = [{"record": k, "keys": block_keys(p)} for k, p in profiles.items()]
    await tx.run("match-index", rows=rows)
    candidates = await tx.run(
        "match-candidates", rows=rows, perKey=limits.per_key, common=limits.common
    )
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for row in candidates:
        other = record_profile(row["attributes"], row["identifiers"])
        result = score(compare(profiles[row["record"]], other))
        if result.probability >= keep:
            pair = _pair(row["record"], row["candidate"], result)
            pairs[pair["a"], pair["b"]] = pair
    await tx.run("match-suggest", records=list(profiles), pairs=list(pairs.values()), now=now)
    return Refresh(len(profiles), len(candidates), len(pairs))


async def refresh_records(
    graph: Graph,
    keys: Sequence[str],
    *,
    limits: MatchLimits | None = None,
    keep: float = KEEP,
) -> Refresh:
    """Recompute the blocking keys and scored pairs of these records (keys of records
    that no longer exist are skipped), ``BATCH`` records per transaction."""
    limits = limits or MatchLimits()
    total = Refresh()
    unique = sorted(set(keys))
    for start in range(0, len(unique), BATCH):
        now = datetime.now(UTC)
        batch = unique[start : start + BATCH]
        total += await graph.write(_refresh_tx, batch, limits, keep, now)
    return total


async def _index_tx(tx: Tx, keys: Sequence[str]) -> int:
    stored = await tx.run("match-records", keys=list(keys))
    rows = [
        {"record": r["key"], "keys": block_keys(record_profile(r["attributes"], r["identifiers"]))}
        for r in stored
    ]
    await tx.run("match-index", rows=rows)
    return len(rows)


async def index_records(graph: Graph, keys: Sequence[str], *, batch: int = 1000) -> int:
    """Store these records' blocking keys without scoring them: a bulk backfill (an
    initial load) where only the records written later need their candidates now.
    Returns the records indexed."""
    done = 0
    for start in range(0, len(keys), batch):
        done += await graph.write(_index_tx, keys[start : start + batch])
    return done


async def catch_up(
    graph: Graph, *, limits: MatchLimits | None = None, keep: float = KEEP
) -> Refresh:
    """Refresh every record written since the cursor (by any process), then move it."""
    started = datetime.now(UTC)
    cursor = await graph.query("match-cursor") or {}
    at, key = cursor.get("at") or _EPOCH, cursor.get("key") or ""
    total = Refresh()
    while True:
        pending = await graph.query("match-pending", at=at, key=key, limit=BATCH)
        if not pending:
            break
        total += await refresh_records(graph, [r["key"] for r in pending], limits=limits, keep=keep)
        at, key = pending[-1]["at"], pending[-1]["key"]
        if len(pending) < BATCH:
            break
    settled = started - _SETTLE
    if _as_datetime(at) > settled:
        at, key = settled, ""
    await graph.command("match-cursor-set", at=at, key=key)
    return total


def _as_datetime(value: Any) -> datetime:
    return value.to_native() if hasattr(value, "to_native") else value  # type: ignore[no-any-return]


async def _person(graph: Graph, person: str, field: str = "person") -> dict[str, Any]:
    row = await graph.query("match-person", id=person)
    if row is None:
        raise NotFound("no person with this id", field=field)
    return dict(row)


async def possible_matches(
    graph: Graph, person: str, *, first: int = 10, min_score: float = DEFAULT_THRESHOLD
) -> list[PossibleMatch]:
    """The persons this one may be, best first (never merged: a steward decides)."""
    if not 1 <= first <= 100:
        raise InvalidInput("must be between 1 and 100", field="first")
    if not KEEP <= min_score <= 1:
        raise InvalidInput(f"must be between {KEEP} and 1", field="minScore")
    found = await _person(graph, person)
    rows = await graph.query(
        "possible-matches", person=found["id"], minScore=min_score, first=first
    )
    return [
        PossibleMatch(
            person=row["person"],
            score=row["score"],
            weight=row["weight"],
            reasons=tuple(Reason(*r) for r in json.loads(row["reasons"])),
        )
        for row in rows
    ]


async def reject_match(graph: Graph, a: str, b: str, *, reason: str, by: str) -> Rejection:
    """Record that persons ``a`` and ``b`` are not the same: no pair of their records is
    suggested again, whatever either side is merged with or re-imported."""
    if not reason.strip():
        raise InvalidInput("a reason is required", field="reason")
    if len(reason) > 1000:
        raise InvalidInput("longer than 1000 characters", field="reason")
    left, right = await _person(graph, a, "a"), await _person(graph, b, "b")
    if left["id"] == right["id"]:
        raise InvalidInput("a and b are one person already", field="b")
    for side, found in (("a", left), ("b", right)):
        if not found["records"]:
            raise InvalidInput("this person has no record to match on", field=side)
    now = datetime.now(UTC)
    row = await graph.command(
        "reject-match",
        a=left["id"],
        b=right["id"],
        id=str(uuid.uuid4()),
        reason=reason.strip(),
        by=by,
        now=now,
    )
    if row is None:  # one side was merged away between the read and the write
        raise NotFound("a person changed meanwhile; try again", field="a")
    return Rejection(row["id"], left["id"], right["id"], row["left"] + row["right"], now)


async def reject_match_each(
    graph: Graph, requests: Sequence[RejectRequest | OmnidError], *, by: str
) -> list[Outcome[Rejection]]:
    """``reject_match`` for each item in order, one result per item (``batch.each``)."""
    return await each(requests, lambda r: reject_match(graph, r.a, r.b, reason=r.reason, by=by))


async def suggestion_tx(tx: Tx, a: str, b: str) -> float:
    """The score of the current suggestion that persons ``a`` and ``b`` are one
    customer (their best scored pair, as ``possible_matches`` lists it); ``NotFound``
    naming ``b`` when none stands (never scored, or rejected by a steward)."""
    row = await tx.run("match-suggestion", a=a, b=b)
    if row is None or row["score"] is None:
        raise NotFound("no possible match suggests a and b; assertSame links any two", field="b")
    if row["rejected"]:
        raise NotFound(
            "a steward rejected this match (rejectMatch); assertSame links any two", field="b"
        )
    return float(row["score"])
