"""Scale: an initial load of millions of items, and how the graph serves afterwards.

    python bench/scale.py --items 5000000 [--online-items 500000] [--lookups 2000]

Steps, on a local server of its own (``OMNID_NEO4J_HOME``, default ``.neo4j/scale``;
Bolt 7854, HTTP 7855), which it empties:

1. ``--items`` items with the overlap of ``bench/ingest.py`` (its generator: shared
   phones, households, junk), written as JSON Lines;
2. after a 1,000-item warm-up (then emptied), ``--online-items // 10`` new customers'
   items through the online path into the empty graph (the baseline of step 6); the
   graph emptied again, the online bulk path (``Ingestor.ingest_batches``, as ``omnid
   import``) on the first ``--online-items``: items/s; then lookups at that size;
3. the graph emptied, then ``omnid load --initial`` of everything: items/s, and the
   ``import`` phase alone (neo4j-admin on the same nodes and relationships, no
   resolution: the floor);
4. the loaded graph warmed up as the small one was by being written: a pass over every
   node, relationship and key index (the load ends with a restart, so Neo4j's page cache
   is empty) and 1,000 other new items through the online path (plans, JIT);
5. lookups (``persons_for_identifier``, what a lookup runs, by a random customer's
   email, 1 and 16 concurrent clients) on the big graph, beside step 2's;
6. the same new items as in step 2 through the online path into the big graph.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import STATEMENTS, percentile
from ingest import generate

from devtools import neo4j_local
from service.identity.files import read_jsonl
from service.identity.identifiers import normalize
from service.identity.ingest import Ingestor, chunks
from service.load.initial import initial_load
from service.read.models import persons_for_identifier
from service.settings import Settings, load_settings
from service.store.graph import Graph
from service.store.schema import apply_schema

ROOT = Path(__file__).resolve().parent.parent
#: The server's start, and its restart on the loaded store, on a shared, busy machine.
BOOT_SECONDS = 600


def _settings() -> Settings:
    home = os.environ.get("OMNID_NEO4J_HOME", str(ROOT / ".neo4j" / "scale"))
    bolt = os.environ.get("OMNID_NEO4J_BOLT_PORT", "7854")
    return load_settings(
        {
            **{k: v for k, v in os.environ.items() if k.startswith(("NEO4J_", "OMNID_"))},
            "OMNID_NEO4J_HOME": home,
            "OMNID_NEO4J_BOLT_PORT": bolt,
            "OMNID_NEO4J_HTTP_PORT": os.environ.get("OMNID_NEO4J_HTTP_PORT", "7855"),
            "NEO4J_URI": f"bolt://127.0.0.1:{bolt}",
        }
    )


async def _online(graph: Graph, items: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    async for _ in Ingestor(graph).ingest_batches(chunks(items, graph.settings.batch_size)):
        pass
    return len(items) / (time.perf_counter() - started)


async def _lookups(graph: Graph, emails: list[str], clients: int) -> tuple[float, float]:
    """p50 and p99 in ms of ``persons_for_identifier`` by email, ``clients`` at once."""
    keys = [normalize("EMAIL", e) for e in emails]
    for key in keys[:50]:  # warm-up
        await persons_for_identifier(graph, key)
    times: list[float] = []
    queue = list(keys)

    async def client() -> None:
        while queue:
            key = queue.pop()
            began = time.perf_counter()
            await persons_for_identifier(graph, key)
            times.append((time.perf_counter() - began) * 1000)

    await asyncio.gather(*(client() for _ in range(clients)))
    times.sort()
    return percentile(times, 50), percentile(times, 99)


def _new_items(n: int, seed: int, tag: str) -> list[dict[str, Any]]:
    """``n`` items of other customers: their own emails, devices and loyalty cards (ids
    and values prefixed by ``tag``); phones and addresses as generated, so some join
    customers already stored, as new customers' items do."""
    items = generate(n, seed)
    for k, item in enumerate(items):
        item["id"] = f"{tag}-{k}"
        for ident in item["identifiers"]:
            if ident["type"] == "EMAIL":
                ident["value"] = f"{tag}{k}.{ident['value']}"
            elif ident["type"] in ("DEVICE", "LOYALTY_CARD"):
                ident["value"] = f"{tag}{k}-{ident['value']}"
    return items


def _emails(items: list[dict[str, Any]], n: int, seed: int) -> list[str]:
    found = [i["value"] for item in items for i in item["identifiers"] if i["type"] == "EMAIL"]
    return random.Random(seed).sample(found, min(n, len(found)))


async def main(args: argparse.Namespace) -> None:
    settings = _settings()
    neo4j_local.start(settings, wait_seconds=BOOT_SECONDS)
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    items = generate(args.items, args.seed)
    source = work / "scale.jsonl"
    with source.open("w", encoding="utf-8") as out:
        for item in items:
            out.write(json.dumps(item) + "\n")
    carried = sum(len(i["identifiers"]) for i in items)
    print(f"generated {len(items):,} items carrying {carried:,} identifiers "
          f"in {time.perf_counter() - began:.0f}s")  # fmt: skip
    small_n, extra_n = args.online_items, max(1, args.online_items // 10)
    new_items, warm_items = _new_items(extra_n, args.seed + 1, "new"), _new_items(1000, 99, "w")
    async with Graph.connect(settings, STATEMENTS) as graph:
        await graph.wipe()
        await apply_schema(graph)
        await _online(graph, items[:1000])  # warm-up, then emptied
        await graph.wipe()
        empty_rate = await _online(graph, new_items)  # the baseline: an empty graph
        await graph.wipe()
        online_rate = await _online(graph, items[:small_n])
        small_lookups = {c: await _lookups(graph, _emails(items[:small_n], args.lookups, 1), c)
                         for c in (1, 16)}  # fmt: skip
        await graph.wipe()
    phases: dict[str, float] = {}
    started = time.perf_counter()
    report = await initial_load(
        settings,
        [(source.name, read_jsonl(source, parse=False))],
        work_dir=work / "load",
        control=neo4j_local.LocalControl(settings, wait_seconds=BOOT_SECONDS),
        on_reject=lambda name, line, error: None,
        on_phase=lambda name, seconds: phases.__setitem__(name, seconds),
    )
    load_seconds = time.perf_counter() - started
    async with Graph.connect(settings, STATEMENTS) as graph:
        began = time.perf_counter()
        await graph.query("scale-warm-up")
        warm_seconds = time.perf_counter() - began
        await _online(graph, warm_items)
        big_lookups = {c: await _lookups(graph, _emails(items, args.lookups, 2), c)
                       for c in (1, 16)}  # fmt: skip
        big_rate = await _online(graph, new_items)
    print(json.dumps(report.to_dict()))
    print(f"initial load: {len(items):,} items, {report.counts['identifiers']:,} identifiers "
          f"({carried:,} carried) in {load_seconds:.1f}s = {len(items) / load_seconds:,.0f} "
          f"items/s; phases {', '.join(f'{k} {v:.1f}s' for k, v in phases.items())}")  # fmt: skip
    print(
        f"online bulk path, first {small_n:,} items into an empty graph: {online_rate:,.0f} "
        f"items/s; initial load / online = {len(items) / load_seconds / online_rate:.1f}x"
    )
    print(
        f"floor (neo4j-admin import alone): {phases.get('import', 0):.1f}s of {load_seconds:.1f}s"
    )
    for c in (1, 16):
        (s50, s99), (b50, b99) = small_lookups[c], big_lookups[c]
        print(f"lookups, {c} clients: {small_n:,}-item graph p50 {s50:.2f} ms p99 {s99:.2f} ms; "
              f"loaded graph p50 {b50:.2f} ms p99 {b99:.2f} ms (p50 ratio {b50 / s50:.2f}x, "
              f"p99 ratio {b99 / s99:.2f}x)")  # fmt: skip
    print(f"loaded graph warm-up: page cache pass {warm_seconds:.1f}s, then 1,000 other new items")
    print(f"online ingest of {extra_n:,} new items: empty graph {empty_rate:,.0f} items/s, "
          f"loaded graph {big_rate:,.0f} items/s ({big_rate / empty_rate:.2f}x)")  # fmt: skip
    print(
        f"server: heap {settings.neo4j_heap}, page cache {settings.neo4j_pagecache}; store "
        f"{_size(Path(settings.neo4j_home) / 'data' / 'databases' / settings.neo4j_database)}"
    )


def _size(path: Path) -> str:
    total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return f"{total / 2**20:,.0f} MiB"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=5_000_000)
    parser.add_argument("--online-items", type=int, default=500_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work-dir", default=str(ROOT / ".neo4j" / "scale-work"))
    try:
        asyncio.run(main(parser.parse_args()))
    finally:
        neo4j_local.stop(_settings())  # a shared machine: no server left running
