"""The review list of suspicious persons against the real Neo4j, through the API: each
reason is found and cleared when its cause goes away, the list is ordered, paginated,
stored (not computed per request), scoped, and dismissals hold until the person changes."""

from __future__ import annotations

import asyncio
from typing import Any

from service.identity.ingest import Ingestor
from service.privacy.erasure import erase_person
from service.privacy.suppression import Suppression
from service.steward.review import Reviewer, refresh_all, suspicious_persons
from service.store.graph import Graph
from tests.steward.conftest import READ_KEY, WRITE_KEY, Steward, record

REMOVE = """
mutation($source: String!, $id: String!, $type: IdentifierType!, $value: String!) {
  removeIdentifier(record: {source: $source, id: $id}, identifier: {type: $type, value: $value})
  { status }
}"""
DISMISS = """
mutation($person: ID!, $reason: String!) {
  dismissReview(person: $person, reason: $reason) { personId }
}
"""

FAMILY = ("EMAIL", "garcia.family@example.com")


def _two_families() -> list[dict[str, Any]]:
    """Ana's and Pedro's records (two each), glued by a family email on one of each."""
    return [
        record("a1", ("EMAIL", "ana@example.com"), ("PHONE", "+34600000001"), name="Ana Silva"),
        record("a2", ("PHONE", "+34600000001"), name="A. Silva"),
        record("a3", FAMILY, ("EMAIL", "ana@example.com"), name="Ana"),
        record("p1", ("EMAIL", "pedro@example.com"), ("PHONE", "+34600000002"), name="Pedro Gil"),
        record("p2", ("PHONE", "+34600000002"), name="Pedro Gil"),
        record("p3", FAMILY, ("EMAIL", "pedro@example.com"), name="Pedro Gil"),
    ]


def _codes(entry: dict[str, Any]) -> set[str]:
    return {r["code"] for r in entry["reasons"]}


async def test_names_differ_across_a_bridge_then_a_split_clears_it(steward: Steward) -> None:
    results = await steward.upsert(*_two_families())
    person = results[0]["personId"]
    assert {r["personId"] for r in results} == {person}  # one person, glued

    page = await steward.listed()
    [entry] = page["nodes"]
    assert entry["personId"] == person and entry["person"]["id"] == person
    assert _codes(entry) == {"NAMES_DIFFER", "BRIDGE"}
    assert {"type": "EMAIL", "value": FAMILY[1]} in entry["bridges"]
    assert "disagree" in next(r["detail"] for r in entry["reasons"] if r["code"] == "BRIDGE")
    assert entry["score"] == 0.75  # 1 - (1 - 0.5) * (1 - 0.5)
    assert entry["reviewedAt"].startswith("20")

    # Ana's family record loses the family email: the person splits, both parts are clean.
    body = await steward.gql(
        REMOVE, {"source": "crm", "id": "a3", "type": FAMILY[0], "value": FAMILY[1]}, key=WRITE_KEY
    )
    assert body["data"]["removeIdentifier"]["status"] == "OK", body
    await steward.reviewer.settle()
    assert (await steward.listed())["nodes"] == []


async def test_birth_dates_differ_then_a_corrected_record_clears_it(steward: Steward) -> None:
    one = ("EMAIL", "eva@example.com")
    await steward.upsert(
        record("e1", one, name="Eva Ruiz", birthDate="1980-02-01"),
        record("e2", one, name="Eva Ruiz", birth_date="1981-02-01"),
    )
    [entry] = (await steward.listed())["nodes"]
    assert _codes(entry) == {"BIRTH_DATES_DIFFER"} and entry["score"] == 0.6
    await steward.upsert(record("e2", one, name="Eva Ruiz", birth_date="1980-02-01"))
    assert (await steward.listed())["nodes"] == []


async def test_two_home_countries_then_a_corrected_record_clears_it(steward: Steward) -> None:
    one = ("PHONE", "+34600000009")
    await steward.upsert(
        record("c1", one, name="Luis Paz", country="ES"),
        record("c2", one, name="Luis Paz", country="FR"),
    )
    [entry] = (await steward.listed())["nodes"]
    assert _codes(entry) == {"COUNTRIES_DIFFER"}
    assert "ES, FR" in entry["reasons"][0]["detail"]
    await steward.upsert(record("c2", one, name="Luis Paz", country="ES"))
    assert (await steward.listed())["nodes"] == []


async def test_size_guards_then_a_smaller_record_clears_it(steward: Steward) -> None:
    emails = [("EMAIL", f"m{n}@example.com") for n in range(4)]  # the guard here: 3
    phones = [("PHONE", f"+3460000010{n}") for n in range(3)]  # 7 in all; the guard: 6
    await steward.upsert(record("s1", *emails, *phones, name="Mia Sol"))
    [entry] = (await steward.listed())["nodes"]
    assert _codes(entry) == {"TOO_MANY_IDENTIFIERS"}
    assert "4 EMAIL" in entry["reasons"][0]["detail"]
    assert "7 identifiers in all" in entry["reasons"][0]["detail"]
    await steward.upsert(record("s1", *emails[:2], name="Mia Sol"))
    assert (await steward.listed())["nodes"] == []


async def test_ordered_by_score_and_paginated(steward: Steward) -> None:
    def pair(n: int, **second: Any) -> list[dict[str, Any]]:
        key = ("EMAIL", f"p{n}@example.com")
        base = {"name": "Ines Mar", "country": "ES", "birthDate": "1990-01-01"}
        return [record(f"o{n}a", key, **base), record(f"o{n}b", key, **{**base, **second})]

    await steward.upsert(
        *pair(1, country="FR"),  # 0.3
        *pair(2, name="Olga Ros"),  # 0.5
        *pair(3, birthDate="1991-01-01"),  # 0.6
        *pair(4, birthDate="1991-01-01", country="PT"),  # 0.72
    )
    first = await steward.listed(first=3)
    assert [n["score"] for n in first["nodes"]] == [0.72, 0.6, 0.5]
    assert first["hasNextPage"] is True
    rest = await steward.listed(first=3, after=first["endCursor"])
    assert [n["score"] for n in rest["nodes"]] == [0.3]
    assert rest["hasNextPage"] is False
    ids = [n["personId"] for n in first["nodes"] + rest["nodes"]]
    assert len(set(ids)) == 4

    bad = await steward.gql('{ suspiciousPersons(after: "nonsense") { hasNextPage } }')
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_other_scopes_are_forbidden(steward: Steward) -> None:
    for key in (READ_KEY, WRITE_KEY):
        body = await steward.gql("{ suspiciousPersons { hasNextPage } }", key=key)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        body = await steward.gql(DISMISS, {"person": "x", "reason": "r"}, key=key)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_list_is_read_as_stored_not_computed_per_request(steward: Steward) -> None:
    await steward.upsert(*_two_families())
    [before] = (await steward.listed())["nodes"]
    # Pedro's records go behind resolution's back: no write reviews the person again,
    # so a list computed per request would drop the names that no longer differ.
    for key in ("p1", "p2", "p3"):
        await steward.graph.command("testing-delete-item", key=f"record/crm/{key}")
    [after] = (await steward.listed())["nodes"]
    assert after == before
    # The catch-up (`omnid review --refresh`) reviews it again: Ana alone is not suspicious.
    assert await refresh_all(steward.graph) == (1, 0)
    assert (await steward.listed())["nodes"] == []


async def test_dismissed_until_the_person_changes(steward: Steward) -> None:
    one = ("EMAIL", "kim@example.com")
    results = await steward.upsert(
        record("k1", one, name="Kim Lee"), record("k2", one, name="Jo Park")
    )
    person = results[0]["personId"]
    body = await steward.gql(DISMISS, {"person": person, "reason": "twins, one account"})
    assert body["data"]["dismissReview"]["personId"] == person
    assert (await steward.listed())["nodes"] == []
    # Reviewing it again with nothing changed keeps it off the list...
    await refresh_all(steward.graph)
    await steward.upsert(record("k1", one, name="Kim Lee"))
    assert (await steward.listed())["nodes"] == []
    # ...a third name is a change: it is back.
    await steward.upsert(record("k3", one, name="Max Roe"))
    [entry] = (await steward.listed())["nodes"]
    assert entry["personId"] == person

    missing = await steward.gql(DISMISS, {"person": "nobody", "reason": "x"})
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    blank = await steward.gql(DISMISS, {"person": person, "reason": "  "})
    assert blank["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_a_merge_leaves_one_entry_for_the_person_that_stays(steward: Steward) -> None:
    x, y = ("EMAIL", "x@example.com"), ("EMAIL", "y@example.com")
    first = await steward.upsert(
        record("m1", x, name="Ana Gil"),
        record("m2", x, name="Rui Sol"),
        record("m3", x, name="Ana Gil"),
    )
    second = await steward.upsert(record("n1", y, name="Eli Paz"), record("n2", y, name="Teo Paz"))
    assert len((await steward.listed())["nodes"]) == 2
    merged = await steward.upsert(record("j1", x, y, name="Ana Gil"))
    survivor = merged[0]["personId"]
    assert survivor == first[0]["personId"]  # the larger person keeps its id
    [entry] = (await steward.listed())["nodes"]
    assert entry["personId"] == survivor
    assert "4 names" in entry["reasons"][0]["detail"]
    absorbed = second[0]["personId"]
    assert await steward.graph.query("testing-review-of", id=absorbed) is None


async def test_writes_the_listener_did_not_see_are_caught_up(graph: Graph) -> None:
    """Another process (omnid import) writes with an ingestor of its own, which tells no
    listener: the reviewer's catch-up over the changed-persons marks reviews its persons,
    with no refresh command, and keeps a cursor of its own."""
    reviewer = Reviewer(graph, catch_up_interval=0.1)
    await reviewer.start()
    try:
        one = ("EMAIL", "zoe@example.com")
        report = await Ingestor(graph).ingest_batch(  # no on_commit: no listener hears
            [
                {**record("z1", one, name="Zoe Vidal"), "kind": "record"},
                {**record("z2", one, name="Hugo Lema"), "kind": "record"},
            ]
        )
        assert not report.errors
        for _ in range(150):  # a catch-up round, then the review in the background
            entries = (await suspicious_persons(graph)).entries
            if entries:
                break
            await asyncio.sleep(0.1)
        [entry] = entries
        assert entry.person == report.results[0].person_id
        assert {r.code for r in entry.reasons} == {"NAMES_DIFFER"}
        assert await graph.query("change-cursor", consumer="review") is not None
    finally:
        await reviewer.stop()
    # A full scan finds the same (after a load, which writes no marks).
    assert await refresh_all(graph) == (1, 1)


async def test_an_erased_person_leaves_the_list(steward: Steward) -> None:
    one = ("EMAIL", "ida@example.com")
    results = await steward.upsert(
        record("i1", one, name="Ida Roy"), record("i2", one, name="Bo Li")
    )
    assert len((await steward.listed())["nodes"]) == 1
    await erase_person(
        steward.graph,
        results[0]["personId"],
        reason="ticket 12",
        requested_by="test",
        suppression=Suppression.from_settings(steward.graph.settings),
    )
    assert (await steward.listed())["nodes"] == []
