"""Ingest records and events: validate each item, then write and resolve in batches.

The same path serves the CLI import, the GraphQL mutations and bulk jobs. One bad item
never sinks a batch: it gets its own typed error and the rest goes in. Each batch is one
transaction, so a crash loses nothing that was acknowledged and re-sending a batch
changes nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from service.contract import Item, item_key, parse_item
from service.errors import InvalidInput, NotFound, OmnidError
from service.graph import Graph, Tx
from service.identifiers import Identifier, IdentifierRules
from service.resolution import BatchOutcome, ResolutionPolicy, resolve_batch_tx

__all__ = ["IngestReport", "Ingestor", "ItemResult", "chunks"]

log = logging.getLogger("omnid")

Status = Literal["ok", "unchanged", "error"]
T = TypeVar("T")


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


@dataclass(frozen=True, slots=True)
class _Parsed:
    """A validated batch, ready to write."""

    parsed: list[Item | OmnidError]
    unique: list[Item]
    record_keys: frozenset[str]
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
                parsed.append(exc)
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
        """Write many batches, one transaction each; yield their reports in input order.

        A bulk load is a pipeline: the next batch is read and validated in a worker
        thread while earlier ones write, and up to ``writers`` (default
        ``settings.ingest_writers``) batch transactions are in flight at once.
        Resolution is safe under concurrent writers (locks in order, retries), and its
        result does not depend on arrival order; what does is a record sent twice, whose
        later version must win: a batch that carries a record an in-flight batch also
        carries waits for it. ``batches`` is iterated in the worker thread.
        """
        writers = max(1, writers or self.graph.settings.ingest_writers)
        source = iter(batches)
        in_flight: deque[tuple[frozenset[str], asyncio.Task[IngestReport]]] = deque()
        reading = asyncio.create_task(asyncio.to_thread(self._read_next, source))
        try:
            while (batch := await reading) is not None:
                reading = asyncio.create_task(asyncio.to_thread(self._read_next, source))
                while in_flight and (
                    len(in_flight) >= writers
                    or any(batch.record_keys & keys for keys, _ in in_flight)
                ):
                    yield await in_flight.popleft()[1]
                in_flight.append((batch.record_keys, asyncio.create_task(self._write(batch))))
            while in_flight:
                yield await in_flight.popleft()[1]
        finally:
            # On an error or an abandoned iteration, let started transactions finish
            # (each commits or rolls back whole) instead of cancelling them mid-flight.
            started: list[asyncio.Future[Any]] = [task for _, task in in_flight]
            started.append(reading)
            await asyncio.gather(*started, return_exceptions=True)

    def _read_next(self, source: Iterator[Sequence[object]]) -> _Parsed | None:
        raw = next(source, None)
        return None if raw is None else self._prepare(raw)

    def _prepare(self, raw_items: Sequence[object]) -> _Parsed:
        started = time.perf_counter()
        parsed = self.parse(raw_items)
        # Within a batch the last version of a record wins, the first of an event.
        unique: dict[str, Item] = {}
        for entry in parsed:
            if isinstance(entry, Item) and (entry.kind == "record" or entry.key not in unique):
                unique[entry.key] = entry
        records = frozenset(k for k, item in unique.items() if item.kind == "record")
        return _Parsed(parsed, list(unique.values()), records, started)

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

    async def ingest_batch(self, raw_items: Sequence[object]) -> IngestReport:
        """Validate and write one batch in one transaction; per-item results."""
        return await self._write(self._prepare(raw_items))

    async def _write(self, batch: _Parsed) -> IngestReport:
        parsed, unique, started = batch.parsed, batch.unique, batch.started
        report = IngestReport()
        outcome = BatchOutcome()
        if unique:
            now = datetime.now(UTC)
            outcome = await self.graph.write(resolve_batch_tx, unique, self.policy, now)
            if self.on_commit is not None:
                await self.on_commit(unique, outcome)
        for index, entry in enumerate(parsed):
            if isinstance(entry, OmnidError):
                report.results.append(ItemResult(index, None, "error", error=entry))
                continue
            status: Status = "unchanged" if entry.key in outcome.unchanged else "ok"
            blocked = tuple(sorted({i.type for i in entry.identifiers if i.blocked}))
            report.results.append(
                ItemResult(index, entry.key, status, outcome.persons.get(entry.key), None, blocked)
            )
        report.created, report.merged, report.split = outcome.created, outcome.merged, outcome.split
        report.shared = list(outcome.shared)
        report.seconds = time.perf_counter() - started
        log.info(
            "ingested batch: items=%d errors=%d persons_created=%d merges=%d splits=%d "
            "shared=%d seconds=%.3f",
            len(parsed),
            len(report.errors),
            outcome.created,
            outcome.merged,
            outcome.split,
            len(outcome.shared),
            report.seconds,
        )
        return report
