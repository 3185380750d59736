"""The review list of suspicious persons, kept as data changes.

Each person's review (reasons, bridge identifiers, score: ``suspicion.assess``) is
stored on the person (``cypher/review.cypher``) and recomputed only for the persons a
write touched: ``Reviewer.on_commit`` is the service's commit listener; it notes the
persons and a background task reviews them (so writes never wait for it). The list is
then one indexed read, ordered by score. Merged persons become aliases and erased ones
are deleted: either way they leave the list with their node's label.

Writes the listener does not see (another process's: ``omnid import``) are caught up
from the changed-persons marks every write commits with itself
(``service/identity/changes.py``): the ``Reviewer``'s catch-up reads them after its own
cursor (``ChangeCursor {name: 'review'}``), as the segment engine does, and reviews their
persons. ``omnid import --review`` reviews what its own writes touched (``Touched``,
``review_touched``) without waiting for a service; ``refresh_all`` (``omnid review
--refresh``) reviews every person again, page by page (after an ``omnid load``, which
writes no marks, or a service stopped for longer than the marks are kept).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from service.errors import InvalidInput, LimitExceeded, NotFound
from service.identity.changes import Mark, MarkFollower
from service.identity.contract import Item
from service.identity.resolution import BatchOutcome
from service.settings import Settings
from service.steward.suspicion import Facts, Limits, Reason, Rec, assess
from service.store.graph import Graph, in_background

__all__ = [
    "Bridge",
    "ReviewEntry",
    "ReviewPage",
    "Reviewer",
    "Touched",
    "dismiss_review",
    "limits_of",
    "refresh_all",
    "review_persons",
    "review_touched",
    "suspicious_persons",
]

log = logging.getLogger("omnid")

_CHUNK = 200  # persons per review transaction
#: The catch-up's cursor among the changed-persons consumers.
CURSOR = "review"
_MAX_PAGE = 500
MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class Bridge:
    key: str
    type: str
    value: str  # a display form: for the steward-scoped API, never for logs


@dataclass(frozen=True, slots=True)
class ReviewEntry:
    person: str
    score: float
    reasons: tuple[Reason, ...]
    bridges: tuple[Bridge, ...]
    reviewed_at: str | None


@dataclass(frozen=True, slots=True)
class ReviewPage:
    entries: list[ReviewEntry]
    end_cursor: str | None
    has_next_page: bool


def limits_of(settings: Settings) -> Limits:
    return Limits(
        per_type=dict(settings.review_max_per_type),
        identifiers=settings.review_max_identifiers,
        bridge_records=settings.review_bridge_records,
    )


def _facts(row: dict[str, Any]) -> Facts:
    records = [
        Rec(r["key"], json.loads(r["attributes"] or "{}"), r["country"], tuple(r["links"]))
        for r in row["records"]
    ]
    events = [tuple(sorted(links)) for links in row["eventLinks"]]
    counts = {c["type"]: c["n"] for c in row["counts"]}
    return Facts(records, events, counts)


async def review_persons(graph: Graph, ids: Iterable[str]) -> int:
    """Review these persons again and store the result; ids of persons that are gone
    (merged, erased) are cleared. Returns how many persons are listed among them."""
    wanted = sorted(set(ids))
    limits, floor = limits_of(graph.settings), graph.settings.review_min_score
    listed = 0
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        found = await graph.query("review-facts", ids=chunk)
        rows = []
        for row in found:
            result = assess(_facts(row), limits)
            is_listed = bool(result.reasons) and result.score >= floor
            listed += is_listed
            rows.append(
                {
                    "id": row["id"],
                    "listed": is_listed,
                    "score": result.score,
                    "reasons": json.dumps([r.to_dict() for r in result.reasons]),
                    "bridges": list(result.bridges),
                    "signature": result.signature,
                }
            )
        now = datetime.now(UTC)
        if rows:
            await graph.command("review-store", rows=rows, now=now)
        gone = sorted(set(chunk) - {r["id"] for r in found})
        if gone:
            await graph.command("review-forget-aliases", ids=gone)
    return listed


async def refresh_all(graph: Graph, *, batch: int = 500) -> tuple[int, int]:
    """Review every person again (catching up writes of other processes, erasures).
    Returns (persons reviewed, persons listed)."""
    cursor, reviewed, listed = "", 0, 0
    while True:
        ids: list[str] = await graph.query("persons-page", after=cursor, limit=batch) or []
        if not ids:
            return reviewed, listed
        listed += await review_persons(graph, ids)
        reviewed += len(ids)
        cursor = ids[-1]


def _cursor(after: str | None) -> tuple[float, str]:
    if not after:
        return 2.0, ""  # above any score
    score, sep, person = after.partition(":")
    try:
        if not sep or not person:
            raise ValueError
        return float(score), person
    except ValueError:
        raise InvalidInput("is not a cursor this list returned", field="after") from None


async def suspicious_persons(
    graph: Graph, *, first: int = 50, after: str | None = None
) -> ReviewPage:
    """One page of the review list, highest score first; ``after``: an ``end_cursor``."""
    if not 1 <= first <= _MAX_PAGE:
        raise LimitExceeded(f"must be between 1 and {_MAX_PAGE}", field="first")
    score, person = _cursor(after)
    rows = await graph.query("review-page", score=score, after=person, limit=first + 1)
    entries = [
        ReviewEntry(
            person=r["id"],
            score=r["score"],
            reasons=tuple(Reason(x["code"], x["detail"]) for x in json.loads(r["reasons"])),
            bridges=tuple(Bridge(b["key"], b["type"], b["value"]) for b in r["bridges"] if b),
            reviewed_at=r["reviewedAt"],
        )
        for r in rows[:first]
    ]
    end = f"{entries[-1].score}:{entries[-1].person}" if entries else None
    return ReviewPage(entries, end, len(rows) > first)


async def dismiss_review(graph: Graph, person: str, *, reason: str, by: str) -> str:
    """Take a listed person off the list until its review changes; returns its id."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("is required (why this person is not suspicious)", field="reason")
    if len(reason) > MAX_REASON:
        raise LimitExceeded(f"is longer than {MAX_REASON} characters", field="reason")
    now = datetime.now(UTC)
    row = await graph.command("review-dismiss", person=person, reason=reason, by=by, now=now)
    if row is None:
        raise NotFound("no listed person has this id", field="person")
    return str(row["id"])


class Touched:
    """The persons committed writes touched, noted by ``on_commit`` (a commit hook):
    their persons, the persons merged into others (their reviews are cleared) and, when
    a write split a person, those to look up the other parts of."""

    def __init__(self) -> None:
        self.persons: set[str] = set()
        self.split: set[str] = set()
        #: The changed-persons marks these persons answer (a ``Reviewer``'s).
        self.marks: set[str] = set()

    async def on_commit(self, items: Sequence[Item], outcome: BatchOutcome) -> None:
        touched = set(outcome.persons.values()) | set(outcome.absorbed.values())
        self.persons |= touched | set(outcome.absorbed)
        if outcome.split:
            self.split |= touched

    def add_mark(self, mark: Mark) -> None:
        """A mark's persons: every one its write touched, split parts and absorbed
        persons included (``changes.py``), so nothing is looked up for them."""
        self.persons |= set(mark.persons)
        self.marks.add(mark.id)

    def __bool__(self) -> bool:
        return bool(self.persons)


async def review_touched(graph: Graph, touched: Touched) -> int:
    """Review what ``touched`` noted, every part of a split included; returns how many
    are listed. ``omnid import --review`` runs it once its files are in."""
    ids = set(touched.persons)
    if touched.split:
        parents = await graph.query("review-split-parents", ids=sorted(touched.split)) or []
        family = sorted(touched.split | set(parents))
        parts = await graph.query("persons-split-from", ids=family) or []
        ids |= set(family) | set(parts)
    return await review_persons(graph, ids)


class Reviewer:
    """The service's commit listener: notes the persons each committed write touched;
    a task reviews them in the background, coalescing what arrives meanwhile. Its
    catch-up (``start``) adds the persons of marks no listener saw (other processes)."""

    def __init__(self, graph: Graph, *, catch_up_interval: float | None = None) -> None:
        # Its statements run in_background, so they do not count in requests'.
        self.graph = graph
        #: Seconds between catch-up rounds (``OMNID_REVIEW_CATCH_UP``); 0: no catch-up.
        self.catch_up_interval = (
            graph.settings.review_catch_up if catch_up_interval is None else catch_up_interval
        )
        self.marks = MarkFollower(graph, CURSOR)
        self._touched = Touched()
        self._signal = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._catch_up: asyncio.Task[None] | None = None

    async def on_commit(self, items: Sequence[Item], outcome: BatchOutcome) -> None:
        await self._touched.on_commit(items, outcome)
        # Noted so that the catch-up does not review it again; without a catch-up
        # nothing would ever forget the marks noted.
        mark = outcome.mark
        if self.catch_up_interval > 0 and mark is not None and self.marks.take(mark):
            self._touched.marks.add(mark.id)
        self._wake()

    def _caught_up(self, taken: list[Mark]) -> None:
        for mark in taken:
            self._touched.add_mark(mark)
        if taken:
            self._wake()

    def _wake(self) -> None:
        self._idle.clear()
        self._signal.set()
        if self._task is None or self._task.done():
            self._task = in_background(self._work())

    async def start(self) -> None:
        """Start the catch-up over the changed-persons marks (the service's lifespan)."""
        if self.catch_up_interval > 0:
            follow = self.marks.follow(self.catch_up_interval, self._caught_up)
            self._catch_up = in_background(follow)

    async def settle(self, timeout: float = 30.0) -> None:
        """Wait until every noted write is reviewed (tests, benchmarks)."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def stop(self) -> None:
        for task in (self._catch_up, self._task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = self._catch_up = None

    async def _work(self) -> None:
        while True:
            await self._signal.wait()
            self._signal.clear()
            touched, self._touched = self._touched, Touched()
            try:
                await review_touched(self.graph, touched)
                for mark in touched.marks:
                    self.marks.close(mark)  # all its persons were reviewed at once
            except Exception:
                # Nothing half-stored (one transaction per chunk); the task must outlive
                # a failure or no later write would be reviewed. Its marks stay open, so
                # the saved cursor stops before them; `--refresh` catches up.
                log.exception("review: %d persons not reviewed", len(touched.persons))
            if not self._signal.is_set():
                self._idle.set()
