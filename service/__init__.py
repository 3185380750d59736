"""omnid: a customer identity graph for omnichannel retail.

The public face of the package; each name lives in the module that says what it does::

    settings = load_settings()
    async with Graph.connect(settings) as graph:
        report = await Ingestor(graph).ingest(items)          # write + resolve
        person = await find_person(graph, normalize("EMAIL", "ana@example.com"))
"""

from service.contract import CHANNELS, Item, parse_item
from service.errors import (
    AmbiguousIdentifier,
    Forbidden,
    GraphUnavailable,
    InvalidIdentifier,
    InvalidInput,
    LimitExceeded,
    NotFound,
    OmnidError,
    ResolutionConflict,
    Unauthenticated,
)
from service.graph import Graph
from service.identifiers import Identifier, IdentifierRules, normalize
from service.ingest import Ingestor, IngestReport, ItemResult
from service.readmodels import explain, find_person, persons_for_identifier
from service.resolution import ResolutionPolicy
from service.settings import Settings, load_settings

__all__ = [
    "CHANNELS",
    "AmbiguousIdentifier",
    "Forbidden",
    "Graph",
    "GraphUnavailable",
    "Identifier",
    "IdentifierRules",
    "IngestReport",
    "Ingestor",
    "InvalidIdentifier",
    "InvalidInput",
    "Item",
    "ItemResult",
    "LimitExceeded",
    "NotFound",
    "OmnidError",
    "ResolutionConflict",
    "ResolutionPolicy",
    "Settings",
    "Unauthenticated",
    "explain",
    "find_person",
    "load_settings",
    "normalize",
    "parse_item",
    "persons_for_identifier",
]
