"""One person as a screen shows them, composed from the read models: who the identifier
points at, their identifiers, records, and the latest events of each channel. An
identifier attached to several persons (a household address, a shop's phone) gives the
candidates instead. ``omnid resolve`` renders it; any other shell can.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from service.errors import NotFound
from service.identity.identifiers import Identifier
from service.read import models as readmodels
from service.store.graph import Graph

__all__ = ["Candidate", "Candidates", "ChannelActivity", "Profile", "profile"]


@dataclass(frozen=True, slots=True)
class ChannelActivity:
    """A channel's totals and its latest events, newest first."""

    summary: readmodels.ChannelSummary
    latest: Sequence[readmodels.JourneyEvent]


@dataclass(frozen=True, slots=True)
class Profile:
    """The one person an identifier points at."""

    query: Identifier
    person: readmodels.PersonView
    identifiers: Sequence[readmodels.IdentifierView]
    records: Sequence[readmodels.RecordView]
    channels: Sequence[ChannelActivity]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One of several persons an identifier is attached to, in brief."""

    person: readmodels.PersonView
    records: int
    sources: Sequence[str]
    events: int
    #: Keys of the person's linking identifiers: what tells the candidates apart.
    identifiers: Sequence[str]


@dataclass(frozen=True, slots=True)
class Candidates:
    """Every person an identifier that does not link on its own is attached to."""

    query: Identifier
    persons: Sequence[Candidate]


async def profile(
    graph: Graph, identifier: Identifier, *, events_per_channel: int = 10
) -> Profile | Candidates:
    """The person ``identifier`` points at, or the candidates; ``NotFound`` if none."""
    persons = await readmodels.persons_for_identifier(graph, identifier)
    if not persons:
        raise NotFound(
            f"no person is known by this {identifier.type} identifier", type=identifier.type
        )
    ids = [p.id for p in persons]
    identifiers = await readmodels.identifiers(graph, ids)
    records = await readmodels.records(graph, ids)
    channels = await readmodels.channels(graph, ids)
    if len(persons) > 1:
        return Candidates(
            identifier,
            [
                Candidate(
                    person=person,
                    records=len(recs),
                    sources=sorted({r.source for r in recs}),
                    events=sum(c.events for c in chans),
                    identifiers=[i.key for i in idents if i.linking],
                )
                for person, idents, recs, chans in zip(
                    persons, identifiers, records, channels, strict=True
                )
            ],
        )
    person = persons[0]
    requests = [
        readmodels.JourneyRequest(person.id, first=events_per_channel, channels=(c.channel,))
        for c in channels[0]
    ]
    pages = await readmodels.journeys(graph, requests) if requests else []
    return Profile(
        query=identifier,
        person=person,
        identifiers=identifiers[0],
        records=records[0],
        channels=[
            ChannelActivity(summary, page.events)
            for summary, page in zip(channels[0], pages, strict=True)
        ],
    )
