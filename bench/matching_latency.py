"""A new record's possible matches: how long after its write, at 100,000 persons.

    python bench/matching_latency.py [--persons 100000] [--new 300] [--wipe]

Loads ``--persons`` generated customers (``devtools.generate``, one record each: name,
emails, phones, addresses; no events) through omnid's write path, stores their blocking
keys (``index_records``), then writes ``--new`` records one at a time, each a variant
of a random existing customer (half with a typo in the email's domain, half with the
same name and a new email), and times ``refresh_records`` on each: blocking keys
written, candidates read, scored and stored, one transaction; the commit listener runs
exactly that after a write. The baseline, timed in the same loop on the same server:
a plain lookup of a person by email (``persons_for_identifier``). A warm-up of 50
records comes first and is not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from typing import Any

from benchlib import STATEMENTS, machine_note, percentile, prepare_empty_graph, table

from devtools.generate import Shape, generate
from service.identity.identifiers import normalize
from service.identity.ingest import Ingestor
from service.read.models import persons_for_identifier
from service.settings import load_settings
from service.steward.matches import index_records, refresh_records
from service.store.graph import Graph


def one_record_each(persons: int, seed: int) -> list[dict[str, Any]]:
    dataset = generate(Shape(customers=persons, stories=False, events=(1, 1), seed=seed))
    seen: set[str] = set()
    records = []
    for item in dataset.items:
        customer = (
            dataset.truth[f"record/{item['source']}/{item['id']}"]
            if item["kind"] == "record"
            else None
        )
        if customer is not None and customer not in seen and item["attributes"].get("name"):
            seen.add(customer)
            records.append(item)
    return records


def _emails(item: dict[str, Any]) -> list[str]:
    return [i["value"] for i in item["identifiers"] if i["type"] == "EMAIL"]


def variant(item: dict[str, Any], n: int, rng: random.Random) -> dict[str, Any]:
    """A new record of an existing customer: a typo in the email's domain, or a new email."""
    emails = _emails(item)
    if emails and n % 2 == 0:
        local, _, domain = emails[0].partition("@")
        i = rng.randrange(len(domain) - 1)
        domain = domain[:i] + domain[i + 1] + domain[i] + domain[i + 2 :]  # two swapped
        email = f"{local}@{domain}"
    else:
        email = f"new.{n}@example.net"
    return {
        "kind": "record",
        "source": "bench-new",
        "id": f"n-{n}",
        "identifiers": [{"type": "EMAIL", "value": email}],
        "attributes": {"name": item["attributes"]["name"]},
    }


async def _load(graph: Graph, args: argparse.Namespace) -> tuple[list[dict[str, Any]], int]:
    await prepare_empty_graph(graph, wipe=args.wipe)
    started = time.perf_counter()
    records = one_record_each(args.persons, args.seed)
    print(f"generated {len(records):,} records in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    report = await Ingestor(graph).ingest(records)
    keys = [r.key for r in report.results if r.key]
    persons = len({r.person_id for r in report.results})
    print(f"ingested into {persons:,} persons in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    await index_records(graph, keys)
    seconds = time.perf_counter() - started
    print(f"blocking keys of {len(keys):,} records stored in {seconds:.0f} s", flush=True)
    return records, persons


async def _stored(graph: Graph) -> tuple[list[dict[str, Any]], int]:
    """Records a previous run loaded (--reuse), as items to write variants of."""
    rows = await graph.query("matching-sample", limit=5000)
    records = [
        {
            "attributes": json.loads(r["attributes"]),
            "identifiers": [{"type": "EMAIL", "value": e} for e in r["emails"]],
        }
        for r in rows
    ]
    return records, int(await graph.query("matching-person-count") or 0)


async def main(args: argparse.Namespace) -> int:
    settings = load_settings()
    graph = Graph.connect(settings, STATEMENTS)
    rng = random.Random(args.seed)
    try:
        print(machine_note(settings))
        if args.reuse:
            records, persons = await _stored(graph)
            print(f"reused: {persons:,} persons", flush=True)
        else:
            records, persons = await _load(graph, args)
        ingestor = Ingestor(graph)
        refresh: list[float] = []
        lookup: list[float] = []
        candidates = kept = 0
        for n in range(args.warmup + args.new):
            base = rng.choice(records)
            item = variant(base, n, rng)
            written = await ingestor.ingest([item])
            key = written.results[0].key
            if key is None or written.errors:
                continue  # a variant the contract refuses (an invalid domain): skip it
            t0 = time.perf_counter()
            done = await refresh_records(graph, [key])
            t1 = time.perf_counter()
            email = _emails(base)[0] if _emails(base) else "nobody@example.net"
            await persons_for_identifier(graph, normalize("EMAIL", email))
            t2 = time.perf_counter()
            if n >= args.warmup:
                refresh.append((t1 - t0) * 1000)
                lookup.append((t2 - t1) * 1000)
                candidates += done.candidates
                kept += done.kept
        refresh.sort()
        lookup.sort()
        rows = [
            [
                name,
                f"{percentile(v, 50):.1f}",
                f"{percentile(v, 95):.1f}",
                f"{percentile(v, 99):.1f}",
                f"{v[-1]:.1f}",
            ]
            for name, v in (
                ("new record's matches (refresh_records)", refresh),
                ("baseline: lookup by email", lookup),
            )
        ]
        print()
        print(table(["ms, one at a time", "p50", "p95", "p99", "max"], rows))
        print(
            f"\n{args.new} new records at {persons:,} persons: {candidates / args.new:.1f} "
            f"candidates scored and {kept / args.new:.2f} pairs kept per record"
        )
        return 0
    finally:
        await graph.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=300, help="new records timed")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--reuse", action="store_true", help="keep the persons a run loaded")
    parser.add_argument("--wipe", action="store_true", help="delete what the database holds")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
