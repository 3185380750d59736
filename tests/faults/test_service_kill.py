"""omnid's own processes killed (SIGKILL) in the middle of their work, Neo4j staying up.

- ``omnid serve`` killed while a GraphQL mutation batch is in flight (``upsertRecords``
  and ``recordEvents`` batches sent one after the other, as an integration job does);
- ``omnid import`` killed while it writes a file.

Each time: nothing half-written is left (``snapshot``'s invariants: no duplicate node or
relationship, no empty person, every item and linking identifier in exactly one person;
``faults-leftovers``: no empty person, no event without identifiers, no orphan identifier), every
item acknowledged before the kill is there (an ``OK``/``UNCHANGED`` item result for the
service; for the import, every item the graph held when it was killed), and re-running
the same work ends with the digest and partition of one clean import of the same items.

Default: about 1,000 demo items and two kills each; ``OMNID_FAULTS_LONG=1``: about
13,000 items and three kills.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from itertools import groupby
from pathlib import Path
from typing import Any

import httpx

from devtools import demo
from service.identity.contract import item_key
from service.settings import DEV_API_KEY
from service.store.graph import Graph
from tests.conftest import ROOT
from tests.faults.conftest import (
    LONG,
    OmnidProcess,
    graph_state,
    import_file,
    leftovers,
    omnid_env,
)

CUSTOMERS = 1000 if LONG else 80
KILLS = 3 if LONG else 2
BATCH = 50

UPSERT = """mutation($items: [RecordInput!]!) {
  upsertRecords(items: $items) { index key status error { code } } }"""
EVENTS = """mutation($items: [EventInput!]!) {
  recordEvents(items: $items) { index key status error { code } } }"""

Item = dict[str, Any]


def _graphql_input(item: Item) -> Item:
    """A contract item as a ``RecordInput``/``EventInput`` (addresses as ``address``)."""
    out = {k: v for k, v in item.items() if k != "kind"}
    out["identifiers"] = [
        {"type": i["type"], "address": i["value"]}
        if isinstance(i["value"], dict)
        else {k: v for k, v in i.items()}
        for i in item["identifiers"]
    ]
    return out


def _mutations(items: list[Item]) -> Iterator[tuple[str, list[Item]]]:
    """The items in arrival order, cut into batches of one kind each."""
    for kind, run in groupby(items, key=lambda i: i["kind"]):
        run_items = list(run)
        for start in range(0, len(run_items), BATCH):
            batch = run_items[start : start + BATCH]
            yield UPSERT if kind == "record" else EVENTS, [_graphql_input(i) for i in batch]


def _key(item: Item, kind: str) -> str:
    return item_key(kind, item["source"], str(item["id"]))


class _Sender:
    """Sends every batch in order and remembers what the service acknowledged."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.acknowledged: set[str] = set()
        self.batches = 0
        self.seconds: list[float] = []

    async def send_all(self, batches: list[tuple[str, list[Item]]]) -> bool:
        """True when every batch was answered; False when the service went away."""
        headers = {"Authorization": f"Bearer {DEV_API_KEY}"}
        async with httpx.AsyncClient(base_url=self.url, headers=headers, timeout=120) as client:
            for query, inputs in batches:
                began = time.monotonic()
                try:
                    response = await client.post(
                        "/graphql", json={"query": query, "variables": {"items": inputs}}
                    )
                except httpx.TransportError:
                    return False
                assert response.status_code == 200, response.text[:500]
                body = response.json()
                assert "errors" not in body, body["errors"]
                results = next(iter(body["data"].values()))
                kind = "record" if query is UPSERT else "event"
                for result in results:
                    assert result["status"] in ("OK", "UNCHANGED"), result
                    self.acknowledged.add(_key(inputs[result["index"]], kind))
                self.batches += 1
                self.seconds.append(time.monotonic() - began)
        return True


async def _expected(graph: Graph, dataset: demo.Dataset, path: Path) -> Any:
    """The state one clean import of ``dataset`` ends in; the graph is emptied after."""
    demo.write_jsonl(dataset, path)
    clean = await import_file(graph, path, BATCH)
    assert clean.errors == 0, clean
    state = await graph_state(graph)
    await graph.wipe()
    return state


async def _present(graph: Graph) -> set[str]:
    return {row["key"] for row in await graph.query("testing-items")}


async def _assert_sound(graph: Graph, acknowledged: set[str], where: str) -> None:
    await graph_state(graph)  # fails on a broken invariant
    assert await leftovers(graph) == [], where
    lost = acknowledged - await _present(graph)
    assert not lost, f"{where}: {len(lost)} acknowledged items lost, e.g. {sorted(lost)[:3]}"


async def test_service_killed_mid_batch_reruns_to_the_clean_result(
    fault_graph: Graph, tmp_path: Path
) -> None:
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    dataset = demo.generate(CUSTOMERS, seed=seed)
    items = dataset.items
    expected = await _expected(fault_graph, dataset, tmp_path / "items.jsonl")
    batches = list(_mutations(items))
    log = tmp_path / "serve.log"

    for kill in range(KILLS):
        after = rng.randrange(1, len(batches) - 1)  # batches answered before the kill
        service = OmnidProcess(fault_graph.settings, DEV_API_KEY, log)
        await asyncio.to_thread(service.wait_ready)
        sender = _Sender(service.url)

        async def killer(
            sender: _Sender = sender, after: int = after, service: OmnidProcess = service
        ) -> None:
            while sender.batches < after:
                await asyncio.sleep(0.01)
            # the next batch is on its way: kill while its transaction is open
            typical = sorted(sender.seconds)[len(sender.seconds) // 2]
            await asyncio.sleep(rng.uniform(0.1, 0.9) * typical)
            service.kill()

        finished, _ = await asyncio.gather(sender.send_all(batches), killer())
        where = f"seed {seed}, kill {kill} after {after} batches"
        assert not finished, f"{where}: every batch was answered before the kill"
        await _assert_sound(fault_graph, sender.acknowledged, where)

    # the same work once more, to the end, on a new service
    service = OmnidProcess(fault_graph.settings, DEV_API_KEY, log)
    await asyncio.to_thread(service.wait_ready)
    try:
        sender = _Sender(service.url)
        assert await sender.send_all(batches)
    finally:
        service.stop()
    assert await leftovers(fault_graph) == []
    assert await graph_state(fault_graph) == expected, f"seed {seed}"


async def test_import_killed_mid_file_reruns_to_the_clean_result(
    fault_graph: Graph, tmp_path: Path
) -> None:
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    path = tmp_path / "items.jsonl"
    dataset = demo.generate(CUSTOMERS, seed=seed)
    items = dataset.items
    expected = await _expected(fault_graph, dataset, path)
    total = len({_key(i, i["kind"]) for i in items})
    env = omnid_env(fault_graph.settings, OMNID_BATCH_SIZE=str(BATCH))
    command = [sys.executable, "-m", "service.cli", "import", str(path), "--json"]

    # kill points: growing shares of the file's items written
    for kill, share in enumerate(sorted(rng.uniform(0.1, 0.9) for _ in range(KILLS))):
        where = f"seed {seed}, kill {kill} at {share:.0%}"
        with (tmp_path / "import.log").open("wb") as log:  # the child keeps its own copy
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log
            )
        acknowledged: set[str] = set()
        while process.poll() is None:
            if await fault_graph.query("faults-item-count") >= share * total:
                acknowledged = await _present(fault_graph)  # committed before the kill
                process.send_signal(signal.SIGKILL)
                break
            await asyncio.sleep(0.02)
        returncode = process.wait(timeout=60)
        output = (tmp_path / "import.log").read_text(errors="replace")[-2000:]
        assert returncode == -signal.SIGKILL, f"{where}: the import ended first: {output}"
        await _assert_sound(fault_graph, acknowledged, where)

    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    tally = json.loads(done.stdout)["total"]
    assert tally["items"] == len(items) and tally["errors"] == 0, tally
    assert await leftovers(fault_graph) == []
    assert await graph_state(fault_graph) == expected, f"seed {seed}"
