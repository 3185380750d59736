"""The demo generator's seeded conflicts (devtools/generate/conflicts.py): the same data
plus the seeded items, with the truth of which customers each one glues."""

from __future__ import annotations

import json

import pytest

from devtools.generate import Shape, generate
from devtools.quality import reference_partition, review_scores
from service.errors import InvalidInput


def test_seeded_conflicts_add_items_and_change_nothing_else() -> None:
    plain = generate(Shape(customers=120))
    seeded = generate(Shape(customers=120, conflicts=6))
    assert plain.conflicts == []
    assert [c.kind for c in seeded.conflicts] == ["family-email", "recycled-phone"] * 3
    before = {json.dumps(i, sort_keys=True) for i in plain.items}
    after = {json.dumps(i, sort_keys=True) for i in seeded.items}
    assert before < after
    added = after - before
    assert len(added) == 3 * 2 + 3 * 2  # two records per family, a record and a call per phone
    for conflict in seeded.conflicts:
        a, b = conflict.customers
        assert a != b and {a, b} <= set(seeded.truth.values())


def test_each_seeded_conflict_glues_its_two_customers() -> None:
    dataset = generate(Shape(customers=200, conflicts=8))
    persons = reference_partition(dataset.items)
    scores = review_scores(persons, dataset.truth, [c.customers for c in dataset.conflicts], set())
    assert (scores.seeded, scores.glued, scores.found) == (8, 8, 0)
    assert scores.false_merges >= 8


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(InvalidInput, match="conflicts"):
        Shape(conflicts=-1)
