"""API latency: a counter lookup over HTTP GraphQL beside the same lookup as one Cypher query.

    python bench/api.py [--customers 50000] [--seconds 20] [--warmup 5] [--live 300]
                        [--load-batch 5000] [--record-batch 5000] [--workers 1]
                        [--wipe | --reuse]

1. Loads a dataset through omnid's own ingest path (``Ingestor.ingest_batch``):
   ``--customers`` customers (default 50,000) from ``devtools.generate`` (:data:`SHAPE`):
   their records (about 3 each: eshop, app, pos, crm, newsletter, loyalty) and seven
   events each on average across channels, some customers far more active than others;
   households, family tablets, store phones and junk values as in the demo. The load
   time is printed: it is a data point of its own. Records go in batches of
   ``--record-batch``, events in batches of ``--load-batch`` (5,000 each).
   ``--reuse`` skips the load when a previous run left the same dataset in the database.
2. Starts the service (``uvicorn --factory service.api.app:create_app --workers N`` in
   a subprocess, settings from the environment plus an API key of this run and
   ``OMNID_WORKERS=N``, as ``omnid serve --workers N`` runs it). ``--workers``: 1 by
   default, like ``omnid serve``: on 2 cores shared with Neo4j and the load client a
   second worker bought no throughput and slowed live delivery (bench/README.md).
3. From a load client in its own process (asyncio + aiohttp; ``--http-client httpx``
   for the client of earlier runs), 1 then 16 concurrent clients, ``--seconds``
   each after ``--warmup``, looks people up by a random identifier of one
   customer (``lookup_targets``) with their identifiers and their 50 latest events:
   ``person(identifier:) { id identifiers { type value } journey(first: 50) {...} }``;
   beside it, from the same process, the same lookups as one Cypher query through the
   async driver, without HTTP or GraphQL, read two ways: the minimal statement
   ``lookup`` (cypher/journey.cypher: a linking identifier's person, identifiers and 50
   latest events), and the statement and read model the service itself runs for this
   operation (``readmodels.person_pages``: also aliases, addresses, ambiguity, ties).
   The 16-client targets are printed against each. Prints req/s, p50, p90, p99 and the
   CPU share of the service, Neo4j and the client during each phase.
4. Subscription delivery: a graphql-transport-ws subscriber on ``journeyEvents`` while a
   writer sends ``recordEvents`` mutations one at a time; latency from the mutation's
   response (its commit) to the subscriber receiving the event, and from the request.

Settings come from the environment (``NEO4J_URI``, ``NEO4J_PASSWORD``); a database that
holds data is wiped only with ``--wipe``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import math
import multiprocessing
import random
import secrets
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any

import aiohttp
import httpx
import psutil
from benchlib import (
    STATEMENTS,
    CpuMeter,
    Service,
    bench_settings,
    machine_note,
    neo4j_process,
    percentile,
    prepare_empty_graph,
    table,
)

from devtools.generate import Shape
from devtools.generate import generate as generate_shape
from service.identity.contract import parse_item
from service.identity.identifiers import IdentifierRules
from service.identity.ingest import Ingestor
from service.read import models as readmodels
from service.settings import Settings
from service.store.graph import Graph

LOOKUP = """
query Lookup($type: IdentifierType!, $value: String!) {
  person(identifier: {type: $type, value: $value}) {
    id
    identifiers { type value }
    journey(first: 50) { edges { node { at channel type source id attributes } } }
  }
}
"""

#: What the service reads for LOOKUP: the person, their identifiers without sources, the
#: 50 latest events without the identifiers they were seen with (``person-pages``).
PAGE = readmodels.PageRequest(
    identifiers=True,
    journey=readmodels.JourneyRequest(person="", first=50),
    sources=False,
    seen_with=False,
)

SUBSCRIPTION = """
subscription Live {
  journeyEvents(types: ["card_payment"]) {
    event { at channel type source id attributes }
    person { id identifiers(types: [PHONE, EMAIL]) { type value } channels { channel events } }
  }
}
"""

RECORD_EVENT = """
mutation Pay($id: String!, $at: DateTime!, $type: IdentifierType!, $value: String!) {
  recordEvents(items: [{source: "bench-live", id: $id, channel: PAYMENT, type: "card_payment",
                        at: $at, identifiers: [{type: $type, value: $value}],
                        attributes: {amount: 120.5, city: "Lisbon"}}]) {
    status personId
  }
}
"""


#: (type, value as sent, key "TYPE:normalized") of an identifier to look people up by.
Target = tuple[str, str, str]


# --------------------------------------------------------------------------- dataset


#: The dataset: the demo generator's customers without the named stories (households,
#: family tablets, store phones at the till, junk values), seven events each on average,
#: a few far more active than the rest (``devtools.generate``).
SHAPE = Shape(stories=False, events=(1, 13), activity=1.0)
#: Types a counter looks people up by.
LOOKUP_TYPES = frozenset({"EMAIL", "PHONE", "LOYALTY_CARD", "DEVICE"})


@dataclass
class Dataset:
    records: list[dict[str, Any]]
    events: list[dict[str, Any]]
    identifiers: int  # distinct identifiers the records and events carry
    targets: list[Target]


def generate(customers: int, seed: int, settings: Settings) -> Dataset:
    """``customers`` customers of :data:`SHAPE`: their records, their events, and the
    identifiers to look them up by."""
    made = generate_shape(replace(SHAPE, customers=customers, seed=seed))
    records = [i for i in made.items if i["kind"] == "record"]
    events = [i for i in made.items if i["kind"] == "event"]
    identifiers, targets = lookup_targets(settings, made.items, made.truth)
    return Dataset(records, events, identifiers, targets)


def lookup_targets(
    settings: Settings, items: Sequence[dict[str, Any]], truth: dict[str, str]
) -> tuple[int, list[Target]]:
    """The distinct identifiers the items carry, and what the clients pick from at
    random: every linking identifier that belongs to one real customer (never a store's
    phone, a family tablet or a blocked value), as first sent."""
    rules = IdentifierRules.from_settings(settings)
    owners: dict[str, set[str]] = {}
    first: dict[str, Target] = {}
    for raw in items:
        item = parse_item(raw, rules=rules)
        for sent, ident in zip(raw["identifiers"], item.identifiers, strict=True):
            owners.setdefault(ident.key, set()).add(truth[item.key])
            if ident.type in LOOKUP_TYPES and ident.blocked is None:
                first.setdefault(ident.key, (ident.type, sent["value"], ident.key))
    return len(owners), [t for key, t in first.items() if len(owners[key]) == 1]


async def load(
    graph: Graph, dataset: Dataset, record_batch: int, event_batch: int
) -> tuple[float, dict[str, float]]:
    """Records, then events, through ``Ingestor.ingest_batch``; seconds and CPU shares."""
    ingestor = Ingestor(graph)
    meter = CpuMeter({"neo4j": neo4j_process(graph.settings.neo4j_uri), "bench": psutil.Process()})
    meter.start()
    started = time.perf_counter()
    total = len(dataset.records) + len(dataset.events)
    batches = [
        dataset.records[i : i + record_batch] for i in range(0, len(dataset.records), record_batch)
    ]
    batches += [
        dataset.events[i : i + event_batch] for i in range(0, len(dataset.events), event_batch)
    ]
    errors = done = 0
    reported = time.perf_counter()
    for batch in batches:
        report = await ingestor.ingest_batch(batch)
        errors += len(report.errors)
        done += len(batch)
        if time.perf_counter() - reported > 60 or done == total:
            reported = time.perf_counter()
            rate = done / (reported - started)
            print(f"  loaded {done:,} / {total:,} items ({rate:,.0f} items/s)", flush=True)
    seconds = time.perf_counter() - started
    if errors:
        print(f"  {errors} items were rejected", flush=True)
    return seconds, meter.stop()


# ---------------------------------------------------------------------- load client


@dataclass
class PhaseResult:
    name: str
    clients: int
    requests: int
    seconds: float
    latencies: list[float]  # sorted, seconds
    errors: int
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else math.nan

    def ms(self, q: float) -> float:
        return 1000.0 * percentile(self.latencies, q)


async def _drive(
    one: Callable[[random.Random], Awaitable[bool]],
    clients: int,
    seconds: float,
    warmup: float,
    conn: Connection,
) -> dict[str, Any]:
    """Closed loop: ``clients`` tasks each send a request as soon as the last answered."""
    state = {"measuring": False, "stop": False}
    latencies: list[float] = []
    errors = 0

    async def worker(index: int) -> None:
        nonlocal errors
        rng = random.Random(index * 7919 + 1)
        while not state["stop"]:
            started = time.perf_counter()
            try:
                ok = await one(rng)
            except Exception:
                ok = False
            if state["measuring"]:
                latencies.append(time.perf_counter() - started)
                errors += not ok

    tasks = [asyncio.create_task(worker(i)) for i in range(clients)]
    await asyncio.sleep(warmup)
    state["measuring"] = True
    conn.send(("measuring", None))
    started = time.perf_counter()
    await asyncio.sleep(seconds)
    state["measuring"] = False
    elapsed = time.perf_counter() - started
    state["stop"] = True
    await asyncio.gather(*tasks)
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "latencies": latencies,
        "errors": errors,
    }


async def _client_phase(
    kind: str, clients: int, seconds: float, warmup: float, cfg: dict[str, Any], conn: Connection
) -> dict[str, Any]:
    targets: list[Target] = cfg["targets"]
    if kind == "driver":
        graph = Graph.connect(bench_settings(), STATEMENTS)
        try:

            async def one_driver(rng: random.Random) -> bool:
                row = await graph.query("lookup", key=rng.choice(targets)[2])
                return row is not None

            return await _drive(one_driver, clients, seconds, warmup, conn)
        finally:
            await graph.close()
    if kind == "pages":
        graph = Graph.connect(bench_settings(), STATEMENTS)
        try:

            async def one_page(rng: random.Random) -> bool:
                request = dataclasses.replace(PAGE, key=rng.choice(targets)[2])
                page = (await readmodels.person_pages(graph, [request]))[0]
                return isinstance(page, readmodels.PersonPage)

            return await _drive(one_page, clients, seconds, warmup, conn)
        finally:
            await graph.close()

    if cfg["http_client"] == "httpx":
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        headers = {"Authorization": f"Bearer {cfg['key']}"}
        async with httpx.AsyncClient(
            base_url=cfg["url"], limits=limits, timeout=30.0, headers=headers
        ) as client:

            async def one_httpx(rng: random.Random) -> bool:
                type_, value, _ = rng.choice(targets)
                response = await client.post(
                    "/graphql",
                    json={"query": LOOKUP, "variables": {"type": type_, "value": value}},
                )
                return _answered(response.status_code, response.json())

            return await _drive(one_httpx, clients, seconds, warmup, conn)

    # aiohttp: the same requests for about a third of httpx's CPU (bench/README.md), CPU
    # this client would otherwise take from the service and Neo4j on shared cores.
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(
        base_url=cfg["url"],
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=30.0),
        headers={"Authorization": f"Bearer {cfg['key']}"},
    ) as session:

        async def one_aiohttp(rng: random.Random) -> bool:
            type_, value, _ = rng.choice(targets)
            async with session.post(
                "/graphql", json={"query": LOOKUP, "variables": {"type": type_, "value": value}}
            ) as response:
                return _answered(response.status, await response.json())

        return await _drive(one_aiohttp, clients, seconds, warmup, conn)


def _answered(status: int, body: dict[str, Any]) -> bool:
    """A lookup counts when it answered 200 with a person and no errors."""
    person = (body.get("data") or {}).get("person")
    return status == 200 and "errors" not in body and person is not None


async def _consistency(cfg: dict[str, Any], samples: int) -> dict[str, Any]:
    """Do GraphQL and the Cypher baseline answer the same for a few identifiers?"""
    targets: list[Target] = random.Random(11).sample(cfg["targets"], samples)
    graph = Graph.connect(bench_settings(), STATEMENTS)
    agree = 0
    mismatches: list[str] = []
    headers = {"Authorization": f"Bearer {cfg['key']}"}
    try:
        async with httpx.AsyncClient(base_url=cfg["url"], timeout=30.0, headers=headers) as client:
            for type_, value, key in targets:
                row = await graph.query("lookup", key=key)
                body = (
                    await client.post(
                        "/graphql",
                        json={"query": LOOKUP, "variables": {"type": type_, "value": value}},
                    )
                ).json()
                person = (body.get("data") or {}).get("person")
                if row is None or person is None:
                    mismatches.append(f"{type_}: no person ({'errors' in body})")
                    continue
                same = (
                    row["id"] == person["id"]
                    and {(i["type"], i["value"]) for i in row["identifiers"]}
                    == {(i["type"], i["value"]) for i in person["identifiers"]}
                    and {e["id"] for e in row["events"]}
                    == {e["node"]["id"] for e in person["journey"]["edges"]}
                )
                agree += same
                if not same:
                    mismatches.append(f"{type_}: answers differ")
    finally:
        await graph.close()
    return {"samples": samples, "agree": agree, "mismatches": mismatches[:5]}


async def _live(cfg: dict[str, Any], count: int, warm: int) -> dict[str, Any]:
    """One subscriber, one writer sending one event at a time (the next after delivery)."""
    from httpx_ws import aconnect_ws

    run = uuid.uuid4().hex[:8]
    targets: list[Target] = cfg["targets"]
    rng = random.Random(5)
    after_response: list[float] = []
    after_request: list[float] = []
    mutation: list[float] = []
    lost = errors = 0
    waiting: dict[str, asyncio.Future[float]] = {}
    headers = {"Authorization": f"Bearer {cfg['key']}"}
    url = cfg["url"]
    async with (
        httpx.AsyncClient(base_url=url, timeout=30.0, headers=headers) as client,
        aconnect_ws(f"{url}/graphql", client, subprotocols=["graphql-transport-ws"]) as ws,
    ):
        await ws.send_json({"type": "connection_init", "payload": {"apiKey": cfg["key"]}})
        ack = await asyncio.wait_for(ws.receive_json(), timeout=10)
        if ack.get("type") != "connection_ack":
            raise RuntimeError(f"subscription refused: {ack}")
        await ws.send_json({"id": "live", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})

        async def reader() -> None:
            nonlocal errors
            while True:
                message = await ws.receive_json()
                arrived = time.perf_counter()
                if message.get("type") == "ping":
                    await ws.send_json({"type": "pong"})
                    continue
                if message.get("type") != "next":
                    continue
                payload = message.get("payload") or {}
                live = (payload.get("data") or {}).get("journeyEvents")
                if not live or payload.get("errors"):
                    errors += 1
                    continue
                future = waiting.pop(live["event"]["id"], None)
                if future is not None and not future.done():
                    future.set_result(arrived)

        reading = asyncio.create_task(reader())
        await asyncio.sleep(0.5)  # let the subscription register
        try:
            for n in range(warm + count):
                event_id = f"live-{run}-{n}"
                future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
                waiting[event_id] = future
                type_, value, _ = rng.choice(targets)
                variables = {
                    "id": event_id,
                    "at": datetime.now(UTC).isoformat(),
                    "type": type_,
                    "value": value,
                }
                sent = time.perf_counter()
                response = await client.post(
                    "/graphql", json={"query": RECORD_EVENT, "variables": variables}
                )
                answered = time.perf_counter()
                body = response.json()
                results = (body.get("data") or {}).get("recordEvents") or []
                if not results or results[0]["status"] != "OK":
                    errors += 1
                    waiting.pop(event_id, None)
                    continue
                try:
                    delivered = await asyncio.wait_for(asyncio.shield(future), timeout=5.0)
                except TimeoutError:
                    lost += 1
                    waiting.pop(event_id, None)
                    continue
                if n >= warm:
                    after_response.append(delivered - answered)
                    after_request.append(delivered - sent)
                    mutation.append(answered - sent)
                await asyncio.sleep(0.01)
        finally:
            reading.cancel()
    return {
        "events": count,
        "after_response": sorted(after_response),
        "after_request": sorted(after_request),
        "mutation": sorted(mutation),
        "lost": lost,
        "errors": errors,
    }


def client_main(conn: Connection, cfg: dict[str, Any]) -> None:
    """The load client process: runs what the parent asks, one phase at a time."""
    try:
        import uvloop

        run: Callable[[Awaitable[Any]], Any] = uvloop.run
    except ImportError:
        run = asyncio.run
    while True:
        command, args = conn.recv()
        if command == "exit":
            return
        try:
            if command == "phase":
                result = run(_client_phase(*args, cfg, conn))
            elif command == "consistency":
                result = run(_consistency(cfg, *args))
            else:
                conn.send(("measuring", None))
                result = run(_live(cfg, *args))
            conn.send(("done", result))
        except Exception as exc:
            conn.send(("failed", f"{type(exc).__name__}: {exc}"))


class Client:
    """The parent's handle on the load client process."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=client_main, args=(child, cfg), daemon=True)
        self.process.start()
        self.psutil = psutil.Process(self.process.pid)

    def ask(self, command: str, *args: Any, meter: CpuMeter | None = None) -> Any:
        self.conn.send((command, args))
        while True:
            kind, payload = self.conn.recv()
            if kind == "measuring":
                if meter is not None:
                    meter.start()
                continue
            shares = meter.stop() if meter is not None else {}
            if kind == "failed":
                raise RuntimeError(f"load client: {payload}")
            return payload, shares

    def close(self) -> None:
        self.conn.send(("exit", None))
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.terminate()


# ----------------------------------------------------------------------------- service


# -------------------------------------------------------------------------------- main


async def prepare_data(args: argparse.Namespace, dataset: Dataset) -> None:
    settings = bench_settings(batch_size=max(args.load_batch, args.record_batch))
    graph = Graph.connect(settings, STATEMENTS)
    try:
        await graph.ping()
        summary = dict(await graph.query("baseline-summary") or {})
        expected = {"records": len(dataset.records), "events": len(dataset.events)}
        if args.reuse and all(summary.get(k) == v for k, v in expected.items()):
            print(f"--reuse: the database holds the dataset already ({_summary(summary)})")
            return
        if args.reuse:
            print(f"--reuse: the database does not hold this dataset ({_summary(summary)})")
        await prepare_empty_graph(graph, wipe=args.wipe)
        items = len(dataset.records) + len(dataset.events)
        print(
            f"loading {args.customers:,} customers: {len(dataset.records):,} records, then "
            f"{len(dataset.events):,} events, carrying {dataset.identifiers:,} identifiers, "
            f"through Ingestor.ingest_batch in batches of {args.record_batch:,} records and "
            f"{args.load_batch:,} events ...",
            flush=True,
        )
        seconds, cpu = await load(graph, dataset, args.record_batch, args.load_batch)
        summary = dict(await graph.query("baseline-summary") or {})
        print(
            f"loaded {items:,} items in {seconds:,.0f}s ({items / seconds:,.0f} items/s; "
            f"Neo4j CPU {cpu['neo4j']:.0f}%, bench CPU {cpu['bench']:.0f}%, "
            f"others {cpu['others']:.0f}%): {_summary(summary)}",
            flush=True,
        )
    finally:
        await graph.close()


def _summary(summary: dict[str, Any]) -> str:
    return ", ".join(f"{k} {int(v or 0):,}" for k, v in summary.items())


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


#: (client phase kind, name): the two readings of "the same lookup as one Cypher query
#: through the driver" (the minimal statement ``lookup``; the statement and read model the
#: service itself runs, ``person-pages``), then the service.
PHASES = (
    ("driver", "Cypher lookup (driver)"),
    ("pages", "person-pages (driver)"),
    ("http", "GraphQL over HTTP"),
)


def report(phases: Sequence[PhaseResult], live: dict[str, Any], live_cpu: dict[str, float]) -> None:
    rows = []
    for p in phases:
        cpu = [f"{p.cpu.get(k, math.nan):.0f}%" for k in ("service", "neo4j", "client", "others")]
        rows.append([p.name, p.clients, p.rate, p.ms(50), p.ms(90), p.ms(99), p.errors, *cpu])
    print()
    print(
        "API latency: person(identifier:) with identifiers and the 50 latest events (times in ms)"
    )
    print(
        table(
            [
                "phase",
                "clients",
                "req/s",
                "p50",
                "p90",
                "p99",
                "errors",
                "service CPU",
                "Neo4j CPU",
                "client CPU",
                "others",
            ],
            rows,
        )
    )
    print(
        "CPU: share of one core during the measured window (2 cores = 200%); 'others' is "
        "the rest of the machine."
    )
    by = {(p.name.split()[0], p.clients): p for p in phases}
    one, http16 = by[("GraphQL", 1)], by[("GraphQL", 16)]
    print()
    print("Targets")
    print(
        f"  1 client:   p50 {one.ms(50):.1f} ms (<= 5: {_verdict(one.ms(50) <= 5)}), "
        f"p99 {one.ms(99):.1f} ms (<= 10: {_verdict(one.ms(99) <= 10)})"
    )
    for first_word, reading in (("Cypher", "lookup"), ("person-pages", "person-pages")):
        base16 = by[(first_word, 16)]
        rate_ratio = http16.rate / base16.rate
        p99_ratio = http16.ms(99) / base16.ms(99)
        print(
            f"  16 clients against the {reading} baseline: req/s {rate_ratio:.2f}x "
            f"(>= 0.5: {_verdict(rate_ratio >= 0.5)}), p99 {p99_ratio:.2f}x "
            f"(<= 2.5: {_verdict(p99_ratio <= 2.5)})"
        )
    after_response = live["after_response"]
    after_request = live["after_request"]
    p99 = 1000.0 * percentile(after_response, 99)
    print()
    print(
        f"Subscription delivery (journeyEvents, graphql-transport-ws): "
        f"{len(after_response)} events, one mutation at a time, lost {live['lost']}, "
        f"errors {live['errors']}"
    )
    sub_rows = [
        [
            "from mutation response (commit)",
            *(1000.0 * percentile(after_response, q) for q in (50, 90, 99)),
            1000.0 * max(after_response, default=math.nan),
        ],
        [
            "from mutation request sent",
            *(1000.0 * percentile(after_request, q) for q in (50, 90, 99)),
            1000.0 * max(after_request, default=math.nan),
        ],
        [
            "mutation round trip",
            *(1000.0 * percentile(live["mutation"], q) for q in (50, 90, 99)),
            1000.0 * max(live["mutation"], default=math.nan),
        ],
    ]
    print(table(["latency (ms)", "p50", "p90", "p99", "max"], sub_rows))
    cpu = ", ".join(f"{k} {live_cpu.get(k, math.nan):.0f}%" for k in ("service", "neo4j", "client"))
    print(f"  CPU during the subscription phase: {cpu}")
    print(f"  target p99 < 100 ms from commit: {p99:.1f} ms, {_verdict(p99 < 100)}")


def main(args: argparse.Namespace) -> int:
    settings = bench_settings()
    print(machine_note(settings))
    started = time.perf_counter()
    dataset = generate(args.customers, args.seed, settings)
    targets = dataset.targets
    print(
        f"dataset: {args.customers:,} customers, {len(dataset.records):,} records, "
        f"{dataset.identifiers:,} identifiers ({len(targets):,} to look people up by), "
        f"{len(dataset.events):,} events, generated in {time.perf_counter() - started:.1f}s",
        flush=True,
    )
    asyncio.run(prepare_data(args, dataset))

    key = secrets.token_urlsafe(24)
    service = Service(settings, key, ["read", "write"], args.workers)
    client: Client | None = None
    try:
        service.wait_ready()
        print(
            f"service ready at {service.url} (uvicorn, {args.workers} worker(s), "
            f"pid {service.process.pid})",
            flush=True,
        )
        client = Client(
            {"url": service.url, "key": key, "targets": targets, "http_client": args.http_client}
        )
        processes = {
            "service": service.psutil,
            "neo4j": neo4j_process(settings.neo4j_uri),
            "client": client.psutil,
        }
        checked, _ = client.ask("consistency", 20)
        print(
            f"consistency: GraphQL and the Cypher baseline agree on {checked['agree']} of "
            f"{checked['samples']} random lookups {checked['mismatches'] or ''}",
            flush=True,
        )
        phases: list[PhaseResult] = []
        for clients in (1, 16):
            for kind, name in PHASES:
                print(
                    f"{name}, {clients} client(s): {args.warmup:g}s warm-up, "
                    f"{args.seconds:g}s measured ...",
                    flush=True,
                )
                meter = CpuMeter(processes)
                result, shares = client.ask(
                    "phase", kind, clients, args.seconds, args.warmup, meter=meter
                )
                phases.append(
                    PhaseResult(
                        name,
                        clients,
                        result["requests"],
                        result["seconds"],
                        sorted(result["latencies"]),
                        result["errors"],
                        shares,
                    )
                )
        print(f"subscription: {args.live} events after 20 warm-up events ...", flush=True)
        live, live_cpu = client.ask("live", args.live, 20, meter=CpuMeter(processes))
    finally:
        if client is not None:
            client.close()
        service.stop()
    report(phases, live, live_cpu)
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--customers",
        "--persons",
        dest="customers",
        type=int,
        default=50_000,
        help="real customers (the persons, but for a few false merges)",
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=5.0, help="warm-up seconds per phase")
    parser.add_argument("--live", type=int, default=300, help="events for subscription latency")
    parser.add_argument("--load-batch", type=int, default=5_000, help="events per load batch")
    parser.add_argument(
        "--record-batch",
        type=int,
        default=5_000,
        help="records per load batch",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes of the service"
    )
    parser.add_argument(
        "--http-client",
        choices=("aiohttp", "httpx"),
        default="aiohttp",
        help="the load client's HTTP library for the GraphQL lookups",
    )
    parser.add_argument("--seed", type=int, default=7)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--wipe", action="store_true", help="delete what the database holds")
    group.add_argument(
        "--reuse", action="store_true", help="keep the dataset a previous run loaded"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main(parse_args()))
