"""Segments over GraphQL: definitions, members, live changes, webhook deliveries.

The resolvers are thin: the engine (service/segments/engine.py) and its read functions
(service/segments/read.py) do the work. Defining and dropping need the admin scope.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from service.api.context import Context
from service.api.types.privacy import Consent
from service.errors import GraphUnavailable, NotFound
from service.segments import read as segread
from service.segments.engine import SegmentEngine
from service.segments.membership import Change
from service.segments.store import Segment as SegmentModel

__all__ = [
    "SegmentMutation",
    "SegmentQuery",
    "SegmentSubscription",
]

Info = strawberry.Info[Context, None]
if TYPE_CHECKING:
    from service.api.types.person import Person

PersonRef = Annotated["Person", strawberry.lazy("service.api.types.person")]


def _engine(info: Info) -> SegmentEngine:
    engine = info.context.segments
    if engine is None:
        raise GraphUnavailable("segments are not running in this process")
    return engine


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@strawberry.enum(description="Whether a person entered or left a segment.")
class SegmentChangeKind(Enum):
    ENTERED = "ENTERED"
    LEFT = "LEFT"


@strawberry.enum(description="Where a webhook delivery stands.")
class DeliveryStatus(Enum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    PARKED = "PARKED"


@strawberry.type(description="A member of a segment, since when.")
class SegmentMember:
    person_id: strawberry.ID
    since: datetime | None

    @strawberry.field
    async def person(self, info: Info) -> PersonRef | None:
        from service.api.types.person import Person

        view = await info.context.loaders.persons.load(str(self.person_id))
        return Person.of(view) if view is not None else None


@strawberry.type(description="One page of members, by person id.")
class SegmentMemberPage:
    nodes: list[SegmentMember]
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")
    has_next_page: bool


@strawberry.type(description="A named, versioned group of persons defined by a rule.")
class Segment:
    name: str
    version: int
    description: str
    status: str = strawberry.field(
        description="EVALUATING while a new version is evaluated over the whole graph, then READY."
    )
    evaluated: int = strawberry.field(description="Persons the background evaluation has done.")
    definition: JSON
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, s: SegmentModel) -> Segment:
        return cls(
            name=s.name,
            version=s.version,
            description=s.description,
            status=s.status,
            evaluated=s.evaluated,
            definition=cast(JSON, s.source),
            created_at=_time(s.created_at),
            updated_at=_time(s.updated_at),
        )

    @strawberry.field(description="How many persons are members now.")
    async def size(self, info: Info) -> int:
        return await segread.size(info.context.graph, self.name)

    @strawberry.field(description="Members by person id; `after`: the previous page's endCursor.")
    async def members(
        self, info: Info, first: int = 50, after: str | None = None
    ) -> SegmentMemberPage:
        graph = info.context.graph
        found = await segread.members(graph, self.name, first=first + 1, after=after or "")
        page = found[:first]
        return SegmentMemberPage(
            nodes=[
                SegmentMember(person_id=strawberry.ID(m.person), since=_time(m.since)) for m in page
            ],
            end_cursor=page[-1].person if page else None,
            has_next_page=len(found) > first,
        )


@strawberry.type(description="A segment the person is in.")
class SegmentMembership:
    segment: str
    since: datetime | None


@strawberry.type(description="An entry into or exit from a segment.")
class SegmentHistoryEntry:
    segment: str
    change: SegmentChangeKind
    at: datetime | None
    cause_event: str | None = strawberry.field(description="Key of the event that caused it.")


@strawberry.type(
    description=(
        "A person as a segment change carries them: id, the contact points the segment's "
        "consent conditions allow (none when its rule weighs no consent), and those "
        "effective consents."
    )
)
class SegmentPerson:
    id: strawberry.ID
    phones: list[str]
    emails: list[str]
    consents: list[Consent]


@strawberry.type(description="The event that made a condition hold.")
class SegmentCause:
    key: str
    type: str | None
    channel: str | None
    at: datetime | None


@strawberry.type(description="A person entered or left a segment (committed).")
class SegmentChange:
    id: strawberry.ID
    change: SegmentChangeKind
    segment: str
    version: int
    at: datetime
    person: SegmentPerson
    event: SegmentCause | None

    @classmethod
    def of(cls, c: Change) -> SegmentChange:
        cause = c.cause
        return cls(
            id=strawberry.ID(c.id),
            change=SegmentChangeKind(c.change),
            segment=c.segment,
            version=c.version,
            at=c.at,
            person=SegmentPerson(
                id=strawberry.ID(c.person),
                phones=list(c.phones),
                emails=list(c.emails),
                consents=[Consent.of(v) for v in c.consents],
            ),
            event=SegmentCause(
                key=cause["key"],
                type=cause.get("type"),
                channel=cause.get("channel"),
                at=_time(cause.get("at")),
            )
            if cause
            else None,
        )


@strawberry.type(description="One change sent (or to send) to one webhook target.")
class WebhookDelivery:
    id: strawberry.ID
    target: str
    person_id: strawberry.ID
    change_id: strawberry.ID
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    created_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None

    @classmethod
    def of(cls, d: segread.Delivery) -> WebhookDelivery:
        return cls(
            id=strawberry.ID(d.id),
            target=d.target,
            person_id=strawberry.ID(d.person),
            change_id=strawberry.ID(d.change),
            status=DeliveryStatus(d.status),
            attempts=d.attempts,
            last_error=d.last_error,
            created_at=_time(d.created_at),
            next_attempt_at=_time(d.next_attempt_at),
            delivered_at=_time(d.delivered_at),
        )


async def person_segments(info: Info, person: str) -> list[SegmentMembership]:
    found = await segread.memberships(info.context.graph, [person])
    return [SegmentMembership(segment=s, since=_time(t)) for s, t in found[person]]


async def person_segment_history(info: Info, person: str, first: int) -> list[SegmentHistoryEntry]:
    entries = await segread.history(info.context.graph, person, limit=first)
    return [
        SegmentHistoryEntry(
            segment=e.segment,
            change=SegmentChangeKind(e.change),
            at=_time(e.at),
            cause_event=e.cause,
        )
        for e in entries
    ]


@strawberry.type
class SegmentQuery:
    @strawberry.field(description="Every segment, by name.")
    async def segments(self, info: Info) -> list[Segment]:
        info.context.require("read")
        from service.segments.store import load_segments

        return [Segment.of(s) for s in await load_segments(info.context.graph)]

    @strawberry.field(description="One segment by name; null if none.")
    async def segment(self, info: Info, name: str) -> Segment | None:
        info.context.require("read")
        try:
            return Segment.of(await _engine(info).segment(name))
        except NotFound:
            return None

    @strawberry.field(description="Webhook deliveries, newest first (admin).")
    async def webhook_deliveries(
        self,
        info: Info,
        status: DeliveryStatus | None = None,
        target: str | None = None,
        first: int = 100,
    ) -> list[WebhookDelivery]:
        info.context.require("admin")
        found = await segread.deliveries(
            info.context.graph,
            status=status.value if status else None,
            target=target,
            limit=first,
        )
        return [WebhookDelivery.of(d) for d in found]


@strawberry.type
class SegmentMutation:
    @strawberry.mutation(
        description=(
            "Define a segment from its definition ({name, description, rule}); a new or "
            "changed one is evaluated over the whole graph in the background. An existing "
            "name is SEGMENT_EXISTS unless `replace` (admin)."
        )
    )
    async def define_segment(self, info: Info, definition: JSON, replace: bool = False) -> Segment:
        info.context.require("admin")
        return Segment.of(await _engine(info).define(definition, replace=replace))

    @strawberry.mutation(
        description=(
            "Drop a segment (admin): it is no longer evaluated; its members leave in the "
            "background, each exit sent as LEFT (subscription and webhooks), then it is "
            "removed (status DROPPING until then; its change history stays)."
        )
    )
    async def drop_segment(self, info: Info, name: str) -> bool:
        info.context.require("admin")
        await _engine(info).drop(name)
        return True

    @strawberry.mutation(
        description=(
            "Send parked deliveries again (these ids, or all of a target); returns how "
            "many (admin)."
        )
    )
    async def retry_webhook_deliveries(
        self, info: Info, ids: list[strawberry.ID] | None = None, target: str | None = None
    ) -> int:
        info.context.require("admin")
        count = await segread.retry_deliveries(
            info.context.graph, ids=[str(i) for i in ids or []], target=target
        )
        _engine(info).drainer.wake()
        return count


@strawberry.type
class SegmentSubscription:
    @strawberry.subscription(
        description=(
            "Entries into and exits from segments (all, or these names), as soon as they "
            "commit, with the person's contact points and the event that caused them."
        )
    )
    async def segment_changes(
        self, info: Info, names: list[str] | None = None
    ) -> AsyncGenerator[SegmentChange, None]:
        info.context.require("read")
        change: Any
        async for change in _engine(info).feed.subscribe(names):
            yield SegmentChange.of(change)
