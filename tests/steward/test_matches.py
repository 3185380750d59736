"""Possible matches against the real Neo4j: suggested with reasons, never merged,
rejections that hold across re-imports and merges, blocking that bounds the work."""

from __future__ import annotations

from typing import Any

import pytest

from service.errors import InvalidInput, NotFound
from service.identity.ingest import Ingestor
from service.steward.matches import (
    MatchLimits,
    catch_up,
    possible_matches,
    refresh_records,
    reject_match,
)
from service.store.graph import Graph


def record(
    id: str,
    name: str,
    *,
    birth: str | None = None,
    emails: tuple[str, ...] = (),
    phones: tuple[str, ...] = (),
    source: str = "crm",
) -> dict[str, Any]:
    attributes: dict[str, Any] = {"name": name}
    if birth:
        attributes["birthDate"] = birth
    identifiers = [{"type": "EMAIL", "value": e} for e in emails]
    identifiers += [{"type": "PHONE", "value": p} for p in phones]
    return {
        "kind": "record",
        "source": source,
        "id": id,
        "identifiers": identifiers,
        "attributes": attributes,
    }


async def write(graph: Graph, *items: dict[str, Any], refresh: bool = True) -> dict[str, str]:
    """Ingest, then refresh the records' matches as the commit listener would; returns
    each record id's person."""
    report = await Ingestor(graph).ingest(items)
    assert not report.errors
    if refresh:
        await refresh_records(graph, [r.key for r in report.results if r.key])
    return {str(r.key).rsplit("/", 1)[1]: str(r.person_id) for r in report.results}


async def person_of(graph: Graph, record_id: str, source: str = "crm") -> str:
    return str(await graph.query("testing-record-person", key=f"record/{source}/{record_id}"))


def reasons(found: Any) -> dict[str, str]:
    return {r.field: r.level for r in found.reasons}


async def test_an_email_with_a_typo_in_the_domain_is_suggested_with_reasons(graph: Graph) -> None:
    p = await write(
        graph,
        record("a", "Ana Silva", emails=("ana.silva@gmail.com",)),
        record("b", "Ana Silva", emails=("ana.silva@gmial.com",), source="eshop"),
    )
    assert p["a"] != p["b"]  # no linking identifier in common
    found = await possible_matches(graph, p["a"])
    assert [m.person for m in found] == [p["b"]]
    assert found[0].score >= 0.9
    assert reasons(found[0]) == {"given_name": "exact", "surname": "exact", "email": "typo"}
    email = next(r for r in found[0].reasons if r.field == "email")
    assert email.weight > 0 and 0 < email.similarity < 1
    # and from the other side
    assert [m.person for m in await possible_matches(graph, p["b"])] == [p["a"]]


async def test_a_phone_with_two_digits_swapped_is_suggested(graph: Graph) -> None:
    p = await write(
        graph,
        record("a", "Marta López", phones=("+34 600 12 34 56",)),
        record("b", "Marta Lopez", phones=("+34 600 12 43 56",), source="pos"),
    )
    found = await possible_matches(graph, p["a"])
    assert [m.person for m in found] == [p["b"]]
    assert reasons(found[0])["phone"] == "typo"
    assert reasons(found[0])["surname"] == "exact"  # accents folded


async def test_same_name_and_birth_date_without_identifiers(graph: Graph) -> None:
    p = await write(
        graph,
        record("a", "Jonas Becker", birth="1984-02-29"),
        record("b", "Jonas Becker", birth="19840229", source="pos"),
        record("c", "Jonas Becker", birth="1991-07-01", source="web"),  # a namesake
        record("d", "Camille Roux", birth="1984-02-29", source="app"),  # same day
    )
    found = await possible_matches(graph, p["a"])
    assert [m.person for m in found] == [p["b"]]
    assert reasons(found[0]) == {"given_name": "exact", "surname": "exact", "birth_date": "exact"}
    # below the default threshold, the namesake shows with a date against it
    low = await possible_matches(graph, p["a"], min_score=0.5)
    assert p["d"] not in [m.person for m in low]
    for m in low:
        if m.person == p["c"]:
            assert reasons(m)["birth_date"] == "different"
            assert m.score < found[0].score


async def test_suggestions_never_merge_and_one_person_is_never_its_own_match(
    graph: Graph,
) -> None:
    p = await write(
        graph,
        record("a", "Ana Silva", birth="1980-03-07", emails=("ana@example.es",)),
        record("a2", "Ana Silva", birth="1980-03-07", emails=("ana@example.es",), source="pos"),
        record("b", "Ana Silva", birth="1980-03-07", source="web"),
    )
    assert p["a"] == p["a2"] != p["b"]
    found = await possible_matches(graph, p["a"])
    assert [m.person for m in found] == [p["b"]]  # a2 is a's own record
    # the suggestion is stored, and nothing merged
    assert await person_of(graph, "b", "web") == p["b"]
    assert await person_of(graph, "a") == p["a"]
    assert [m.person for m in await possible_matches(graph, p["b"])] == [p["a"]]


async def test_rejected_pairs_never_come_back(graph: Graph) -> None:
    a = record("a", "Ana Silva", birth="1980-03-07", emails=("ana@example.es",))
    b = record("b", "Ana Silva", birth="1980-03-07", emails=("ana.s@example.com",), source="web")
    p = await write(graph, a, b)
    assert [m.person for m in await possible_matches(graph, p["a"])] == [p["b"]]
    done = await reject_match(graph, p["a"], p["b"], reason="twins, ticket 42", by="test")
    assert done.records == 2
    assert await possible_matches(graph, p["a"]) == []
    assert await possible_matches(graph, p["b"]) == []

    # re-imported, both sides (records re-sent, refreshed again)
    p = await write(graph, a, b)
    assert await possible_matches(graph, p["a"], min_score=0.5) == []

    # a's side merges with a new record through its email; b's side with another
    more = await write(
        graph,
        record(
            "c", "Ana Silva", emails=("ana@example.es",), phones=("+34600111222",), source="app"
        ),
        record("d", "A. Silva", emails=("ana.s@example.com",), source="pos"),
    )
    left, right = await person_of(graph, "a"), await person_of(graph, "b", "web")
    assert left == more["c"] and right == more["d"] and left != right
    assert await possible_matches(graph, left, min_score=0.5) == []
    assert await possible_matches(graph, right, min_score=0.5) == []

    # a third person like them is still suggested to both
    e = await write(graph, record("e", "Ana Silva", birth="1980-03-07", source="tel"))
    assert [m.person for m in await possible_matches(graph, left)] == [e["e"]]
    assert [m.person for m in await possible_matches(graph, right)] == [e["e"]]


async def test_rejecting_checks_its_input(graph: Graph) -> None:
    p = await write(
        graph,
        record("a", "Ana Silva", emails=("ana@example.es",)),
        record("a2", "Ana Silva", emails=("ana@example.es",), source="pos"),
        record("b", "Ana Silva", source="web"),
    )
    with pytest.raises(InvalidInput) as same:
        await reject_match(graph, p["a"], p["a2"], reason="x", by="test")
    assert same.value.field == "b"
    with pytest.raises(InvalidInput) as empty:
        await reject_match(graph, p["a"], p["b"], reason=" ", by="test")
    assert empty.value.field == "reason"
    with pytest.raises(NotFound):
        await reject_match(graph, p["a"], "no-such-person", reason="x", by="test")
    with pytest.raises(NotFound):
        await possible_matches(graph, "no-such-person")


async def test_blocking_caps_the_candidates_of_a_common_name(graph: Graph) -> None:
    crowd = [record(f"m{i}", "Maria Garcia", emails=(f"m{i}@example.es",)) for i in range(150)]
    await write(graph, *crowd)
    new = await write(graph, record("new", "Maria Garcia", source="web"), refresh=False)
    key = "record/web/new"

    capped = await refresh_records(graph, [key], limits=MatchLimits(per_key=40, common=1000))
    assert capped.records == 1
    assert capped.candidates == 40  # not 150: at most per_key per key

    ignored = await refresh_records(graph, [key], limits=MatchLimits(per_key=40, common=100))
    assert ignored.candidates == 0  # the name key is carried by 151 records: it tells nothing
    assert await possible_matches(graph, new["new"], min_score=0.5) == []


async def test_catch_up_matches_records_written_without_the_listener(graph: Graph) -> None:
    p = await write(
        graph,
        record("a", "Jonas Becker", birth="1984-02-29"),
        record("b", "Jonas Beker", birth="1984-02-29", source="pos"),
        refresh=False,
    )
    assert await possible_matches(graph, p["a"]) == []
    done = await catch_up(graph)
    assert done.records == 2 and done.kept == 1
    found = await possible_matches(graph, p["a"])
    assert [m.person for m in found] == [p["b"]]
    assert reasons(found[0])["surname"] == "close"
