"""Neo4j killed (SIGKILL) in the middle of a file import, at random points.

What ``omnid import`` promises: a crash loses nothing that was committed (every batch
the import reported as done is there after the restart) and re-running the same file
ends exactly where one clean import of it ends (same digest of identifiers, items and
their links, same partition into persons, no broken invariant).

The default variant imports about 7,000 demo items with two kills; ``OMNID_FAULTS_LONG=1``
imports about 36,000 with three.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from devtools import demo
from service.errors import GraphUnavailable
from service.identity.contract import item_key
from service.identity.files import ImportTally, read_file
from service.store.graph import Graph
from tests.faults.conftest import LONG, FaultServer, graph_state, import_file
from tests.partition import snapshot
from tests.statements import STATEMENTS

CUSTOMERS = 3000 if LONG else 600
KILLS = 3 if LONG else 2
BATCH = 500


def _write_file(path: Path, seed: int) -> None:
    demo.write_jsonl(demo.generate(CUSTOMERS, seed=seed), path)


@pytest.fixture
async def killed_graph(fault_graph: Graph) -> AsyncIterator[Graph]:
    """The fault graph for the imports that get killed, giving up on the dead server
    after a second instead of the default 5 s per transaction in flight (about 10 s a
    kill): how soon a writer gives up is test_unavailable.py's subject, not what a kill
    leaves behind."""
    settings = fault_graph.settings.model_copy(update={"unavailable_seconds": 1.0})
    graph = Graph.connect(settings, STATEMENTS)
    try:
        yield graph
    finally:
        await graph.close()


def _keys_up_to(path: Path, position: int) -> set[str]:
    """Item keys of the file's lines read by ``position`` (all of them valid here)."""
    keys = set()
    for line in read_file(path):  # read to the end: the reader closes the file there
        if line.position > position:
            continue
        item = line.item
        assert isinstance(item, dict), item
        keys.add(item_key(item["kind"], item["source"], str(item["id"])))
    return keys


async def test_killed_imports_rerun_to_the_clean_result(
    fault_graph: Graph, killed_graph: Graph, fault_server: FaultServer, tmp_path: Path
) -> None:
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    path = tmp_path / "items.jsonl"
    _write_file(path, seed)
    with path.open() as text:
        lines = sum(1 for _ in text)
    batches = lines // BATCH

    clean = await import_file(fault_graph, path, BATCH)
    assert clean.errors == 0, clean
    expected = await graph_state(fault_graph)
    await fault_graph.wipe()

    for kill in range(KILLS):
        after = rng.randrange(1, max(2, batches - 2))  # batches reported before the kill
        reported = {"position": 0, "batches": 0}
        killer: list[threading.Thread] = []

        def on_batch(
            tally: ImportTally,
            position: int,
            after: int = after,
            reported: dict[str, int] = reported,
            killer: list[threading.Thread] = killer,
        ) -> None:
            reported["position"], reported["batches"] = position, reported["batches"] + 1
            if reported["batches"] == after and not killer:
                # from a thread: the writers in flight keep going while Neo4j dies
                killer.append(threading.Thread(target=fault_server.kill))
                killer[0].start()

        try:
            await import_file(killed_graph, path, BATCH, on_batch)
            finished = True
        except GraphUnavailable:
            finished = False
        for thread in killer:
            thread.join()
        assert killer, f"seed {seed}: the import ended before kill {kill} (after {after})"
        if not finished:
            assert fault_server.running is False
        await asyncio.to_thread(fault_server.start)
        acknowledged = _keys_up_to(path, reported["position"])
        present = {row["key"] for row in await fault_graph.query("testing-items")}
        lost = acknowledged - present
        assert not lost, f"seed {seed}, kill {kill}: {len(lost)} reported items lost"
        await snapshot(fault_graph)  # no broken invariant even before the re-run

    # the last re-run is the real command, in its own process
    env = {
        **os.environ,
        "NEO4J_URI": fault_graph.settings.neo4j_uri,
        "NEO4J_PASSWORD": fault_graph.settings.neo4j_password.get_secret_value(),
        "OMNID_BATCH_SIZE": str(BATCH),
    }
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "import", str(path), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    total = json.loads(done.stdout)["total"]
    assert total["items"] == lines and total["errors"] == 0, total
    assert await graph_state(fault_graph) == expected, f"seed {seed}"
