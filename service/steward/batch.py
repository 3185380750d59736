"""A steward's decisions in batches: each item on its own, one result per item.

Every correction (overrides, operator links, separations, withdrawals, rejected matches)
is taken as a list, as the write API takes records and consents. The shells (GraphQL,
the CLI and its files) read each item into a request or the typed error that kept it
from being read (:func:`attempt`), and :func:`each` applies the requests in order, each
in its own transaction::

    requests = [attempt(lambda: Pair(...)), InvalidInput("…", field="a"), ...]
    results = await each(requests, lambda r: assert_same(ingestor, r.a, r.b, ...))
    # [Outcome(0, value=OperatorLink(...)), Outcome(1, error=InvalidInput(...)), ...]

An item that fails gets its typed error (naming the field) and wrote nothing, since its
transaction rolled back; the others go on. In order, so a later item sees what an earlier
one did (a separation, then a link across it). When Neo4j cannot be reached, the items
not yet tried get that error without being tried: the caller knows which ones went in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from service.errors import GraphUnavailable, OmnidError

__all__ = ["Outcome", "attempt", "each"]

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    """The fate of one item, by its position in the batch: its result or its error."""

    index: int
    value: T | None = None
    error: OmnidError | None = None

    @property
    def status(self) -> Literal["ok", "error"]:
        return "error" if self.error is not None else "ok"


def attempt(read: Callable[[], R]) -> R | OmnidError:
    """One item read into a request, or the typed error that kept it from being read."""
    try:
        return read()
    except OmnidError as exc:
        return exc


async def each(
    requests: Sequence[R | OmnidError], apply: Callable[[R], Awaitable[T]]
) -> list[Outcome[T]]:
    """Apply each request in order (one transaction each); one outcome per item."""
    outcomes: list[Outcome[T]] = []
    unavailable: GraphUnavailable | None = None
    for index, request in enumerate(requests):
        if isinstance(request, OmnidError):
            outcomes.append(Outcome(index, error=request))
        elif unavailable is not None:
            outcomes.append(Outcome(index, error=unavailable))
        else:
            try:
                outcomes.append(Outcome(index, value=await apply(request)))
            except GraphUnavailable as exc:
                unavailable = exc
                outcomes.append(Outcome(index, error=exc))
            except OmnidError as exc:
                outcomes.append(Outcome(index, error=exc))
    return outcomes
