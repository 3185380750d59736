"""Identity resolution against the real Neo4j: the properties of issue 8, and the seeds.

Random item sets come from hypothesis: records and events with one to four identifiers
drawn from small pools (so items overlap a lot), a few "hot" values carried by many
items (so the shared-identifier rules trigger) and a few blocked values. Every example
is checked against ``partition.reference``, an independent recomputation with networkx,
and against the graph's structural invariants (``partition.snapshot``).

Each hypothesis example empties the graph itself (the ``graph`` fixture runs once per
test function, not per example).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given
from hypothesis import event as statistic
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from service.identity.ingest import Ingestor, IngestReport
from service.store.graph import Graph
from tests.partition import Snapshot, assert_matches, describe, reference, snapshot

Item = dict[str, Any]

TYPES = ("EMAIL", "PHONE", "LOYALTY_CARD", "DEVICE", "ADDRESS")
SOURCES = ("eshop", "pos", "crm", "newsletter")
#: Values many customers give: the store's phone, a family tablet, a shared inbox...
HOT: tuple[tuple[str, Any], ...] = (
    ("PHONE", "+34 910 000 001"),
    ("PHONE", "+34 910 000 002"),
    ("DEVICE", "family-tablet"),
    ("EMAIL", "family@example.org"),
    ("LOYALTY_CARD", "STORE-0000"),
    ("ADDRESS", {"line1": "Calle Mayor 1", "postcode": "28013", "city": "Madrid"}),
)
#: Values the identifier layer blocks: they must never link.
BLOCKED: tuple[tuple[str, Any], ...] = (
    ("EMAIL", "test@test.com"),
    ("EMAIL", "noemail@example.com"),
    ("PHONE", "+34 666 666 666"),
    ("DEVICE", "00000000-0000-0000-0000-000000000000"),
)

EXAMPLE_SETTINGS = hsettings(
    max_examples=20,
    deadline=None,
    # No "explain" phase: re-running a failing example against Neo4j to explain it takes
    # minutes; the shrunk example and the assertion message say enough.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def value(kind: str, n: int) -> Any:
    """The n-th ordinary value of a type, as a customer would type it."""
    if kind == "EMAIL":
        return f"customer{n}@example.org"
    if kind == "PHONE":
        return f"+34 61{n + 1:07d}"  # never "610 000 000", a blocked placeholder
    if kind == "LOYALTY_CARD":
        return f"LC-{n:04d}"
    if kind == "DEVICE":
        return f"device-{n}"
    return {"line1": f"Calle Alcala {n + 2}", "postcode": "28014", "city": "Madrid"}


@st.composite
def identifier(draw: st.DrawFn, pool: int) -> dict[str, Any]:
    # Ordinary values first (70%), so that shrinking heads towards them; then hot ones
    # (20%), then blocked ones.
    which = draw(st.integers(0, 9))
    if which <= 6:
        kind = draw(st.sampled_from(TYPES))
        raw = value(kind, draw(st.integers(0, pool)))
    elif which <= 8:
        kind, raw = draw(st.sampled_from(HOT))
    else:
        kind, raw = draw(st.sampled_from(BLOCKED))
    return {"type": kind, "value": raw}


def identifiers(pool: int) -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.lists(identifier(pool), min_size=1, max_size=4)


def record(source: str, id: str, idents: Sequence[tuple[str, Any]] | list[dict[str, Any]]) -> Item:
    entries = [i if isinstance(i, dict) else {"type": i[0], "value": i[1]} for i in idents]
    return {
        "kind": "record",
        "source": source,
        "id": id,
        "country": "ES",
        "identifiers": entries,
    }


def event(source: str, id: str, idents: Sequence[tuple[str, Any]] | list[dict[str, Any]]) -> Item:
    entries = [i if isinstance(i, dict) else {"type": i[0], "value": i[1]} for i in idents]
    return {
        "kind": "event",
        "source": source,
        "id": id,
        "channel": "STORE",
        "type": "purchase",
        "at": "2026-11-20T10:00:00Z",
        "country": "ES",
        "identifiers": entries,
    }


@st.composite
def item_sets(draw: st.DrawFn, min_items: int = 1, max_items: int = 250) -> list[Item]:
    """Records and events with distinct keys, overlapping through small value pools."""
    n = draw(st.integers(min_items, max_items))
    pool = max(3, n // 5)
    items = []
    for i in range(n):
        idents = draw(identifiers(pool))
        if draw(st.booleans()):
            items.append(record(draw(st.sampled_from(SOURCES)), f"r{i}", idents))
        else:
            items.append(event("till", f"e{i}", idents))
    return items


batch_sizes = st.sampled_from([1, 3, 8, 25, 100, 1000])


def chunks(items: Sequence[Item], size: int) -> list[list[Item]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


async def send(ingestor: Ingestor, items: Sequence[Item], size: int) -> IngestReport:
    """Ingest in batches of ``size``, one transaction each; fail on any item error."""
    report = IngestReport()
    for offset, batch in enumerate(chunks(items, size)):
        report.extend(await ingestor.ingest_batch(batch), offset * size)
    assert report.errors == [], [(r.index, r.error) for r in report.errors]
    return report


async def fresh(graph: Graph) -> Ingestor:
    await graph.wipe()
    return Ingestor(graph)


def assert_reported_persons(report: IngestReport, snap: Snapshot, last: Sequence[Item]) -> None:
    """The person ids reported for the last batch are the ones in the graph."""
    for result in report.results[len(report.results) - len(last) :]:
        assert result.person_id == snap.person_of[result.key], result


# ---------------------------------------------------------------- 1. partition = networkx


@EXAMPLE_SETTINGS
@given(items=item_sets(), size=batch_sizes)
async def test_partition_is_connected_components(graph: Graph, items: list[Item], size: int):
    size = max(size, len(items) // 30)  # at most ~30 transactions per example
    ingestor = await fresh(graph)
    report = await send(ingestor, items, size)
    snap = await snapshot(graph)
    expected = reference(items)
    assert_matches(snap, expected)
    assert_reported_persons(report, snap, chunks(items, size)[-1])
    # Shown by --hypothesis-show-statistics: are the examples as rich as intended?
    statistic("items", len(items) // 50 * 50)
    statistic("shared values", min(len(expected.shared), 5))
    statistic("largest person (members)", min(max(map(len, expected.partition)) // 10 * 10, 50))


# ------------------------------------------------------------------ 2. order independence


@EXAMPLE_SETTINGS
@given(
    items=item_sets(max_items=150),
    rnd=st.randoms(use_true_random=False),
    sizes=st.tuples(batch_sizes, batch_sizes),
)
async def test_order_independence(
    graph: Graph, items: list[Item], rnd: random.Random, sizes: tuple[int, int]
):
    first, second = (max(s, len(items) // 25) for s in sizes)
    ingestor = await fresh(graph)
    await send(ingestor, items, first)
    one = await snapshot(graph)

    shuffled = list(items)
    rnd.shuffle(shuffled)
    ingestor = await fresh(graph)
    await send(ingestor, shuffled, second)
    two = await snapshot(graph)

    assert two.partition == one.partition, describe(two.partition, one.partition)
    assert set(two.shared) == set(one.shared)  # guardrails: the same values are shared
    assert two.linking == one.linking
    assert two.identifiers == one.identifiers
    assert_matches(two, reference(items))


# ------------------------------------------------------------------------ 3. idempotence


@EXAMPLE_SETTINGS
@given(items=item_sets(max_items=150), size=batch_sizes, which=st.integers(0, 10_000))
async def test_resending_a_batch_changes_nothing(
    graph: Graph, items: list[Item], size: int, which: int
):
    size = max(size, len(items) // 25)
    ingestor = await fresh(graph)
    await send(ingestor, items, size)
    counts = await graph.auto("graph-counts")
    before = await snapshot(graph)

    batches = chunks(items, size)
    again = await send(ingestor, batches[which % len(batches)], size)
    assert await graph.auto("graph-counts") == counts
    after = await snapshot(graph)
    assert after.persons == before.persons  # same partition, same person ids
    assert after.shared == before.shared
    for result in again.results:
        expected = "unchanged" if result.key.startswith("event/") else "ok"
        assert result.status == expected, result
        assert result.person_id == before.person_of[result.key], result

    await send(ingestor, items, len(items))  # everything once more, in one batch
    assert await graph.auto("graph-counts") == counts
    assert (await snapshot(graph)).persons == before.persons


# ------------------------------------------------------------------------ 4. concurrency


@hsettings(EXAMPLE_SETTINGS, max_examples=12)
@given(
    items=item_sets(min_items=20, max_items=200),
    owners=st.lists(st.integers(0, 3), min_size=200, max_size=200),
    extra=st.lists(st.integers(0, 3), min_size=200, max_size=200),
    seed=st.integers(0, 2**32 - 1),
    sizes=st.lists(st.sampled_from([2, 5, 13, 40]), min_size=4, max_size=4),
)
async def test_four_writers_end_like_one(
    graph: Graph,
    items: list[Item],
    owners: list[int],
    extra: list[int],
    seed: int,
    sizes: list[int],
):
    # Everything hypothesis draws is drawn before the body runs: with st.randoms the
    # draws happened in the body, between writes, and under heavy load (load average
    # 15-20 on 2 cores) runs ended in FlakyStrategyDefinition ("the second run stopped
    # drawing earlier") on examples whose writes and partition were right (3 of 7 runs).
    rnd = random.Random(seed)
    # One writer, for comparison.
    ingestor = await fresh(graph)
    await send(ingestor, items, 50)
    alone = await snapshot(graph)

    # Every item goes to one writer, and about a quarter of them to a second one too.
    lots: list[list[Item]] = [[], [], [], []]
    for i, item in enumerate(items):
        lots[owners[i]].append(item)
        if extra[i] != owners[i] and rnd.random() < 0.25:
            lots[extra[i]].append(item)
    for lot in lots:
        rnd.shuffle(lot)

    # Deadlocks between the four are expected and retried; the service's default budget
    # (30 s from a batch's first attempt, backoff up to 8 s) is for production, where a
    # batch waiting that long should surface. A machine at load average 15 can stretch
    # a chain of retries past it without anything being wrong, so the writers get more.
    patient = Graph(graph.driver, graph.settings.model_copy(update={"retry_seconds": 300.0}),
                    graph.statements)  # fmt: skip
    await fresh(graph)
    ingestor = Ingestor(patient)
    # Every writer finishes before the example ends, even when one fails: one left
    # running would write into the next example (or hypothesis's replay of this one),
    # which then fails somewhere else and hides the first error.
    outcomes = await asyncio.gather(
        *(send(ingestor, lot, size) for lot, size in zip(lots, sizes, strict=True)),
        return_exceptions=True,
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    reports = [o for o in outcomes if isinstance(o, IngestReport)]
    assert all(not r.errors for r in reports)
    together = await snapshot(graph)  # also: no duplicate nodes or relationships
    assert together.partition == alone.partition, describe(together.partition, alone.partition)
    assert set(together.shared) == set(alone.shared)
    assert together.linking == alone.linking
    assert_matches(together, reference(items))


# ------------------------------------------------------------------------------- 5. undo


def without(item: Item, index: int) -> Item:
    idents = list(item["identifiers"])
    del idents[index]
    return {**item, "identifiers": idents}


@EXAMPLE_SETTINGS
@given(
    items=item_sets(max_items=150),
    picks=st.lists(
        st.tuples(
            st.integers(0, 10_000),
            st.integers(0, 3),
            st.none() | identifier(pool=30),  # sometimes the record gains one, too
        ),
        max_size=30,
    ),
    rnd=st.randoms(use_true_random=False),
    sizes=st.tuples(batch_sizes, batch_sizes),
)
async def test_removing_an_identifier_is_as_if_never_sent(
    graph: Graph,
    items: list[Item],
    picks: list[tuple[int, int, dict[str, Any] | None]],
    rnd: random.Random,
    sizes: tuple[int, int],
):
    first, second = (max(s, len(items) // 25) for s in sizes)
    final = list(items)
    changed: dict[int, Item] = {}
    for at, index, gained in picks:
        position = at % len(items)
        current = final[position]
        if current["kind"] == "record" and current["identifiers"]:
            current = without(current, index % len(current["identifiers"]))
            if gained is not None:
                current["identifiers"].append(gained)
            final[position] = changed[position] = current
    resent = list(changed.values())
    rnd.shuffle(resent)

    ingestor = await fresh(graph)
    await send(ingestor, items, first)
    await send(ingestor, resent, second)
    undone = await snapshot(graph)

    ingestor = await fresh(graph)
    await send(ingestor, final, first)
    never = await snapshot(graph)

    assert undone.partition == never.partition, describe(undone.partition, never.partition)
    assert set(undone.shared) == set(never.shared)
    assert undone.identifiers == never.identifiers
    assert_matches(undone, reference(final))


async def check_undo(
    graph: Graph, before: list[Item], after: list[Item], size: int = 1
) -> Snapshot:
    """Send ``before`` (batches of ``size``) then ``after`` (record by record); compare
    with the final records sent alone."""
    ingestor = await fresh(graph)
    await send(ingestor, before, size)
    await send(ingestor, after, 1)
    undone = await snapshot(graph)
    final = {(i["source"], i["id"]): i for i in [*before, *after]}
    ingestor = await fresh(graph)
    await send(ingestor, list(final.values()), 1)
    never = await snapshot(graph)
    assert undone.partition == never.partition, describe(undone.partition, never.partition)
    assert set(undone.shared) == set(never.shared)
    assert undone.identifiers == never.identifiers
    assert_matches(undone, reference(list(final.values())))
    return undone


async def test_undo_a_linking_identifier(graph: Graph):
    a = record("eshop", "a", [("EMAIL", "a@example.org"), ("PHONE", "+34 611 000 001")])
    b = record("pos", "b", [("EMAIL", "b@example.org"), ("PHONE", "+34 611 000 001")])
    undone = await check_undo(graph, [a, b], [without(b, 1)])
    assert len(undone.persons) == 2


async def test_undo_the_identifier_that_made_another_shared(graph: Graph):
    # The phone is seen with five emails (limit 4): shared, five persons. Removing one
    # email from one record brings it back to four: it links again, one person.
    phone = ("PHONE", "+34 611 000 001")
    records = [record("pos", f"r{n}", [("EMAIL", f"c{n}@example.org"), phone]) for n in range(5)]
    ingestor = await fresh(graph)
    await send(ingestor, records, 1)
    snap = await snapshot(graph)
    assert snap.shared == {"PHONE:+34611000001": "seen with 5 distinct EMAIL values (limit 4)"}
    assert len(snap.persons) == 5

    undone = await check_undo(graph, records, [without(records[4], 0)])
    assert undone.shared == {}
    assert len(undone.persons) == 1


async def test_undo_the_shared_identifier_itself(graph: Graph):
    phone = ("PHONE", "+34 611 000 001")
    records = [record("pos", f"r{n}", [("EMAIL", f"c{n}@example.org"), phone]) for n in range(5)]
    # r0 also carries a card that r1 carries: they are one person whatever the phone does.
    records[0]["identifiers"].append({"type": "LOYALTY_CARD", "value": "LC-1"})
    records[1]["identifiers"].append({"type": "LOYALTY_CARD", "value": "LC-1"})
    undone = await check_undo(graph, records, [without(records[2], 1), without(records[3], 1)])
    assert undone.shared == {}  # three emails left with the phone
    assert len(undone.persons) == 3  # {r0, r1, r4} by phone and card, r2, r3


async def test_undo_never_makes_a_blocked_value_link(graph: Graph):
    # Found by the undo property: a blocked email a record dropped (still carried by
    # another record) was re-evaluated without its blocked mark and started linking.
    a = record("eshop", "a", [("EMAIL", "test@test.com"), ("EMAIL", "a@example.org")])
    b = record("pos", "b", [("EMAIL", "test@test.com"), ("EMAIL", "b@example.org")])
    undone = await check_undo(graph, [a, b], [without(b, 0)])
    assert len(undone.persons) == 2
    assert "EMAIL:test@test.com" not in undone.linking


async def test_a_value_still_shared_after_an_undo_gives_todays_reason(graph: Graph):
    # Found by the undo property: a reason kept the count from before the removal and
    # claimed more values than the graph still held.
    tablet = ("DEVICE", "family-tablet")
    records = [record("app", f"r{n}", [tablet, ("PHONE", f"+34 611 000 00{n}")]) for n in range(5)]
    # One batch: the tablet is marked shared with the evidence of all five phones.
    undone = await check_undo(graph, records, [without(records[4], 1)], size=5)
    assert undone.shared == {"DEVICE:family-tablet": "seen with 4 distinct PHONE values (limit 3)"}
    assert len(undone.persons) == 5


# ---------------------------------------------------------------------- merges and splits


async def test_merge_keeps_one_id_and_aliases_the_other(graph: Graph):
    ingestor = await fresh(graph)
    a = await send(ingestor, [record("eshop", "a", [("EMAIL", "a@example.org")])], 1)
    b = await send(ingestor, [record("pos", "b", [("EMAIL", "b@example.org")])], 1)
    pa, pb = a.results[0].person_id, b.results[0].person_id
    assert pa and pb and pa != pb

    both = event("till", "x", [("EMAIL", "a@example.org"), ("EMAIL", "b@example.org")])
    merged = (await send(ingestor, [both], 1)).results[0].person_id
    assert merged in {pa, pb}
    gone = ({pa, pb} - {merged}).pop()
    snap = await snapshot(graph)
    assert set(snap.persons) == {merged}
    aliases = await graph.query("testing-aliases")
    assert aliases == [{"id": gone, "mergedInto": merged, "into": [merged], "dated": [True]}]

    # A bigger person absorbs this one: every alias now points at the survivor.
    big = [record("crm", f"c{n}", [("PHONE", "+34 611 000 009")]) for n in range(6)]
    big[0]["identifiers"].append({"type": "EMAIL", "value": "c@example.org"})
    survivor = (await send(ingestor, big, 10)).results[0].person_id
    glue = event("till", "y", [("EMAIL", "a@example.org"), ("EMAIL", "c@example.org")])
    assert (await send(ingestor, [glue], 1)).results[0].person_id == survivor
    snap = await snapshot(graph)
    assert set(snap.persons) == {survivor}
    aliases = await graph.query("testing-aliases")
    assert sorted(a["id"] for a in aliases) == sorted({pa, pb})
    for alias in aliases:
        assert alias["into"] == [survivor], alias
        assert alias["mergedInto"] == survivor, alias
        assert alias["dated"] == [True], alias


async def test_split_gives_the_smaller_part_a_new_id(graph: Graph):
    phone = ("PHONE", "+34 611 000 001")
    a = record("eshop", "a", [("EMAIL", "a@example.org"), phone])
    b = record("pos", "b", [("EMAIL", "b@example.org"), phone])
    c = record("crm", "c", [("EMAIL", "c@example.org"), phone])
    ingestor = await fresh(graph)
    report = await send(ingestor, [a, b, c], 1)
    old = report.results[-1].person_id
    assert {r.person_id for r in report.results} == {old}

    split = await send(ingestor, [without(c, 1)], 1)
    new = split.results[0].person_id
    assert new != old
    snap = await snapshot(graph)
    assert snap.person_of["record/eshop/a"] == snap.person_of["record/pos/b"] == old
    assert snap.person_of["record/crm/c"] == new
    assert snap.split_from == {old: None, new: old}
    assert snap.persons[new] == {"record/crm/c", "EMAIL:c@example.org"}


# ------------------------------------------------------------------------ seeds' stories


async def test_the_sofa_buyer_is_one_person(graph: Graph):
    phone = ("PHONE", "+34 600 12 34 56")
    home = ("ADDRESS", {"line1": "Calle Mayor 5", "postcode": "28013", "city": "Madrid"})
    office = ("ADDRESS", {"line1": "Paseo de la Castellana 100", "postcode": "28046"})
    items = [
        record("oldpos", "1998-77", [("EMAIL", "ana@oficina.example"), phone, office]),
        record("newsletter", "sub-1", [("EMAIL", "Ana.Silva@Example.com "), phone]),
        event("pos", "visit-1", [phone]),
        record("eshop", "cust-1001", [("EMAIL", "ana.sofa@example.net"), phone, home]),
    ]
    report = await send(await fresh(graph), items, 1)
    person = report.results[-1].person_id
    snap = await snapshot(graph)
    assert list(snap.persons) == [person]
    carried = await graph.query("testing-person-identifiers", id=person)
    by_type: dict[str, set[str]] = {}
    for row in carried:
        by_type.setdefault(row["type"], set()).add(row["key"])
    assert {t: len(v) for t, v in by_type.items()} == {"EMAIL": 3, "PHONE": 1, "ADDRESS": 2}
    assert "EMAIL:ana.silva@example.com" in by_type["EMAIL"]
    assert not any(row["shared"] for row in carried)


async def test_fifty_customers_with_the_store_phone_stay_fifty(graph: Graph):
    store_phone = ("PHONE", "+34 910 000 001")
    items = [
        record("pos", f"till-{n}", [("LOYALTY_CARD", f"7001 {n:04d}"), store_phone])
        for n in range(50)
    ]
    # One at a time: the phone first glues the first five, then is found shared.
    report = await send(await fresh(graph), items, 1)
    snap = await snapshot(graph)
    assert len(snap.persons) == 50
    assert len({snap.person_of[r.key] for r in report.results}) == 50
    # Marked shared when the sixth card came with it; the reason is that evidence.
    assert snap.shared == {
        "PHONE:+34910000001": "seen with 5 distinct LOYALTY_CARD values (limit 4)"
    }
    assert_matches(snap, reference(items))
    # Everyone still sees the phone they gave.
    for person in snap.persons:
        carried = await graph.query("testing-person-identifiers", id=person)
        assert {r["key"] for r in carried if r["type"] == "PHONE"} == {"PHONE:+34910000001"}


async def test_a_store_phone_new_to_the_graph_is_found_shared_within_its_batch(graph: Graph):
    """All in one batch: the phone is created by it, so its evidence is the batch's."""
    store_phone = ("PHONE", "+34 910 000 002")
    items = [
        record("pos", f"till-{n}", [("LOYALTY_CARD", f"7002 {n:04d}"), store_phone])
        for n in range(6)
    ]
    report = await send(await fresh(graph), items, len(items))
    snap = await snapshot(graph)
    assert len(snap.persons) == 6
    assert len({r.person_id for r in report.results}) == 6
    assert snap.shared == {
        "PHONE:+34910000002": "seen with 6 distinct LOYALTY_CARD values (limit 4)"
    }
    assert_matches(snap, reference(items))


async def test_two_people_sharing_a_home_address_stay_two(graph: Graph):
    home = ("ADDRESS", {"line1": "Calle Mayor 5", "postcode": "28013", "city": "Madrid"})
    items = [
        record("eshop", "ana", [("EMAIL", "ana@example.org"), home]),
        record("eshop", "luis", [("EMAIL", "luis@example.org"), home]),
    ]
    report = await send(await fresh(graph), items, 1)
    snap = await snapshot(graph)
    assert len(snap.persons) == 2
    assert report.results[0].person_id != report.results[1].person_id
    for person in snap.persons:
        carried = await graph.query("testing-person-identifiers", id=person)
        assert [r["type"] for r in carried if not r["linking"]] == ["ADDRESS"]


@pytest.mark.parametrize("with_ingest", [False, True], ids=["first-versions", "later-versions"])
async def test_a_graph_written_by_an_older_omnid_still_resolves(graph: Graph, with_ingest: bool):
    """A graph upgraded in place: identifiers without `ingest` (the first versions) or
    with `ingest` and `shared = false` everywhere (later ones), events with `ingest`."""
    ingestor = await fresh(graph)
    first = await send(ingestor, [record("eshop", "a", [("EMAIL", "a@example.org")])], 1)
    till = event("till", "x", [("EMAIL", "a@example.org"), ("PHONE", "+34 611 000 001")])
    await send(ingestor, [till], 1)
    await graph.command("testing-mark-as-older-omnid", with_ingest=with_ingest)
    before = await snapshot(graph)
    again = await send(ingestor, [till], 1)
    assert again.results[0].status == "unchanged"
    assert await snapshot(graph) == before
    web = event("web", "y", [("PHONE", "+34 611 000 001"), ("DEVICE", "tablet-1")])
    report = await send(ingestor, [web], 1)
    assert report.results[0].person_id == first.results[0].person_id
    snap = await snapshot(graph)
    assert len(snap.persons) == 1
