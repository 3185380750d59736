"""Ingest throughput: omnid's write path beside two plain UNWIND MERGE baselines.

    python bench/ingest.py [--items 100000] [--batch 5000] [--seed 7] [--wipe] [--statements]

Generates ``--items`` records and events with ``devtools.generate`` (:data:`SHAPE`:
customers seen on several records and events, so persons merge as items arrive;
spelling variants of the same value; households sharing an address and sometimes a
tablet; store phones typed at the till for customers who gave none; junk values; records
sent again with new attributes), warms the server up with a smaller load, then
measures each of these on an empty graph, with one writer and batches of ``--batch``
items, one transaction per batch:

    (a) plain UNWIND MERGE of the identifier nodes the items carry, alone;
    (b) the same identifiers, records, events and HAS relationships as plain UNWIND
        MERGE, without any resolution;
    (c) omnid's real path, ``Ingestor.ingest_batch``: validation, normalization and
        write-time identity resolution, in the same transaction.

With ``--writers N`` (default omnid's, 3), also: (bN) as (b) with N transactions at
once; (cN) omnid's bulk pipeline ``Ingestor.ingest_batches`` (the CLI import), N
transactions at once; (cN') as (c), each call of ``ingest_batch`` cut into N
transactions, as the GraphQL mutations do with a large call.

The baselines write already parsed items (their time is the database's); (c) starts from
the raw JSON objects, so its time includes parsing and normalizing them (printed apart).
``--statements`` also prints, for (b), (c), (bN) and (cN), the time spent in each named
statement and in whole write transactions, and each statement's time per row in every
tenth of the phase (a plan or a cost that changes as the graph grows shows as a step).
Settings come from the environment (``NEO4J_URI``,
``NEO4J_PASSWORD``); a database that holds data is wiped only with ``--wipe``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import psutil
from benchlib import (
    STATEMENTS,
    CpuMeter,
    bench_settings,
    clear,
    machine_note,
    neo4j_process,
    prepare_empty_graph,
    server_memory,
    table,
)
from outcome import Outcome, outcome

from devtools.generate import Shape, generate_items
from service.errors import OmnidError
from service.gc_tuning import tune_gc
from service.identity.contract import Item
from service.identity.ingest import Ingestor, IngestReport
from service.identity.resolution import label_for
from service.settings import Settings
from service.store.graph import Graph, Tx

#: The dataset: the demo generator's customers (households, family tablets, store phones
#: typed at the till, junk values, spelling variants), without the named stories, a fifth
#: of the records sent again later with new attributes (``devtools.generate``).
SHAPE = Shape(stories=False, resend=0.2)


def generate(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` items of :data:`SHAPE` (about a quarter records) in arrival order."""
    return generate_items(n, replace(SHAPE, seed=seed)).items


# ------------------------------------------------------------------------- baselines


@dataclass
class Batch:
    raw: list[dict[str, Any]]
    identifiers: list[dict[str, Any]]
    records: list[dict[str, Any]]
    events: list[dict[str, Any]]


@dataclass
class Prepared:
    batches: list[Batch]
    items: int
    records: int
    events: int
    occurrences: int  # identifiers carried by the items: the HAS relationships written
    distinct: int  # distinct identifier keys over the whole load
    errors: int
    parse_seconds: float


def prepare(ingestor: Ingestor, raw: Sequence[dict[str, Any]], batch: int) -> Prepared:
    """Parse every batch once (timed) and build the baselines' rows from it."""
    batches: list[Batch] = []
    errors = 0
    parse_seconds = 0.0
    distinct: set[str] = set()
    records = events = occurrences = 0
    for start in range(0, len(raw), batch):
        chunk = list(raw[start : start + batch])
        t0 = time.perf_counter()
        parsed = ingestor.parse(chunk)
        parse_seconds += time.perf_counter() - t0
        unique: dict[str, Item] = {}
        for entry in parsed:
            if isinstance(entry, OmnidError):
                errors += 1
            elif entry.kind == "record" or entry.key not in unique:
                unique[entry.key] = entry  # as ingest_batch: last record wins, first event
        idents: dict[str, dict[str, Any]] = {}
        record_rows: list[dict[str, Any]] = []
        event_rows: list[dict[str, Any]] = []
        for item in unique.values():
            for i in item.identifiers:
                idents.setdefault(
                    i.key,
                    {"key": i.key, "type": i.type, "value": i.value, "label": label_for(i.type)},
                )
            row = {
                "key": item.key,
                "source": item.source,
                "id": item.id,
                "keys": [i.key for i in item.identifiers],
                "attributes": item.attributes_json,
                "country": item.country,
            }
            if item.kind == "record":
                record_rows.append(row)
            else:
                event_rows.append(
                    {
                        **row,
                        "channel": item.channel,
                        "type": item.type,
                        "at": item.at.isoformat() if item.at else None,
                    }
                )
        for entry in parsed:
            if isinstance(entry, Item):
                occurrences += len(entry.identifiers)
                records += entry.kind == "record"
                events += entry.kind == "event"
        distinct |= set(idents)
        batches.append(
            Batch(
                chunk,
                [idents[k] for k in sorted(idents)],
                sorted(record_rows, key=lambda r: r["key"]),
                sorted(event_rows, key=lambda r: r["key"]),
            )
        )
    return Prepared(
        batches, len(raw), records, events, occurrences, len(distinct), errors, parse_seconds
    )


async def run_identifiers_only(graph: Graph, prepared: Prepared) -> float:
    """(a) The identifier nodes alone."""
    started = time.perf_counter()
    for b in prepared.batches:
        await graph.command("baseline-merge-identifiers", rows=b.identifiers, now=_now())
    return time.perf_counter() - started


async def _plain_batch(tx: Tx, b: Batch) -> None:
    now = _now()
    await tx.run("baseline-merge-identifiers", rows=b.identifiers, now=now)
    if b.records:
        await tx.run("baseline-merge-records", rows=b.records, now=now)
    if b.events:
        await tx.run("baseline-merge-events", rows=b.events, now=now)


async def run_plain(graph: Graph, prepared: Prepared, writers: int = 1) -> float:
    """(b) Identifiers, records, events and HAS relationships, no resolution; with
    ``writers`` batch transactions in flight at once (a batch waits for any in-flight
    batch that carries one of its records, as omnid's pipeline does)."""
    started = time.perf_counter()
    in_flight: list[tuple[set[str], asyncio.Task[Any]]] = []
    for b in prepared.batches:
        keys = {r["key"] for r in b.records}
        while in_flight and (
            len(in_flight) >= writers or any(keys & other for other, _ in in_flight)
        ):
            await in_flight.pop(0)[1]
        in_flight.append((keys, asyncio.create_task(graph.write(_plain_batch, b))))
    for _, task in in_flight:
        await task
    return time.perf_counter() - started


async def run_omnid(
    graph: Graph, prepared: Prepared, writers: int = 1, *, calls: bool = False
) -> tuple[float, IngestReport]:
    """(c) omnid's real path, from raw items: ``Ingestor.ingest_batch`` one call after
    the other (a client of the GraphQL mutations), each call one transaction with one
    writer or cut into up to ``writers`` transactions with ``calls``; otherwise the bulk
    pipeline ``Ingestor.ingest_batches`` (parse ahead, ``writers`` batches re-cut into
    transactions that run at once)."""
    ingestor = Ingestor(graph)
    report = IngestReport()
    started = time.perf_counter()
    offset = 0
    if writers == 1 or calls:
        for b in prepared.batches:
            report.extend(await ingestor.ingest_batch(b.raw, writers=writers), offset)
            offset += len(b.raw)
    else:
        raws = [b.raw for b in prepared.batches]
        async for batch_report in ingestor.ingest_batches(raws, writers=writers):
            report.extend(batch_report, offset)
            offset += len(batch_report.results)
    return time.perf_counter() - started, report


def _now() -> datetime:
    return datetime.now(UTC)


# ------------------------------------------------------------------ statement timings


TENTHS = 10


@dataclass
class StatementTime:
    calls: int = 0
    seconds: float = 0.0
    rows: int = 0
    # (when the call ended, seconds since the phase began; its seconds; its rows): a
    # plan that changes during the load shows as a step in one statement's time per row.
    calls_seen: list[tuple[float, float, int]] = field(default_factory=list)


@contextmanager
def timed_statements(graph: Graph, enabled: bool = True) -> Iterator[dict[str, StatementTime]]:
    """Time every named statement ``graph`` runs (``Tx.run``, and ``Graph.query`` for the
    bulk path's ``window-links`` read, outside the batch transactions) and every whole
    managed transaction (statements, Python in this process, commit and retries), through
    the graph's timing hooks (``Graph.on_statement``, ``Graph.on_transaction``), while
    the block runs; an empty table when not ``enabled``."""
    timings: dict[str, StatementTime] = defaultdict(StatementTime)
    if not enabled:
        yield timings
        return
    phase_started = time.perf_counter()

    def seen(name: str, rows: int, seconds: float) -> None:
        found = timings[name]
        found.calls += 1
        found.seconds += seconds
        found.rows += rows
        found.calls_seen.append((time.perf_counter() - phase_started, seconds, rows))

    def transaction(mode: str, seconds: float) -> None:
        # A whole transaction carries no rows of its own (its statements have them).
        seen(f"[{mode} transaction, whole]", 0, seconds)

    graph.on_statement, graph.on_transaction = seen, transaction
    try:
        yield timings
    finally:
        graph.on_statement = graph.on_transaction = None


# ------------------------------------------------------------------------------- main


async def _one_round(
    graph: Graph,
    prepared: Prepared,
    label: str,
    meter: CpuMeter,
    *,
    writers: int = 2,
    statements: bool = False,
    check: bool = False,
) -> Round:
    """The phases on ``prepared``, each on an empty graph; with ``check`` and several
    ``writers``, the graphs after (c) and (cN) are read back to compare them."""
    out = Round()
    print(f"[{label}] (a) identifiers only ...", flush=True)
    meter.start()
    out.seconds["a"] = await run_identifiers_only(graph, prepared)
    out.cpu["a"] = meter.stop()
    await clear(graph)
    print(f"[{label}] (b) plain UNWIND MERGE ...", flush=True)
    with timed_statements(graph, statements) as out.plain_timings:
        meter.start()
        try:
            out.seconds["b"] = await run_plain(graph, prepared)
        finally:
            out.cpu["b"] = meter.stop()
    await clear(graph)
    print(f"[{label}] (c) omnid Ingestor.ingest_batch ...", flush=True)
    with timed_statements(graph, statements) as out.timings:
        meter.start()
        try:
            out.seconds["c"], out.report = await run_omnid(graph, prepared)
        finally:
            out.cpu["c"] = meter.stop()
    out.summary = dict(await graph.query("baseline-summary") or {})
    if check and writers > 1:
        out.outcome = await outcome(graph)
    await clear(graph)
    if writers > 1:
        print(f"[{label}] (b{writers}) plain UNWIND MERGE, {writers} writers ...", flush=True)
        with timed_statements(graph, statements) as out.plain_timings2:
            meter.start()
            try:
                out.seconds["b2"] = await run_plain(graph, prepared, writers)
            finally:
                out.cpu["b2"] = meter.stop()
        await clear(graph)
        print(f"[{label}] (c{writers}) omnid bulk pipeline, {writers} writers ...", flush=True)
        with timed_statements(graph, statements) as out.timings2:
            meter.start()
            try:
                out.seconds["c2"], out.report2 = await run_omnid(graph, prepared, writers)
            finally:
                out.cpu["c2"] = meter.stop()
        out.summary2 = dict(await graph.query("baseline-summary") or {})
        if check:
            out.outcome2 = await outcome(graph)
        await clear(graph)
        print(f"[{label}] (c{writers}') omnid ingest_batch, calls cut ...", flush=True)
        meter.start()
        out.seconds["cc"], _ = await run_omnid(graph, prepared, writers, calls=True)
        out.cpu["cc"] = meter.stop()
        await clear(graph)
    return out


@dataclass
class Round:
    seconds: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, dict[str, float]] = field(default_factory=dict)
    report: IngestReport = field(default_factory=IngestReport)
    report2: IngestReport = field(default_factory=IngestReport)
    summary: dict[str, Any] = field(default_factory=dict)
    summary2: dict[str, Any] = field(default_factory=dict)
    outcome: Outcome | None = None
    outcome2: Outcome | None = None
    timings: dict[str, StatementTime] = field(default_factory=dict)
    plain_timings: dict[str, StatementTime] = field(default_factory=dict)
    timings2: dict[str, StatementTime] = field(default_factory=dict)
    plain_timings2: dict[str, StatementTime] = field(default_factory=dict)


async def main(args: argparse.Namespace) -> int:
    settings = bench_settings(batch_size=args.batch)
    graph = Graph.connect(settings, STATEMENTS)
    try:
        await prepare_empty_graph(graph, wipe=args.wipe)
        print(f"{machine_note(settings)} · {await server_memory(graph)}")
        # omnid's collector thresholds from the start: validation is timed in prepare().
        tune_gc()
        started = time.perf_counter()
        raw = generate(args.items, args.seed)
        ingestor = Ingestor(graph)
        prepared = prepare(ingestor, raw, args.batch)
        print(
            f"generated {prepared.items:,} items ({prepared.records:,} records, "
            f"{prepared.events:,} events, {prepared.errors} invalid) carrying "
            f"{prepared.occurrences:,} identifiers ({prepared.distinct:,} distinct) "
            f"in {time.perf_counter() - started:.1f}s; batches of {args.batch:,}",
            flush=True,
        )

        warm_items = max(args.batch, args.items // 5)
        warm = prepare(ingestor, generate(warm_items, args.seed + 1), args.batch)
        # The generated dataset (raw items, parsed items, baseline rows: several copies
        # of the load) lives for the whole run; an import streams its file instead. Left
        # to the collector, every full collection walks it again: 8 of them cost 5.4 s
        # of (c)'s 46 s on 100,000 items, a cost of this benchmark, not of omnid.
        gc.collect()
        gc.freeze()
        print(f"warm-up: {warm.items:,} items through (a), (b) and (c), then wiped", flush=True)
        meter = CpuMeter({"neo4j": neo4j_process(settings.neo4j_uri), "bench": psutil.Process()})
        await _one_round(graph, warm, "warm-up", meter, writers=args.writers)
        measured = await _one_round(
            graph,
            prepared,
            "measure",
            meter,
            writers=args.writers,
            statements=args.statements,
            check=True,
        )
    finally:
        await graph.close()

    seconds, report, summary, timings = (
        measured.seconds,
        measured.report,
        measured.summary,
        measured.timings,
    )
    n, ids = prepared.items, prepared.occurrences
    rows = []
    w = args.writers
    names = {
        "a": "(a) identifier nodes alone, UNWIND MERGE",
        "b": "(b) items + identifiers + HAS, UNWIND MERGE",
        "c": "(c) omnid Ingestor.ingest_batch (resolution)",
        "b2": f"(b{w}) as (b), {w} writers",
        "c2": f"(c{w}) omnid bulk pipeline, {w} writers",
        "cc": f"(c{w}') as (c), each call cut into {w}",
    }
    for key in ("a", "b", "c", "b2", "c2", "cc"):
        if key not in seconds:
            continue
        s = seconds[key]
        cpu = measured.cpu[key]
        shares = [f"{cpu[p]:.0f}%" for p in ("neo4j", "bench", "others")]
        rows.append([names[key], s, n / s, ids / s, *shares])
    print()
    print(
        f"Ingest throughput: {n:,} items ({prepared.records:,} records, "
        f"{prepared.events:,} events), {ids:,} identifiers carried "
        f"({prepared.distinct:,} distinct), batches of {args.batch:,}, one transaction "
        "each; one writer unless said; each phase on an empty graph"
    )
    print(
        table(
            ["phase", "seconds", "items/s", "identifiers/s", "Neo4j CPU", "bench CPU", "others"],
            rows,
        )
    )
    print(
        "CPU: share of one core during the phase (2 cores = 200%); 'others' is what the "
        "rest of the machine used meanwhile."
    )
    c_items = n / seconds["c"]
    c_over_b = seconds["b"] / seconds["c"]
    c_over_a = seconds["a"] / seconds["c"]
    ok = "ok" if c_items >= 5000 else "MISSED"
    print()
    print(f"(c) records/s (records and events, input rows): {c_items:,.0f}  target >= 5,000: {ok}")
    print(
        f"(c) records/s (kind=record only, over the whole load): "
        f"{prepared.records / seconds['c']:,.0f}"
    )
    print(
        f"c/b = {c_over_b:.2f}  target >= 0.60: {'ok' if c_over_b >= 0.6 else 'MISSED'}    "
        f"c/a = {c_over_a:.2f}"
    )
    if "c2" in seconds:
        c2_items = n / seconds["c2"]
        c2_over_b = seconds["b"] / seconds["c2"]
        c2_over_b2 = seconds["b2"] / seconds["c2"]
        print(
            f"(c{w}) records/s: {c2_items:,.0f}  target >= 5,000: "
            f"{'ok' if c2_items >= 5000 else 'MISSED'}"
        )
        print(
            f"c{w}/b = {c2_over_b:.2f} (omnid's bulk path against the one-writer baseline)  "
            f"target >= 0.60: {'ok' if c2_over_b >= 0.6 else 'MISSED'}"
        )
        print(
            f"c{w}/b{w} = {c2_over_b2:.2f} (both with {w} writers)  "
            f"target >= 0.60: {'ok' if c2_over_b2 >= 0.6 else 'MISSED'}"
        )
        _print_comparison(measured, f"c{w}")
    if "cc" in seconds:
        cc_items = n / seconds["cc"]
        print(
            f"(c{w}') records/s: {cc_items:,.0f}  target >= 5,000: "
            f"{'ok' if cc_items >= 5000 else 'MISSED'}    "
            f"c{w}'/b = {seconds['b'] / seconds['cc']:.2f}  target >= 0.60: "
            f"{'ok' if seconds['b'] / seconds['cc'] >= 0.6 else 'MISSED'}    "
            f"c{w}'/b{w} = {seconds['b2'] / seconds['cc']:.2f}"
        )
    parse_share = 100.0 * prepared.parse_seconds / seconds["c"]
    print(
        f"(c) includes validating and normalizing the raw items: "
        f"{prepared.parse_seconds:.1f}s measured apart ({parse_share:.0f}% of (c))"
    )
    print(
        f"(c) resolution: persons created {report.created:,}, merges {report.merged:,}, "
        f"splits {report.split:,}, identifiers found shared {len(report.shared)}, "
        f"item errors {len(report.errors)}"
    )
    print(
        "graph after (c): "
        + ", ".join(f"{k} {int(v):,}" for k, v in summary.items() if v is not None)
    )
    for key, phase, found in (
        ("b", "b", measured.plain_timings),
        ("c", "c", timings),
        ("b2", f"b{w}", measured.plain_timings2),
        ("c2", f"c{w}", measured.timings2),
    ):
        if found:
            print()
            print(_statement_table(phase, found, seconds[key]))
            print()
            print(_statement_tenths(phase, found, seconds[key]))
    return 0


def _print_comparison(measured: Round, phase: str) -> None:
    """(c) against (cN): what must be equal, compared; what depends on how the items were
    cut into transactions, printed beside it as what it is."""
    mine, theirs = measured.outcome2, measured.outcome
    if mine is None or theirs is None:
        return
    differences = mine.differences(theirs)
    if differences:
        print(f"({phase}) graph after: DIFFERENT from (c): " + "; ".join(differences))
    else:
        print(
            f"({phase}) graph after: the same as (c): {mine.items:,} items in the same "
            f"{mine.persons:,} persons, the same {mine.identifiers:,} identifiers with the "
            f"same flags ({mine.shared:,} shared, {mine.blocked:,} blocked)"
        )
    first, second = measured.report, measured.report2
    print(
        f"({phase}) along the way, not compared (it depends on which items met in which "
        f"transaction): persons created {second.created:,} against {first.created:,} in "
        f"(c), merges {second.merged:,} against {first.merged:,}, splits {second.split:,} "
        f"against {first.split:,}; aliases left {measured.summary2.get('aliases'):,} "
        f"against {measured.summary.get('aliases'):,}"
    )


def _statement_table(phase: str, timings: dict[str, StatementTime], seconds: float) -> str:
    total = sum(t.seconds for name, t in timings.items() if not name.startswith("["))

    def share(t: StatementTime) -> float:
        return 100.0 * t.seconds / seconds

    head = (
        f"({phase}) time per named statement: {total:.1f}s in all, {seconds:.1f}s of phase "
        "(the rest: Python in this process, e.g. parsing, normalizing and resolving, and "
        "the commits; with several writers the statements overlap and may sum to more)"
    )
    rows = [
        # Whole transactions carry no rows: their time per row would be meaningless.
        [name, t.calls, t.rows, t.seconds, 1000.0 * t.seconds / t.rows if t.rows else "-", share(t)]
        for name, t in sorted(timings.items(), key=lambda kv: -kv[1].seconds)
    ]
    return "\n".join(
        [head, table(["statement", "calls", "input rows", "seconds", "ms/row", "% of phase"], rows)]
    )


def _statement_tenths(
    phase: str, timings: dict[str, StatementTime], seconds: float, top: int = 8
) -> str:
    """The statements' time per 1,000 input rows in each tenth of the phase (by when the
    call ended): a step in one row is a plan or a cost that changed as the graph grew."""
    width = seconds / TENTHS
    head = (
        f"({phase}) ms per 1,000 input rows, by tenth of the phase ({width:.1f}s each); "
        "the statements that took the most time"
    )
    rows = []
    for name, t in sorted(timings.items(), key=lambda kv: -kv[1].seconds)[:top]:
        spent = [0.0] * TENTHS
        count = [0] * TENTHS
        per_call = t.rows == 0  # e.g. the whole transactions: ms per call instead
        for ended, took, n in t.calls_seen:
            slot = min(int(ended / width), TENTHS - 1)
            spent[slot] += took
            count[slot] += 1 if per_call else n
        scale = 1e3 if per_call else 1e6
        rows.append(
            [name + (" (ms per call)" if per_call else "")]
            + [f"{scale * s_ / c:.0f}" if c else "-" for s_, c in zip(spent, count, strict=True)]
        )
    return "\n".join([head, table(["statement", *(str(i + 1) for i in range(TENTHS))], rows)])


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000, help="items to load (1M: 1000000)")
    parser.add_argument("--batch", type=int, default=5_000, help="items per transaction")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--wipe", action="store_true", help="delete what the database holds")
    parser.add_argument(
        "--statements",
        action="store_true",
        help="time each named statement of every phase but (a) and (cN')",
    )
    parser.add_argument(
        "--writers",
        type=int,
        default=Settings.model_fields["ingest_writers"].default,
        help="transactions in flight for the pipelined phases (bN) and (cN), default "
        "omnid's (OMNID_INGEST_WRITERS); 1 skips them",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
