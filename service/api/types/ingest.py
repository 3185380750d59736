"""Write types: records and events in the input contract, per-item results."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from service.api.types.common import Channel, IdentifierInput, IdentifierType, raw_identifier
from service.errors import OmnidError
from service.identity.ingest import ItemResult as ItemResultView

__all__ = [
    "EventInput",
    "ItemError",
    "ItemResult",
    "ItemStatus",
    "RecordInput",
    "RecordRef",
    "event_to_contract",
    "record_to_contract",
]


@strawberry.enum(description="What happened to one item of a batch.")
class ItemStatus(Enum):
    OK = "ok"
    UNCHANGED = "unchanged"
    ERROR = "error"


@strawberry.input(description="What one source system knows about a customer now.")
class RecordInput:
    source: str
    id: str
    identifiers: list[IdentifierInput]
    attributes: JSON | None = None
    country: str | None = None


@strawberry.input(description="One interaction; immutable once stored.")
class EventInput:
    source: str
    id: str
    channel: Channel
    type: str
    at: datetime
    identifiers: list[IdentifierInput]
    attributes: JSON | None = None
    country: str | None = None


@strawberry.input(description="A record by its source and its id there.")
class RecordRef:
    source: str
    id: str


@strawberry.type(description="Why one item was refused.")
class ItemError:
    code: str
    field: str | None
    message: str

    @classmethod
    def of(cls, error: OmnidError) -> ItemError:
        return cls(code=error.code, field=getattr(error, "field", None), message=error.message)


@strawberry.type(description="The fate of one item, by its position in the batch.")
class ItemResult:
    index: int
    key: str | None
    status: ItemStatus
    person_id: strawberry.ID | None
    error: ItemError | None
    blocked_types: list[IdentifierType]

    @classmethod
    def of(cls, view: ItemResultView) -> ItemResult:
        error = ItemError.of(view.error) if view.error is not None else None
        return cls(
            index=view.index,
            key=view.key,
            status=ItemStatus(view.status),
            person_id=strawberry.ID(view.person_id) if view.person_id else None,
            error=error,
            blocked_types=[IdentifierType(t) for t in view.blocked],
        )


def _identifiers(given: list[IdentifierInput]) -> list[dict[str, Any]]:
    return [raw_identifier(identifier) for identifier in given]


def record_to_contract(item: RecordInput) -> dict[str, Any]:
    return {
        "kind": "record",
        "source": item.source,
        "id": item.id,
        "identifiers": _identifiers(item.identifiers),
        "attributes": item.attributes or {},
        "country": item.country,
    }


def event_to_contract(item: EventInput) -> dict[str, Any]:
    return {
        "kind": "event",
        "source": item.source,
        "id": item.id,
        "channel": item.channel.value,
        "type": item.type,
        "at": item.at.isoformat(),
        "identifiers": _identifiers(item.identifiers),
        "attributes": item.attributes or {},
        "country": item.country,
    }
