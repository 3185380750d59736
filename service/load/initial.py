"""``omnid load --initial``: a whole input into an empty database, in minutes.

Phases, each reported as it ends (``on_phase``):

1. ``check``: the target database must be empty (a load replaces it);
2. ``stage``: the files read and validated by the contract, in worker processes, into
   Parquet chunks (``staging``); rejected lines to the reject report;
3. ``resolve``: persons and shared identifiers over the whole input, by the chosen
   engine (``engine``: in this process, or on Spark);
4. ``export``: neo4j-admin's CSV files (``export``);
5. ``import``: ``neo4j-admin database import full`` into a staging store, while the
   server still serves;
6. ``swap``: the server stopped, the store swapped in, the server started
   (``admin``); a failed start puts the old store back;
7. ``schema``: constraints and indexes (``omnid schema apply``), and what the import
   tool cannot write (``mergedFrom: []``); the counts checked.

Memory: the staging phase holds a few chunks of 50,000 lines; resolve holds the stored
items and the identifiers they carry as integer-keyed frames (about 100 bytes per item
and per carried identifier, plus the keys and attributes as Arrow strings).
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from service.errors import GraphUnavailable, InvalidInput, OmnidError
from service.identity.files import Line
from service.identity.identifiers import IdentifierRules
from service.identity.resolution import ResolutionPolicy
from service.load.admin import import_store, remove_previous, swap_in
from service.load.engine import Engine, InProcess
from service.load.export import ImportFiles, write_csv_files
from service.load.server import ServerControl
from service.load.staging import stage
from service.settings import Settings
from service.store.graph import Graph
from service.store.schema import apply_schema

__all__ = ["LoadReport", "initial_load"]


@dataclass(slots=True)
class LoadReport:
    """What an initial load read and wrote, and how long each phase took."""

    lines: int = 0
    rejected: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    shared: int = 0
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(self.phases.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "rejected": self.rejected,
            **self.counts,
            "sharedIdentifiers": self.shared,
            "phases": {k: round(v, 2) for k, v in self.phases.items()},
            "seconds": round(self.seconds, 2),
        }


class _Phases:
    def __init__(self, report: LoadReport, on_phase: Callable[[str, float], None]) -> None:
        self.report, self.on_phase = report, on_phase
        self.started = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.report.phases[name] = now - self.started
        self.on_phase(name, now - self.started)
        self.started = now


async def _is_empty(settings: Settings) -> bool:
    async with Graph.connect(settings) as graph:
        return bool(await graph.query("load-is-empty"))


async def _finish(settings: Settings, expected: dict[str, int]) -> None:
    async with Graph.connect(settings) as graph:
        await apply_schema(graph)
        await graph.auto("load-person-merged-from")
        found = await graph.query("load-counts")
    for name in ("identifiers", "records", "events", "persons"):
        if found[name] != expected[name]:
            raise GraphUnavailable(
                f"the loaded database holds {found[name]} {name}, the load wrote {expected[name]}"
            )


async def initial_load(
    settings: Settings,
    files: Iterable[tuple[str, Iterable[Line]]],
    *,
    work_dir: Path,
    control: ServerControl | None,
    on_reject: Callable[[str, Line, OmnidError], None],
    on_phase: Callable[[str, float], None] = lambda name, seconds: None,
    on_progress: Callable[[int], None] = lambda lines: None,
    csv_only: bool = False,
    workers: int | None = None,
    engine: Engine = InProcess(),
) -> LoadReport:
    """Load ``files`` into the empty database; with ``csv_only``, stop after writing the
    CSV files into ``work_dir / "csv"`` (for a server this process cannot stop).
    ``engine`` resolves the staged input (``service.load.engine``)."""
    report = LoadReport()
    phases = _Phases(report, on_phase)
    if not csv_only:
        if control is None:
            raise InvalidInput("an initial load needs a server control", field="server")
        if not await _is_empty(settings):
            raise InvalidInput(
                "the database is not empty: an initial load replaces it; use omnid import",
                field="database",
            )
    phases.done("check")
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    rules = IdentifierRules.from_settings(settings)
    # The heavy phases run in a thread: the caller's event loop stays free.
    staged = await asyncio.to_thread(
        stage, files, work_dir / "staged", rules, on_reject=on_reject,
        on_progress=on_progress, workers=workers,
    )  # fmt: skip
    report.lines, report.rejected = staged.lines, staged.rejected
    phases.done("stage")
    policy = ResolutionPolicy.from_settings(settings)
    resolved = await asyncio.to_thread(engine.resolve, staged.directory, policy, now)
    report.shared = int(resolved.identifiers["shared"].sum())
    phases.done("resolve")
    csv_files = await asyncio.to_thread(write_csv_files, resolved, work_dir / "csv", now)
    report.counts = dict(csv_files.counts)
    del resolved
    shutil.rmtree(staged.directory)
    phases.done("export")
    if csv_only or control is None:
        return report
    await _import_and_swap(settings, control, csv_files, phases)
    await _finish(settings, report.counts)
    remove_previous(control, settings.neo4j_database)
    shutil.rmtree(work_dir / "csv")
    phases.done("schema")
    return report


async def _import_and_swap(
    settings: Settings, control: ServerControl, csv_files: ImportFiles, phases: _Phases
) -> None:
    database = settings.neo4j_database
    staging = control.home / "load-staging"
    staged = await asyncio.to_thread(import_store, control, csv_files, database, staging)
    phases.done("import")
    # Checked again: a writer may have come while the input was resolved.
    if not await _is_empty(settings):
        raise InvalidInput("the database received data during the load", field="database")
    await asyncio.to_thread(control.stop)
    swap_in(control, staged, database)
    try:
        await asyncio.to_thread(control.start)
    except OmnidError:
        # The new store does not start: the old one comes back, untouched.
        control.stop()
        failed = control.home / "load-failed"
        shutil.rmtree(failed, ignore_errors=True)
        for sub in ("databases", "transactions"):
            current = control.home / "data" / sub / database
            (failed / sub).mkdir(parents=True, exist_ok=True)
            current.rename(failed / sub / database)
            previous = control.home / "data" / sub / f"{database}.before-load"
            if previous.exists():
                previous.rename(current)
        control.start()
        raise
    shutil.rmtree(control.home / "load-staging", ignore_errors=True)
    phases.done("swap")
