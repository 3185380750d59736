"""The one data generator (``devtools.generate``): its options change what they say and
nothing else; the demo's shape is the default. No Neo4j needed."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from devtools import demo
from devtools.generate import Dataset, Shape, generate, generate_items
from service.errors import InvalidInput
from service.identity.contract import item_key, parse_item


def _key(item: dict[str, object]) -> str:
    return item_key(str(item["kind"]), str(item["source"]), str(item["id"]))


def _events_per_customer(data: Dataset) -> Counter[str]:
    return Counter(data.truth[_key(i)] for i in data.items if i["kind"] == "event")


def _owners(data: Dataset) -> dict[str, set[str]]:
    owners: dict[str, set[str]] = defaultdict(set)
    for raw in data.items:
        for ident in parse_item(raw).identifiers:
            owners[ident.key].add(data.truth[_key(raw)])
    return owners


def test_the_default_shape_is_the_demo() -> None:
    shaped = generate(Shape(customers=20, seed=5))
    assert shaped.items == demo.generate(20, seed=5).items
    assert shaped.truth == demo.generate(20, seed=5).truth


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"customers": -1}, "customers"),
        ({"events": (5, 2)}, "events"),
        ({"activity": -0.5}, "activity"),
        ({"households": (0.0, 0.0)}, "households"),
        ({"till": 1.5}, "till"),
        ({"resend": -0.1}, "resend"),
    ],
)
def test_a_bad_shape_names_its_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        Shape(**changes)  # type: ignore[arg-type]
    assert raised.value.field == field


def test_events_per_customer_and_their_spread() -> None:
    even = _events_per_customer(generate(Shape(customers=150, stories=False, events=(2, 4))))
    assert min(even.values()) >= 2 and max(even.values()) <= 4
    spread = _events_per_customer(
        generate(Shape(customers=150, stories=False, events=(2, 4), activity=1.5))
    )
    assert max(spread.values()) > 4  # a few customers far more active
    assert 2 <= sum(spread.values()) / len(spread) <= 5  # the mean stays about the same


def test_no_stories_no_households_no_till_no_junk() -> None:
    shape = Shape(
        customers=120,
        stories=False,
        households=(1.0,),
        till=0.0,
        junk_emails=0.0,
        junk_phones=0.0,
        zero_adid=0.0,
    )
    data = generate(shape)
    assert data.customers == 120 and not set(data.truth.values()) & set(demo.STORY_CUSTOMERS)
    owners = _owners(data)
    addresses = [k for k in owners if k.startswith("ADDRESS:")]
    assert addresses and all(len(owners[k]) == 1 for k in addresses)  # nobody shares one
    blocked = [i for raw in data.items for i in parse_item(raw).identifiers if i.blocked]
    assert blocked == []
    # With households and tills back, values are shared between real customers.
    noisy = _owners(generate(Shape(customers=120, stories=False, till=0.5)))
    assert any(len(v) >= 5 for k, v in noisy.items() if k.startswith("PHONE:"))


def test_resent_records_come_later_with_the_same_identifiers() -> None:
    base = generate(Shape(customers=80, stories=False))
    data = generate(Shape(customers=80, stories=False, resend=0.5))
    seen: dict[str, dict[str, object]] = {}
    again = 0
    for item in data.items:
        key = _key(item)
        if key in seen:
            again += 1
            assert item["identifiers"] == seen[key]["identifiers"]
            assert item["attributes"] == {**seen[key]["attributes"], "version": 2}  # type: ignore[dict-item]
        seen[key] = item
    records = sum(1 for i in base.items if i["kind"] == "record")
    assert 0.3 * records < again < 0.7 * records
    assert set(data.truth) == set(base.truth)  # the same items, some twice


def test_generate_items_gives_that_many_with_their_truth() -> None:
    data = generate_items(1_500, Shape(stories=False, seed=3))
    assert len(data.items) == 1_500
    assert {_key(i) for i in data.items} == set(data.truth)
    assert generate_items(1_500, Shape(stories=False, seed=3)).items == data.items
    with pytest.raises(InvalidInput):
        generate_items(0)
