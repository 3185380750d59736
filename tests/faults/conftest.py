"""A Neo4j server of the fault tests' own, which they stop, kill and restart.

The session's server (tests/conftest.py) is shared by every other test and must stay up,
so these tests start a second local server (``devtools.neo4j_local``) in a home of its
own (``<test home>/../faults``) on ports of its own (``OMNID_FAULTS_BOLT_PORT``, default
7861, ``OMNID_FAULTS_HTTP_PORT``, default 7862). It is started once for the session and
always stopped at the end, whatever the tests did to it.
"""

from __future__ import annotations

import hashlib
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from devtools import neo4j_local
from service.settings import Settings
from service.store.graph import Graph
from service.store.schema import apply_schema
from tests.conftest import TEST_HOME, TEST_PASSWORD
from tests.partition import Partition, snapshot
from tests.statements import STATEMENTS

FAULTS_HOME = TEST_HOME.parent / "faults"
FAULTS_BOLT_PORT = os.environ.get("OMNID_FAULTS_BOLT_PORT", "7861")
FAULTS_HTTP_PORT = os.environ.get("OMNID_FAULTS_HTTP_PORT", "7862")
#: Faults tests' long variants (bigger files, more kill points): OMNID_FAULTS_LONG=1.
LONG = os.environ.get("OMNID_FAULTS_LONG", "") not in ("", "0", "false")


@dataclass
class FaultServer:
    """The fault tests' Neo4j: start, stop (SIGTERM, clean) or kill (SIGKILL)."""

    settings: Settings

    def start(self) -> None:
        neo4j_local.start(self.settings, log=lambda _: None)

    def stop(self) -> None:
        neo4j_local.stop(self.settings)

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM killer would: no checkpoint, no clean shutdown."""
        pid = neo4j_local.status(self.settings).pid
        assert pid is not None, "the fault server is not running"
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while neo4j_local.status(self.settings).running:
            assert time.monotonic() < deadline, "the killed server is still running"
            time.sleep(0.1)

    @property
    def running(self) -> bool:
        return neo4j_local.status(self.settings).running


def fault_settings(base: Settings, **update: object) -> Settings:
    """``base`` pointed at the fault server (its home, ports and password)."""
    return base.model_copy(
        update={
            "neo4j_uri": f"bolt://127.0.0.1:{FAULTS_BOLT_PORT}",
            "neo4j_password": type(base.neo4j_password)(TEST_PASSWORD),
            "neo4j_home": FAULTS_HOME,
            "neo4j_bolt_port": int(FAULTS_BOLT_PORT),
            "neo4j_http_port": int(FAULTS_HTTP_PORT),
            "neo4j_heap": "768m",
            "neo4j_pagecache": "256m",
            **update,
        }
    )


@pytest.fixture(scope="session")
def fault_server(settings: Settings) -> Iterator[FaultServer]:
    server = FaultServer(fault_settings(settings))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def fault_graph(fault_server: FaultServer) -> AsyncIterator[Graph]:
    """A graph on the fault server, running and emptied, with the schema applied."""
    if not fault_server.running:
        fault_server.start()  # an earlier test left it down
    graph = Graph.connect(fault_server.settings, STATEMENTS)
    try:
        await graph.ping()
        await apply_schema(graph)
        await graph.auto("delete-all")
        yield graph
    finally:
        await graph.close()


async def digest(graph: Graph) -> tuple[str, int]:
    """A hash of every identifier, item and HAS relationship (``testing-digest``), and
    how many lines went into it."""
    rows = await graph.query("testing-digest")
    hashed = hashlib.sha256()
    for row in rows:
        hashed.update(row["line"].encode())
        hashed.update(b"\n")
    return hashed.hexdigest(), len(rows)


async def graph_state(graph: Graph) -> tuple[tuple[str, int], Partition]:
    """The digest and the partition into persons; ``snapshot`` fails on any broken
    invariant (duplicate keys, an empty person, an item in no or two persons…)."""
    return await digest(graph), (await snapshot(graph)).partition
