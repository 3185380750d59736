"""The bulk path: ``Ingestor.ingest_batches`` writes a window of batches at once.

What it must keep from one-batch-at-a-time: reports in input order, the same partition,
and a record sent twice ends as its later version, in one window or in two.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from service.identity import ingest as ingest_module
from service.identity.ingest import Ingestor
from service.store.graph import Graph
from tests.partition import snapshot
from tests.test_resolution_properties import event, fresh, record


async def _collect(ingestor: Ingestor, batches: Sequence[Sequence[Any]], writers: int) -> list[Any]:
    return [report async for report in ingestor.ingest_batches(batches, writers=writers)]


async def test_a_record_sent_in_two_batches_ends_as_its_later_version(graph: Graph):
    first = [
        event("web", "f1", [("DEVICE", "cookie-1")]),
        record("crm", "r1", [("EMAIL", "old@example.org")]),
    ]
    second = [record("crm", "r1", [("EMAIL", "new@example.org")])]
    third = [event("web", "f2", [("DEVICE", "cookie-2")])]
    # With two writers, the first order puts both versions in one window, the second
    # in consecutive windows.
    for batches in ([first, second, third], [first, third, second]):
        ingestor = await fresh(graph)
        commit = ingestor._commit

        async def slow_old(items: list[Any], commit: Any = commit) -> Any:
            # The old version's transaction starts late: it would commit last if the
            # two versions were written by overlapping transactions.
            if any(
                item.key == "record/crm/r1" and item.identifiers[0].value.startswith("old")
                for item in items
            ):
                await asyncio.sleep(0.5)
            return await commit(items)

        ingestor._commit = slow_old  # type: ignore[method-assign]
        reports = await _collect(ingestor, batches, writers=2)

        assert [len(r.results) for r in reports] == [len(b) for b in batches]
        stored = await graph.query("record-for-update", key="record/crm/r1")
        assert [i["value"] for i in stored["identifiers"]] == ["new@example.org"]


async def test_a_window_is_cut_into_transactions_that_share_nothing(graph: Graph):
    ingestor = await fresh(graph)
    # A stored person, reached below through two identifiers no new item carries together.
    await ingestor.ingest_batch(
        [record("crm", "p", [("EMAIL", "pat@example.org"), ("PHONE", "+34611000001")])]
    )
    items = [
        event("web", "a", [("EMAIL", "pat@example.org")]),
        event("till", "b", [("PHONE", "+34611000001")]),
        *(event("web", f"x{n}", [("DEVICE", f"cookie-{n}")]) for n in range(6)),
        record("crm", "q", [("EMAIL", "q@example.org"), ("DEVICE", "cookie-1")]),
    ]
    batches = [items[:5], items[5:], [items[0]]]
    seen: list[list[str]] = []
    commit = ingestor._commit

    async def record_groups(group: list[Any]) -> Any:
        seen.append([item.key for item in group])
        return await commit(group)

    ingestor._commit = record_groups  # type: ignore[method-assign]
    reports = await _collect(ingestor, batches, writers=3)

    keys = sorted({f"{i['kind']}/{i['source']}/{i['id']}" for i in items})
    assert sorted(k for group in seen for k in group) == keys
    owner = {key: n for n, group in enumerate(seen) for key in group}
    # One person (through the stored record), one device: one transaction each.
    assert owner["event/web/a"] == owner["event/till/b"]
    assert owner["event/web/x1"] == owner["record/crm/q"]
    # Seven components (the person, the device q shares, five other devices): two
    # transactions per writer, so six.
    assert len(seen) == 6
    # The event sent again in a later batch of the window is reported as already stored.
    assert [r.status for r in reports[2].results] == ["unchanged"]
    assert reports[0].results[0].person_id == reports[2].results[0].person_id


async def test_the_next_window_is_cut_with_what_the_one_before_changed(graph: Graph):
    ingestor = await fresh(graph)
    await ingestor.ingest_batch(
        [
            record("crm", "a", [("EMAIL", "a1@example.org"), ("EMAIL", "a2@example.org")]),
            record("crm", "b", [("PHONE", "+34611000001"), ("PHONE", "+34611000002")]),
        ]
    )
    # The first window merges the two stored persons; the second reaches that person
    # only through values the first did not send, so a cut that missed the merge would
    # put its two events in separate transactions.
    merging = [record("shop", "m", [("EMAIL", "a1@example.org"), ("PHONE", "+34611000001")])]
    later = [
        event("web", "x", [("EMAIL", "a2@example.org")]),
        event("till", "y", [("PHONE", "+34611000002")]),
    ]
    steps: list[str] = []
    seen: list[list[str]] = []
    commit, links = ingestor._commit, ingestor._links

    async def slow_commit(group: list[Any]) -> Any:
        seen.append([item.key for item in group])
        await asyncio.sleep(0.3)  # long enough for the next window to be read and linked
        outcome = await commit(group)
        steps.append("committed " + ",".join(item.key for item in group))
        return outcome

    async def read_links(items: list[Any]) -> Any:
        steps.append("links " + ",".join(item.key for item in items))
        return await links(items)

    ingestor._commit = slow_commit  # type: ignore[method-assign]
    ingestor._links = read_links  # type: ignore[method-assign]
    reports = await _collect(ingestor, [merging, later], writers=1)

    # The second window's links were read while the first window was still writing ...
    assert steps.index("links event/web/x,event/till/y") < steps.index("committed record/shop/m")
    # ... and its cut still knew the two events reach one person.
    assert ["event/web/x", "event/till/y"] in seen
    assert reports[1].results[0].person_id == reports[1].results[1].person_id
    assert reports[0].merged == 1


async def test_reports_come_back_in_order_and_the_partition_is_the_sequential_one(graph: Graph):
    items = [
        record(
            "crm",
            f"r{n}",
            [("EMAIL", f"c{n % 40}@example.org"), ("PHONE", f"+3461100{n % 25:04d}")],
        )
        for n in range(120)
    ] + [event("till", f"e{n}", [("EMAIL", f"c{n % 40}@example.org")]) for n in range(120)]
    batches = [items[i : i + 20] for i in range(0, len(items), 20)]

    ingestor = await fresh(graph)
    sequential = [await ingestor.ingest_batch(b) for b in batches]
    expected = (await snapshot(graph)).partition

    ingestor = await fresh(graph)
    piped = await _collect(ingestor, batches, writers=3)
    assert [[r.key for r in rep.results] for rep in piped] == [
        [r.key for r in rep.results] for rep in sequential
    ]
    assert all(not rep.errors for rep in piped)
    assert (await snapshot(graph)).partition == expected


async def test_an_item_error_stays_in_its_batch(graph: Graph):
    ingestor = await fresh(graph)
    bad: dict[str, Any] = {"kind": "event", "source": "till", "id": "x"}  # no identifiers
    batches = [[record("crm", "a", [("EMAIL", "a@example.org")])], [bad], []]
    reports = await _collect(ingestor, batches, writers=2)
    assert [r.status for rep in reports for r in rep.results] == ["ok", "error"]
    assert reports[1].errors[0].error is not None


async def test_a_large_call_is_cut_into_transactions_and_ends_as_one_would(
    graph: Graph, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(ingest_module, "SPLIT_MIN_ITEMS", 20)
    items: list[Any] = [
        record("crm", f"r{n}", [("EMAIL", f"c{n % 30}@example.org"), ("PHONE", f"+3461100{n:04d}")])
        for n in range(60)
    ]
    items += [event("till", f"e{n}", [("DEVICE", f"cookie-{n % 45}")]) for n in range(60)]
    items += [{"kind": "event", "source": "till", "id": "bad"}, items[70]]  # no identifiers; again

    ingestor = await fresh(graph)
    whole = await ingestor.ingest_batch(items, writers=1)
    expected = (await snapshot(graph)).partition

    ingestor = await fresh(graph)
    seen: list[list[str]] = []
    active = [0, 0]  # in flight, most in flight
    commit = ingestor._commit

    async def record_groups(group: list[Any]) -> Any:
        seen.append([item.key for item in group])
        active[0] += 1
        active[1] = max(active)
        try:
            return await commit(group)
        finally:
            active[0] -= 1

    ingestor._commit = record_groups  # type: ignore[method-assign]
    cut = await ingestor.ingest_batch(items, writers=3)

    assert len(seen) == 6  # two transactions per writer
    assert active[1] == 3  # at most one per writer at a time
    keys = [key for group in seen for key in group]
    assert sorted(keys) == sorted({r.key for r in whole.results if r.key})
    assert len(keys) == len(set(keys))
    assert [(r.index, r.key, r.status) for r in cut.results] == [
        (r.index, r.key, r.status) for r in whole.results
    ]
    assert cut.results[120].error is not None
    after = await snapshot(graph)
    assert after.partition == expected
    assert all(after.person_of[r.key] == r.person_id for r in cut.results if r.key)
