"""The ingestor every entry point uses: consents to their own writer, suppressed
identifiers dropped before resolution.

``PrivacyIngestor`` is an ``Ingestor`` that changes only the edges of the write path:
items of kind ``consent`` are taken out of each batch and stored by
``record_consents`` (they never reach resolution), and every other item loses its
suppressed identifiers as it is validated (``Suppression.filter_items``). Results come
back per item, in input order, as the plain ingestor gives them.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from service.errors import OmnidError
from service.identity.contract import Item
from service.identity.ingest import Ingestor, IngestReport
from service.identity.resolution import BatchOutcome
from service.privacy.consents import record_consents
from service.privacy.suppression import Suppression
from service.store.graph import Graph

__all__ = ["PrivacyIngestor"]


def _is_consent(raw: object) -> bool:
    return isinstance(raw, dict) and raw.get("kind") == "consent"


class PrivacyIngestor(Ingestor):
    """An ``Ingestor`` that records consents and honours the suppression list."""

    def __init__(
        self, graph: Graph, *, suppression: Suppression | None = None, **kwargs: Any
    ) -> None:
        super().__init__(graph, **kwargs)
        self.suppression = suppression or Suppression.from_settings(graph.settings)

    async def _commit(self, unique: list[Item]) -> BatchOutcome:
        """Write one transaction's items, checked against the suppression list as it
        is now: a bulk import validates a window ahead of its writes, and an erasure
        committed meanwhile must hold for what is written after it. Refreshing costs one
        small read when the list did not change; the check hashes nothing twice."""
        await self.suppression.refresh(self.graph)
        refused: dict[str, OmnidError] = {}
        if self.suppression.hashes:
            kept: list[Item] = []
            for item in unique:
                checked = self.suppression.filter_item(item, self.policy.type_links)
                if isinstance(checked, Item):
                    kept.append(checked)
                else:
                    refused[item.key] = checked
            unique = kept
        outcome = await super()._commit(unique)
        outcome.refused.update(refused)
        return outcome

    def parse(self, raw_items: Iterable[object]) -> list[Item | OmnidError]:
        """Validate items, then drop their suppressed identifiers."""
        return self.suppression.filter_items(super().parse(raw_items), self.policy.type_links)

    async def record_consents(self, raw_items: Sequence[object]) -> IngestReport:
        """Store consent items (one transaction); per-item results in order."""
        return await record_consents(
            self.graph,
            raw_items,
            rules=self.rules,
            policy=self.policy,
            suppression=self.suppression,
            now=datetime.now(UTC),
            on_commit=self.on_commit,
        )

    async def ingest_batch(
        self, raw_items: Sequence[object], *, writers: int | None = None
    ) -> IngestReport:
        await self.suppression.refresh(self.graph)
        consents = [n for n, raw in enumerate(raw_items) if _is_consent(raw)]
        if not consents:
            return await super().ingest_batch(raw_items, writers=writers)
        others = [n for n, raw in enumerate(raw_items) if not _is_consent(raw)]
        report = IngestReport()
        if others:
            report = await super().ingest_batch([raw_items[n] for n in others], writers=writers)
        recorded = await self.record_consents([raw_items[n] for n in consents])
        return _merged(len(raw_items), report, others, recorded, consents)

    async def ingest_batches(
        self, batches: Iterable[Sequence[object]], *, writers: int | None = None
    ) -> AsyncIterator[IngestReport]:
        """As ``Ingestor.ingest_batches``; each batch's consents are stored once its
        other items are written. Every transaction checks its items against the
        suppression list as it is when it starts (``_commit``), so an erasure committed
        during a long import holds for everything written after it."""
        await self.suppression.refresh(self.graph)
        waiting: deque[tuple[int, list[int], list[int], list[object]]] = deque()

        def split() -> Iterator[list[object]]:
            # Runs in the ingestor's reading thread; batches come back in order.
            for batch in batches:
                consents = [n for n, raw in enumerate(batch) if _is_consent(raw)]
                others = [n for n, raw in enumerate(batch) if not _is_consent(raw)]
                waiting.append((len(batch), others, consents, [batch[n] for n in consents]))
                yield [batch[n] for n in others]

        async for report in super().ingest_batches(split(), writers=writers):
            size, others, consents, items = waiting.popleft()
            if not consents:
                yield report
                continue
            recorded = await self.record_consents(items)
            yield _merged(size, report, others, recorded, consents)


def _merged(
    size: int,
    report: IngestReport,
    positions: list[int],
    consents: IngestReport,
    consent_positions: list[int],
) -> IngestReport:
    """Two reports of parts of one batch as one, each result at its input position."""
    merged = IngestReport(
        created=report.created,
        merged=report.merged,
        split=report.split,
        shared=list(report.shared),
        seconds=report.seconds + consents.seconds,
    )
    results = [dataclasses.replace(r, index=positions[r.index]) for r in report.results] + [
        dataclasses.replace(r, index=consent_positions[r.index]) for r in consents.results
    ]
    merged.results = sorted(results, key=lambda r: r.index)
    assert len(merged.results) == size
    return merged
