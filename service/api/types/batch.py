"""Per-item results of a steward's batch mutations (``service.steward.batch``): the
item's position, ``OK`` or ``ERROR``, its typed error (naming the field) or its result.

    overrideValue(items: [...]) { index status error { code field message } value { mode } }
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import strawberry

from service.api.context import Context
from service.api.types.ingest import ItemError, ItemStatus
from service.errors import LimitExceeded
from service.steward.batch import Outcome

__all__ = ["Result", "check_size", "results"]

T = TypeVar("T")
V = TypeVar("V")


@strawberry.type(
    description=(
        "One item of a batch, by its position: its result, or the error that refused it "
        "(nothing of that item was written; the other items went on)."
    )
)
class Result(Generic[T]):
    index: int
    status: ItemStatus
    error: ItemError | None
    value: T | None


def check_size(info: strawberry.Info[Context, None], items: Sequence[object]) -> None:
    """A batch holds at most ``OMNID_MAX_BATCH_SIZE`` items, as the write mutations do."""
    limit = info.context.settings.max_batch_size
    if len(items) > limit:
        raise LimitExceeded(f"has {len(items)} items; the most per call is {limit}", field="items")


def results(outcomes: Sequence[Outcome[V]], convert: Callable[[V], T]) -> list[Result[T]]:
    """The API's form of each outcome, its value converted by ``convert``."""
    return [
        Result(
            index=o.index,
            status=ItemStatus(o.status),
            error=ItemError.of(o.error) if o.error is not None else None,
            value=convert(o.value) if o.value is not None else None,
        )
        for o in outcomes
    ]
