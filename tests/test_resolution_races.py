"""Write-time resolution under an exact interleaving of two writers, against the real
Neo4j.

The property tests (test_resolution_properties.py) run writers side by side and compare
partitions; the races here are narrower and found by the soak (bench/soak.py): one
transaction is held open at a chosen point, the second is started and waits for a lock
it holds, and only then does the first commit.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from service.identity.contract import Item
from service.identity.ingest import Ingestor
from service.identity.resolution import BatchOutcome, resolve_batch_tx
from service.store.graph import Graph, Tx
from tests.partition import snapshot
from tests.test_resolution_properties import record

PHONE = ("PHONE", "+34 610000001")
#: Sorts before PHONE: the second writer seeks it (and waits for its lock) first.
EMAIL = ("EMAIL", "only-this-record@example.org")


async def _blocked(graph: Graph, timeout: float = 60.0) -> None:
    """Wait until a resolution transaction waits for a lock."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await graph.query("testing-blocked-writers", work="resolve_batch_tx"):
        assert asyncio.get_running_loop().time() < deadline, "the second writer never blocked"
        await asyncio.sleep(0.05)


async def test_an_identifier_deleted_as_orphan_while_another_batch_adds_it_back(graph: Graph):
    # A record carries PHONE and EMAIL, EMAIL carried by nothing else. Writer 1 sends the
    # record without EMAIL (so it deletes EMAIL as an orphan) and holds its transaction
    # open; writer 2 sends it with EMAIL again, finds EMAIL and waits for its lock. Writer
    # 1 commits: the node writer 2 found is gone. Writer 2 must still link EMAIL (before
    # the fix its merge returned no row for it: KeyError, answered INTERNAL).
    ingestor = Ingestor(graph)
    await ingestor.ingest_batch([record("crm", "r1", [PHONE, EMAIL])])
    first = ingestor.parse([record("crm", "r1", [PHONE])])[0]
    assert isinstance(first, Item)
    release = asyncio.Event()

    async def hold(tx: Tx) -> BatchOutcome:
        outcome = await resolve_batch_tx(tx, [first], ingestor.policy, datetime.now(UTC))
        await release.wait()
        return outcome

    writer1 = asyncio.create_task(graph.write(hold))
    await asyncio.sleep(0.5)  # writer 1 has written and holds its locks
    assert not writer1.done()
    writer2 = asyncio.create_task(ingestor.ingest_batch([record("crm", "r1", [PHONE, EMAIL])]))
    try:
        await _blocked(graph)
    finally:
        release.set()
    await writer1
    report = await writer2
    assert report.errors == [], [(r.index, r.error) for r in report.errors]

    snap = await snapshot(graph)  # also: no broken invariant
    keys = {"EMAIL:only-this-record@example.org", "PHONE:+34610000001"}
    assert snap.items["record/crm/r1"] == keys
    assert snap.person_of["EMAIL:only-this-record@example.org"] == snap.person_of["record/crm/r1"]
