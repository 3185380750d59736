"""What the benchmarks in ``bench/`` share: settings, the empty-graph guard, CPU meters,
percentiles and plain-text tables.

The benchmarks read the ordinary settings (``NEO4J_URI``, ``NEO4J_PASSWORD``, ...) and
never wipe a database that holds data unless ``--wipe`` is given: point them at a
server of their own, not at one whose data matters.
"""

from __future__ import annotations

import math
import os
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psutil

from devtools import DEVTOOLS_CYPHER
from service.settings import Settings, load_settings
from service.store.cypher import CYPHER_DIR, load_statements
from service.store.graph import Graph
from service.store.schema import apply_schema

#: The product's statements, the benchmarks' baselines (bench/cypher/) and the
#: development tools' (item-partition).
STATEMENTS = load_statements(
    CYPHER_DIR, Path(__file__).resolve().parent / "cypher", DEVTOOLS_CYPHER
)

__all__ = [
    "CpuMeter",
    "bench_settings",
    "clear",
    "machine_note",
    "neo4j_process",
    "percentile",
    "prepare_empty_graph",
    "server_memory",
    "table",
]


def bench_settings(**updates: Any) -> Settings:
    """``load_settings()`` (environment, then ``.env``), with benchmark overrides."""
    settings = load_settings()
    return settings.model_copy(update=updates) if updates else settings


async def clear(graph: Graph) -> None:
    """Delete every node (constraints and indexes stay)."""
    await graph.auto("delete-all")


async def prepare_empty_graph(graph: Graph, *, wipe: bool) -> None:
    """Make sure the graph is empty and has omnid's schema; refuse to wipe data unasked."""
    await graph.ping()
    nodes = int(await graph.query("baseline-node-count") or 0)
    if nodes:
        if not wipe:
            raise SystemExit(
                f"{graph.settings.neo4j_uri} holds {nodes:,} nodes: refusing to wipe them. "
                "Point NEO4J_URI at a server of its own, or pass --wipe to delete everything."
            )
        print(f"--wipe: deleting {nodes:,} nodes at {graph.settings.neo4j_uri}", flush=True)
        await clear(graph)
    await apply_schema(graph)


async def server_memory(graph: Graph) -> str:
    """The server's heap and page cache, as its settings say (figures depend on them)."""
    names = {
        "server.memory.heap.max_size": "heap",
        "server.memory.pagecache.size": "page cache",
    }
    rows = await graph.query("server-memory", names=sorted(names))
    found = {names[row["name"]]: row["value"] or "default" for row in rows}
    return "Neo4j " + ", ".join(f"{label} {found.get(label, '?')}" for label in names.values())


def neo4j_process(uri: str) -> psutil.Process | None:
    """The local process listening on the Bolt port of ``uri`` (None if not local)."""
    parsed = urlparse(uri)
    if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        return None
    port = parsed.port or 7687
    try:
        connections = psutil.net_connections("tcp")
    except psutil.AccessDenied:
        return None
    for conn in connections:
        listening = conn.status == psutil.CONN_LISTEN and conn.laddr
        if listening and conn.laddr.port == port and conn.pid:
            return psutil.Process(conn.pid)
    return None


def _cpu_seconds(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return math.nan
    return float(times.user + times.system)


def _machine_busy() -> float:
    times = psutil.cpu_times()
    idle = times.idle + getattr(times, "iowait", 0.0)
    return float(sum(times) - idle)


@dataclass
class CpuMeter:
    """CPU time of named processes over a phase, as a share of one core (100% = 1 core).

    ``others`` is what the rest of the machine used meanwhile (other servers, tests).
    """

    processes: dict[str, psutil.Process | None]
    _start: dict[str, float] = field(default_factory=dict)
    _wall: float = 0.0
    _busy: float = 0.0

    def start(self) -> None:
        self._start = {name: _cpu_seconds(p) for name, p in self.processes.items() if p is not None}
        self._busy = _machine_busy()
        self._wall = time.perf_counter()

    def stop(self) -> dict[str, float]:
        wall = max(time.perf_counter() - self._wall, 1e-9)
        shares: dict[str, float] = {}
        for name, p in self.processes.items():
            if p is None:
                shares[name] = math.nan
                continue
            shares[name] = 100.0 * (_cpu_seconds(p) - self._start[name]) / wall
        machine = 100.0 * (_machine_busy() - self._busy) / wall
        ours = sum(v for v in shares.values() if not math.isnan(v))
        shares["others"] = max(machine - ours, 0.0)
        shares["machine"] = machine
        return shares


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (``q`` in 0..100)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100.0 * len(sorted_values)))
    return float(sorted_values[min(rank, len(sorted_values)) - 1])


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        parts = [
            row[i].ljust(widths[i]) if i == 0 else row[i].rjust(widths[i]) for i in range(len(row))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _cell(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def machine_note(settings: Settings) -> str:
    """One line about where the figures come from."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    memory = psutil.virtual_memory().total / 2**30
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {platform.node()} · "
        f"{psutil.cpu_count()} cores, {memory:.0f} GB, load average {load} at start · "
        f"Python {platform.python_version()} · Neo4j at {settings.neo4j_uri}"
    )
