"""The typed per-request context: the graph, settings, the caller's access, DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from strawberry.dataloader import DataLoader

from service import readmodels
from service.api.auth import Access, authenticate
from service.errors import AmbiguousIdentifier
from service.graph import Graph
from service.ingest import Ingestor
from service.live import Broker
from service.settings import Settings

__all__ = ["Context", "Loaders"]


class Loaders:
    """One DataLoader per field fetched per person: one query per field, not per person.

    Each is made when first used: a lookup uses three of the seven, and a request
    builds its own set.
    """

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    @cached_property
    def persons(self) -> DataLoader[str, readmodels.PersonView | None]:
        async def persons(ids: list[str]) -> list[readmodels.PersonView | None]:
            return await readmodels.persons_by_ids(self.graph, ids)

        return DataLoader(load_fn=persons)

    @cached_property
    def identifiers(self) -> DataLoader[str, list[readmodels.IdentifierView]]:
        async def identifiers(ids: list[str]) -> list[list[readmodels.IdentifierView]]:
            return await readmodels.identifiers(self.graph, ids)

        return DataLoader(load_fn=identifiers)

    @cached_property
    def records(self) -> DataLoader[str, list[readmodels.RecordView]]:
        async def records(ids: list[str]) -> list[list[readmodels.RecordView]]:
            return await readmodels.records(self.graph, ids)

        return DataLoader(load_fn=records)

    @cached_property
    def channels(self) -> DataLoader[str, list[readmodels.ChannelSummary]]:
        async def channels(ids: list[str]) -> list[list[readmodels.ChannelSummary]]:
            return await readmodels.channels(self.graph, ids)

        return DataLoader(load_fn=channels)

    @cached_property
    def activity(self) -> DataLoader[str, tuple[datetime | None, datetime | None]]:
        async def activity(ids: list[str]) -> list[tuple[datetime | None, datetime | None]]:
            return await readmodels.activity(self.graph, ids)

        return DataLoader(load_fn=activity)

    @cached_property
    def journeys(self) -> DataLoader[readmodels.JourneyRequest, readmodels.JourneyPage]:
        async def journeys(
            requests: list[readmodels.JourneyRequest],
        ) -> list[readmodels.JourneyPage]:
            return await readmodels.journeys(self.graph, requests)

        return DataLoader(load_fn=journeys)

    @cached_property
    def pages(self) -> DataLoader[readmodels.PageRequest, readmodels.PersonPage | None]:
        """A person with their identifiers and first journey page in one statement:
        ``Query.person`` loads it, then primes ``identifiers`` and ``journeys``. An
        ambiguous identifier's ``AmbiguousIdentifier`` is raised by ``load``."""

        async def pages(
            requests: list[readmodels.PageRequest],
        ) -> list[readmodels.PersonPage | AmbiguousIdentifier | None]:
            return await readmodels.person_pages(self.graph, requests)

        return DataLoader(load_fn=pages)


@dataclass
class Context:
    graph: Graph
    settings: Settings
    ingestor: Ingestor
    broker: Broker
    access: Access
    request: Any = None
    response: Any = None
    #: Set by strawberry from the graphql-transport-ws connection_init payload.
    connection_params: dict[str, Any] | None = None
    _loaders: Loaders | None = field(default=None, repr=False)

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = Loaders(self.graph)
        return self._loaders

    def fresh_loaders(self) -> None:
        """Forget cached answers (a subscription delivers many events on one context)."""
        self._loaders = None

    def require(self, scope: str) -> None:
        access = self.access
        if not access.authenticated and self.connection_params:
            key = self.connection_params.get("apiKey") or self.connection_params.get(
                "Authorization", ""
            ).removeprefix("Bearer ")
            access = self.access = authenticate(key, self.settings.api_keys)
        access.require(scope)
