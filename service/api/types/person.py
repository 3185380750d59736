"""The resolved person and everything read from it: identifiers, records, journey."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry.scalars import JSON

from graphql import (
    FieldNode,
)
from service.api.context import Context
from service.api.lookup import (
    SEEN_WITH,
    SOURCES,
    Fragments,
    filter_identifiers,
    journey_request,
    selects,
)
from service.api.types.common import Channel, IdentifierType
from service.api.types.privacy import (
    Consent,
    ConsentChannel,
    ContactPoint,
    consents_for,
    contactable_for,
)
from service.read import models as readmodels

if TYPE_CHECKING:
    from service.api.types.corrections import ValueOverride
    from service.api.types.matches import PossibleMatch
    from service.api.types.segments import SegmentHistoryEntry, SegmentMembership

__all__ = [
    "ChannelSummary",
    "Event",
    "EventConnection",
    "EventEdge",
    "Explanation",
    "ExplanationStep",
    "PageInfo",
    "Person",
    "PersonIdentifier",
    "Record",
    "SeenWith",
    "Transition",
]

Info = strawberry.Info[Context, None]


@strawberry.type(description="A value of one type that points at this person.")
class PersonIdentifier:
    type: IdentifierType
    value: str = strawberry.field(description="Normalized value: what matching uses.")
    display: list[str] = strawberry.field(description="Raw forms seen, for display only.")
    linking: bool = strawberry.field(description="Whether it joins records into one person.")
    shared: bool
    shared_reason: str | None
    blocked: bool
    blocked_reason: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    sources: list[str]

    @classmethod
    def of(cls, view: readmodels.IdentifierView) -> PersonIdentifier:
        return cls(
            type=IdentifierType(view.type),
            value=view.value,
            display=list(view.display),
            linking=view.linking,
            shared=view.shared,
            shared_reason=view.shared_reason,
            blocked=view.blocked is not None,
            blocked_reason=view.blocked,
            first_seen=view.first_seen,
            last_seen=view.last_seen,
            sources=list(view.sources),
        )

    @strawberry.field(
        description="An operator's override of this value (who, why, when); null if none."
    )
    async def override(
        self, info: Info
    ) -> Annotated[ValueOverride, strawberry.lazy("service.api.types.corrections")] | None:
        from service.api.types.corrections import ValueOverride

        view = await info.context.loaders.overrides.load(f"{self.type.value}:{self.value}")
        return ValueOverride.of(view) if view is not None else None


@strawberry.type(description="What one source system knows about this person.")
class Record:
    source: str
    id: str
    attributes: JSON
    first_seen: datetime | None
    updated_at: datetime | None


@strawberry.type(description="An identifier an event was seen with.")
class SeenWith:
    type: IdentifierType
    value: str


@strawberry.type(description="One interaction on one channel.")
class Event:
    source: str
    id: str = strawberry.field(description="The event's id in its source system.")
    channel: Channel
    type: str
    at: datetime = strawberry.field(description="When it happened (not when it arrived).")
    attributes: JSON
    #: (type, value) pairs; SeenWith objects are built only when seenWith is selected.
    identifiers: strawberry.Private[tuple[tuple[str, str], ...]]

    @strawberry.field
    def seen_with(self) -> list[SeenWith]:
        return [SeenWith(type=IdentifierType(t), value=v) for t, v in self.identifiers]

    @classmethod
    def of(cls, view: readmodels.JourneyEvent) -> Event:
        return cls(
            source=view.source,
            id=view.source_id,
            channel=Channel(view.channel),
            type=view.type,
            at=view.at,
            attributes=cast(JSON, view.attributes),
            identifiers=view.identifiers,
        )


def _nodes(info: Info) -> tuple[Fragments, list[FieldNode]]:
    """The document's fragments and this field's nodes, from graphql-core's info
    (strawberry's info converts them all)."""
    return info._raw_info.fragments, info._raw_info.field_nodes


def _edge_cursor(root: EventEdge) -> str:
    return root.view.cursor


@strawberry.type
class EventEdge:
    #: The cursor (JSON, then base64: microseconds per event) is encoded only when
    #: selected; a counter screen reads the nodes alone.
    cursor: str = strawberry.field(resolver=_edge_cursor)
    node: Event
    view: strawberry.Private[readmodels.JourneyEvent]


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="A page of the journey, newest event first.")
class EventConnection:
    edges: list[EventEdge]
    page_info: PageInfo

    @classmethod
    def of(cls, page: readmodels.JourneyPage) -> EventConnection:
        return cls(
            edges=[EventEdge(view=e, node=Event.of(e)) for e in page.events],
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        )


@strawberry.type(description="Activity on one channel.")
class ChannelSummary:
    channel: Channel
    events: int
    first: datetime
    last: datetime


@strawberry.type(description="A hand-off: the next event happened on another channel.")
class Transition:
    from_channel: Channel = strawberry.field(name="from")
    to_channel: Channel = strawberry.field(name="to")
    left_at: datetime
    arrived_at: datetime
    seconds: float


@strawberry.type(description="One customer, resolved across every channel.")
class Person:
    id: strawberry.ID
    merged_from: list[strawberry.ID] = strawberry.field(
        description="Ids of persons merged into this one; lookups by them land here."
    )
    split_from: strawberry.ID | None = strawberry.field(
        description="The person this one was split from, if it was."
    )

    @classmethod
    def of(cls, view: readmodels.PersonView) -> Person:
        return cls(
            id=strawberry.ID(view.id),
            merged_from=[strawberry.ID(i) for i in view.merged_from],
            split_from=strawberry.ID(view.split_from) if view.split_from else None,
        )

    @strawberry.field
    async def identifiers(
        self,
        info: Info,
        types: list[IdentifierType] | None = None,
    ) -> list[PersonIdentifier]:
        loader = info.context.loaders.identifiers
        views = await loader.load(str(self.id))
        if views and not views[0].has_sources and selects(*_nodes(info), SOURCES):
            # primed by a person root that did not select sources; this selection does
            loader.clear(str(self.id))
            views = await loader.load(str(self.id))
        wanted = [t.value for t in types] if types is not None else None
        return [PersonIdentifier.of(v) for v in filter_identifiers(views, wanted)]

    @strawberry.field(
        description=(
            "Effective consent per purpose and channel (the latest by when it was given, "
            "over every identifier of the person), with provenance; every consent, oldest "
            "first, with `history: true`."
        )
    )
    async def consents(self, info: Info, history: bool = False) -> list[Consent]:
        return await consents_for(info, str(self.id), history)

    @strawberry.field(
        description=(
            "The contact points a purpose may use on a channel: each one whose latest "
            "consent (given through it, or for ALL channels) is a grant. None without consent."
        )
    )
    async def contactable(
        self, info: Info, purpose: str, channel: ConsentChannel
    ) -> list[ContactPoint]:
        return await contactable_for(info, str(self.id), purpose, channel)

    @strawberry.field
    async def records(self, info: Info) -> list[Record]:
        views = await info.context.loaders.records.load(str(self.id))
        return [
            Record(
                source=v.source,
                id=v.source_id,
                attributes=cast(JSON, v.attributes),
                first_seen=v.first_seen,
                updated_at=v.updated_at,
            )
            for v in views
        ]

    @strawberry.field(description="Events across every channel, newest first.")
    async def journey(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        channels: list[Channel] | None = None,
        types: list[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> EventConnection:
        request = journey_request(
            str(self.id),
            first=first,
            after=after,
            channels=[c.value for c in channels] if channels is not None else None,
            types=types,
            since=since,
            until=until,
            max_page_size=info.context.settings.max_page_size,
        )
        # Query.person may have primed this page (same request) in its own statement.
        page = await info.context.loaders.journeys.load(request)
        if page.events and not page.events[0].has_identifiers and selects(*_nodes(info), SEEN_WITH):
            # primed by a person root that did not select seenWith; this selection does
            info.context.loaders.journeys.clear(request)
            page = await info.context.loaders.journeys.load(request)
        return EventConnection.of(page)

    @strawberry.field
    async def channels(self, info: Info) -> list[ChannelSummary]:
        views = await info.context.loaders.channels.load(str(self.id))
        return [
            ChannelSummary(channel=Channel(v.channel), events=v.events, first=v.first, last=v.last)
            for v in views
        ]

    @strawberry.field(description="Time-ordered hand-offs between channels.")
    async def transitions(self, info: Info) -> list[Transition]:
        views = await readmodels.transitions(info.context.graph, str(self.id))
        return [
            Transition(
                from_channel=Channel(v.from_channel),
                to_channel=Channel(v.to_channel),
                left_at=v.left_at,
                arrived_at=v.arrived_at,
                seconds=v.seconds,
            )
            for v in views
        ]

    @strawberry.field(description="The segments the person is in now, with since.")
    async def segments(
        self, info: Info
    ) -> list[Annotated[SegmentMembership, strawberry.lazy("service.api.types.segments")]]:
        from service.api.types.segments import person_segments

        info.context.require("read")
        return await person_segments(info, str(self.id))

    @strawberry.field(description="Entries into and exits from segments, newest first.")
    async def segment_history(
        self, info: Info, first: int = 50
    ) -> list[Annotated[SegmentHistoryEntry, strawberry.lazy("service.api.types.segments")]]:
        from service.api.types.segments import person_segment_history

        info.context.require("read")
        return await person_segment_history(info, str(self.id), first)

    @strawberry.field(
        description=(
            "Persons that may be the same customer though no linking identifier joins "
            "them, best first, each with the field-by-field reasons of its score "
            "(steward). Never merged by themselves: acceptMatch or rejectMatch."
        )
    )
    async def possible_matches(
        self, info: Info, first: int = 10, min_score: float | None = None
    ) -> list[Annotated[PossibleMatch, strawberry.lazy("service.api.types.matches")]]:
        from service.api.types.matches import possible_matches_of

        return await possible_matches_of(info, str(self.id), first, min_score)

    @strawberry.field
    async def first_seen(self, info: Info) -> datetime | None:
        return (await info.context.loaders.activity.load(str(self.id)))[0]

    @strawberry.field
    async def last_seen(self, info: Info) -> datetime | None:
        return (await info.context.loaders.activity.load(str(self.id)))[1]


@strawberry.type(
    description="A node of the chain: an identifier, or the record/event that links two."
)
class ExplanationStep:
    identifier: SeenWith | None
    item_kind: str | None
    source: str | None
    source_id: str | None
    channel: Channel | None
    at: datetime | None


@strawberry.type(description="Why two identifiers are one person.")
class Explanation:
    person: Annotated[Person, strawberry.lazy("service.api.types.person")]
    steps: list[ExplanationStep]

    @classmethod
    def of(cls, view: readmodels.Explanation, person: readmodels.PersonView) -> Explanation:
        return cls(
            person=Person.of(person),
            steps=[
                ExplanationStep(
                    identifier=(
                        SeenWith(type=IdentifierType(s.identifier[0]), value=s.identifier[1])
                        if s.identifier
                        else None
                    ),
                    item_kind=s.item_kind,
                    source=s.source,
                    source_id=s.source_id,
                    channel=Channel(s.channel) if s.channel else None,
                    at=s.at,
                )
                for s in view.steps
            ],
        )
