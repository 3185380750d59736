"""Ingest records and events: validate each item, then write and resolve in batches.

The same path serves the CLI import, the GraphQL mutations and bulk jobs. One bad item
never sinks a batch: it gets its own typed error and the rest goes in. A batch is one
transaction, or for a large one a few that share nothing and commit whole each, so a
crash loses nothing that was acknowledged and re-sending a batch changes nothing.

This module validates, pipelines and reports; how a window of batches or a large call is
cut into transactions that share nothing lives in ``service/identity/cutting.py``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Container,
    Iterable,
    Iterator,
    Sequence,
)
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, TypeVar

from service.errors import InvalidInput, NotFound, OmnidError
from service.identity.contract import Item, item_key, parse_item
from service.identity.cutting import (
    PARTS_PER_WRITER,
    Window,
    keep,
    outcome_by_key,
    read_links,
    read_window,
    written_links,
)
from service.identity.identifiers import Identifier, IdentifierRules
from service.identity.partition import UnionFind, carried_together, cut
from service.identity.resolution import BatchOutcome, ResolutionPolicy, resolve_batch_tx
from service.store.graph import Graph, Tx

__all__ = ["SPLIT_MIN_ITEMS", "IngestReport", "Ingestor", "ItemResult", "chunks"]

log = logging.getLogger("omnid")

Status = Literal["ok", "unchanged", "error"]
T = TypeVar("T")

#: ``Ingestor.ingest_batch`` uses one writer per this many items of a call, and cuts
#: a call only for two writers or more (1,000 items: the API's default limit per call).
#: Calls of 1,000 items, 100,000 items in all, two runs each: one transaction per call
#: 4,157 and 4,391 items/s; cut with 500 per writer 4,963 and 5,159; with 334, 4,728
#: and 5,293 (bench/README.md, "Sixth session").
SPLIT_MIN_ITEMS = 500


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The fate of one input item, by its position in the input."""

    index: int
    key: str | None
    status: Status
    person_id: str | None = None
    error: OmnidError | None = None
    #: Types of identifiers on the item that are on the blocklist (values never echoed).
    blocked: tuple[str, ...] = ()


@dataclass(slots=True)
class IngestReport:
    """Per-item results and what resolution did, summed over batches."""

    results: list[ItemResult] = field(default_factory=list)
    created: int = 0
    merged: int = 0
    split: int = 0
    shared: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def errors(self) -> list[ItemResult]:
        return [r for r in self.results if r.status == "error"]

    @property
    def ok(self) -> int:
        return sum(1 for r in self.results if r.status != "error")

    def extend(self, other: IngestReport, offset: int = 0) -> None:
        for r in other.results:
            self.results.append(
                ItemResult(r.index + offset, r.key, r.status, r.person_id, r.error, r.blocked)
            )
        self.created += other.created
        self.merged += other.merged
        self.split += other.split
        self.shared += other.shared
        self.seconds += other.seconds

    def add_outcome(self, outcome: BatchOutcome) -> None:
        self.created += outcome.created
        self.merged += outcome.merged
        self.split += outcome.split
        self.shared += outcome.shared


@dataclass(frozen=True, slots=True)
class _Parsed:
    """A validated batch, ready to write."""

    parsed: list[Item | OmnidError]
    unique: list[Item]
    started: float


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last one shorter), read lazily."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


#: Called after each committed batch with its items and outcome (live subscriptions).
CommitHook = Callable[[Sequence[Item], BatchOutcome], Awaitable[None]]


class Ingestor:
    """Validates and writes items; one per process, shared by every entry point."""

    def __init__(
        self,
        graph: Graph,
        *,
        rules: IdentifierRules | None = None,
        policy: ResolutionPolicy | None = None,
        on_commit: CommitHook | None = None,
    ) -> None:
        self.graph = graph
        self.rules = rules or IdentifierRules.from_settings(graph.settings)
        self.policy = policy or ResolutionPolicy.from_settings(graph.settings)
        self.on_commit = on_commit

    def parse(self, raw_items: Iterable[object]) -> list[Item | OmnidError]:
        """Validate items without writing anything."""
        parsed: list[Item | OmnidError] = []
        for raw in raw_items:
            try:
                parsed.append(parse_item(raw, rules=self.rules))
            except InvalidInput as exc:
                # Kept without its traceback: its frames hold the raw input and this
                # list, a cycle that only a full collection frees, and the tuned
                # collector (gc_tuning) runs those rarely: a file of rejected lines
                # stayed in memory whole.
                parsed.append(exc.with_traceback(None))
        return parsed

    async def ingest(self, raw_items: Iterable[object]) -> IngestReport:
        """Validate and write ``raw_items`` in batches of ``settings.batch_size``."""
        report = IngestReport()
        offset = 0
        async for batch in self.ingest_batches(chunks(raw_items, self.graph.settings.batch_size)):
            report.extend(batch, offset)
            offset += len(batch.results)
        return report

    async def ingest_batches(
        self, batches: Iterable[Sequence[object]], *, writers: int | None = None
    ) -> AsyncIterator[IngestReport]:
        """Write many batches; yield one report per batch, in input order.

        A bulk load is a pipeline: ``writers`` (default ``settings.ingest_writers``)
        consecutive batches form a window, validated in a worker thread while the
        previous window writes. The window's items are re-cut into twice as many
        transactions as it has batches (``PARTS_PER_WRITER``), along connected
        components (items and the identifiers they carry, and the persons these reach,
        read from the graph while the previous window writes and completed with what its
        transactions changed), so that they share no identifier, record or person and
        run ``writers`` at a time instead of queueing on each other's locks (customers
        come back: two consecutive batches share many identifiers). Within a window the
        last version of a record and the first of an event are the ones written, and a
        window starts once the one before it has committed, so the file's last version
        of a record is the one stored.
        Resolution does not depend on arrival order, and stays correct where two
        transactions of a window reach the same person (locks in order, retries).
        ``batches`` is iterated in the worker thread.
        """
        writers = max(1, writers or self.graph.settings.ingest_writers)
        source = iter(batches)
        reading = asyncio.create_task(asyncio.to_thread(read_window, self.parse, source, writers))
        writing: list[asyncio.Task[BatchOutcome]] = []
        written: tuple[Window, list[list[Item]], list[BatchOutcome], float] | None = None
        try:
            window = await reading
            links = await self._links(window.unique) if window is not None else []
            while window is not None:
                parts = len(window.batches) * PARTS_PER_WRITER
                groups = cut(window.unique, window.roots, parts, links)
                writing = self._start(groups, writers)
                # Let the transactions start before anything else runs; the next window
                # is read (holding the GIL most of the time) while they write.
                await asyncio.sleep(0)
                reading = asyncio.create_task(
                    asyncio.to_thread(read_window, self.parse, source, writers)
                )
                if written is not None:
                    # The previous window's reports are built, and read by the caller,
                    # while this one writes.
                    for report in self._window_reports(*written):
                        yield report
                upcoming = await reading
                # The next window's links are read while this one writes, not on the
                # path between two windows, where nothing else would run: what this
                # window's transactions change is added from their outcomes below.
                links = await self._links(upcoming.unique) if upcoming is not None else []
                await asyncio.wait(writing)
                outcomes = [task.result() for task in writing]
                written = (window, groups, outcomes, time.perf_counter())
                writing = []
                if upcoming is not None:
                    links += written_links(groups, outcomes, upcoming.roots.parent, self.policy)
                window = upcoming
            if written is not None:
                for report in self._window_reports(*written):
                    yield report
        finally:
            # On an error or an abandoned iteration, let started transactions finish
            # (each commits or rolls back whole) instead of cancelling them mid-flight.
            await asyncio.gather(*writing, reading, return_exceptions=True)

    async def _cut(
        self, items: list[Item], roots: UnionFind[str], writers: int
    ) -> list[list[Item]]:
        """``items`` in up to ``PARTS_PER_WRITER`` transactions per writer that share no
        identifier, record or person (``roots``: their components over what they carry)."""
        parts = writers * PARTS_PER_WRITER
        if parts <= 1 or len(items) <= 1:
            return [items]
        return cut(items, roots, parts, await self._links(items))

    async def _links(self, items: list[Item]) -> list[tuple[str, str]]:
        """What joins ``items`` beyond what they carry (:func:`read_links`)."""
        return await read_links(self.graph, self.policy, items)

    def _window_reports(
        self,
        window: Window,
        groups: list[list[Item]],
        outcomes: Sequence[BatchOutcome],
        finished: float,
    ) -> Iterator[IngestReport]:
        outcome_of = outcome_by_key(groups, outcomes)
        for number, parsed in enumerate(window.batches):
            report = self._report(parsed, outcome_of.__getitem__, window.repeated[number])
            # Each transaction's counts go to one batch of the window (their sum is what
            # the window did; a transaction is not any one input batch).
            for outcome in outcomes[number :: len(window.batches)]:
                report.add_outcome(outcome)
            report.seconds = finished - window.started
            yield report

    def _prepare(self, raw_items: Sequence[object]) -> _Parsed:
        started = time.perf_counter()
        parsed = self.parse(raw_items)
        unique: dict[str, Item] = {}
        for entry in parsed:
            if isinstance(entry, Item):
                keep(unique, entry)
        return _Parsed(parsed, list(unique.values()), started)

    def _prepare_to_cut(self, raw_items: Sequence[object]) -> tuple[_Parsed, UnionFind[str]]:
        """``_prepare``, and the components of the items over what they carry."""
        batch = self._prepare(raw_items)
        return batch, carried_together(batch.unique)

    async def remove_identifier(self, source: str, id: str, identifier: Identifier) -> ItemResult:
        """Correct a record: re-send it without ``identifier``, which may split a person.

        Read and rewrite happen in one transaction, so a concurrent update of the same
        record cannot be lost.
        """
        key = item_key("record", source, id)
        now = datetime.now(UTC)

        async def remove_tx(tx: Tx) -> tuple[Item, BatchOutcome]:
            row = await tx.run("record-for-update", key=key)
            if row is None:
                raise NotFound("no record with this source and id", source=source)
            kept = tuple(
                Identifier(i["type"], i["value"], i["display"] or i["value"], i["blocked"])
                for i in row["identifiers"]
                if f"{i['type']}:{i['value']}" != identifier.key
            )
            if len(kept) == len(row["identifiers"]):
                raise NotFound(f"the record carries no such {identifier.type} identifier")
            item = Item(
                "record",
                source,
                id,
                kept,
                json.loads(row["attributes"] or "{}"),
                country=row["country"],
            )
            return item, await resolve_batch_tx(tx, [item], self.policy, now)

        item, outcome = await self.graph.write(remove_tx)
        if self.on_commit is not None:
            await self.on_commit([item], outcome)
        log.info("removed one %s identifier from a record", identifier.type)
        return ItemResult(0, key, "ok", outcome.persons.get(key))

    async def ingest_batch(
        self, raw_items: Sequence[object], *, writers: int | None = None
    ) -> IngestReport:
        """Validate and write one batch; per-item results, in input order.

        A batch of fewer than ``2 * SPLIT_MIN_ITEMS`` (1,000) items is one transaction.
        A larger one (a bulk job calling the API) is cut, as a window of the bulk
        pipeline is, into transactions that share no identifier, record or person,
        written up to ``writers`` (default ``settings.ingest_writers``) at once: one
        transaction leaves Neo4j waiting while this process validates and resolves.
        Each transaction commits or rolls back whole; items are independent (per-item
        results), and re-sending a batch changes nothing, so a failure part-way is
        mended by sending the batch again.
        """
        writers = max(1, writers or self.graph.settings.ingest_writers)
        parts = min(writers, len(raw_items) // SPLIT_MIN_ITEMS)
        if parts <= 1:
            batch = self._prepare(raw_items)
            outcome = await self._commit(batch.unique)
            report = self._report(batch.parsed, lambda _: outcome)
            report.add_outcome(outcome)
        else:
            # Validating thousands of items takes a while: not on the event loop.
            batch, roots = await asyncio.to_thread(self._prepare_to_cut, raw_items)
            groups = await self._cut(batch.unique, roots, parts)
            tasks = self._start(groups, parts)
            # Every transaction finishes (commits or rolls back) before an error is raised.
            await asyncio.wait(tasks)
            outcomes = [task.result() for task in tasks]
            report = self._report(batch.parsed, outcome_by_key(groups, outcomes).__getitem__)
            for outcome in outcomes:
                report.add_outcome(outcome)
        report.seconds = time.perf_counter() - batch.started
        return report

    def _report(
        self,
        parsed: list[Item | OmnidError],
        outcome_of: Callable[[str], BatchOutcome],
        repeated: Container[str] = (),
    ) -> IngestReport:
        """Per-item results of one input batch: its errors, and each item's fate in the
        transaction ``outcome_of`` its key (``repeated``: events sent earlier in the
        same load, so ``unchanged``)."""
        report = IngestReport()
        for index, entry in enumerate(parsed):
            if isinstance(entry, OmnidError):
                report.results.append(ItemResult(index, None, "error", error=entry))
                continue
            outcome = outcome_of(entry.key)
            refused = outcome.refused.get(entry.key)
            if refused is not None:
                report.results.append(ItemResult(index, None, "error", error=refused))
                continue
            unchanged = entry.key in outcome.unchanged or entry.key in repeated
            report.results.append(self._result(index, entry, outcome, unchanged))
        return report

    @staticmethod
    def _result(index: int, item: Item, outcome: BatchOutcome, unchanged: bool) -> ItemResult:
        blocked: tuple[str, ...] = ()
        if any(i.blocked for i in item.identifiers):
            blocked = tuple(sorted({i.type for i in item.identifiers if i.blocked}))
        status: Status = "unchanged" if unchanged else "ok"
        return ItemResult(index, item.key, status, outcome.persons.get(item.key), None, blocked)

    def _start(self, groups: list[list[Item]], writers: int) -> list[asyncio.Task[BatchOutcome]]:
        """Write ``groups`` (which share nothing), at most ``writers`` at once."""
        slots = asyncio.Semaphore(writers)

        async def commit(group: list[Item]) -> BatchOutcome:
            async with slots:
                return await self._commit(group)

        return [asyncio.create_task(commit(group)) for group in groups]

    async def _commit(self, unique: list[Item]) -> BatchOutcome:
        """Write and resolve distinct items in one transaction."""
        started = time.perf_counter()
        outcome = BatchOutcome()
        if unique:
            now = datetime.now(UTC)
            outcome = await self.graph.write(resolve_batch_tx, unique, self.policy, now)
            if self.on_commit is not None:
                await self.on_commit(unique, outcome)
        log.info(
            "ingested batch: items=%d persons_created=%d merges=%d splits=%d shared=%d "
            "seconds=%.3f",
            len(unique),
            outcome.created,
            outcome.merged,
            outcome.split,
            len(outcome.shared),
            time.perf_counter() - started,
        )
        return outcome
