"""Membership as data changes: entries, exits by time, merges, history."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from service.identity.ingest import Ingestor
from service.segments import SegmentEngine
from service.segments.store import define_segment
from service.store.graph import Graph
from tests.segments.conftest import TRAVELLING_ABROAD, Rig, customer, payment


async def _backfilled(rig: Rig, name: str) -> None:
    for _ in range(200):
        if (await rig.engine.segment(name)).status == "READY":
            return
        await asyncio.sleep(0.05)
    raise AssertionError("background evaluation did not finish")


async def test_a_payment_abroad_enters_and_the_window_closing_leaves(rig: Rig) -> None:
    await rig.write(customer(1), customer(2))
    await rig.engine.define(TRAVELLING_ABROAD)
    await _backfilled(rig, "travelling-abroad")
    changes = rig.engine.feed.subscribe(["travelling-abroad"])
    first = asyncio.ensure_future(anext(changes))
    await asyncio.sleep(0)
    await rig.write(payment(1, "p1", "FR"), payment(2, "p2", "ES"))
    entered = await asyncio.wait_for(first, 5)
    assert entered.change == "ENTERED"
    # No consent condition in the rule: no contact point may be used.
    assert (entered.phones, entered.emails, entered.consents) == ((), (), ())
    assert entered.cause is not None and entered.cause["key"] == "event/cards/p1"
    members = await rig.graph.query(
        "segment-members", segment="travelling-abroad", after="", limit=10
    )
    assert [m["person"] for m in members] == [entered.person]

    rig.clock.advance(timedelta(days=3))
    nxt = asyncio.ensure_future(anext(changes))
    assert await rig.engine.tick() == 1
    left = await asyncio.wait_for(nxt, 5)
    assert (left.change, left.person) == ("LEFT", entered.person)
    assert await rig.graph.query("segment-size", segment="travelling-abroad") == 0
    history = await rig.graph.query("segment-history", person=entered.person, limit=10)
    assert [h["change"] for h in history] == ["LEFT", "ENTERED"]
    await changes.aclose()


async def test_a_merge_keeps_one_membership_and_its_since(rig: Rig) -> None:
    await rig.engine.define(TRAVELLING_ABROAD)
    await rig.write(customer(1))
    await rig.write(payment(1, "p1", "FR"))
    (before,) = await rig.graph.query(
        "segment-members", segment="travelling-abroad", after="", limit=10
    )
    other = customer(2) | {"source": "shop", "id": "s2"}
    await rig.write(other)
    # A record carrying both persons' emails merges them.
    link = {
        "kind": "record",
        "source": "crm",
        "id": "k1",
        "identifiers": [
            {"type": "EMAIL", "value": "c1@example.com"},
            {"type": "EMAIL", "value": "c2@example.com"},
        ],
    }
    await rig.write(link)
    members = await rig.graph.query(
        "segment-members", segment="travelling-abroad", after="", limit=10
    )
    assert len(members) == 1
    assert members[0]["since"] == before["since"]
    history = await rig.graph.query("segment-history", person=before["person"], limit=10)
    assert [h["change"] for h in history] == ["ENTERED"]


async def test_a_split_re_evaluates_both_parts(rig: Rig) -> None:
    await rig.engine.define(TRAVELLING_ABROAD)
    shop = {
        "kind": "record",
        "source": "shop",
        "id": "s1",
        "country": "ES",
        "identifiers": [
            {"type": "PHONE", "value": "+34600120001"},
            {"type": "EMAIL", "value": "other@example.com"},
        ],
    }
    await rig.write(customer(1), shop)
    await rig.write(payment(1, "p1", "FR"))
    assert await rig.graph.query("segment-size", segment="travelling-abroad") == 1
    from service.identity.identifiers import normalize

    await rig.ingestor.remove_identifier("shop", "s1", normalize("PHONE", "+34600120001"))
    await rig.engine.settle()
    (member,) = await rig.graph.query(
        "segment-members", segment="travelling-abroad", after="", limit=10
    )
    payer = await rig.graph.query("item-persons", keys=["event/cards/p1"])
    assert payer["persons"] == [member["person"]]


class _RollingBack(Graph):
    """Runs each write's work, then fails inside its transaction: Neo4j rolls it back."""

    async def write(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        async def then_fail(tx: Any, *a: Any, **k: Any) -> Any:
            await fn(tx, *a, **k)
            raise RuntimeError("rolled back on purpose")

        return await super().write(then_fail, *args, **kwargs)


async def test_a_rolled_back_write_changes_and_sends_nothing(rig: Rig) -> None:
    await rig.engine.define(TRAVELLING_ABROAD)
    await rig.write(customer(1))
    changes = rig.engine.feed.subscribe()
    first = asyncio.ensure_future(anext(changes))
    failing = _RollingBack(rig.graph.driver, rig.graph.settings, rig.graph.statements)
    ingestor = Ingestor(failing, on_commit=rig.engine.on_commit)
    with pytest.raises(RuntimeError):
        await ingestor.ingest_batch([payment(1, "p1", "FR")])
    await rig.engine.settle()
    await asyncio.sleep(0.2)
    assert not first.done()
    assert (await rig.graph.query("item-persons", keys=["event/cards/p1"]))["persons"] == []
    assert await rig.graph.query("segment-size", segment="travelling-abroad") == 0
    assert await rig.graph.query("webhook-deliveries", status=None, target=None, limit=5) == []
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    await changes.aclose()


async def test_a_rolled_back_evaluation_leaves_no_membership_and_no_outbox(graph: Graph) -> None:
    failing = _RollingBack(graph.driver, graph.settings, graph.statements)
    engine = SegmentEngine(failing, targets=[], scheduler_interval=3600)
    await define_segment(graph, TRAVELLING_ABROAD, clock=engine.clock)
    await engine.start()
    try:
        ingestor = Ingestor(graph, on_commit=engine.on_commit)
        await ingestor.ingest_batch([customer(1), payment(1, "p1", "FR")])
        await engine.settle()
        stored = await graph.query("item-persons", keys=["event/cards/p1"])
        assert stored["persons"] and stored["persons"][0]  # the write itself committed
        assert await graph.query("segment-size", segment="travelling-abroad") == 0
        history = await graph.query("segment-history", person=stored["persons"][0], limit=5)
        assert history == []
    finally:
        await engine.stop()
