"""Operator corrections against the real Neo4j: overrides, operator links, separations.

Each scenario is checked against the graph's invariants (``tests.partition.snapshot``)
and, where a correction is undone, against a graph built without it.
"""

from __future__ import annotations

from typing import Any

import pytest

from service.errors import AlreadySeparate, InvalidInput, NotFound, NotSeparable, OmnidError
from service.identity.changes import marks_since
from service.identity.identifiers import normalize
from service.identity.ingest import Ingestor
from service.steward import corrections as c
from service.steward.corrections import Subject
from service.steward.matches import possible_matches, refresh_records, reject_match
from service.store.graph import Graph
from tests.partition import snapshot
from tests.test_resolution_properties import event, record, send

BY = "key-test"


def email(n: int) -> tuple[str, str]:
    return ("EMAIL", f"customer{n}@example.org")


def phone(n: int) -> tuple[str, str]:
    return ("PHONE", f"+34 61{n:07d}")


def key(ident: tuple[str, str]) -> str:
    return normalize(ident[0], ident[1], region="ES").key


def ident(ident: tuple[str, str]) -> Subject:
    return Subject("a", key=key(ident))


def rec(id: str) -> str:
    return f"record/eshop/{id}"


#: Two customers glued by one phone typed on both records (a family phone).
GLUED = [
    record("eshop", "r1", [email(1), phone(9)]),
    record("eshop", "r2", [email(2), phone(9)]),
    event("till", "e1", [email(1)]),
    event("till", "e2", [email(2)]),
]


async def persons(graph: Graph) -> frozenset[frozenset[str]]:
    return (await snapshot(graph)).partition


async def person_of(graph: Graph, member: str) -> str:
    return (await snapshot(graph)).person_of[member]


async def loaded(graph: Graph, items: list[dict[str, Any]]) -> Ingestor:
    ingestor = Ingestor(graph)
    await send(ingestor, items, len(items))
    return ingestor


# ----------------------------------------------------------------------------- overrides


async def test_a_value_forced_shared_splits_its_person_and_survives_reimport(graph: Graph):
    ingestor = await loaded(graph, GLUED)
    assert await person_of(graph, rec("r1")) == await person_of(graph, rec("r2"))

    view = await c.set_override(
        ingestor, normalize(*phone(9), region="ES"), "shared", reason="TICKET-1", by=BY
    )
    assert (view.mode, view.by, view.reason, view.linking) == ("shared", BY, "TICKET-1", False)
    assert await person_of(graph, rec("r1")) != await person_of(graph, rec("r2"))
    before = await persons(graph)

    await send(ingestor, GLUED, 1)  # the same files again, one item per batch
    await send(ingestor, GLUED, len(GLUED))
    assert await persons(graph) == before
    assert [o.key for o in await c.overrides(graph)] == [key(phone(9))]

    assert await c.clear_override(ingestor, normalize(*phone(9), region="ES"))
    assert await person_of(graph, rec("r1")) == await person_of(graph, rec("r2"))
    assert await c.overrides(graph) == []
    assert not await c.clear_override(ingestor, normalize(*phone(9), region="ES"))


async def test_an_override_marks_the_persons_it_regroups(graph: Graph):
    """Consumers of the changed-persons marks (segments) hear of an override's split,
    both parts included, as they hear of a write's."""
    ingestor = await loaded(graph, GLUED)
    glued = await person_of(graph, rec("r1"))
    before = {m.id for m in await marks_since(graph, 0)}
    await c.set_override(
        ingestor, normalize(*phone(9), region="ES"), "shared", reason="TICKET-1", by=BY
    )
    marks = [m for m in await marks_since(graph, 0) if m.id not in before]
    assert len(marks) == 1 and {"regroup", "identifier"} <= marks[0].kinds
    parts = {await person_of(graph, rec("r1")), await person_of(graph, rec("r2"))}
    assert glued in parts and parts <= set(marks[0].persons)


async def test_a_value_forced_linking_joins_despite_the_shared_rules(graph: Graph):
    # One phone on five customers' records: shared by the rules (more than 4 emails).
    items = [record("eshop", f"r{n}", [email(n), phone(9)]) for n in range(5)]
    ingestor = await loaded(graph, items)
    assert len(await persons(graph)) == 5

    await c.set_override(
        ingestor, normalize(*phone(9), region="ES"), "linking", reason="one family", by=BY
    )
    assert len(await persons(graph)) == 1
    # A sixth customer with the phone joins too: the rules do not undo the override.
    await send(ingestor, [record("eshop", "r5", [email(5), phone(9)])], 1)
    assert len(await persons(graph)) == 1
    snap = await snapshot(graph)
    assert key(phone(9)) in snap.linking and key(phone(9)) not in snap.shared

    await c.clear_override(ingestor, normalize(*phone(9), region="ES"))
    snap = await snapshot(graph)
    assert len(snap.persons) == 6 and key(phone(9)) in snap.shared


async def test_an_override_of_an_unknown_value_is_not_found(graph: Graph):
    ingestor = await loaded(graph, GLUED)
    with pytest.raises(NotFound):
        await c.set_override(
            ingestor, normalize(*email(7), region="ES"), "shared", reason="x", by=BY
        )
    with pytest.raises(InvalidInput) as err:
        await c.set_override(
            ingestor, normalize(*email(1), region="ES"), "bogus", reason="x", by=BY
        )
    assert err.value.field == "mode"
    with pytest.raises(InvalidInput) as err:
        await c.set_override(
            ingestor, normalize(*email(1), region="ES"), "shared", reason=" ", by=BY
        )
    assert err.value.field == "reason"
    assert await c.overrides(graph) == []


async def test_an_override_outlives_a_record_dropping_the_value(graph: Graph):
    ingestor = await loaded(graph, GLUED)
    await c.set_override(ingestor, normalize(*phone(9), region="ES"), "shared", reason="T", by=BY)
    # Both records drop the phone (nothing carries it), then the old files come back.
    await send(ingestor, [record("eshop", "r1", [email(1)]), record("eshop", "r2", [email(2)])], 2)
    assert [o.key for o in await c.overrides(graph)] == [key(phone(9))]
    await send(ingestor, GLUED, len(GLUED))
    assert await person_of(graph, rec("r1")) != await person_of(graph, rec("r2"))


# ----------------------------------------------------------------------- operator links


async def test_assert_same_links_and_withdraw_restores_the_graph_exactly(graph: Graph):
    apart = [
        record("eshop", "r1", [email(1), phone(1)]),
        record("crm", "c1", [email(1)]),
        record("eshop", "r2", [email(2), phone(2)]),
        event("till", "e2", [phone(2)]),
    ]
    ingestor = await loaded(graph, apart)
    without = await snapshot(graph)

    link = await c.assert_same(
        ingestor,
        Subject("a", key="record/eshop/r1"),
        Subject("b", key=key(phone(2))),
        reason="same customer, checked by phone",
        by=BY,
    )
    # One of each side, of one type (so no shared rule counts the link).
    assert link.identifiers == (key(phone(1)), key(phone(2)))
    snap = await snapshot(graph)
    assert len(snap.persons) == 1
    assert snap.person_of[link.key] == link.person == snap.person_of["record/eshop/r2"]
    explained = await c.operator_links(graph)
    assert [x["id"] for x in explained] == [link.id]
    assert explained[0]["attributes"]["operatorLink"]["by"] == BY

    await c.withdraw_assertion(ingestor, link.id)
    after = await snapshot(graph)
    assert after.partition == without.partition
    assert after.items == without.items and after.linking == without.linking
    assert after.shared == without.shared and after.identifiers == without.identifiers
    # Survives re-import while it stood; withdrawn twice: not found.
    with pytest.raises(NotFound):
        await c.withdraw_assertion(ingestor, link.id)


async def test_an_operator_link_survives_reimport(graph: Graph):
    apart = [record("eshop", "r1", [email(1)]), record("eshop", "r2", [email(2)])]
    ingestor = await loaded(graph, apart)
    await c.assert_same(
        ingestor,
        Subject("a", key=key(email(1))),
        Subject("b", key=key(email(2))),
        reason="T",
        by=BY,
    )
    await send(ingestor, apart, 2)
    assert len(await persons(graph)) == 1


async def test_assert_same_errors(graph: Graph):
    ingestor = await loaded(
        graph,
        [
            record("eshop", "r1", [email(1)]),
            record("eshop", "r2", [("ADDRESS", "Calle Mayor 1, 28013 Madrid")]),
        ],
    )
    with pytest.raises(NotFound) as missing:
        await c.assert_same(
            ingestor,
            Subject("a", key=key(email(1))),
            Subject("b", key="record/eshop/nope"),
            reason="T",
            by=BY,
        )
    assert missing.value.details["field"] == "b"
    with pytest.raises(InvalidInput) as no_link:
        await c.assert_same(
            ingestor,
            Subject("a", key=key(email(1))),
            Subject("b", key="record/eshop/r2"),
            reason="T",
            by=BY,
        )
    assert no_link.value.field == "b"
    with pytest.raises(NotFound):
        await c.assert_same(
            ingestor,
            Subject("a", person="no-such-person"),
            Subject("b", key=key(email(1))),
            reason="T",
            by=BY,
        )


def named(source: str, id: str, email: tuple[str, str]) -> dict[str, Any]:
    """A record with a name and a birth date, so that a near-identical email on another
    customer's record is suggested as a possible match."""
    item = record(source, id, [email])
    item["attributes"] = {"name": "Ana Silva", "birthDate": "1980-03-07"}
    return item


async def suggested(graph: Graph, items: list[dict[str, Any]]) -> Ingestor:
    """Loaded, then matched as the service's commit listener would."""
    ingestor = await loaded(graph, items)
    await refresh_records(graph, [f"record/{i['source']}/{i['id']}" for i in items])
    return ingestor


async def test_accept_match_links_a_suggested_pair_and_records_its_score(graph: Graph):
    ingestor = await suggested(
        graph,
        [
            named("eshop", "r1", ("EMAIL", "ana@example.com")),
            named("eshop", "r2", ("EMAIL", "ana@exmaple.com")),  # a typo in the domain
        ],
    )
    snap = await snapshot(graph)
    p1, p2 = snap.person_of["record/eshop/r1"], snap.person_of["record/eshop/r2"]
    (match,) = await possible_matches(graph, p1)
    link = await c.accept_match(ingestor, Subject("a", person=p1), Subject("b", person=p2), by=BY)
    assert link.score == match.score and f"{match.score:.3f}" in link.reason
    assert len(await persons(graph)) == 1
    with pytest.raises(InvalidInput) as again:  # one person now
        await c.accept_match(ingestor, Subject("a", person=p1), Subject("b", key=rec("r2")), by=BY)
    assert again.value.field == "b"


async def test_accept_match_refuses_a_pair_not_suggested_or_rejected(graph: Graph):
    ingestor = await suggested(
        graph,
        [
            named("eshop", "r1", ("EMAIL", "ana@example.com")),
            named("eshop", "r2", ("EMAIL", "ana@exmaple.com")),
            record("eshop", "r3", [email(3)]),  # nothing like the others
        ],
    )
    before = await snapshot(graph)
    p1, p2 = before.person_of["record/eshop/r1"], before.person_of["record/eshop/r2"]
    with pytest.raises(NotFound) as unsuggested:
        await c.accept_match(
            ingestor, Subject("a", key=rec("r1")), Subject("b", key=rec("r3")), by=BY
        )
    assert unsuggested.value.field == "b"
    await reject_match(graph, p1, p2, reason="twins, ticket 9", by=BY)
    with pytest.raises(NotFound) as rejected:
        await c.accept_match(ingestor, Subject("a", person=p1), Subject("b", person=p2), by=BY)
    assert rejected.value.field == "b" and "rejected" in rejected.value.message
    # Nothing written: no operator link, the same persons; assertSame still links any two.
    assert await c.operator_links(graph) == []
    assert (await snapshot(graph)).partition == before.partition
    await c.assert_same(
        ingestor, Subject("a", key=rec("r1")), Subject("b", key=rec("r3")), reason="T", by=BY
    )
    assert await person_of(graph, rec("r1")) == await person_of(graph, rec("r3"))


# ------------------------------------------------------------------------------ batches


async def test_a_mixed_batch_reports_each_item_and_writes_only_the_good_ones(graph: Graph):
    """One result per item, in order: a refused item (bad input, missing subject, a
    failure inside its transaction) writes nothing, and the others go in."""
    apart = [record("eshop", "r3", [email(3)]), record("eshop", "r4", [email(4)])]
    ingestor = await loaded(graph, [*GLUED, *apart])
    before = await snapshot(graph)
    pairs: list[c.Pair | OmnidError] = [
        c.Pair(Subject("a", key=rec("r3")), Subject("b", key=rec("r4")), "T-1"),
        c.Pair(Subject("a", key=rec("r3")), Subject("b", key=rec("nope")), "T-2"),
        InvalidInput("write TYPE:VALUE, record:SOURCE/ID or person:ID", field="a"),
        c.Pair(Subject("a", key=rec("r1")), Subject("b", key=rec("r2")), " "),
    ]
    done = await c.assert_same_each(ingestor, pairs, by=BY)
    assert [o.index for o in done] == [0, 1, 2, 3]
    assert [o.status for o in done] == ["ok", "error", "error", "error"]
    assert [type(o.error) for o in done] == [type(None), NotFound, InvalidInput, InvalidInput]
    assert [getattr(o.error, "field", None) for o in done] == [None, "b", "a", "reason"]
    assert done[0].value is not None and done[1].value is None
    (link,) = await c.operator_links(graph)  # only the first item's
    assert link["id"] == done[0].value.id
    after = await snapshot(graph)
    assert after.person_of[rec("r3")] == after.person_of[rec("r4")]
    assert len(after.persons) == len(before.persons) - 1

    # Separations in order, each in its own transaction: the second pair is already
    # apart once the first is cut, and a separation that cannot be made writes nothing.
    cut = await c.separate_each(
        ingestor,
        [
            c.Pair(Subject("a", key=rec("r1")), Subject("b", key=rec("r2")), "T-3"),
            c.Pair(Subject("a", key=rec("r2")), Subject("b", key=rec("r1")), "T-4"),
            c.Pair(Subject("a", key=rec("r3")), Subject("b", key=key(email(3))), "T-5"),
        ],
        by=BY,
    )
    assert [o.status for o in cut] == ["ok", "error", "error"]
    assert isinstance(cut[1].error, AlreadySeparate) and isinstance(cut[2].error, NotSeparable)
    assert [o.key for o in await c.overrides(graph)] == [key(phone(9))]


async def test_override_batches_report_each_value(graph: Graph):
    ingestor = await loaded(graph, GLUED)
    requests: list[c.OverrideRequest | OmnidError] = [
        c.OverrideRequest(normalize(*phone(9), region="ES"), "shared", "till phone"),
        c.OverrideRequest(normalize(*email(7), region="ES"), "shared", "T"),  # unknown
        c.OverrideRequest(normalize(*email(1), region="ES"), "bogus", "T"),
    ]
    done = await c.set_override_each(ingestor, requests, by=BY)
    assert [o.status for o in done] == ["ok", "error", "error"]
    assert isinstance(done[1].error, NotFound)
    assert isinstance(done[2].error, InvalidInput) and done[2].error.field == "mode"
    assert [o.key for o in await c.overrides(graph)] == [key(phone(9))]
    cleared = await c.clear_override_each(
        ingestor, [normalize(*phone(9), region="ES"), normalize(*email(1), region="ES")]
    )
    assert [(o.status, o.value) for o in cleared] == [("ok", True), ("ok", False)]
    assert await c.overrides(graph) == []


# ------------------------------------------------------------------------- separations


async def test_separate_cuts_the_bridge_and_sticks(graph: Graph):
    ingestor = await loaded(graph, GLUED)
    a, b = Subject("a", key=rec("r1")), Subject("b", key=rec("r2"))
    plan = await c.explain_separation(graph, a, b)
    assert plan.bridges == [key(phone(9))]

    done = await c.separate(ingestor, a, b, reason="TICKET-2", by=BY)
    assert done.values == [key(phone(9))]
    assert done.person_a != done.person_b and done.person_a and done.person_b
    (override,) = await c.overrides(graph)
    assert (override.mode, override.separation, override.by) == ("shared", done.id, BY)

    await send(ingestor, GLUED, 1)
    assert await person_of(graph, rec("r1")) != await person_of(graph, rec("r2"))
    assert await c.separation_conflicts(graph) == []
    with pytest.raises(AlreadySeparate):
        await c.separate(ingestor, a, b, reason="again", by=BY)


async def test_new_evidence_joining_a_separation_is_reported(graph: Graph):
    ingestor = await loaded(graph, GLUED)
    a, b = Subject("a", key=rec("r1")), Subject("b", key=rec("r2"))
    done = await c.separate(ingestor, a, b, reason="TICKET-3", by=BY)
    # A new record carries both emails: the two customers are one person again, and the
    # separation is listed with the value that now bridges them.
    await send(ingestor, [record("crm", "c9", [email(1), email(2), phone(3)])], 1)
    assert await person_of(graph, rec("r1")) == await person_of(graph, rec("r2"))
    (conflict,) = await c.separation_conflicts(graph)
    assert conflict.separation.id == done.id
    assert conflict.bridges == [key(email(1))] or conflict.bridges == [key(email(2))]


async def test_separate_errors(graph: Graph):
    ingestor = await loaded(graph, GLUED)
    with pytest.raises(NotSeparable):
        await c.separate(
            ingestor,
            Subject("a", key=rec("r1")),
            Subject("b", key=key(email(1))),
            reason="T",
            by=BY,
        )
    with pytest.raises(NotFound):
        await c.separate(
            ingestor, Subject("a", key=rec("r1")), Subject("b", key=rec("zz")), reason="T", by=BY
        )
    assert await c.overrides(graph) == []


async def test_no_input_may_use_the_operator_source(graph: Graph):
    ingestor = Ingestor(graph)
    report = await ingestor.ingest_batch([record("operator", "x", [email(1)])])
    (result,) = report.results
    assert result.status == "error" and result.error is not None
    assert result.error.details["field"] == "source"
