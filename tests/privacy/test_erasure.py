"""The right to be forgotten: erase a person as if their items had never been sent,
keep their identifiers only as suppression hashes, and leave a receipt."""

from __future__ import annotations

import json
from typing import Any

import pytest

from service.errors import InvalidInput, NotFound
from service.identity.identifiers import normalize
from service.privacy.erasure import erase as erase_by
from service.privacy.erasure import erase_person, erasures, person_id_for, unsuppress
from service.privacy.export import export_person
from service.privacy.ingest import PrivacyIngestor
from service.read.models import find_person, persons_for_identifier
from service.store.graph import Graph
from tests.conftest import clear_graph
from tests.partition import assert_matches, reference, snapshot
from tests.privacy.conftest import consent, event, record

ADDRESS = {"line1": "Calle Mayor 5", "postcode": "28013", "city": "Madrid", "country": "ES"}
STORE_PHONE = ("PHONE", "+34 911 111 111")
ERIKA_EMAIL = ("EMAIL", "Erika.Erased@Example.org")
ERIKA_OLD = ("EMAIL", "erika.old@example.net")
ERIKA_PHONE = ("PHONE", "600 99 98 88")
ERIKA_CARD = ("LOYALTY_CARD", "7001 9999")

#: Every personal value of Erika's items, raw and normalized.
ERIKA_VALUES = [
    "Erika.Erased@Example.org",
    "erika.erased@example.org",
    "erika.old@example.net",
    "600 99 98 88",
    "+34600998888",
    "7001 9999",
    "70019999",
    "Erika Erased",
]


def others() -> list[dict[str, Any]]:
    """Four customers who gave the store's phone at the till, and a housemate."""
    items = [
        record("pos", f"till-{n}", ("EMAIL", f"customer{n}@example.com"), STORE_PHONE)
        for n in range(4)
    ]
    items.append(record("crm", "H-1", ("EMAIL", "housemate@example.com"), ("ADDRESS", ADDRESS)))
    items.append(event("web", "w-1", "2026-02-01T09:00:00Z", ("EMAIL", "housemate@example.com")))
    items.append(consent("hc", "2026-01-05T09:00:00Z", ("EMAIL", "housemate@example.com")))
    # An opt-in through an email no record carries: it belongs to no person.
    items.append(consent("optin", "2026-01-01T10:00:00Z", ("EMAIL", "erika.optin@example.org")))
    return items


def erika() -> list[dict[str, Any]]:
    """The person to erase: two records merged by a third, events, consents; she gave
    the store's phone once too (the fifth email makes it shared) and lives with the
    housemate."""
    return [
        record("crm", "E-1", ERIKA_EMAIL, ERIKA_PHONE, ("ADDRESS", ADDRESS), name="Erika Erased"),
        record("eshop", "E-2", ERIKA_OLD, ERIKA_CARD),
        record("pos", "till-erika", ERIKA_EMAIL, STORE_PHONE),
        event("pos", "e-ev-1", "2026-03-01T12:00:00Z", ERIKA_CARD),
        event("pos", "e-ev-2", "2026-03-02T12:00:00Z", ERIKA_PHONE, ERIKA_OLD),
        consent("ec", "2026-01-01T10:00:00Z", ERIKA_EMAIL, channel="ALL"),
    ]


async def erase(graph: Graph, ingestor: PrivacyIngestor, who: tuple[str, str]) -> Any:
    pid = await person_id_for(graph, identifier=normalize(*who, region="ES"))
    return await erase_person(
        graph, pid, reason="ticket GDPR-42", requested_by="test", suppression=ingestor.suppression
    )


def records_and_events(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in items if i["kind"] != "consent"]


async def test_erasure_leaves_the_graph_as_if_her_items_were_never_sent(
    graph: Graph, ingestor: PrivacyIngestor
) -> None:
    # Without her: the four till customers are one person (the phone links them).
    await ingestor.ingest_batch(others())
    without = await graph.query("testing-identity-counts")
    clean = await snapshot(graph)
    assert_matches(clean, reference(records_and_events(others())))

    await clear_graph(graph)
    ingestor = PrivacyIngestor(graph)
    await ingestor.ingest_batch(others())
    for item in erika():  # one by one: her records merge (an alias), the phone turns shared
        await ingestor.ingest_batch([item])
    before = await snapshot(graph)
    assert before.shared, "with her fifth email the store's phone is shared"
    assert len(before.partition) > len(clean.partition)

    receipt = await erase(graph, ingestor, ERIKA_EMAIL)

    after = await snapshot(graph)
    assert_matches(after, reference(records_and_events(others())))
    assert await graph.query("testing-identity-counts") == without
    assert (receipt.records, receipt.events, receipt.consents) == (3, 2, 1)
    assert receipt.identifiers == 4  # her two emails, her phone, her card
    assert receipt.aliases >= 1


async def test_no_value_of_hers_is_left_anywhere_and_lookups_return_nothing(
    graph: Graph, ingestor: PrivacyIngestor
) -> None:
    await ingestor.ingest_batch(others())
    for item in erika():
        await ingestor.ingest_batch([item])
    housemate = await find_person(graph, normalize("EMAIL", "housemate@example.com"))
    assert housemate is not None
    await erase(graph, ingestor, ERIKA_PHONE)

    rows = await graph.query("testing-all-properties")
    text = json.dumps(rows, default=str).casefold()
    found = [v for v in ERIKA_VALUES if v.casefold() in text]
    assert found == []
    for kind, value in (ERIKA_EMAIL, ERIKA_OLD, ERIKA_PHONE, ERIKA_CARD):
        assert await persons_for_identifier(graph, normalize(kind, value, region="ES")) == []
    # The housemate keeps the address, her consent and her person.
    still = await find_person(graph, normalize("EMAIL", "housemate@example.com"))
    assert still is not None and still.id == housemate.id
    exported = await export_person(graph, housemate.id)
    assert [x["type"] for x in exported["identifiers"]] == ["ADDRESS", "EMAIL"]
    assert [c["id"] for c in exported["consents"]["history"]] == ["hc"]
    # The opt-in through an email no record carries stays: it was never hers.
    assert "erika.optin@example.org" in text


async def test_suppressed_identifiers_do_not_come_back_until_unsuppressed(
    graph: Graph, ingestor: PrivacyIngestor
) -> None:
    mine = erika()
    await ingestor.ingest_batch([mine[0], mine[1], mine[4]])  # one person
    await erase(graph, ingestor, ERIKA_EMAIL)
    rows = await graph.query("testing-all-properties")
    hashes = [r["properties"]["hash"] for r in rows if r["what"] == ["Suppressed"]]
    # two emails, the phone, the card, and the address no one else carries
    assert len(hashes) == 5 and all(len(h) == 64 for h in hashes)

    nightly = [
        record("crm", "E-1", ERIKA_EMAIL, ERIKA_PHONE, ("ADDRESS", ADDRESS), name="Erika Erased"),
        record("eshop", "E-2", ERIKA_OLD, ("PHONE", "600 11 22 33")),
        consent("ec2", "2026-04-01T10:00:00Z", ERIKA_EMAIL),
    ]
    report = await ingestor.ingest_batch(nightly)
    assert [r.status for r in report.results] == ["error", "ok", "error"]
    assert [r.error.code for r in report.results if r.error] == ["SUPPRESSED", "SUPPRESSED"]
    assert await find_person(graph, normalize(*ERIKA_EMAIL)) is None
    assert await find_person(graph, normalize(*ERIKA_OLD)) is None
    assert await find_person(graph, normalize("PHONE", "600 11 22 33", region="ES")) is not None

    # A bulk import honours the list too.
    tallies = [r async for r in ingestor.ingest_batches([nightly[:1]])]
    assert [r.error.code for r in tallies[0].results if r.error] == ["SUPPRESSED"]

    assert await unsuppress(graph, normalize(*ERIKA_EMAIL), ingestor.suppression)
    assert not await unsuppress(graph, normalize(*ERIKA_EMAIL), ingestor.suppression)
    report = await ingestor.ingest_batch(nightly[:1])
    assert [r.status for r in report.results] == ["ok"]
    assert await find_person(graph, normalize(*ERIKA_EMAIL)) is not None


async def test_receipts_are_listed_and_hold_no_personal_value(
    graph: Graph, ingestor: PrivacyIngestor
) -> None:
    await ingestor.ingest_batch(erika())
    receipt = await erase(graph, ingestor, ERIKA_CARD)
    listed = await erasures(graph)
    assert listed == [receipt]
    assert await erasures(graph, since=receipt.at.replace(year=receipt.at.year + 1)) == []
    text = json.dumps([r.to_dict() for r in listed]).casefold()
    assert [v for v in ERIKA_VALUES if v.casefold() in text] == []
    assert receipt.requested_by == "test" and receipt.reason == "ticket GDPR-42"


async def test_bad_erasures_fail_typed_and_change_nothing(
    graph: Graph, ingestor: PrivacyIngestor
) -> None:
    await ingestor.ingest_batch(erika())
    counts = await graph.query("graph-counts")
    with pytest.raises(NotFound):
        await person_id_for(graph, identifier=normalize("EMAIL", "nobody@example.org"))
    with pytest.raises(NotFound):
        await erase_person(
            graph, "no-such-person", reason="x", requested_by="t", suppression=ingestor.suppression
        )
    pid = await person_id_for(graph, identifier=normalize(*ERIKA_EMAIL))
    with pytest.raises(InvalidInput) as quoted:
        await erase_person(
            graph,
            pid,
            reason="asked by erika.erased@example.org",
            requested_by="t",
            suppression=ingestor.suppression,
        )
    assert quoted.value.field == "reason"
    assert "erika" not in quoted.value.message
    with pytest.raises(InvalidInput) as empty:
        await erase_person(
            graph, pid, reason=" ", requested_by="t", suppression=ingestor.suppression
        )
    assert empty.value.field == "reason"
    assert await graph.query("graph-counts") == counts
    assert await erasures(graph) == []


async def test_erasing_an_identifier_only_consents_carry_erases_them_and_suppresses_it(
    graph: Graph, ingestor: PrivacyIngestor
) -> None:
    """An opt-in arrived before any record: the identifier belongs to no person, yet
    the customer can ask for it to be forgotten."""
    await ingestor.ingest_batch(others())
    optin = normalize("EMAIL", "Erika.OptIn@example.org")
    flat = ("ADDRESS", {"line1": "Calle Luna 3", "postcode": "28004", "city": "Madrid"})
    second = consent("optin-2", "2026-02-01T10:00:00Z", ("EMAIL", optin.value), flat)
    assert [r.status for r in (await ingestor.ingest_batch([second])).results] == ["ok"]
    housemate = await find_person(graph, normalize("EMAIL", "housemate@example.com"))
    counts = await graph.query("testing-identity-counts")

    receipt = await erase_by(
        graph,
        identifier=optin,
        reason="ticket GDPR-43",
        requested_by="test",
        suppression=ingestor.suppression,
    )

    assert (receipt.records, receipt.events, receipt.consents) == (0, 0, 2)
    assert receipt.identifiers == receipt.suppressed == 2  # the email and the flat
    assert await erasures(graph) == [receipt]
    text = json.dumps(await graph.query("testing-all-properties"), default=str).casefold()
    assert [v for v in ("erika.optin", "calle luna", "luna 3") if v in text] == []
    after = await graph.query("testing-identity-counts")
    assert after["nodes"] == counts["nodes"] - 4  # two consents, two identifiers
    assert await find_person(graph, normalize("EMAIL", "housemate@example.com")) == housemate
    # A later opt-in through it is refused; erasing it again finds nothing.
    report = await ingestor.ingest_batch(
        [consent("optin-4", "2026-03-01T10:00:00Z", ("EMAIL", optin.value))]
    )
    assert [r.error.code for r in report.results if r.error] == ["SUPPRESSED"]
    with pytest.raises(NotFound):
        await erase_by(
            graph,
            identifier=optin,
            reason="ticket GDPR-43",
            requested_by="test",
            suppression=ingestor.suppression,
        )
    with pytest.raises(NotFound):
        await erase_by(
            graph,
            identifier=normalize("EMAIL", "nobody@example.org"),
            reason="x",
            requested_by="t",
            suppression=ingestor.suppression,
        )


async def test_a_process_that_erased_sees_its_hashes_deleted_beside_it(
    graph: Graph, ingestor: PrivacyIngestor
) -> None:
    """The list this process changed itself is compared with the graph again: when the
    graph's hashes go (a wipe, another process's unsuppress), the items come back."""
    mine = erika()
    await ingestor.ingest_batch([mine[0]])
    await erase(graph, ingestor, ERIKA_EMAIL)
    assert ingestor.suppression.hashes
    await clear_graph(graph)
    report = await ingestor.ingest_batch([mine[0]])
    assert [r.status for r in report.results] == ["ok"]
    assert await find_person(graph, normalize(*ERIKA_EMAIL)) is not None
