"""Segments in real time: event commit -> segment change delivered, and what segments
cost the ingest.

1. Bulk-loads two equal halves of a generated graph through ``Ingestor.ingest`` (the
   bulk path): the first with no segment listening, the second with 10 segments defined
   and the segment engine hooked in (timed until the load returns, and until every
   change it caused is evaluated). The ratio of the two rates is the ingest cost.
2. Starts the service (uvicorn, a subprocess) with a webhook target: a receiver on
   loopback in this process; subscribes to ``segmentChanges`` over its websocket.
3. Sends card payments abroad over GraphQL at a fixed rate (each makes one person enter
   *travelling-abroad*) and times, per event, mutation response (the commit) -> the
   subscription's change and -> the webhook's, matched by the event key the change
   carries. A warm-up precedes the timed stream.

    NEO4J_URI=bolt://127.0.0.1:7796 NEO4J_PASSWORD=... python bench/realtime.py --wipe

Targets: p99 <= 100 ms (subscription), <= 250 ms (webhook), ingest >= 0.8x.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from benchlib import (
    STATEMENTS,
    bench_settings,
    machine_note,
    percentile,
    prepare_empty_graph,
    table,
)
from httpx_ws import aconnect_ws
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service.identity.ingest import Ingestor
from service.segments import SegmentEngine
from service.settings import Settings
from service.store.graph import Graph

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-realtime-key"
SECRET = "bench-realtime-webhook-secret"
COUNTRIES = ("ES", "FR", "PT", "DE", "IT")

SEGMENTS: list[dict[str, Any]] = [
    {
        "name": "travelling-abroad",
        "rule": {
            "event": {
                "type": "card_payment",
                "within": "3d",
                "where": [{"attribute": "country", "ne": {"home": "country"}}],
            }
        },
    },
    {
        "name": "big-spenders",
        "rule": {"event": {"type": "purchase", "where": [{"attribute": "amount", "gt": 400}]}},
    },
    {"name": "gold", "rule": {"record": {"where": [{"attribute": "tier", "eq": "gold"}]}}},
    {"name": "reachable-by-sms", "rule": {"identifier": {"type": "PHONE"}}},
    {
        "name": "loyal",
        "rule": {
            "all": [
                {"identifier": {"type": "LOYALTY_CARD"}},
                {"event": {"type": "purchase", "atLeast": 2}},
            ]
        },
    },
    {
        "name": "web-buyers-30d",
        "rule": {"event": {"type": "purchase", "channel": "WEB", "within": "30d"}},
    },
    {
        "name": "store-regulars",
        "rule": {"event": {"channel": "STORE", "atLeast": 3, "within": "90d"}},
    },
    {
        "name": "spanish-customers",
        "rule": {"record": {"where": [{"field": "country", "eq": "ES"}]}},
    },
    {
        "name": "no-phone-buyers",
        "rule": {
            "all": [{"event": {"type": "purchase"}}, {"not": {"identifier": {"type": "PHONE"}}}]
        },
    },
    {
        "name": "iberian-silver",
        "rule": {
            "record": {
                "where": [
                    {"field": "country", "in": ["ES", "PT"]},
                    {"attribute": "tier", "eq": "silver"},
                ]
            }
        },
    },
]


def customers(first: int, count: int, seed: int) -> list[dict[str, Any]]:
    """Per customer: a bank record (home country, phone, email, tier) and two purchases."""
    rng = random.Random(seed + first)
    now = datetime.now(UTC)
    items: list[dict[str, Any]] = []
    for n in range(first, first + count):
        email = {"type": "EMAIL", "value": f"c{n}@example.com"}
        ids = [email, {"type": "PHONE", "value": f"+346{n % 10**8:08d}"}]
        if n % 3 == 0:
            ids.append({"type": "LOYALTY_CARD", "value": f"LC{n:09d}"})
        items.append(
            {
                "kind": "record",
                "source": "bank",
                "id": f"c{n}",
                "country": COUNTRIES[n % len(COUNTRIES)],
                "identifiers": ids,
                "attributes": {"tier": rng.choice(["gold", "silver", "bronze"])},
            }
        )
        for k in range(2):
            items.append(
                {
                    "kind": "event",
                    "source": "shop",
                    "id": f"o{n}-{k}",
                    "channel": rng.choice(["WEB", "STORE", "APP"]),
                    "type": "purchase",
                    "at": (now - timedelta(days=rng.randint(0, 120))).isoformat(),
                    "identifiers": [email],
                    "attributes": {"amount": rng.randint(5, 600)},
                }
            )
    return items


async def _bulk(
    graph: Graph, items: list[dict[str, Any]], engine: SegmentEngine | None
) -> tuple[float, float]:
    """Items/s until the load returns, and until the engine evaluated what it touched."""
    ingestor = Ingestor(graph, on_commit=engine.on_commit if engine else None)
    started = time.perf_counter()
    report = await ingestor.ingest(items)
    loaded = time.perf_counter() - started
    assert not report.errors, report.errors[:3]
    if engine is not None:
        await engine.settle(timeout=600)
    settled = time.perf_counter() - started
    return len(items) / loaded, len(items) / settled


async def load_phase(settings: Settings, args: argparse.Namespace) -> dict[str, float]:
    graph = Graph.connect(settings, STATEMENTS)
    try:
        await prepare_empty_graph(graph, wipe=args.wipe)
        half = args.customers // 2
        await _bulk(graph, customers(10_000_000, 1000, args.seed), None)  # warm-up
        without, _ = await _bulk(graph, customers(0, half, args.seed), None)
        print(f"bulk load without segments: {without:,.0f} items/s", flush=True)

        engine = SegmentEngine(graph, targets=[], scheduler_interval=3600)
        await engine.start()
        started = time.perf_counter()
        for definition in SEGMENTS:
            await engine.define(definition)
        while any(s.status != "READY" for s in await engine.cache.current()):
            engine.cache.invalidate()
            await asyncio.sleep(0.5)
        backfill = time.perf_counter() - started
        print(f"10 segments defined and evaluated over the graph in {backfill:.1f} s", flush=True)
        with_load, with_settled = await _bulk(graph, customers(half, half, args.seed), engine)
        await engine.stop()
        print(
            f"bulk load with 10 segments: {with_load:,.0f} items/s "
            f"({with_settled:,.0f} until every change was evaluated)",
            flush=True,
        )
        return {
            "without": without,
            "with": with_load,
            "with_settled": with_settled,
            "backfill": backfill,
        }
    finally:
        await graph.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Receiver:
    """The marketing tool: records when each change's webhook arrived, by event key."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.arrived: dict[str, float] = {}

    async def hook(self, request: Request) -> Response:
        body = json.loads(await request.body())
        if body["change"] == "ENTERED" and body["event"]:
            self.arrived.setdefault(body["event"]["key"], time.perf_counter())
        return Response(status_code=204)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])


def start_service(
    settings: Settings, receiver: Receiver
) -> tuple[subprocess.Popen[bytes], str, Any]:
    port = _free_port()
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115
        prefix="omnid-bench-realtime-", suffix=".log", delete=False
    )
    env = {
        **os.environ,
        "NEO4J_URI": settings.neo4j_uri,
        "NEO4J_USER": settings.neo4j_user,
        "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
        "NEO4J_DATABASE": settings.neo4j_database,
        "OMNID_API_KEYS": json.dumps({KEY: ["read", "write", "admin"]}),
        "OMNID_LOAD_DEMO": "false",
        "OMNID_WEBHOOKS": json.dumps(
            [
                {
                    "name": "sms-tool",
                    "url": f"http://127.0.0.1:{receiver.port}/hook",
                    "segments": ["travelling-abroad"],
                    "secret": SECRET,
                }
            ]
        ),
        "OMNID_WEBHOOK_ALLOWED_HOSTS": '["127.0.0.1"]',
    }
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "service.api.app:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/readyz", timeout=2.0).status_code == 200:
                return process, url, log
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    log.seek(0)
    raise SystemExit(f"the service did not start:\n{log.read().decode()[-3000:]}")


EVENTS = "mutation($items: [EventInput!]!) { recordEvents(items: $items) { status } }"
SUBSCRIBE = (
    'subscription { segmentChanges(names: ["travelling-abroad"]) '
    "{ change person { id phones } event { key } } }"
)


def _payments(persons: Sequence[int], tag: str) -> list[dict[str, Any]]:
    now = datetime.now(UTC).isoformat()
    return [
        {
            "source": "cards",
            "id": f"{tag}-{n}",
            "channel": "PAYMENT",
            "type": "card_payment",
            "at": now,
            "identifiers": [{"type": "EMAIL", "value": f"c{n}@example.com"}],
            # Abroad: a country other than the customer's home (COUNTRIES[n % 5]).
            "attributes": {"country": COUNTRIES[(n + 1) % len(COUNTRIES)], "merchant": "Hotel"},
        }
        for n in persons
    ]


async def stream_phase(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    receiver = Receiver()
    server = uvicorn.Server(
        uvicorn.Config(receiver.app(), host="127.0.0.1", port=receiver.port, log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    process, url, log = start_service(settings, receiver)
    committed: dict[str, float] = {}
    subscribed: dict[str, float] = {}
    errors = 0
    try:
        async with (
            httpx.AsyncClient(
                base_url=url, headers={"Authorization": f"Bearer {KEY}"}, timeout=30
            ) as client,
            aconnect_ws(f"{url}/graphql", client, subprotocols=["graphql-transport-ws"]) as ws,
        ):
            await ws.send_json({"type": "connection_init", "payload": {"apiKey": KEY}})
            assert (await ws.receive_json())["type"] == "connection_ack"
            await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}})

            async def listen() -> None:
                while True:
                    message = await ws.receive_json()
                    change = message["payload"]["data"]["segmentChanges"]
                    if change["change"] == "ENTERED" and change["event"]:
                        subscribed.setdefault(change["event"]["key"], time.perf_counter())

            listener = asyncio.create_task(listen())
            await asyncio.sleep(0.5)
            pool = list(range(args.customers))
            random.Random(args.seed).shuffle(pool)
            per_request = args.batch
            interval = per_request / args.rate
            total = int(args.rate * (args.seconds + args.warmup))
            warm = int(args.rate * args.warmup)
            sends: list[asyncio.Task[None]] = []

            async def send(chunk: list[int], tag: str) -> None:
                nonlocal errors
                body = await client.post(
                    "/graphql",
                    json={"query": EVENTS, "variables": {"items": _payments(chunk, tag)}},
                )
                done = time.perf_counter()
                answer = body.json()
                if "errors" in answer:
                    errors += 1
                    return
                for n in chunk:
                    committed[f"event/cards/{tag}-{n}"] = done

            started = time.perf_counter()
            for i in range(0, total, per_request):
                tag = "warm" if i < warm else "pay"
                sends.append(asyncio.create_task(send(pool[i : i + per_request], tag)))
                next_at = started + (i // per_request + 1) * interval
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            await asyncio.gather(*sends)
            sent_seconds = time.perf_counter() - started
            await asyncio.sleep(3.0)  # stragglers
            listener.cancel()
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        print(f"service log: {log.name}", flush=True)
        server.should_exit = True
        await serving

    def latencies(arrived: dict[str, float]) -> tuple[list[float], int]:
        timed = [k for k in committed if k.startswith("event/cards/pay-")]
        values = sorted(1000 * (arrived[k] - committed[k]) for k in timed if k in arrived)
        return values, len(timed) - len(values)

    sub, sub_lost = latencies(subscribed)
    hook, hook_lost = latencies(receiver.arrived)
    return {
        "events": sum(1 for k in committed if k.startswith("event/cards/pay-")),
        "rate": (total - warm) / max(sent_seconds - args.warmup, 1e-9),
        "errors": errors,
        "subscription": (sub, sub_lost),
        "webhook": (hook, hook_lost),
    }


def report(load: dict[str, float], stream: dict[str, Any]) -> None:
    rows = []
    for label, (values, lost) in (
        ("subscription (segmentChanges)", stream["subscription"]),
        ("webhook (outbox drainer)", stream["webhook"]),
    ):
        rows.append(
            [label, len(values), lost]
            + [percentile(values, q) for q in (50, 90, 99)]
            + [values[-1] if values else float("nan")]
        )
    print()
    print(
        f"Stream: {stream['events']:,} card payments abroad at {stream['rate']:.0f}/s over "
        f"GraphQL, {stream['errors']} errors; ms from the mutation's response (commit) to the "
        "change delivered:"
    )
    print(table(["path", "delivered", "lost", "p50", "p90", "p99", "max"], rows))
    ratio = load["with"] / load["without"]
    settled = load["with_settled"] / load["without"]
    print()
    print(
        f"Bulk ingest: {load['without']:,.0f} items/s without segments, {load['with']:,.0f} "
        f"with 10 segments ({ratio:.2f}x; {settled:.2f}x counting until every change was "
        f"evaluated); background evaluation of the 10 definitions: {load['backfill']:.1f} s"
    )
    sub_p99 = percentile(stream["subscription"][0], 99)
    hook_p99 = percentile(stream["webhook"][0], 99)
    print()
    print("Targets")
    print(f"  subscription p99 {sub_p99:.1f} ms (<= 100: {'ok' if sub_p99 <= 100 else 'MISSED'})")
    print(f"  webhook p99 {hook_p99:.1f} ms (<= 250: {'ok' if hook_p99 <= 250 else 'MISSED'})")
    print(f"  ingest {ratio:.2f}x (>= 0.8: {'ok' if ratio >= 0.8 else 'MISSED'})")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--customers", type=int, default=16_000, help="3 items each")
    parser.add_argument("--rate", type=float, default=200.0, help="events per second")
    parser.add_argument("--batch", type=int, default=10, help="events per mutation")
    parser.add_argument("--seconds", type=float, default=20.0, help="timed stream length")
    parser.add_argument("--warmup", type=float, default=3.0, help="untimed stream first")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--wipe", action="store_true", help="delete what the database holds")
    parser.add_argument(
        "--stream-only", action="store_true", help="skip the load (debugging a stream)"
    )
    return parser.parse_args(argv)


async def main(args: argparse.Namespace) -> None:
    settings = bench_settings()
    print(machine_note(settings), flush=True)
    if args.customers < args.rate * (args.seconds + args.warmup):
        raise SystemExit("--customers must cover every event of the stream (one per person)")
    load = (
        {"without": 1.0, "with": 1.0, "with_settled": 1.0, "backfill": 0.0}
        if args.stream_only
        else await load_phase(settings, args)
    )
    stream = await stream_phase(settings, args)
    report(load, stream)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
