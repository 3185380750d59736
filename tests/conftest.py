"""Fixtures: a real Neo4j for the whole session, an empty graph for every test.

Which Neo4j, in this order:
1. ``NEO4J_URI`` is set: that server (with ``NEO4J_USER``/``NEO4J_PASSWORD``).
2. A Docker engine answers: a ``neo4j:5.26-community`` container via testcontainers.
3. Otherwise: the project's own local server (``devtools.neo4j_local``), in a test home
   of its own (``.neo4j/test``, Bolt 7688, HTTP 7475, or ``OMNID_TEST_HOME``,
   ``OMNID_TEST_BOLT_PORT`` and ``OMNID_TEST_HTTP_PORT``) so the demo database of
   ``scripts/run`` is never wiped. Started once per session, stopped at the end if the
   session started it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from service.settings import Settings, load_settings
from service.store.graph import Graph
from service.store.schema import apply_schema
from tests.statements import STATEMENTS

ROOT = Path(__file__).resolve().parent.parent
# Overridable, so a second checkout (or a second suite in this one) can run beside it.
TEST_HOME = Path(os.environ.get("OMNID_TEST_HOME", ROOT / ".neo4j" / "test"))
TEST_BOLT_PORT = os.environ.get("OMNID_TEST_BOLT_PORT", "7688")
TEST_HTTP_PORT = os.environ.get("OMNID_TEST_HTTP_PORT", "7475")
TEST_PASSWORD = "omnid-test-password"


def _docker_engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        done = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and bool(done.stdout.strip())


@pytest.fixture(scope="session")
def settings() -> Iterator[Settings]:
    base = {k: v for k, v in os.environ.items() if k.startswith(("NEO4J_", "OMNID_"))}
    # Services the tests start live beside tests that write and wipe the graph: a
    # review catch-up would review (write to) other tests' persons. The test of the
    # catch-up starts a reviewer of its own.
    base = {"OMNID_REVIEW_CATCH_UP": "0", **base}
    if os.environ.get("NEO4J_URI"):
        yield load_settings(base)
        return
    if _docker_engine_answers():
        from testcontainers.neo4j import Neo4jContainer

        with Neo4jContainer("neo4j:5.26-community", password=TEST_PASSWORD) as container:
            uri = container.get_connection_url()
            yield load_settings({**base, "NEO4J_URI": uri, "NEO4J_PASSWORD": TEST_PASSWORD})
        return

    from devtools import neo4j_local

    local = load_settings(
        {
            **base,
            "NEO4J_URI": f"bolt://127.0.0.1:{TEST_BOLT_PORT}",
            "NEO4J_PASSWORD": TEST_PASSWORD,
            "OMNID_NEO4J_HOME": str(TEST_HOME),
            "OMNID_NEO4J_BOLT_PORT": TEST_BOLT_PORT,
            "OMNID_NEO4J_HTTP_PORT": TEST_HTTP_PORT,
            "OMNID_NEO4J_HEAP": os.environ.get("OMNID_NEO4J_HEAP", "1g"),
            "OMNID_NEO4J_PAGECACHE": os.environ.get("OMNID_NEO4J_PAGECACHE", "512m"),
        }
    )
    was_running = neo4j_local.status(local).running
    neo4j_local.start(local)
    try:
        yield local
    finally:
        if not was_running:
            neo4j_local.stop(local)


@pytest.fixture(scope="session")
async def session_graph(settings: Settings) -> AsyncIterator[Graph]:
    graph = Graph.connect(settings, STATEMENTS)
    await graph.ping()
    await apply_schema(graph)
    yield graph
    await graph.close()


async def clear_graph(graph: Graph) -> None:
    await graph.wipe()


@pytest.fixture
async def graph(session_graph: Graph) -> AsyncIterator[Graph]:
    """The session's graph, emptied before the test."""
    await clear_graph(session_graph)
    session_graph.queries = 0
    yield session_graph
