"""Through a routing URI (``neo4j://``), as against a cluster: reads go out in read
transactions (routed to readers), writes in write transactions (to the leader), and a
write is visible to the next read of the same driver (its bookmarks)."""

from __future__ import annotations

from urllib.parse import urlparse

import neo4j
import pytest

from service.errors import InvalidInput
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


# ------------------------------------------- causal consistency across service instances
#
# What one Community server can prove: writes go out in write sessions and reads in read
# sessions through a routing driver; every session carries the process's bookmark
# manager; a bookmark from one instance (its own driver, as another process would have)
# is accepted by the server for another instance's reads, which then see the write;
# a bookmark the server does not know is refused before it can poison later sessions.
# What only a cluster shows: a follower that lags actually waiting for the bookmark.


def _instance(settings: Settings) -> Graph:
    """A second service instance: its own driver, through the routing URI."""
    uri = urlparse(settings.neo4j_uri)
    routing = settings.model_copy(update={"neo4j_uri": f"neo4j://{uri.netloc}"})
    return Graph.connect(routing, STATEMENTS)


async def test_a_write_through_one_instance_is_read_through_another(
    graph: Graph, settings: Settings
) -> None:
    writer, reader = _instance(settings), _instance(settings)
    try:
        sessions: list[dict[str, object]] = []
        original = reader.driver.session

        def session(**config: object) -> neo4j.AsyncSession:
            sessions.append(config)
            return original(**config)  # type: ignore[arg-type]

        reader.driver.session = session  # type: ignore[method-assign]
        assert await writer.bookmarks() == []  # nothing written yet by this instance
        await Ingestor(writer).ingest([record("crm", "b1", [("EMAIL", "bea@example.org")])])
        token = await writer.bookmarks()
        assert token  # the write's bookmark
        await reader.after(token)
        # The server was asked to wait for the bookmark, then the reader's manager has it.
        assert sessions[0]["bookmarks"].raw_values == set(token)  # type: ignore[attr-defined]
        assert set(token) <= set(await reader.bookmarks())
        person = await find_person(reader, normalize("EMAIL", "bea@example.org"))
        assert person is not None
        assert all(s.get("bookmark_manager") is reader.bookmark_manager for s in sessions[1:])
        # A later write through the reader supersedes the writer's bookmark.
        await Ingestor(reader).ingest([record("crm", "b2", [("EMAIL", "bea@example.org")])])
        assert set(await reader.bookmarks()) != set(token)
    finally:
        await writer.close()
        await reader.close()


async def test_a_bookmark_the_database_does_not_know_is_refused(
    graph: Graph, settings: Settings
) -> None:
    instance = _instance(settings)
    try:
        before = await instance.bookmarks()
        with pytest.raises(InvalidInput) as refused:
            await instance.after(["not-a-bookmark"])
        assert refused.value.details.get("field") == "bookmark"
        assert await instance.bookmarks() == before  # the manager never saw it
        await find_person(instance, normalize("EMAIL", "nobody@example.org"))  # still reads
    finally:
        await instance.close()
