"""The bulk path: ``Ingestor.ingest_batches`` keeps several batches in flight.

What it must keep from one-batch-at-a-time: reports in input order, the same partition,
and a record sent twice ends as its later version even when both batches overlap.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from service.graph import Graph
from service.ingest import Ingestor
from tests.partition import snapshot
from tests.test_resolution_properties import event, fresh, record


async def _collect(ingestor: Ingestor, batches: Sequence[Sequence[Any]], writers: int) -> list[Any]:
    return [report async for report in ingestor.ingest_batches(batches, writers=writers)]


async def test_a_record_sent_in_two_overlapping_batches_ends_as_its_later_version(graph: Graph):
    ingestor = await fresh(graph)
    write = ingestor._write

    async def slow_first(batch: Any) -> Any:
        # The first batch starts late, so the second would commit first if they overlapped.
        if any(
            item.key == "record/crm/r1" and item.identifiers[0].value.startswith("old")
            for item in batch.unique
        ):
            await asyncio.sleep(0.5)
        return await write(batch)

    ingestor._write = slow_first  # type: ignore[method-assign]
    first = [
        event("web", "f1", [("DEVICE", "cookie-1")]),
        record("crm", "r1", [("EMAIL", "old@example.org")]),
    ]
    second = [record("crm", "r1", [("EMAIL", "new@example.org")])]
    third = [event("web", "f2", [("DEVICE", "cookie-2")])]  # may overlap: no shared record
    reports = await _collect(ingestor, [first, second, third], writers=2)

    assert [len(r.results) for r in reports] == [2, 1, 1]
    stored = await graph.query("record-for-update", key="record/crm/r1")
    assert [i["value"] for i in stored["identifiers"]] == ["new@example.org"]


async def test_reports_come_back_in_order_and_the_partition_is_the_sequential_one(graph: Graph):
    items = [
        record(
            "crm",
            f"r{n}",
            [("EMAIL", f"c{n % 40}@example.org"), ("PHONE", f"+3461100{n % 25:04d}")],
        )
        for n in range(120)
    ] + [event("till", f"e{n}", [("EMAIL", f"c{n % 40}@example.org")]) for n in range(120)]
    batches = [items[i : i + 20] for i in range(0, len(items), 20)]

    ingestor = await fresh(graph)
    sequential = [await ingestor.ingest_batch(b) for b in batches]
    expected = (await snapshot(graph)).partition

    ingestor = await fresh(graph)
    piped = await _collect(ingestor, batches, writers=3)
    assert [[r.key for r in rep.results] for rep in piped] == [
        [r.key for r in rep.results] for rep in sequential
    ]
    assert all(not rep.errors for rep in piped)
    assert (await snapshot(graph)).partition == expected


async def test_an_item_error_stays_in_its_batch(graph: Graph):
    ingestor = await fresh(graph)
    bad: dict[str, Any] = {"kind": "event", "source": "till", "id": "x"}  # no identifiers
    batches = [[record("crm", "a", [("EMAIL", "a@example.org")])], [bad], []]
    reports = await _collect(ingestor, batches, writers=2)
    assert [r.status for rep in reports for r in rep.results] == ["ok", "error"]
    assert reports[1].errors[0].error is not None
