"""Person ids for regrouped components (``resolution.ids``): the pure rules, no Neo4j."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from service.identity.resolution.ids import assign_person_ids


def counter() -> Callable[[], str]:
    """New ids new-1, new-2, ... in the order they are asked for."""
    numbers = itertools.count(1)
    return lambda: f"new-{next(numbers)}"


def test_a_merge_keeps_the_largest_persons_id() -> None:
    ids = assign_person_ids(
        {"g": {"small": 2, "large": 7, "middle": 4}},
        {"small": "2026-01-01", "large": "2026-03-01", "middle": "2026-02-01"},
        {"small", "large", "middle"},
        counter(),
    )
    assert ids.of_group == {"g": "large"}
    # Absorbed in id order, each into the group's id.
    assert list(ids.absorbed.items()) == [("middle", "large"), ("small", "large")]
    assert (ids.new, ids.orphaned, ids.created, ids.split) == ([], [], 0, 0)


@pytest.mark.parametrize(
    ("ages", "keeper"),
    [
        ({"a": "2026-05-01T10:00:00Z", "b": "2026-04-30T10:00:00Z"}, "b"),  # b is older
        ({"a": "2026-04-30T10:00:00Z", "b": "2026-05-01T10:00:00Z"}, "a"),  # a is older
        ({"a": "2026-05-01T10:00:00Z", "b": "2026-05-01T10:00:00Z"}, "a"),  # same age
    ],
)
def test_a_tie_goes_to_the_oldest_person_then_the_smallest_id(
    ages: dict[str, str], keeper: str
) -> None:
    ids = assign_person_ids({"g": {"b": 3, "a": 3}}, ages, {"a", "b"}, counter())
    other = ({"a", "b"} - {keeper}).pop()
    assert ids.of_group == {"g": keeper}
    assert ids.absorbed == {other: keeper}


def test_a_split_keeps_the_id_in_its_largest_part_and_the_others_get_new_ids() -> None:
    ids = assign_person_ids(
        {"g1": {"p": 1}, "g2": {"p": 4}, "g3": {"p": 2}}, {"p": "2026-01-01"}, {"p"}, counter()
    )
    assert ids.of_group == {"g2": "p", "g1": "new-1", "g3": "new-2"}
    assert ids.new == [("new-1", "p"), ("new-2", "p")]  # in group order, splitFrom p
    assert (ids.split, ids.created, ids.absorbed, ids.orphaned) == (2, 0, {}, [])


def test_a_group_no_old_person_holds_is_a_new_person() -> None:
    ids = assign_person_ids({"g1": {}, "g2": {"p": 0}}, {}, {"p"}, counter())
    # A person joined only by new members (weight 0, never locked, so no age) keeps its id.
    assert ids.of_group == {"g1": "new-1", "g2": "p"}
    assert ids.new == [("new-1", None)]
    assert (ids.created, ids.split) == (1, 0)


def test_a_part_of_a_split_meeting_a_larger_person_goes_to_it() -> None:
    # a's members: 4 join b's 5 members, 1 stays alone; a keeps its id in the small part.
    ids = assign_person_ids(
        {"g1": {"a": 4, "b": 5}, "g2": {"a": 1}},
        {"a": "2026-01-01", "b": "2026-02-01"},
        {"a", "b"},
        counter(),
    )
    assert ids.of_group == {"g1": "b", "g2": "a"}
    assert (ids.absorbed, ids.new) == ({}, [])


def test_a_person_left_only_in_groups_others_keep_is_absorbed_into_its_largest() -> None:
    # c is split over two groups that larger persons keep: merged into the one holding
    # most of it.
    ids = assign_person_ids(
        {"g1": {"a": 9, "c": 1}, "g2": {"b": 9, "c": 3}},
        {"a": "2026-01-01", "b": "2026-01-01", "c": "2026-01-01"},
        {"a", "b", "c"},
        counter(),
    )
    assert ids.of_group == {"g1": "a", "g2": "b"}
    assert ids.absorbed == {"c": "b"}


def test_a_new_group_splits_from_the_person_holding_most_of_it() -> None:
    ids = assign_person_ids(
        {"g1": {"a": 5}, "g2": {"b": 5}, "g3": {"a": 1, "b": 2}, "g4": {"a": 1, "b": 1}},
        {"a": "2026-01-01", "b": "2026-01-02"},
        {"a", "b"},
        counter(),
    )
    assert ids.of_group == {"g1": "a", "g2": "b", "g3": "new-1", "g4": "new-2"}
    # g4: a tie between a and b goes to the greatest id.
    assert ids.new == [("new-1", "b"), ("new-2", "b")]


def test_involved_persons_holding_nothing_are_orphaned() -> None:
    ids = assign_person_ids({"g": {"kept": 2}}, {}, {"kept", "gone-b", "gone-a"}, counter())
    assert ids.of_group == {"g": "kept"}
    assert ids.orphaned == ["gone-a", "gone-b"]
    assert ids.absorbed == {}


def test_new_ids_are_uuids_by_default() -> None:
    ids = assign_person_ids({"g1": {}, "g2": {}}, {}, set())
    first, second = ids.of_group["g1"], ids.of_group["g2"]
    assert first != second
    assert len(first) == 36 and first.count("-") == 4
