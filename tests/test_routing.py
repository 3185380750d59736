"""Through a routing URI (``neo4j://``), as against a cluster: reads go out in read
transactions (routed to readers), writes in write transactions (to the leader), and a
write is visible to the next read of the same driver (its bookmarks)."""

from __future__ import annotations

from urllib.parse import urlparse

import neo4j
import pytest

from service.identity.identifiers import normalize
from service.identity.ingest import Ingestor
from service.read.models import find_person
from service.settings import Settings
from service.store.graph import Graph
from tests.statements import STATEMENTS
from tests.test_resolution_properties import record


@pytest.fixture
async def routed(graph: Graph, settings: Settings) -> Graph:
    uri = urlparse(settings.neo4j_uri)
    if uri.scheme not in ("bolt", "neo4j"):
        pytest.fail(f"the test server's URI is {uri.scheme}://, not bolt:// or neo4j://")
    routing = settings.model_copy(update={"neo4j_uri": f"neo4j://{uri.netloc}"})
    return Graph.connect(routing, STATEMENTS)


async def test_reads_and_writes_go_through_a_routing_driver(routed: Graph) -> None:
    try:
        modes: list[str] = []
        original = routed.driver.session

        def session(**config: object) -> neo4j.AsyncSession:
            modes.append(str(config.get("default_access_mode", "WRITE")))
            return original(**config)  # type: ignore[arg-type]

        routed.driver.session = session  # type: ignore[method-assign]
        report = await Ingestor(routed).ingest(
            [record("eshop", "r1", [("EMAIL", "ana@example.org"), ("PHONE", "+34 600 111 222")])]
        )
        assert report.created == 1 and modes and set(modes) == {"WRITE"}
        modes.clear()
        person = await find_person(routed, normalize("PHONE", "+34 600 111 222"))
        assert person is not None
        assert modes and set(modes) == {"READ"}  # a lookup never asks for the writer
    finally:
        await routed.close()
