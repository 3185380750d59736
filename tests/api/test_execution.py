"""The executor's short path answers exactly as strawberry's own executor does."""

from __future__ import annotations

import gc
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import pytest
import strawberry
from strawberry.scalars import JSON

from service.api.execution import Executor


@strawberry.enum
class Colour(Enum):
    RED = "RED"
    BLUE = "BLUE"


@strawberry.type
class Item:
    name: str
    colour: Colour
    at: datetime
    data: JSON
    note: str | None
    count: int
    tags: list[str]
    hidden: strawberry.Private[str]

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field
    def child(self) -> Item | None:
        return None


def _item(**changes: Any) -> Item:
    values: dict[str, Any] = {
        "name": "a",
        "colour": Colour.RED,
        "at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "data": {"k": [1, 2]},
        "note": None,
        "count": 3,
        "tags": ["x"],
        "hidden": "h",
    }
    values.update(changes)
    return Item(**values)


ITEMS: list[Item] = [
    _item(),
    _item(name="b", colour=Colour.BLUE, note="n"),
    _item(name=None),  # null in a non-null field: an error, the item becomes null
    _item(colour="GREEN"),  # not a value of the enum: an error
    _item(count="many"),  # not an Int: an error
    _item(name=ValueError("boom")),  # an exception as a value: an error
]


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item | None]:
        return ITEMS

    @strawberry.field
    def item(self) -> Item:
        return ITEMS[0]


def _schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    return strawberry.Schema(query=Query), strawberry.Schema(
        query=Query, execution_context_class=Executor
    )


QUERIES = [
    "{ items { name colour at data note count tags shout child { name } } }",
    "{ item { n: name, name ... on Item { colour } ...F } } fragment F on Item { at count }",
    "{ items { name @skip(if: true) colour @include(if: false) count } }",
    "{ item { __typename name } }",
]


@pytest.mark.parametrize("query", QUERIES)
async def test_same_answers_and_errors_as_strawberry(query: str) -> None:
    plain, fast = _schemas()
    expected = await plain.execute(query)
    got = await fast.execute(query)
    assert got.data == expected.data
    assert [e.formatted for e in got.errors or []] == [e.formatted for e in expected.errors or []]


async def test_errors_are_located_like_strawberrys() -> None:
    _, fast = _schemas()
    result = await fast.execute("{ items { name colour count } }")
    assert result.data is not None
    assert result.data["items"][:2] == [
        {"name": "a", "colour": "RED", "count": 3},
        {"name": "b", "colour": "BLUE", "count": 3},
    ]
    assert result.data["items"][2:] == [None, None, None, None]
    paths = sorted(tuple(e.path or ()) for e in result.errors or [])
    assert paths == [
        ("items", 2, "name"),
        ("items", 3, "colour"),
        ("items", 4, "count"),
        ("items", 5, "name"),
    ]


def test_only_plain_scalar_and_enum_fields_take_the_short_path() -> None:
    from graphql import GraphQLObjectType
    from service.api.execution import _plan

    _, fast = _schemas()
    item = fast._schema.type_map["Item"]
    assert isinstance(item, GraphQLObjectType)
    planned = {name for name in item.fields if _plan(item, name) is not None}
    assert planned == {"name", "colour", "at", "data", "note", "count"}


@strawberry.type
class Ticks:
    @strawberry.subscription
    async def ticks(self, count: int) -> AsyncGenerator[Item, None]:
        for n in range(count):
            yield _item(count=n)


def _collected_fields() -> int:
    from graphql.execution.collect_fields import CollectedFields

    gc.collect()
    return sum(isinstance(o, CollectedFields) for o in gc.get_objects())


async def test_a_long_subscription_keeps_no_memory_per_event() -> None:
    """graphql-core copies a subscription's executor for each event and the copies shared
    the memo of collected subfields, keyed by field lists each event collects anew: every
    event of a subscription that lasts for hours added entries that were never freed."""
    schema = strawberry.Schema(query=Query, subscription=Ticks, execution_context_class=Executor)
    results = await schema.subscribe("subscription { ticks(count: 400) { name child { name } } }")
    assert not isinstance(results, strawberry.types.ExecutionResult)
    counts, events = [], 0
    async for result in results:
        assert not result.errors and result.data == {"ticks": {"name": "a", "child": None}}
        events += 1
        if events in (100, 400):
            counts.append(_collected_fields())
    assert len(counts) == 2
    assert counts[1] - counts[0] < 10, counts  # 300 more events, unfixed: +300 or more
