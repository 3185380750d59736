"""Soak: mixed traffic for minutes on end, with a subscriber attached.

    python bench/soak.py [--minutes 10] [--clients 16] [--customers 5000]
                         [--warmup-minutes 1] [--wipe]

1. Loads ``--customers`` customers of bench/api.py's dataset through the ingest path
   (``api.prepare_data``; a database that holds data is wiped only with ``--wipe``).
2. Starts the service (``benchlib.Service``: uvicorn in a subprocess, one worker) and a
   subscriber on ``journeyEvents`` (graphql-transport-ws), which counts what it receives.
3. ``--clients`` closed-loop clients (aiohttp) for ``--minutes``, each request drawn at
   random: 80% lookups (api.py's ``LOOKUP``: a person by one customer's identifier, their
   identifiers and 50 latest events), 15% event writes (``recordEvents``, one event on a
   customer's identifier), 5% record upserts with corrections (``upsertRecords``: one of
   500 soak records, each tied to one customer's identifier and two identifiers of its
   own, sent each time with a random subset of those two: identifiers come and go, so
   persons merge and split under the readers).
4. Prints, per minute: requests per second, and per operation its count, p50, p99 and
   errors; then the errors over the run (must be 0), the service's and Neo4j's resident
   memory at start, after the warm-up (the first ``--warmup-minutes``) and at the end
   (growth after the warm-up must be under 10%), what the subscriber received, and the
   graph's invariants at the end (every linking identifier and every item in exactly one
   person, no empty person).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import httpx
import psutil
from api import LOOKUP, Dataset, Target, generate, prepare_data
from benchlib import (
    STATEMENTS,
    Service,
    bench_settings,
    machine_note,
    neo4j_process,
    percentile,
    table,
)
from httpx_ws import aconnect_ws

from service.store.graph import Graph

EVENT = """
mutation Event($id: String!, $at: DateTime!, $channel: Channel!, $type: IdentifierType!,
               $value: String!) {
  recordEvents(items: [{source: "soak", id: $id, channel: $channel, type: "purchase",
                        at: $at, identifiers: [{type: $type, value: $value}],
                        attributes: {amount: 42.5}}]) { status }
}
"""
UPSERT = """
mutation Upsert($items: [RecordInput!]!) { upsertRecords(items: $items) { status } }
"""
SUBSCRIPTION = "subscription { journeyEvents { event { id source } person { id } } }"
CHANNELS = ("WEB", "APP", "STORE", "CALL_CENTER", "EMAIL")
#: (operation, share of requests)
MIX = (("lookup", 0.80), ("event", 0.15), ("upsert", 0.05))
SOAK_RECORDS = 500


@dataclass
class Minute:
    """What one minute of traffic did, per operation."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))


@dataclass
class Traffic:
    targets: list[Target]
    minutes: list[Minute] = field(default_factory=lambda: [Minute()])
    samples: list[str] = field(default_factory=list)  # a few error descriptions
    sent: set[str] = field(default_factory=set)  # ids of every event sent
    written: set[str] = field(default_factory=set)  # ids of events answered OK
    received: list[str] = field(default_factory=list)  # ids of events delivered live
    subscriber_errors: int = 0

    def note(self, op: str, seconds: float, error: str | None) -> None:
        minute = self.minutes[-1]
        minute.latencies[op].append(seconds)
        if error is not None:
            minute.errors[op] += 1
            if len(self.samples) < 5:
                self.samples.append(f"{op}: {error}")


def _soak_record(n: int, target: Target, rng: random.Random) -> dict[str, Any]:
    """Soak record ``n``: its customer's identifier and a random subset of two of its own."""
    own = [
        {"type": "EMAIL", "value": f"soak{n}@example.org"},
        {"type": "LOYALTY_CARD", "value": f"SOAK-{n}"},
    ]
    kept = [i for i in own if rng.random() < 0.5]
    return {
        "source": "soak",
        "id": f"r{n}",
        "identifiers": [{"type": target[0], "value": target[1]}, *kept],
    }


async def _request(
    session: aiohttp.ClientSession, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    async with session.post("/graphql", json={"query": query, "variables": variables}) as r:
        body: dict[str, Any] = await r.json()
        if r.status != 200:
            raise RuntimeError(f"HTTP {r.status}")
        return body


async def _one(session: aiohttp.ClientSession, traffic: Traffic, rng: random.Random) -> None:
    draw = rng.random()
    op = "lookup" if draw < MIX[0][1] else "event" if draw < MIX[0][1] + MIX[1][1] else "upsert"
    started = time.perf_counter()
    error: str | None = None
    try:
        if op == "lookup":
            type_, value, _ = rng.choice(traffic.targets)
            body = await _request(session, LOOKUP, {"type": type_, "value": value})
            if body.get("errors") or not (body.get("data") or {}).get("person"):
                error = str(body.get("errors") or "no person")[:200]
        elif op == "event":
            type_, value, _ = rng.choice(traffic.targets)
            variables = {
                "id": uuid.uuid4().hex,
                "at": datetime.now(UTC).isoformat(),
                "channel": rng.choice(CHANNELS),
                "type": type_,
                "value": value,
            }
            traffic.sent.add(variables["id"])
            body = await _request(session, EVENT, variables)
            status = ((body.get("data") or {}).get("recordEvents") or [{}])[0].get("status")
            if body.get("errors") or status != "OK":
                error = str(body.get("errors") or status)[:200]
            else:
                traffic.written.add(variables["id"])
        else:
            n = rng.randrange(SOAK_RECORDS)
            target = traffic.targets[n % len(traffic.targets)]
            items = [_soak_record(n, target, rng)]
            body = await _request(session, UPSERT, {"items": items})
            status = ((body.get("data") or {}).get("upsertRecords") or [{}])[0].get("status")
            if body.get("errors") or status not in ("OK", "UNCHANGED"):
                error = str(body.get("errors") or status)[:200]
    except Exception as exc:  # a dropped connection, a timeout: an error, counted
        error = f"{type(exc).__name__}: {exc}"[:200]
    traffic.note(op, time.perf_counter() - started, error)


async def _subscriber(url: str, key: str, traffic: Traffic, ready: asyncio.Event) -> None:
    async with (
        httpx.AsyncClient(base_url=url, timeout=30.0) as client,
        aconnect_ws(f"{url}/graphql", client, subprotocols=["graphql-transport-ws"]) as ws,
    ):
        await ws.send_json({"type": "connection_init", "payload": {"apiKey": key}})
        ack = await asyncio.wait_for(ws.receive_json(), timeout=10)
        if ack.get("type") != "connection_ack":
            raise RuntimeError(f"subscription refused: {ack}")
        await ws.send_json({"id": "soak", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
        await asyncio.sleep(0.5)
        ready.set()
        while True:
            message = await ws.receive_json()
            if message.get("type") == "ping":
                await ws.send_json({"type": "pong"})
            elif message.get("type") == "next":
                payload = message.get("payload") or {}
                live = (payload.get("data") or {}).get("journeyEvents")
                if payload.get("errors") or not live:
                    traffic.subscriber_errors += 1
                else:
                    traffic.received.append(f"{live['event']['source']}/{live['event']['id']}")
            elif message.get("type") in ("error", "complete"):
                traffic.subscriber_errors += 1
                return


@dataclass
class Memory:
    """Resident memory (MiB) of the service and Neo4j at named moments."""

    service: psutil.Process | Any
    neo4j: psutil.Process | None
    rows: list[tuple[str, float, float]] = field(default_factory=list)

    def sample(self, moment: str) -> None:
        service = self.service.rss() / 2**20
        neo4j = self.neo4j.memory_info().rss / 2**20 if self.neo4j else float("nan")
        self.rows.append((moment, service, neo4j))


def _minute_rows(
    number: int, minute: Minute, seconds: float, memory: tuple[str, float, float]
) -> list[list[object]]:
    total = sum(len(v) for v in minute.latencies.values())
    rows: list[list[object]] = []
    for op, _ in MIX:
        latencies = sorted(minute.latencies.get(op, []))
        first = op == MIX[0][0]
        rows.append(
            [
                f"{number}" if first else "",
                f"{total / seconds:,.0f}" if first else "",
                op,
                len(latencies),
                1000 * percentile(latencies, 50),
                1000 * percentile(latencies, 99),
                minute.errors.get(op, 0),
                f"{memory[1]:,.0f}" if first else "",
                f"{memory[2]:,.0f}" if first else "",
            ]
        )
    return rows


async def _drive(args: argparse.Namespace, url: str, key: str, traffic: Traffic, memory: Memory):
    ready = asyncio.Event()
    subscriber = asyncio.create_task(_subscriber(url, key, traffic, ready))
    await asyncio.wait_for(ready.wait(), timeout=30)
    stop = False

    async def client(index: int, session: aiohttp.ClientSession) -> None:
        rng = random.Random(args.seed * 1000 + index)
        while not stop:
            await _one(session, traffic, rng)

    connector = aiohttp.TCPConnector(limit=args.clients)
    headers = {"Authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession(
        base_url=url,
        connector=connector,
        headers=headers,
        timeout=aiohttp.ClientTimeout(total=60.0),
    ) as session:
        memory.sample("start")
        tasks = [asyncio.create_task(client(i, session)) for i in range(args.clients)]
        headers_row = ["minute", "req/s", "operation", "requests", "p50 ms", "p99 ms", "errors"]
        headers_row += ["service MiB", "neo4j MiB"]
        began = time.perf_counter()
        for number in range(1, args.minutes + 1):
            await asyncio.sleep(began + 60 * number - time.perf_counter())
            minute = traffic.minutes[-1]
            traffic.minutes.append(Minute())
            memory.sample(f"minute {number}")
            if number == args.warmup_minutes:
                memory.rows[-1] = (f"after warm-up (minute {number})", *memory.rows[-1][1:])
            rows = _minute_rows(number, minute, 60.0, memory.rows[-1])
            print(table(headers_row, rows), flush=True)
        stop = True
        await asyncio.gather(*tasks)
        traffic.minutes.pop()  # the requests in flight at the end
        memory.sample("end")
    await asyncio.sleep(2.0)  # the last events reach the subscriber
    subscriber.cancel()
    await asyncio.gather(subscriber, return_exceptions=True)


def _subscriber_report(traffic: Traffic, dropped: int) -> None:
    """What the subscriber received, against what the clients sent. The live feed's
    poller looks 10 s back when a subscription starts, so events of the dataset's load
    (other sources) can arrive first: counted apart, not as soak events."""
    received = set(traffic.received)
    soak = {r.removeprefix("soak/") for r in received if r.startswith("soak/")}
    print(
        f"\nsubscriber: {len(traffic.received):,} live events received "
        f"({len(traffic.received) - len(received):,} twice or more), "
        f"{traffic.subscriber_errors} errors; {len(received) - len(soak):,} from the "
        f"dataset's load (written before the run)\n"
        f"  {len(soak & traffic.written):,} of the {len(traffic.written):,} events answered OK "
        f"were delivered, {len(traffic.written - soak):,} were not (the service logged "
        f"{dropped:,} dropped for a slow subscriber)\n"
        f"  {len(soak - traffic.written):,} delivered events were not answered OK (of "
        f"{len(traffic.sent - traffic.written):,} sent and not answered OK: errors, or in "
        f"flight at the end), {len(soak - traffic.sent):,} were never sent"
    )


def _report(
    traffic: Traffic, memory: Memory, invariants: dict[str, int], warmup: int, dropped: int
) -> int:
    errors = sum(sum(m.errors.values()) for m in traffic.minutes)
    requests = sum(sum(len(v) for v in m.latencies.values()) for m in traffic.minutes)
    print(f"\nerrors: {errors} of {requests:,} requests (target 0)", flush=True)
    for sample in traffic.samples:
        print(f"  {sample}")
    print("\nresident memory (MiB)")
    shown = [row for row in memory.rows if not row[0].startswith("minute")]
    print(table(["moment", "service", "neo4j"], shown))
    warm = next((row for row in memory.rows if row[0].startswith("after warm-up")), None)
    end = memory.rows[-1]
    growth_ok = True
    if warm is not None:
        for name, i in (("service", 1), ("neo4j", 2)):
            growth = (end[i] - warm[i]) / warm[i] if warm[i] else float("nan")
            growth_ok &= growth < 0.10
            print(f"  {name} after warm-up: {growth:+.1%} (target under +10%)")
    else:
        print(f"  no warm-up sample (run longer than {warmup} minute(s))")
    _subscriber_report(traffic, dropped)
    print(
        "\ninvariants at the end: "
        f"{invariants['linking']:,} linking identifiers, {invariants['linkingNotInOne']} not in "
        f"exactly one person; {invariants['persons']:,} persons, {invariants['emptyPersons']} "
        f"empty; {invariants['items']:,} items, {invariants['itemsNotInOne']} not in exactly "
        "one person"
    )
    broken = (
        invariants["linkingNotInOne"] + invariants["emptyPersons"] + invariants["itemsNotInOne"]
    )
    ok = errors == 0 and broken == 0 and growth_ok
    print(f"\nverdict: {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


async def _invariants() -> dict[str, int]:
    graph = Graph.connect(bench_settings(), STATEMENTS)
    try:
        return dict(await graph.query("soak-invariants"))
    finally:
        await graph.close()


def main(args: argparse.Namespace) -> int:
    settings = bench_settings()
    print(machine_note(settings))
    dataset: Dataset = generate(args.customers, args.seed, settings)
    load = argparse.Namespace(
        customers=args.customers,
        load_batch=5000,
        record_batch=5000,
        reuse=False,
        wipe=args.wipe,
    )
    asyncio.run(prepare_data(load, dataset))
    key = secrets.token_urlsafe(24)
    service = Service(settings, key, ["read", "write"])
    try:
        service.wait_ready(timeout=180)  # a machine at load average 20+ starts it slowly
        print(
            f"soak: {args.minutes} minute(s), {args.clients} clients "
            f"({', '.join(f'{op} {share:.0%}' for op, share in MIX)}), a subscriber on "
            f"journeyEvents; service pid {service.process.pid}",
            flush=True,
        )
        # by their normalized values (the key's), which need no country to be read
        traffic = Traffic([(t, key.split(":", 1)[1], key) for t, _, key in dataset.targets])
        memory = Memory(service.psutil, neo4j_process(settings.neo4j_uri))
        asyncio.run(_drive(args, service.url, key, traffic, memory))
        output = service.output()
        dropped = output.count("live subscriber too slow: dropped an event")
        if "Traceback" in output:  # what an INTERNAL answer hides from the client
            first = output[output.index("Traceback") :].splitlines()[:60]
            print("service log, from its first traceback:", *first, sep="\n  ")
    finally:
        service.stop()
    invariants = asyncio.run(_invariants())
    return _report(traffic, memory, invariants, args.warmup_minutes, dropped)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=int, default=10, help="minutes of traffic")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--customers", type=int, default=5000, help="customers loaded first")
    parser.add_argument(
        "--warmup-minutes", type=int, default=1, help="minutes before the memory baseline"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--wipe", action="store_true", help="delete what the database holds")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main(parse_args()))
