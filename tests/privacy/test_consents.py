"""Consent items: stored on their identifiers, effective per person, order-independent."""

from __future__ import annotations

import itertools

from service.identity.identifiers import normalize
from service.privacy.consents import consents_of
from service.privacy.ingest import PrivacyIngestor
from service.read.models import find_person
from service.store.graph import Graph
from tests.privacy.conftest import consent, record

ANA = ("EMAIL", "Ana.Silva@Example.com")
ANA_WORK = ("EMAIL", "asilva@bufete.example")
PHONE = ("PHONE", "600 12 34 56")


async def person_id(graph: Graph, kind: str, value: str) -> str:
    found = await find_person(graph, normalize(kind, value, region="ES"))
    assert found is not None
    return found.id


async def test_a_consent_is_stored_once_and_reported_per_item(
    graph: Graph, ingestor: PrivacyIngestor
) -> None:
    await ingestor.ingest_batch([record("crm", "C-1", ANA, PHONE)])
    items = [
        consent("c1", "2026-01-01T10:00:00Z", ANA, form="footer", textVersion="v3"),
        consent("c2", "2026-01-01T10:00:00Z", ANA, purpose="astrology"),
        record("crm", "C-2", ANA_WORK),
    ]
    report = await ingestor.ingest_batch(items)
    assert [r.status for r in report.results] == ["ok", "error", "ok"]
    assert report.results[0].key == "consent/newsletter/c1"
    assert report.results[0].person_id == await person_id(graph, *ANA)
    error = report.results[1].error
    assert error is not None and error.code == "INVALID_INPUT"
    assert error.details["field"] == "purpose"
    again = await ingestor.ingest_batch(items[:1])
    assert [r.status for r in again.results] == ["unchanged"]
    assert await graph.query("count-consents") == 1


async def test_effective_consent_is_the_latest_whatever_the_arrival_order(graph: Graph) -> None:
    consents = [
        consent("c1", "2026-01-01T10:00:00Z", ANA, status="granted"),
        consent("c2", "2026-02-01T10:00:00Z", ANA_WORK, status="withdrawn", channel="ALL"),
        consent("c3", "2025-12-01T10:00:00Z", ANA, status="granted", channel="ALL"),
        consent("c4", "2026-03-01T10:00:00Z", ANA, status="granted"),
    ]
    outcomes = set()
    for order in itertools.permutations(consents):
        from tests.conftest import clear_graph

        await clear_graph(graph)
        ingestor = PrivacyIngestor(graph)
        await ingestor.ingest_batch([record("crm", "C-1", ANA, ANA_WORK, PHONE)])
        for item in order:
            await ingestor.ingest_batch([item])
        pid = await person_id(graph, *ANA)
        mine = (await consents_of(graph, [pid]))[0]
        effective = tuple((c.purpose, c.channel, c.status, c.id) for c in mine.effective())
        email = tuple((p.value, p.consent.id) for p in mine.contactable("marketing", "EMAIL"))
        sms = tuple(p.value for p in mine.contactable("marketing", "SMS"))
        outcomes.add((effective, email, sms))
    assert outcomes == {
        (
            (("marketing", "ALL", "withdrawn", "c2"), ("marketing", "EMAIL", "granted", "c4")),
            # c4 (EMAIL, through ana@) is later than the ALL withdrawal; the work email
            # has only the withdrawal; the phone, only the withdrawal too.
            (("ana.silva@example.com", "c4"),),
            (),
        )
    }


async def test_no_consent_means_not_contactable(graph: Graph, ingestor: PrivacyIngestor) -> None:
    await ingestor.ingest_batch([record("crm", "C-1", ANA, PHONE)])
    mine = (await consents_of(graph, [await person_id(graph, *ANA)]))[0]
    assert mine.effective() == []
    assert mine.contactable("marketing", "EMAIL") == []
    assert mine.contactable("marketing", "SMS") == []


async def test_a_consent_before_any_record_applies_once_a_record_carries_it(
    graph: Graph, ingestor: PrivacyIngestor
) -> None:
    await ingestor.ingest_batch([consent("c1", "2026-01-01T10:00:00Z", ANA)])
    # Nothing carries the email yet: no person, but the identifier stays for the consent.
    assert await find_person(graph, normalize(*ANA)) is None
    await ingestor.ingest_batch([record("crm", "C-1", ANA, PHONE)])
    mine = (await consents_of(graph, [await person_id(graph, *PHONE)]))[0]
    assert [p.value for p in mine.contactable("marketing", "EMAIL")] == ["ana.silva@example.com"]
    # The record drops the email: the identifier is not deleted as an orphan (the consent
    # needs it), and it leaves the person.
    await ingestor.ingest_batch([record("crm", "C-1", PHONE)])
    assert await find_person(graph, normalize(*ANA)) is None
    mine = (await consents_of(graph, [await person_id(graph, *PHONE)]))[0]
    assert mine.contactable("marketing", "EMAIL") == []
    # Carried again, by another record: the consent is back with it.
    await ingestor.ingest_batch([record("eshop", "E-9", ANA)])
    mine = (await consents_of(graph, [await person_id(graph, *ANA)]))[0]
    assert [c.id for c in mine.effective()] == ["c1"]


async def test_consents_follow_merges_and_splits(graph: Graph, ingestor: PrivacyIngestor) -> None:
    await ingestor.ingest_batch(
        [
            record("crm", "C-1", ANA),
            record("pos", "P-1", PHONE),
            consent("c1", "2026-01-01T10:00:00Z", PHONE, channel="SMS"),
        ]
    )
    await ingestor.ingest_batch([record("eshop", "E-1", ANA, PHONE)])  # merge
    merged = (await consents_of(graph, [await person_id(graph, *ANA)]))[0]
    assert [p.value for p in merged.contactable("marketing", "SMS")] == ["+34600123456"]
    await ingestor.ingest_batch([record("eshop", "E-1", ANA_WORK)])  # split again
    ana = (await consents_of(graph, [await person_id(graph, *ANA)]))[0]
    assert ana.effective() == []
    phone = (await consents_of(graph, [await person_id(graph, *PHONE)]))[0]
    assert [c.id for c in phone.effective()] == ["c1"]
