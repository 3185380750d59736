"""omnid: a customer identity graph for omnichannel retail.

The public face of the package; each name lives in the module that says what it does::

    settings = load_settings()
    async with Graph.connect(settings) as graph:
        report = await Ingestor(graph).ingest(items)          # write + resolve
        person = await find_person(graph, normalize("EMAIL", "ana@example.com"))

The package in layers; a module imports only from its own layer and those below it,
never from a layer above (``tests/test_layers.py`` checks it)::

    cli/                the ``omnid`` command (it serves the API)
    api/                GraphQL over HTTP
    privacy/            consent, erasure with suppression, subject access export
    read/ segments/     read models: persons, journeys, explain, stats, live events;
    steward/            segments: rules, live membership, outbox and webhooks;
                        steward: corrections, review lists, possible matches
    load/               the initial load (identity's rules over a whole input, offline,
                        written with neo4j-admin)
    identity/           what comes in: the input contract, identifiers and their
                        normalization, ingest and write-time resolution
    store/              Neo4j: named Cypher statements, the graph and its retries, schema
    errors, settings,   the foundation every layer uses
    gc_tuning

The development tools (demo data, a local Neo4j server, the quality metric) live beside
this package in ``devtools/``, which imports ``service`` and is never imported by it.
"""

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
    Suppressed,
    Unauthenticated,
)
from service.identity.contract import CHANNELS, Item, parse_item
from service.identity.identifiers import Identifier, IdentifierRules, normalize
from service.identity.ingest import Ingestor, IngestReport, ItemResult
from service.identity.resolution import ResolutionPolicy
from service.read.models import explain, find_person, persons_for_identifier
from service.settings import Settings, load_settings
from service.store.graph import Graph

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
    "Suppressed",
    "Unauthenticated",
    "explain",
    "find_person",
    "load_settings",
    "normalize",
    "parse_item",
    "persons_for_identifier",
]
