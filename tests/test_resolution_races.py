"""Write-time resolution under an exact interleaving of two writers, against the real
Neo4j.

The property tests (test_resolution_properties.py) run writers side by side and compare
partitions; the races here are narrower and found by the soak (bench/soak.py): one
transaction is held open at a chosen point, the second is started and waits for a lock
it holds, and only then does the first commit.
"""

from __future__ import annotations

import asyncio
import importlib
from datetime import UTC, datetime
from typing import Any

import pytest

from service.identity.contract import Item
from service.identity.ingest import Ingestor
from service.identity.resolution import BatchOutcome, resolve_batch_tx
from service.privacy.ingest import PrivacyIngestor
from service.store.graph import Graph, Tx
from tests.partition import assert_matches, reference, snapshot
from tests.test_resolution_properties import event, record

#: The module, not its ``regroup`` function the package exports under the same name.
regroup_module = importlib.import_module("service.identity.resolution.regroup")

PHONE = ("PHONE", "+34 610000001")
#: Sorts before PHONE: the second writer seeks it (and waits for its lock) first.
EMAIL = ("EMAIL", "only-this-record@example.org")


async def _blocked(graph: Graph, work: str, timeout: float = 60.0) -> None:
    """Wait until a transaction of ``work`` (its function's name) waits for a lock."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await graph.query("testing-blocked-writers", work=work):
        assert asyncio.get_running_loop().time() < deadline, "the second writer never blocked"
        await asyncio.sleep(0.05)


class HeldWriter:
    """Writer 1: sends record r1 with PHONE only (so EMAIL, which only r1 carries, is
    deleted as an orphan) and holds its transaction open until ``release``."""

    def __init__(self, graph: Graph, ingestor: Ingestor) -> None:
        item = ingestor.parse([record("crm", "r1", [PHONE])])[0]
        assert isinstance(item, Item)
        self.written = asyncio.Event()
        self.release = asyncio.Event()

        async def hold(tx: Tx) -> BatchOutcome:
            outcome = await resolve_batch_tx(tx, [item], ingestor.policy, datetime.now(UTC))
            self.written.set()
            await self.release.wait()
            return outcome

        self.task = asyncio.create_task(graph.write(hold))

    async def started(self) -> None:
        """Wait until it has written (and holds its locks)."""
        await asyncio.wait_for(self.written.wait(), timeout=60)

    async def commit_once_blocked(self, graph: Graph, work: str) -> None:
        """Let writer 1 commit once a transaction of ``work`` waits for its locks."""
        try:
            await _blocked(graph, work)
        finally:
            self.release.set()
        await self.task


async def test_an_identifier_deleted_as_orphan_while_another_batch_adds_it_back(graph: Graph):
    # Writer 2 sends r1 with EMAIL again, finds EMAIL and waits for its lock; writer 1
    # commits: the node writer 2 found is gone. Writer 2 must still link EMAIL (before
    # the fix its merge returned no row for it: KeyError, answered INTERNAL).
    ingestor = Ingestor(graph)
    await ingestor.ingest_batch([record("crm", "r1", [PHONE, EMAIL])])
    writer1 = HeldWriter(graph, ingestor)
    await writer1.started()
    writer2 = asyncio.create_task(ingestor.ingest_batch([record("crm", "r1", [PHONE, EMAIL])]))
    await writer1.commit_once_blocked(graph, "resolve_batch_tx")
    report = await writer2
    assert report.errors == [], [(r.index, r.error) for r in report.errors]

    snap = await snapshot(graph)  # also: no broken invariant
    keys = {"EMAIL:only-this-record@example.org", "PHONE:+34610000001"}
    assert snap.items["record/crm/r1"] == keys
    assert snap.person_of["EMAIL:only-this-record@example.org"] == snap.person_of["record/crm/r1"]


async def test_a_consent_given_through_an_identifier_deleted_as_orphan_meanwhile(graph: Graph):
    # The same race with a consent in writer 2's place: it must not be stored without
    # the identifier it was given through (its link was created to a node found before
    # writer 1 deleted it, so it was lost, or failed).
    ingestor = PrivacyIngestor(graph)
    await ingestor.ingest_batch([record("crm", "r1", [PHONE, EMAIL])])
    writer1 = HeldWriter(graph, ingestor)
    await writer1.started()
    given = {"kind": "consent", "source": "newsletter", "id": "c1", "purpose": "marketing",
             "channel": "EMAIL", "status": "granted", "at": "2026-01-01T10:00:00Z",
             "identifiers": [{"type": EMAIL[0], "value": EMAIL[1]}]}  # fmt: skip
    writer2 = asyncio.create_task(ingestor.ingest_batch([given]))
    await writer1.commit_once_blocked(graph, "_write_consents_tx")
    report = await writer2
    assert report.errors == [], [(r.index, r.error) for r in report.errors]

    traces = {(row["what"], row["key"]) for row in await graph.query("testing-traces")}
    assert ("THROUGH", "consent/newsletter/c1 -> EMAIL:only-this-record@example.org") in traces
    assert ("node", "EMAIL:only-this-record@example.org") in traces
    assert (await snapshot(graph)).items["record/crm/r1"] == {"PHONE:+34610000001"}


async def test_a_new_member_joins_a_dense_person_while_it_splits(
    graph: Graph, monkeypatch: pytest.MonkeyPatch
):
    # A person of more than 50 members is a dense node: Neo4j adds a relationship to it
    # without its lock. The splitter (r0 drops b, so b, r1 and c leave P) has locked P
    # and read its members, and is held before it writes them back; meanwhile an event
    # carrying c joins P. Before the fix the joiner committed at once and the splitter,
    # deciding from members read before, moved c and left the event behind in P, one
    # person apart from the only value it carries (the soak's lost merge). Now the
    # joiner locks P too, so it waits, and finds c moved when it gets the lock.
    a, b, c = ("EMAIL", "a@example.org"), ("EMAIL", "b@example.org"), ("EMAIL", "c@example.org")
    items = [record("crm", "r0", [a, b]), record("crm", "r1", [b, c])]
    items += [event("till", f"e{n}", [a]) for n in range(60)]
    ingestor = Ingestor(graph)
    assert (await ingestor.ingest_batch(items)).errors == []

    read, release = asyncio.Event(), asyncio.Event()
    write_back = regroup_module._write_back

    async def held_write_back(*args: Any) -> Any:
        if not release.is_set():
            read.set()
            await release.wait()
        return await write_back(*args)

    monkeypatch.setattr(regroup_module, "_write_back", held_write_back)
    splitting = record("crm", "r0", [a])
    splitter = asyncio.create_task(ingestor.ingest_batch([splitting]))
    await asyncio.wait_for(read.wait(), timeout=60)
    joining = event("till", "new", [c])
    joiner = asyncio.create_task(ingestor.ingest_batch([joining]))
    blocked = asyncio.create_task(_blocked(graph, "resolve_batch_tx"))
    await asyncio.wait({joiner, blocked}, return_when=asyncio.FIRST_COMPLETED)
    blocked.cancel()
    release.set()
    for report in (await splitter, await joiner):
        assert report.errors == [], [(r.index, r.error) for r in report.errors]

    snap = await snapshot(graph)
    assert snap.person_of["event/till/new"] == snap.person_of["EMAIL:c@example.org"]
    assert_matches(snap, reference([*items, splitting, joining]))
