"""The typed per-request context: the graph, settings, the caller's access, DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, partial
from typing import Any

from strawberry.dataloader import DataLoader

from service.api.auth import Access, authenticate
from service.errors import AmbiguousIdentifier
from service.privacy.consents import PersonConsents, consents_of
from service.privacy.ingest import PrivacyIngestor
from service.read import models as readmodels
from service.read.coalesce import Coalescer
from service.read.live import Broker
from service.segments.engine import SegmentEngine
from service.settings import Settings
from service.steward.corrections import OverrideView, overrides_of
from service.store.graph import Graph

__all__ = ["Context", "Loaders", "Pages"]

#: Person-page loads shared by concurrent requests.
Pages = Coalescer[readmodels.PageRequest, readmodels.PersonPage | AmbiguousIdentifier | None]


class Loaders:
    """One DataLoader per field fetched per person: one query per field, not per person.

    Each is made when first used: a lookup uses three of the seven, and a request
    builds its own set.
    """

    def __init__(self, graph: Graph, pages: Pages) -> None:
        self.graph = graph
        self._pages = pages

    @cached_property
    def persons(self) -> DataLoader[str, readmodels.PersonView | None]:
        return DataLoader(load_fn=partial(readmodels.persons_by_ids, self.graph))

    @cached_property
    def identifiers(self) -> DataLoader[str, list[readmodels.IdentifierView]]:
        return DataLoader(load_fn=partial(readmodels.identifiers, self.graph))

    @cached_property
    def records(self) -> DataLoader[str, list[readmodels.RecordView]]:
        return DataLoader(load_fn=partial(readmodels.records, self.graph))

    @cached_property
    def overrides(self) -> DataLoader[str, OverrideView | None]:
        """An operator's override of a value, by identifier key (Person.identifiers)."""
        return DataLoader(load_fn=partial(overrides_of, self.graph))

    @cached_property
    def channels(self) -> DataLoader[str, list[readmodels.ChannelSummary]]:
        return DataLoader(load_fn=partial(readmodels.channels, self.graph))

    @cached_property
    def activity(self) -> DataLoader[str, tuple[datetime | None, datetime | None]]:
        return DataLoader(load_fn=partial(readmodels.activity, self.graph))

    @cached_property
    def journeys(self) -> DataLoader[readmodels.JourneyRequest, readmodels.JourneyPage]:
        return DataLoader(load_fn=partial(readmodels.journeys, self.graph))

    @cached_property
    def consents(self) -> DataLoader[str, PersonConsents]:
        return DataLoader(load_fn=partial(consents_of, self.graph))

    @cached_property
    def pages(self) -> DataLoader[readmodels.PageRequest, readmodels.PersonPage | None]:
        """A person with their identifiers and first journey page in one statement:
        ``Query.person`` loads it, then primes ``identifiers`` and ``journeys``. An
        ambiguous identifier's ``AmbiguousIdentifier`` is raised by ``load``. Through
        the service's ``Coalescer``: concurrent requests share statements."""
        return DataLoader(load_fn=self._pages.load_many)


@dataclass
class Context:
    graph: Graph
    settings: Settings
    ingestor: PrivacyIngestor
    broker: Broker
    access: Access
    #: The service's person-page loads, shared by concurrent requests
    #: (service/read/coalesce.py).
    pages: Pages
    request: Any = None
    response: Any = None
    #: The segment engine (service/segments/engine.py); None where it does not run.
    segments: SegmentEngine | None = None
    #: Set by strawberry from the graphql-transport-ws connection_init payload.
    connection_params: dict[str, Any] | None = None
    _loaders: Loaders | None = field(default=None, repr=False)

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = Loaders(self.graph, self.pages)
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
