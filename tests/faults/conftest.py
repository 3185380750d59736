"""A Neo4j server of the fault tests' own, which they stop, kill and restart.

The session's server (tests/conftest.py) is shared by every other test and must stay up,
so these tests start a second local server (``devtools.neo4j_local``) in a home of its
own (``<test home>/../faults``) on ports of its own (``OMNID_FAULTS_BOLT_PORT``, default
7861, ``OMNID_FAULTS_HTTP_PORT``, default 7862). It is started once for the session and
always stopped at the end, whatever the tests did to it.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from devtools import neo4j_local
from service.identity.files import ImportTally, import_lines, read_file
from service.identity.ingest import Ingestor
from service.settings import Settings
from service.store.graph import Graph
from service.store.schema import apply_schema
from tests.conftest import ROOT, TEST_HOME, TEST_PASSWORD
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
        await graph.wipe()
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


async def leftovers(graph: Graph) -> list[dict[str, Any]]:
    """What a half-written batch would leave (``faults-leftovers``): a person without
    members, an event without identifiers, a record without any that shares a person,
    an orphan identifier, an item or linking identifier in no person. Empty on a sound
    graph."""
    rows: list[dict[str, Any]] = await graph.query("faults-leftovers")
    return rows


def omnid_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of an ``omnid`` process on ``settings``' Neo4j."""
    return {
        **os.environ,
        "NEO4J_URI": settings.neo4j_uri,
        "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
        "OMNID_LOAD_DEMO": "false",
        **extra,
    }


class OmnidProcess:
    """A real ``omnid serve`` in a process of its own, which a test can SIGKILL."""

    def __init__(self, settings: Settings, key: str, log: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._log: IO[bytes] = log.open("ab")
        env = omnid_env(settings, OMNID_API_KEYS=json.dumps({key: ["admin"]}))
        command = [sys.executable, "-m", "service.cli", "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        self.log = log

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"omnid serve did not become ready: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no lifespan shutdown, no drained requests, no closed driver."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self._log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


async def import_file(graph: Graph, path: Path, batch: int, on_batch: object = None) -> ImportTally:
    """What ``omnid import`` runs for one file (service/cli/importing.py), in this process;
    ``on_batch(tally, position)`` after each batch."""

    def progress(tally: ImportTally, position: int) -> None:
        if callable(on_batch):
            on_batch(tally, position)

    return await import_lines(
        Ingestor(graph), read_file(path), name=path.name, batch_size=batch, on_progress=progress
    )
