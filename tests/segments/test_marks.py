"""Consent conditions, drops, and writes the engine did not see (changed-persons marks)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from service.identity import changes
from service.identity.ingest import Ingestor
from service.privacy.ingest import PrivacyIngestor
from service.segments import ManualClock, SegmentEngine
from service.store.graph import Graph
from tests.segments.conftest import (
    ABROAD_WITH_SMS,
    TRAVELLING_ABROAD,
    Rig,
    consent,
    customer,
    payment,
)


async def _size(graph: Graph, name: str) -> int:
    return int(await graph.query("segment-size", segment=name))


async def test_travelling_abroad_with_sms_consent_enters_on_the_grant_and_leaves_on_withdrawal(
    rig: Rig,
) -> None:
    await rig.engine.define(ABROAD_WITH_SMS)
    ingestor = PrivacyIngestor(rig.graph, on_commit=rig.engine.on_commit)
    changes = rig.engine.feed.subscribe(["abroad-sms"])
    await rig.write(customer(1), payment(1, "p1", "FR"))
    assert await _size(rig.graph, "abroad-sms") == 0  # abroad, but no consent
    first = asyncio.ensure_future(anext(changes))
    report = await ingestor.ingest_batch([consent(1, "k1", "granted", 10)])
    assert not report.errors
    entered = await asyncio.wait_for(first, 10)
    # The SMS grant allows the phone it was given through, not the email.
    assert (entered.change, entered.phones, entered.emails) == ("ENTERED", ("+34600120001",), ())
    assert [(c.purpose, c.channel, c.status) for c in entered.consents] == [
        ("marketing", "SMS", "granted")
    ]
    # An older withdrawal arriving late changes nothing; a newer one makes it leave.
    await ingestor.ingest_batch([consent(1, "k0", "withdrawn", 60)])
    await rig.engine.settle()
    assert await _size(rig.graph, "abroad-sms") == 1
    nxt = asyncio.ensure_future(anext(changes))
    await ingestor.ingest_batch([consent(1, "k2", "withdrawn", 1)])
    left = await asyncio.wait_for(nxt, 10)
    assert (left.change, left.person) == ("LEFT", entered.person)
    await changes.aclose()


async def test_a_delivery_carries_only_the_phone_the_sms_consent_allows(rig: Rig) -> None:
    await rig.engine.define(ABROAD_WITH_SMS)
    two_phones = customer(1)
    two_phones["identifiers"].append({"type": "PHONE", "value": "+34699000001"})
    await rig.write(two_phones, payment(1, "p1", "FR"))
    changes = rig.engine.feed.subscribe(["abroad-sms"])
    first = asyncio.ensure_future(anext(changes))
    # A grant through the first phone, and an ALL consent for another purpose: neither
    # the second phone nor the email may be used for marketing by SMS.
    other = consent(1, "k9", "granted", 5) | {"purpose": "profiling", "channel": "ALL"}
    report = await PrivacyIngestor(rig.graph, on_commit=rig.engine.on_commit).ingest_batch(
        [consent(1, "k1", "granted", 10), other]
    )
    assert not report.errors, [r.error for r in report.errors]
    entered = await asyncio.wait_for(first, 10)
    assert (entered.phones, entered.emails) == (("+34600120001",), ())
    assert [(c.purpose, c.channel, c.id) for c in entered.consents] == [("marketing", "SMS", "k1")]
    person = entered.payload()["person"]
    assert person["phones"] == ["+34600120001"] and person["emails"] == []
    assert [(c["channel"], c["status"]) for c in person["consents"]] == [("SMS", "granted")]
    await changes.aclose()


async def test_dropping_a_segment_sends_left_for_every_member(rig: Rig) -> None:
    await rig.engine.define(TRAVELLING_ABROAD)
    await rig.write(*(customer(n) for n in range(1, 4)))
    await rig.write(*(payment(n, f"p{n}", "FR") for n in range(1, 4)))
    assert await _size(rig.graph, "travelling-abroad") == 3
    changes = rig.engine.feed.subscribe(["travelling-abroad"])

    async def three() -> list[Any]:
        return [await anext(changes) for _ in range(3)]

    got = asyncio.ensure_future(three())
    await asyncio.sleep(0)
    await rig.engine.drop("travelling-abroad")
    left = await asyncio.wait_for(got, 10)
    assert {c.change for c in left} == {"LEFT"} and len({c.person for c in left}) == 3
    for _ in range(100):
        if not await rig.graph.query("segments-all"):
            break
        await asyncio.sleep(0.05)
    assert await rig.graph.query("segments-all") == []
    assert await _size(rig.graph, "travelling-abroad") == 0
    await changes.aclose()


async def test_writes_the_engine_did_not_see_are_evaluated_when_it_starts(graph: Graph) -> None:
    clock = ManualClock()
    first = SegmentEngine(graph, clock=clock, targets=[], scheduler_interval=3600)
    await first.define(TRAVELLING_ABROAD)
    await first.backfill("travelling-abroad")
    await first.stop()
    # Another process (no listener: as `omnid import` writes), or this one before a
    # crash that lost the evaluation: only the marks in the graph remember it.
    await Ingestor(graph).ingest_batch([customer(1), payment(1, "p1", "FR")])
    assert await _size(graph, "travelling-abroad") == 0
    engine = SegmentEngine(graph, clock=clock, targets=[], scheduler_interval=3600)
    await engine.start()
    try:
        for _ in range(200):
            if await _size(graph, "travelling-abroad") == 1:
                break
            await asyncio.sleep(0.05)
        assert await _size(graph, "travelling-abroad") == 1
        history = await graph.query(
            "segment-history",
            person=(await graph.query("item-persons", keys=["event/cards/p1"]))["persons"][0],
            limit=5,
        )
        assert [h["change"] for h in history] == ["ENTERED"]
        # Its cursor is saved: a later start does not evaluate the same marks again.
        for _ in range(100):
            if await graph.query("change-cursor", consumer="segments") is not None:
                break
            await asyncio.sleep(0.05)
        assert await graph.query("change-cursor", consumer="segments") is not None
    finally:
        await engine.stop()


async def test_another_process_leaves_marks_the_writer_evaluated(
    graph: Graph, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two service workers: the writer's engine hears of its write; the other one's
    # catch-up reads the same mark and must leave it (it was evaluated, once).
    writer = SegmentEngine(graph, clock=ManualClock(), targets=[], scheduler_interval=3600)
    await writer.define(TRAVELLING_ABROAD)
    await writer.backfill("travelling-abroad")
    other = SegmentEngine(graph, clock=ManualClock(), targets=[], grace=0)
    monkeypatch.setattr(changes, "ORIGIN", "writer-process")  # what the writer stamps
    await writer.start()
    try:
        await Ingestor(graph, on_commit=writer.on_commit).ingest_batch(
            [customer(1), payment(1, "p1", "FR")]
        )
        await writer.settle()
        assert await _size(graph, "travelling-abroad") == 1
        assert await other.catch_up() == 0
    finally:
        await writer.stop()
    # A write of a process with no engine (an import) is evaluated by the others.
    await Ingestor(graph).ingest_batch([payment(1, "p2", "FR")])
    assert await other.catch_up() == 1
