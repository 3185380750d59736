"""What the benchmarks in ``bench/`` share: settings, the empty-graph guard, CPU meters,
percentiles, plain-text tables and the service in a subprocess.

The benchmarks read the ordinary settings (``NEO4J_URI``, ``NEO4J_PASSWORD``, ...) and
never wipe a database that holds data unless ``--wipe`` is given: point them at a
server of their own, not at one whose data matters.
"""

from __future__ import annotations

import json
import math
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
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
    "ProcessTree",
    "Service",
    "bench_settings",
    "clear",
    "free_port",
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
    await graph.wipe()


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


# ----------------------------------------------------------------------------- service

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ProcessTree:
    """A process and its children as one for ``CpuMeter`` and memory: uvicorn's workers
    are children of the process we start."""

    def __init__(self, process: psutil.Process) -> None:
        self.process = process
        self.pid = process.pid

    def _all(self) -> list[psutil.Process]:
        return [self.process, *self.process.children(recursive=True)]

    def cpu_times(self) -> Any:
        user = system = 0.0
        for process in self._all():
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            user, system = user + times.user, system + times.system
        return type("CpuTimes", (), {"user": user, "system": system})()

    def rss(self) -> int:
        """Resident memory of the process and its children, in bytes."""
        total = 0
        for process in self._all():
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total


class Service:
    """omnid's HTTP service under uvicorn (``uvicorn --factory
    service.api.app:create_app --workers N``, as ``omnid serve --workers N`` runs it), in
    a subprocess of its own, with one API key of this run and its scopes."""

    def __init__(self, settings: Settings, key: str, scopes: list[str], workers: int = 1) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="omnid-bench-", suffix=".log")  # noqa: SIM115
        env = {
            **os.environ,
            "NEO4J_URI": settings.neo4j_uri,
            "NEO4J_USER": settings.neo4j_user,
            "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
            "NEO4J_DATABASE": settings.neo4j_database,
            "OMNID_API_KEYS": json.dumps({key: scopes}),
            "OMNID_LOAD_DEMO": "false",
            "OMNID_WORKERS": str(workers),
        }
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "service.api.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--workers",
            str(workers),
        ]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        self.psutil = ProcessTree(psutil.Process(self.process.pid))

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"the service did not become ready:\n{self.output()[-3000:]}")

    def output(self) -> str:
        """What the service has written to stdout and stderr so far."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
