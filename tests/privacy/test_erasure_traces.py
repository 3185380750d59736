"""No trace of an erased customer on the values others still carry.

A household address, a store's till phone: values other customers carry stay after an
erasure, but the spellings only she sent (display forms), the times only her items gave
them (first and last seen) and her links' per-source data must go. Each item is written
at a fixed time of its own, so that the graph left by the erasure can be compared
property by property with one built from the others' items alone.

Segments hold her too: her membership, the history of her entries (whose payload
carries her contact points and the event that made her enter) and the webhook
deliveries of those entries, sent or still waiting for a target that is down. They go
with her, and the waiting one is never sent.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from service.identity.contract import Item
from service.identity.identifiers import normalize
from service.identity.resolution import resolve_batch_tx
from service.privacy.consents import record_consents
from service.privacy.erasure import erase_person, person_id_for
from service.privacy.ingest import PrivacyIngestor
from service.segments import ManualClock, SegmentEngine
from service.segments.webhooks import WebhookTarget
from service.store.graph import Graph
from tests.conftest import clear_graph
from tests.partition import assert_matches, reference, snapshot
from tests.privacy.conftest import consent, event, record
from tests.segments.test_delivery import SECRET, Receiver, _serving

HOUSE = {"line1": "Calle Mayor 5", "postcode": "28013", "city": "Madrid", "country": "ES"}
#: The same address as she spelled it, twice (one normalized key, three display forms).
HOUSE_HERS = {"line1": "C/ Mayor, 5", "postcode": "28013", "city": "MADRID", "country": "ES"}
HOUSE_LATER = {"line1": "Calle Mayor 5", "postcode": "28013", "city": "madrid", "country": "ES"}
TILL = ("PHONE", "+34 911 111 111")
TILL_HERS = ("PHONE", "+34 911-111-111")
EMAIL = ("EMAIL", "Erika.Traces@Example.org")

MATE = ("EMAIL", "mate@example.com")
#: Where she asked for post: a value only her consent gave.
HER_FLAT = {"line1": "Calle Sol 9", "postcode": "28014", "city": "Madrid", "country": "ES"}

#: (time written, item): the others' items, one batch each.
OTHERS: list[tuple[str, dict[str, Any]]] = [
    *[
        (f"2030-03-01T10:0{n}:00Z", record("pos", f"till-{n}", ("EMAIL", f"c{n}@ex.com"), TILL))
        for n in range(4)
    ],
    ("2030-03-05T10:00:00Z", record("crm", "H-1", MATE, ("ADDRESS", HOUSE))),
    ("2030-03-06T10:00:00Z", event("web", "w-1", "2030-03-06T09:00:00Z", MATE)),
    ("2030-03-07T10:00:00Z", consent("hc", "2030-03-07T09:00:00Z", ("ADDRESS", HOUSE))),
]
#: Hers: the first to send the address, a consent (through her email and a flat no
#: record names), a fifth email at the till (the phone turns shared), the last to send
#: the address.
HERS: list[tuple[str, dict[str, Any]]] = [
    ("2030-02-01T10:00:00Z", record("crm", "E-1", EMAIL, ("ADDRESS", HOUSE_HERS), name="Erika T")),
    ("2030-02-02T10:00:00Z", consent("ec", "2030-02-02T09:00:00Z", EMAIL, ("ADDRESS", HER_FLAT))),
    ("2030-04-15T10:00:00Z", record("pos", "till-erika", EMAIL, TILL_HERS)),
    (
        "2030-12-01T10:00:00Z",
        event("pos", "e-1", "2030-11-30T09:00:00Z", EMAIL, ("ADDRESS", HOUSE_LATER)),
    ),
]


#: A segment she enters (her purchase), and so does her housemate (his web purchase).
BUYERS = {"name": "buyers", "rule": {"event": {"type": "purchase"}}}
#: What her items are known by (an event key is a segment entry's cause).
HER_KEYS = ["record/crm/E-1", "record/pos/till-erika", "event/pos/e-1", "consent/newsletter/ec"]


async def write_at(ingestor: PrivacyIngestor, at: str, raw: dict[str, Any]) -> None:
    """Write one item as one batch, as of ``at``."""
    now = datetime.fromisoformat(at)
    if raw["kind"] == "consent":
        await record_consents(
            ingestor.graph,
            [raw],
            rules=ingestor.rules,
            policy=ingestor.policy,
            suppression=ingestor.suppression,
            now=now,
        )
        return
    [item] = ingestor.parse([raw])
    assert isinstance(item, Item)
    await ingestor.graph.write(resolve_batch_tx, [item], ingestor.policy, now)


def forms(items: list[tuple[str, dict[str, Any]]]) -> set[str]:
    """Every raw, normalized and display form of the identifiers these items carry."""
    found: set[str] = set()
    for _, raw in items:
        for x in raw["identifiers"]:
            ident = normalize(x["type"], x["value"], region="ES")
            found |= {ident.value, ident.display}
            raw_value = x["value"]
            found |= set(raw_value.values()) if isinstance(raw_value, dict) else {raw_value}
    return found


def traces(rows: list[dict[str, Any]]) -> dict[tuple[str, str], Any]:
    """By kind and key: labels and properties, less ``version`` (the counter writes
    bump to lock a node: the erasure's regrouping writes these items' persons)."""
    return {
        (r["what"], r["key"]): (
            sorted(r["labels"]),
            {k: v for k, v in r["properties"].items() if k != "version"},
        )
        for r in rows
    }


async def test_erasure_leaves_no_spelling_time_or_link_of_hers_on_shared_values(
    graph: Graph, ingestor: PrivacyIngestor
) -> None:
    for at, raw in OTHERS:
        await write_at(ingestor, at, raw)
    without = traces(await graph.query("testing-traces"))
    clean = await snapshot(graph)

    await clear_graph(graph)
    ingestor = PrivacyIngestor(graph)
    for at, raw in sorted(OTHERS + HERS, key=lambda pair: pair[0]):
        await write_at(ingestor, at, raw)
    pid = await person_id_for(graph, identifier=normalize(*EMAIL))
    theirs = forms(OTHERS)  # a part of one of their forms (a city) is theirs too
    mine = {f for f in forms(HERS) if not any(f in o for o in theirs)} | {"Erika T", *HER_KEYS}
    took, late = Receiver(), Receiver()  # a target that takes deliveries, one that is down
    async with _serving(took.app(), took.port), segments(graph, took, late) as engine:
        # She enters; the entry reaches one target and waits for the other.
        await engine.define(BUYERS)
        await until(lambda: entered(took, 2))
        await until(lambda: attempted(graph, 2))
        before_text = json.dumps(await graph.query("testing-all-properties"), default=str)
        assert all(form in before_text for form in mine)

        receipt = await erase_person(
            graph, pid, reason="ticket 7", requested_by="test", suppression=ingestor.suppression
        )
        await asyncio.sleep(0.3)  # the engine hears of the erasure (catch-up) and settles
        await engine.settle()
        # The target comes back: the housemate's entry is sent, hers is not.
        async with _serving(late.app(), late.port):
            await until(lambda: entered(late, 1))
            await asyncio.sleep(0.3)  # a few more drain rounds
    assert pid not in {r["person"]["id"] for r in late.received}
    sent = json.dumps(late.received)
    assert sorted(form for form in mine if form in sent) == []
    left = await graph.query("testing-segment-traces", persons=[pid])
    assert left == {"memberships": 0, "changes": 0, "deliveries": 0}

    # No spelling, value or time of hers anywhere: not on the address, the phone, the
    # flat only her consent named, the persons her till record had split.
    text = json.dumps(await graph.query("testing-all-properties"), default=str)
    assert sorted(form for form in mine if form in text) == []
    her_times = {at[:10] for at, _ in HERS} | {raw["at"][:10] for _, raw in HERS if "at" in raw}
    assert sorted(t for t in her_times if t in text) == []

    # Property by property, what the others' items alone made; the one difference is
    # when the phone last changed status: her fifth email made it shared, the erasure
    # made it linking again (the erasure's time, not hers).
    after = traces(await graph.query("testing-traces"))
    phone = ("node", normalize(*TILL, region="ES").key)
    changed = after[phone][1].pop("statusChangedAt")
    assert changed.to_native() >= receipt.at
    assert sorted(after) == sorted(without)
    for key, value in without.items():
        assert after[key] == value, key
    partition = (await snapshot(graph)).partition
    assert_matches(await snapshot(graph), reference([raw for _, raw in OTHERS[:-1]]))
    assert len(partition) == len(clean.partition)


@asynccontextmanager
async def segments(graph: Graph, took: Receiver, late: Receiver) -> AsyncIterator[SegmentEngine]:
    """A segment engine with two webhook targets, retrying fast."""
    settings = graph.settings.model_copy(
        update={"webhook_backoff": 0.05, "webhook_timeout": 0.3, "webhook_max_attempts": 1000}
    )
    targets = [
        WebhookTarget("crm-tool", took.url, frozenset(), SECRET),
        WebhookTarget("sms-tool", late.url, frozenset(), SECRET),
    ]
    engine = SegmentEngine(
        Graph(graph.driver, settings, graph.statements),
        clock=ManualClock(),
        targets=targets,
        scheduler_interval=3600,
        drain_interval=0.05,
        catch_up_interval=0.05,
    )
    await engine.start()
    try:
        yield engine
    finally:
        await engine.stop()


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 60.0) -> None:
    """Wait for ``check`` (generously: the test machine may be shared and slow)."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


async def entered(receiver: Receiver, n: int) -> bool:
    return sum(r["change"] == "ENTERED" for r in receiver.received) >= n


async def attempted(graph: Graph, n: int) -> bool:
    """Whether ``n`` deliveries wait after a failed attempt."""
    rows = await graph.query("webhook-deliveries", status="PENDING", target="sms-tool", limit=10)
    return sum(r["attempts"] > 0 for r in rows) >= n
