"""No trace of an erased customer on the values others still carry.

A household address, a store's till phone: values other customers carry stay after an
erasure, but the spellings only she sent (display forms), the times only her items gave
them (first and last seen) and her links' per-source data must go. Each item is written
at a fixed time of its own, so that the graph left by the erasure can be compared
property by property with one built from the others' items alone.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from service.identity.contract import Item
from service.identity.identifiers import normalize
from service.identity.resolution import resolve_batch_tx
from service.privacy.consents import record_consents
from service.privacy.erasure import erase_person, person_id_for
from service.privacy.ingest import PrivacyIngestor
from service.store.graph import Graph
from tests.conftest import clear_graph
from tests.partition import assert_matches, reference, snapshot
from tests.privacy.conftest import consent, event, record

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
    before = await graph.query("testing-all-properties")
    before_text = json.dumps(before, default=str)
    theirs = forms(OTHERS)  # a part of one of their forms (a city) is theirs too
    mine = {f for f in forms(HERS) if not any(f in o for o in theirs)} | {"Erika T"}
    assert all(form in before_text for form in mine)

    pid = await person_id_for(graph, identifier=normalize(*EMAIL))
    receipt = await erase_person(
        graph, pid, reason="ticket 7", requested_by="test", suppression=ingestor.suppression
    )

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
