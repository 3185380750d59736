"""The resolved person and everything read from it: identifiers, records, journey."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types.nodes import convert_arguments

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLResolveInfo,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
)
from service.api.context import Context
from service.api.types.common import Channel, IdentifierInput, IdentifierType, to_identifier
from service.api.types.privacy import (
    Consent,
    ConsentChannel,
    ContactPoint,
    consents_for,
    contactable_for,
)
from service.errors import InvalidInput, LimitExceeded
from service.identity.identifiers import IdentifierRules
from service.read import models as readmodels

__all__ = [
    "SEEN_WITH",
    "SOURCES",
    "ChannelSummary",
    "Event",
    "EventConnection",
    "EventEdge",
    "Explanation",
    "ExplanationStep",
    "Fragments",
    "PageInfo",
    "Person",
    "PersonIdentifier",
    "Record",
    "SeenWith",
    "Transition",
    "page_request",
    "planned_journey",
    "prefetch_plan",
    "selects",
    "subfields",
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
        wanted = {t.value for t in types} if types is not None else None
        return [PersonIdentifier.of(v) for v in views if wanted is None or v.type in wanted]

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
        limit = info.context.settings.max_page_size
        if not 1 <= first <= limit:
            raise LimitExceeded(f"must be between 1 and {limit}", field="first")
        request = readmodels.JourneyRequest(
            person=str(self.id),
            first=first,
            after=after,
            channels=tuple(c.value for c in channels) if channels is not None else None,
            types=tuple(types) if types is not None else None,
            since=since,
            until=until,
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

    @strawberry.field
    async def first_seen(self, info: Info) -> datetime | None:
        return (await info.context.loaders.activity.load(str(self.id)))[0]

    @strawberry.field
    async def last_seen(self, info: Info) -> datetime | None:
        return (await info.context.loaders.activity.load(str(self.id)))[1]


def prefetch_plan(info: GraphQLResolveInfo[Any], max_page_size: int) -> readmodels.PageRequest:
    """What ``Query.person`` can fetch with the person, from the fields selected on it.

    A ``PageRequest`` without its key or id: whether ``identifiers`` is selected, and
    the ``journey`` page selected (its ``person`` left empty), built exactly as
    ``Person.journey`` builds it so that the primed DataLoader entry is the one the
    field asks for. An argument this cannot read the way strawberry will (a DateTime
    literal, a bad cursor or page size) gives no page: then the field loads its page
    itself, and reports its own error if any. Only the first ``journey`` selection is
    planned; other aliases go through the loader. Identifiers' ``sources`` and events'
    ``seenWith`` are read only when some selection asks for them (the fields reload
    what they need when another part of the document, say a second person root,
    asks for more than was read).

    ``info`` is graphql-core's: only the person's own selections are read, through
    fragments, and only ``journey``'s arguments converted (``info.selected_fields``
    converted the whole tree below, every event field included, on each lookup).
    """
    fields = list(subfields(info.fragments, info.field_nodes))
    identifiers = [f for f in fields if f.name.value == "identifiers"]
    journeys = [f for f in fields if f.name.value == "journey"]
    journey = None
    if journeys:
        arguments = convert_arguments(info, journeys[0].arguments)
        journey = planned_journey(arguments, max_page_size)
    return readmodels.PageRequest(
        identifiers=bool(identifiers),
        journey=journey,
        sources=selects(info.fragments, identifiers, SOURCES),
        seen_with=selects(info.fragments, journeys, SEEN_WITH),
    )


#: Paths below ``identifiers`` and ``journey`` that cost Neo4j extra reads.
SOURCES = ("sources",)
SEEN_WITH = ("edges", "node", "seenWith")

#: A document's fragment definitions by name.
Fragments = Mapping[str, FragmentDefinitionNode]


def subfields(
    fragments: Fragments, parents: Sequence[FieldNode | OperationDefinitionNode]
) -> Iterator[FieldNode]:
    """The fields selected on ``parents``, through inline fragments and fragment spreads."""
    pending: list[SelectionNode] = []
    for parent in parents:
        if parent.selection_set is not None:
            pending.extend(parent.selection_set.selections)
    while pending:
        node = pending.pop(0)
        if isinstance(node, FieldNode):
            yield node
        elif isinstance(node, InlineFragmentNode):
            pending[:0] = node.selection_set.selections
        elif isinstance(node, FragmentSpreadNode):
            fragment = fragments.get(node.name.value)
            if fragment is not None:
                pending[:0] = fragment.selection_set.selections


def selects(fragments: Fragments, fields: Sequence[FieldNode], path: Sequence[str]) -> bool:
    """Whether any of ``fields`` selects ``path`` below it (aliases and fragments too)."""
    level = list(fields)
    for name in path:
        level = [f for f in subfields(fragments, level) if f.name.value == name]
        if not level:
            return False
    return True


def planned_journey(
    arguments: dict[str, Any], max_page_size: int
) -> readmodels.JourneyRequest | None:
    """The page ``Person.journey`` reads for these arguments, or None when the field
    would refuse them (it then reports the error itself)."""
    # Literals may arrive as the document spells them (strings), variables coerced.
    try:
        first = int(arguments.get("first", 20))
        after = arguments.get("after")
        since, until = arguments.get("since"), arguments.get("until")
        if not 1 <= first <= max_page_size:
            return None
        if not (isinstance(after, str | None) and isinstance(since, datetime | None)):
            return None
        if not isinstance(until, datetime | None):
            return None
        if after is not None:
            readmodels.decode_cursor(after)
        return readmodels.JourneyRequest(
            person="",
            first=first,
            after=after,
            channels=_strings(arguments.get("channels")),
            types=_strings(arguments.get("types")),
            since=since,
            until=until,
        )
    except (TypeError, ValueError, InvalidInput):
        return None


def page_request(
    plan: readmodels.PageRequest,
    identifier: IdentifierInput | None,
    id: str | None,
    rules: IdentifierRules,
) -> readmodels.PageRequest:
    """``plan`` for the person ``Query.person(identifier:|id:)`` asks for: by the
    identifier's key (normalized first) or by id. Raises the typed error of a bad
    identifier or of neither/both given."""
    if (identifier is None) == (id is None):
        raise InvalidInput("give exactly one of `identifier` or `id`", field="person")
    if id is not None:
        return dataclasses.replace(plan, id=str(id))
    assert identifier is not None
    return dataclasses.replace(plan, key=to_identifier(identifier, rules).key)


def _strings(value: object) -> tuple[str, ...] | None:
    """A list argument as the resolver sees it: enum values by value, one value as a list."""
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    return tuple(str(getattr(v, "value", v)) for v in items)


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
