"""Membership as data changes: entries, exits by time, merges, history."""

from __future__ import annotations

import asyncio
from datetime import timedelta

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
    assert entered.phones == ("+34600120001",)
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
