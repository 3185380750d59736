"""Privacy benchmarks: erasure latency against a plain delete, and ingest with a
suppression list against ingest without one.

    python bench/privacy.py [--items 100000] [--erase 1000] [--batch 10] [--wipe]

1. Load ``--items`` items (bench/ingest.py's generator) through the product's bulk
   path, then erase ``--erase`` persons through ``erase_person`` (the write path
   re-evaluating shared values, suppression hashes, a receipt): the first half one by
   one, the second half ``--batch`` at a time (concurrent calls). After a warm-up of 20.
2. Baseline, same run: load the same items again into an emptied graph and delete the
   same persons (found by the same identifier) with one plain ``DETACH DELETE`` of
   their nodes each, one by one.
3. Ingest the items into an emptied graph with an empty suppression list, then with
   10,000 suppressed hashes (none matching: the cost of looking), alternating
   ``--rounds`` times.

Targets (issue 24): erasure p99 at most 3x the baseline's; ingest with the list at
least 0.95x the throughput without. Refuses to wipe a graph that holds data unless
``--wipe``.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from benchlib import (
    STATEMENTS,
    bench_settings,
    clear,
    machine_note,
    percentile,
    prepare_empty_graph,
    server_memory,
    table,
)
from ingest import generate

from service.errors import NotFound
from service.privacy.erasure import erase_person
from service.privacy.ingest import PrivacyIngestor
from service.store.graph import Graph

WARM_UP = 20

#: Persons already gone when their turn came (see ``erase_all``).
gone: list[str] = []


async def load(graph: Graph, items: Sequence[dict[str, Any]]) -> tuple[PrivacyIngestor, float]:
    """An emptied graph, ``items`` through the bulk path; the ingestor and the seconds."""
    await clear(graph)
    ingestor = PrivacyIngestor(graph)
    started = time.perf_counter()
    report = await ingestor.ingest(items)
    seconds = time.perf_counter() - started
    assert not report.errors, report.errors[:3]
    return ingestor, seconds


async def erase_all(
    graph: Graph, ingestor: PrivacyIngestor, ids: Sequence[str], batch: int
) -> tuple[list[float], float]:
    """Erase ``ids``, ``batch`` at a time; each call's seconds and the total. A person
    an earlier (or concurrent) erasure merged into one it then erased is gone: skipped,
    and counted in ``gone``."""
    times: list[float] = []

    async def one(pid: str) -> None:
        started = time.perf_counter()
        try:
            await erase_person(
                graph, pid, reason="bench", requested_by="bench", suppression=ingestor.suppression
            )
        except NotFound:
            gone.append(pid)
            return
        times.append(time.perf_counter() - started)

    started = time.perf_counter()
    for at in range(0, len(ids), batch):
        await asyncio.gather(*(one(pid) for pid in ids[at : at + batch]))
    return times, time.perf_counter() - started


async def delete_all(graph: Graph, keys: Sequence[str]) -> tuple[list[float], float]:
    """The baseline: one plain DETACH DELETE per person, one by one."""
    times: list[float] = []
    started = time.perf_counter()
    for key in keys:
        t = time.perf_counter()
        deleted = await graph.command("baseline-detach-delete-person", key=key)
        assert deleted, key
        times.append(time.perf_counter() - t)
    return times, time.perf_counter() - started


def row(name: str, times: list[float], total: float) -> list[object]:
    ordered = sorted(times)
    return [
        name,
        len(times),
        len(times) / total,
        percentile(ordered, 50) * 1000,
        percentile(ordered, 99) * 1000,
    ]


async def main(args: argparse.Namespace) -> int:
    settings = bench_settings()
    graph = Graph.connect(settings, STATEMENTS)
    try:
        await prepare_empty_graph(graph, wipe=args.wipe)
        print(f"{machine_note(settings)} · {await server_memory(graph)}", flush=True)
        items = generate(args.items, args.seed)

        ingestor, seconds = await load(graph, items)
        print(f"loaded {len(items):,} items in {seconds:.1f}s", flush=True)
        chosen = await graph.query("bench-persons-with-keys", n=args.erase + WARM_UP)
        if len(chosen) < args.erase + WARM_UP:
            raise SystemExit(f"only {len(chosen)} persons with a linking identifier")
        warm, measured = chosen[:WARM_UP], chosen[WARM_UP:]
        await erase_all(graph, ingestor, [p["id"] for p in warm], 1)
        half = len(measured) // 2
        single, single_total = await erase_all(
            graph, ingestor, [p["id"] for p in measured[:half]], 1
        )
        batched, batched_total = await erase_all(
            graph, ingestor, [p["id"] for p in measured[half:]], args.batch
        )
        print(
            f"erased {len(measured):,} persons (+{WARM_UP} warm-up); {len(gone)} were already "
            "gone (merged into a person erased before them)",
            flush=True,
        )

        await load(graph, items)
        await delete_all(graph, [p["key"] for p in warm])
        plain, plain_total = await delete_all(graph, [p["key"] for p in measured])

        print()
        print(
            table(
                ["erasure", "persons", "persons/s", "p50 ms", "p99 ms"],
                [
                    row("baseline: plain DETACH DELETE, one by one", plain, plain_total),
                    row("erasePerson, one by one", single, single_total),
                    row(f"erasePerson, {args.batch} at a time", batched, batched_total),
                ],
            )
        )
        p99 = percentile(sorted(plain), 99)
        print(
            f"p99 vs baseline: one by one {percentile(sorted(single), 99) / p99:.2f}x, "
            f"{args.batch} at a time {percentile(sorted(batched), 99) / p99:.2f}x (target <= 3x)"
        )

        now = datetime.now(UTC)
        hashes = [secrets.token_hex(32) for _ in range(args.suppressed)]
        rates: dict[str, list[float]] = {"without": [], "with": []}
        for _ in range(args.rounds):
            for case in ("without", "with"):
                await clear(graph)
                if case == "with":
                    await graph.command("bench-suppress", hashes=hashes, now=now)
                _, seconds = await load_kept(graph, items)
                rates[case].append(len(items) / seconds)
        print()
        print(
            table(
                ["ingest (bulk path)", "items/s per round"],
                [
                    ["no suppressed hash", " ".join(f"{r:,.0f}" for r in rates["without"])],
                    [
                        f"{args.suppressed:,} suppressed hashes",
                        " ".join(f"{r:,.0f}" for r in rates["with"]),
                    ],
                ],
            )
        )
        ratio = sum(rates["with"]) / sum(rates["without"])
        print(f"with / without: {ratio:.2f}x (target >= 0.95x)")
    finally:
        await graph.close()
    return 0


async def load_kept(graph: Graph, items: Sequence[dict[str, Any]]) -> tuple[None, float]:
    """Ingest into the graph as it is (the suppression list kept); the seconds."""
    ingestor = PrivacyIngestor(graph)
    started = time.perf_counter()
    report = await ingestor.ingest(items)
    assert not report.errors, report.errors[:3]
    return None, time.perf_counter() - started


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--erase", type=int, default=1_000)
    parser.add_argument("--batch", type=int, default=10, help="concurrent erasures")
    parser.add_argument("--suppressed", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--wipe", action="store_true", help="delete what the graph holds")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
