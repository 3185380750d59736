"""Read models: the resolved person, their identifiers, records, journey and channels.

Every function takes many person ids at once and answers in the same order, so the
GraphQL DataLoaders and the CLI call the same code, one query per field and page,
never one per person. Times are ISO strings from Neo4j, parsed here: hydrating driver
temporal values costs far more (see ../shared/NEO4J.md).
"""

from __future__ import annotations

import base64
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from service.errors import AmbiguousIdentifier, InvalidInput
from service.identity.identifiers import Identifier
from service.store.graph import Graph

__all__ = [
    "ChannelSummary",
    "Explanation",
    "ExplanationStep",
    "IdentifierView",
    "JourneyEvent",
    "JourneyPage",
    "JourneyRequest",
    "PageRequest",
    "PersonPage",
    "PersonView",
    "RecordView",
    "Transition",
    "activity",
    "channels",
    "decode_cursor",
    "encode_cursor",
    "explain",
    "find_person",
    "identifiers",
    "journeys",
    "parse_time",
    "person_pages",
    "persons_by_ids",
    "persons_for_identifier",
    "records",
    "transitions",
]

AMBIGUITY_LIMIT = 100


@dataclass(frozen=True, slots=True)
class PersonView:
    id: str
    merged_from: tuple[str, ...] = ()
    split_from: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class IdentifierView:
    key: str
    type: str
    value: str
    display: tuple[str, ...]
    linking: bool
    shared: bool
    shared_reason: str | None
    blocked: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    sources: tuple[str, ...]
    #: False: read without its sources (``PageRequest.sources``), which are then empty.
    has_sources: bool = True


@dataclass(frozen=True, slots=True)
class RecordView:
    key: str
    source: str
    source_id: str
    attributes: dict[str, Any]
    first_seen: datetime | None
    updated_at: datetime | None
    identifiers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class JourneyEvent:
    key: str
    source: str
    source_id: str
    channel: str
    type: str
    at: datetime
    attributes: dict[str, Any]
    identifiers: tuple[tuple[str, str], ...]  # (type, normalized value)
    #: False: read without its identifiers (``PageRequest.seen_with``), then empty.
    has_identifiers: bool = True

    @property
    def cursor(self) -> str:
        return encode_cursor(self.at, self.key)


@dataclass(frozen=True, slots=True)
class JourneyRequest:
    """One page of one person's journey; hashable, so it can key a DataLoader."""

    person: str
    first: int = 20
    after: str | None = None
    channels: tuple[str, ...] | None = None
    types: tuple[str, ...] | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class JourneyPage:
    events: list[JourneyEvent]
    has_next_page: bool

    @property
    def end_cursor(self) -> str | None:
        return self.events[-1].cursor if self.events else None


@dataclass(frozen=True, slots=True)
class PageRequest:
    """One person (by identifier ``key`` or by ``id``) with what a screen shows first.

    ``identifiers``: read their identifiers too; ``journey``: read this page of their
    journey too (its ``person`` is ignored: the person is not known yet). Hashable, so
    it can key a DataLoader. ``sources``/``seen_with`` False: leave out each identifier's
    sources / each event's identifiers, which cost Neo4j more than the rest of the
    statement; the views then say so (``has_sources``, ``has_identifiers``).
    """

    key: str | None = None
    id: str | None = None
    identifiers: bool = False
    journey: JourneyRequest | None = None
    sources: bool = True
    seen_with: bool = True


@dataclass(frozen=True, slots=True)
class PersonPage:
    """A person with what its ``PageRequest`` asked for (None where it did not ask)."""

    person: PersonView
    identifiers: list[IdentifierView] | None
    journey: JourneyPage | None


@dataclass(frozen=True, slots=True)
class ChannelSummary:
    channel: str
    events: int
    first: datetime
    last: datetime


@dataclass(frozen=True, slots=True)
class Transition:
    """A hand-off: the customer's next event happened on another channel."""

    from_channel: str
    to_channel: str
    left_at: datetime
    arrived_at: datetime

    @property
    def seconds(self) -> float:
        return (self.arrived_at - self.left_at).total_seconds()


@dataclass(frozen=True, slots=True)
class ExplanationStep:
    """One node of the chain: an identifier, or the record/event that links its neighbours."""

    identifier: tuple[str, str] | None = None  # (type, value)
    item_kind: str | None = None
    source: str | None = None
    source_id: str | None = None
    channel: str | None = None
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Explanation:
    person: str
    steps: list[ExplanationStep] = field(default_factory=list)


_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_time(value: str | None) -> datetime | None:
    """A Neo4j ``toString(datetime)`` as a Python datetime (nanoseconds cut to micro).

    Python 3.11's ``fromisoformat`` reads Neo4j's form as it is (``Z``, up to nine
    fraction digits, truncated like the fallback does) ten times faster than a regex
    pass first; the fallback stays for anything it refuses.
    """
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return datetime.fromisoformat(_FRACTION.sub(r"\1", value))


def _parse_required(value: str) -> datetime:
    parsed = parse_time(value)
    assert parsed is not None
    return parsed


def encode_cursor(at: datetime, key: str) -> str:
    raw = json.dumps([at.isoformat(), key]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, key = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromisoformat(at), str(key)
    except (ValueError, TypeError, json.JSONDecodeError):
        raise InvalidInput("is not a cursor this API returned", field="after") from None


def _person(row: dict[str, Any]) -> PersonView:
    return PersonView(
        id=row["id"],
        merged_from=tuple(row["mergedFrom"] or ()),
        split_from=row["splitFrom"],
        created_at=parse_time(row["createdAt"]),
    )


async def persons_for_identifier(graph: Graph, identifier: Identifier) -> list[PersonView]:
    """Every person an identifier points at (one, unless it does not link)."""
    rows = await graph.query("persons-by-identifier", key=identifier.key, limit=AMBIGUITY_LIMIT)
    return [_person(r) for r in rows]


async def find_person(graph: Graph, identifier: Identifier) -> PersonView | None:
    """The one person of an identifier, None if unknown, ``AmbiguousIdentifier`` if several."""
    found = await persons_for_identifier(graph, identifier)
    if len(found) > 1:
        raise _ambiguous(identifier.type, len(found))
    return found[0] if found else None


def _ambiguous(type_: str, persons: int) -> AmbiguousIdentifier:
    return AmbiguousIdentifier(
        f"{type_} identifier is attached to {persons} persons; "
        "query persons(identifier:) to list them",
        type=type_,
        persons=persons,
    )


async def persons_by_ids(graph: Graph, ids: Sequence[str]) -> list[PersonView | None]:
    """Persons by id, following merge aliases; None where no person answers."""
    rows = await graph.query("persons-by-ids", ids=list(ids))
    by_id = {r["requested"]: _person(r) for r in rows}
    return [by_id.get(i) for i in ids]


def _identifier(r: dict[str, Any]) -> IdentifierView:
    return IdentifierView(
        key=r["key"],
        type=r["type"],
        value=r["value"],
        display=tuple(r["display"] or ()),
        linking=bool(r["linking"]),
        shared=bool(r["shared"]),
        shared_reason=r["sharedReason"],
        blocked=r["blocked"],
        first_seen=parse_time(r["firstSeen"]),
        last_seen=parse_time(r["lastSeen"]),
        sources=tuple(sorted(r["sources"])) if r["sources"] is not None else (),
        has_sources=r["sources"] is not None,
    )


async def identifiers(graph: Graph, ids: Sequence[str]) -> list[list[IdentifierView]]:
    rows = await graph.query("identifiers-of-persons", ids=list(dict.fromkeys(ids)))
    out: dict[str, list[IdentifierView]] = defaultdict(list)
    for r in rows:
        out[r["person"]].append(_identifier(r))
    return [out.get(i, []) for i in ids]


async def records(graph: Graph, ids: Sequence[str]) -> list[list[RecordView]]:
    rows = await graph.query("records-of-persons", ids=list(dict.fromkeys(ids)))
    out: dict[str, list[RecordView]] = defaultdict(list)
    for r in rows:
        out[r["person"]].append(
            RecordView(
                key=r["key"],
                source=r["source"],
                source_id=r["sourceId"],
                attributes=json.loads(r["attributes"] or "{}"),
                first_seen=parse_time(r["firstSeen"]),
                updated_at=parse_time(r["updatedAt"]),
                identifiers=tuple(r["identifiers"]),
            )
        )
    return [out.get(i, []) for i in ids]


async def channels(graph: Graph, ids: Sequence[str]) -> list[list[ChannelSummary]]:
    rows = await graph.query("channels-of-persons", ids=list(dict.fromkeys(ids)))
    out: dict[str, list[ChannelSummary]] = defaultdict(list)
    for r in rows:
        first, last = _parse_required(r["first"]), _parse_required(r["last"])
        out[r["person"]].append(ChannelSummary(r["channel"], int(r["events"]), first, last))
    return [out.get(i, []) for i in ids]


async def activity(
    graph: Graph, ids: Sequence[str]
) -> list[tuple[datetime | None, datetime | None]]:
    """(first seen, last seen) per person."""
    rows = await graph.query("activity-of-persons", ids=list(dict.fromkeys(ids)))
    out = {r["person"]: (parse_time(r["first"]), parse_time(r["last"])) for r in rows}
    return [out.get(i, (None, None)) for i in ids]


def _journey_params(req: JourneyRequest) -> dict[str, Any]:
    """The parameters of one page, as ``journeys`` and ``person-pages`` take them."""
    after_at, after_key = decode_cursor(req.after) if req.after else (None, None)
    return {
        "person": req.person,
        "limit": req.first + 1,  # one more tells whether a next page exists
        "channels": list(req.channels) if req.channels is not None else None,
        "types": list(req.types) if req.types is not None else None,
        "since": req.since,
        "until": req.until,
        "afterAt": after_at,
        "afterKey": after_key,
    }


def _journey_page(req: JourneyRequest, rows: list[dict[str, Any]]) -> JourneyPage:
    events = [
        JourneyEvent(
            key=r["key"],
            source=r["source"],
            source_id=r["sourceId"],
            channel=r["channel"],
            type=r["type"],
            at=_parse_required(r["at"]),
            attributes=json.loads(r["attributes"] or "{}"),
            identifiers=tuple((i["type"], i["value"]) for i in r["identifiers"] or ()),
            has_identifiers=r["identifiers"] is not None,
        )
        for r in rows[: req.first]
    ]
    return JourneyPage(events, len(rows) > req.first)


async def journeys(graph: Graph, requests: Sequence[JourneyRequest]) -> list[JourneyPage]:
    """One page per request, newest first, all in one query."""
    params = [{"index": i, **_journey_params(req)} for i, req in enumerate(requests)]
    rows = await graph.query("journeys", requests=params)
    pages: list[list[dict[str, Any]]] = [[] for _ in requests]
    for row in rows:
        pages[row["index"]] = row["events"]
    return [_journey_page(req, events) for req, events in zip(requests, pages, strict=True)]


async def person_pages(
    graph: Graph, requests: Sequence[PageRequest]
) -> list[PersonPage | AmbiguousIdentifier | None]:
    """Persons with their identifiers and a journey page, all in one query.

    The same answers as ``find_person``/``persons_by_ids``, ``identifiers`` and
    ``journeys`` called in turn, for a third of the round trips: per statement the
    driver costs milliseconds of CPU whatever it returns. A request whose identifier
    points at several persons answers ``AmbiguousIdentifier`` (returned, not raised,
    so the other requests of the batch still get their answer); None: no person.
    """
    params = [
        {
            "index": index,
            "key": req.key,
            "id": req.id,
            "identifiers": req.identifiers,
            "journey": _journey_params(req.journey) if req.journey is not None else None,
            "sources": req.sources,
            "seenWith": req.seen_with,
        }
        for index, req in enumerate(requests)
    ]
    rows = await graph.query("person-pages", requests=params, limit=AMBIGUITY_LIMIT) or []
    out: list[PersonPage | AmbiguousIdentifier | None] = [None] * len(requests)
    for row in rows:
        index = row["index"]
        req = requests[index]
        found = row["persons"]
        if len(found) > 1:
            # keys are "TYPE:value"; only the type goes into the message
            out[index] = _ambiguous((req.key or "").partition(":")[0], len(found))
            continue
        out[index] = PersonPage(
            person=_person(found[0]),
            identifiers=[_identifier(r) for r in row["identifiers"]] if req.identifiers else None,
            journey=_journey_page(req.journey, row["events"]) if req.journey else None,
        )
    return out


async def transitions(graph: Graph, person: str) -> list[Transition]:
    """Time-ordered hand-offs between channels (WEB -> STORE), with the time between."""
    rows = await graph.query("channel-sequence", person=person)
    out: list[Transition] = []
    previous: tuple[str, datetime] | None = None
    for r in rows:
        at = _parse_required(r["at"])
        if previous is not None and previous[0] != r["channel"]:
            out.append(Transition(previous[0], r["channel"], previous[1], at))
        previous = (r["channel"], at)
    return out


async def explain(graph: Graph, a: Identifier, b: Identifier) -> Explanation | None:
    """The shortest chain linking two identifiers, or None if they are not one person."""
    row = await graph.query("explain", a=a.key, b=b.key)
    if row is None:
        return None
    steps = []
    for node in row["chain"]:
        if node["identifier"]:
            steps.append(ExplanationStep(identifier=(node["type"], node["value"])))
        else:
            steps.append(
                ExplanationStep(
                    item_kind=node["kind"],
                    source=node["source"],
                    source_id=node["sourceId"],
                    channel=node["channel"],
                    at=parse_time(node["at"]),
                )
            )
    return Explanation(person=row["person"], steps=steps)
