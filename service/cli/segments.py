"""``omnid segment``: define, list, show, drop, explain segments and export members.

omnid segment define FILE [--replace]     a JSON or YAML definition; evaluated now
omnid segment list | show NAME | drop NAME
omnid segment explain NAME                the statement and the parameters it runs with
omnid segment members NAME --output members.csv
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.markup import escape
from rich.table import Table

from service.cli.shell import JsonOption, out, print_json, run, say
from service.errors import InvalidRule
from service.segments import read as segread
from service.segments.engine import SegmentEngine
from service.segments.store import Segment, load_segments
from service.settings import load_settings
from service.store.graph import Graph

__all__ = ["segment_app"]

segment_app = typer.Typer(help="Segments: groups of persons kept up to date by rules.")

NameArg = Annotated[str, typer.Argument(help="The segment's name.")]


def _read_definition(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidRule(f"cannot be read ({exc.strerror})", field=str(path)) from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            return yaml.safe_load(text)
        return json.loads(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise InvalidRule(f"does not parse: {type(exc).__name__}", field=str(path)) from None


@segment_app.command()
def define(
    file: Annotated[Path, typer.Argument(help="A JSON or YAML definition: {name, rule}.")],
    replace: Annotated[bool, typer.Option(help="Replace a segment of the same name.")] = False,
) -> None:
    """Store a definition, then evaluate it over the whole graph (progress on stderr)."""
    raw = _read_definition(file)

    async def work(graph: Graph) -> Segment:
        engine = SegmentEngine(graph)
        segment = await engine.define(raw, replace=replace)
        await engine.stop()  # the background task: evaluated here, in the foreground
        if segment.status == "EVALUATING":
            await engine.backfill(segment.name)
        return await engine.segment(segment.name)

    segment = run(load_settings(), work)
    say(f"segment {segment.name} version {segment.version}: {segment.status}")


@segment_app.command("list")
def list_(as_json: JsonOption = False) -> None:
    """Every segment with its version, status and size."""

    async def work(graph: Graph) -> list[tuple[Segment, int]]:
        return [(s, await segread.size(graph, s.name)) for s in await load_segments(graph)]

    found = run(load_settings(), work)
    if as_json:
        print_json([_summary(s, size) for s, size in found])
        return
    table = Table(title="Segments", title_justify="left")
    for column in ("name", "version", "status", "members", "description"):
        table.add_column(column, justify="right" if column in ("version", "members") else "left")
    for s, size in found:
        table.add_row(escape(s.name), str(s.version), s.status, f"{size:,}", escape(s.description))
    out.print(table)


def _summary(s: Segment, size: int) -> dict[str, Any]:
    return {
        "name": s.name,
        "version": s.version,
        "status": s.status,
        "evaluated": s.evaluated,
        "size": size,
        "description": s.description,
        "definition": s.source,
        "updatedAt": s.updated_at,
    }


@segment_app.command()
def show(name: NameArg) -> None:
    """One segment: its definition, version, status and size (JSON)."""

    async def work(graph: Graph) -> dict[str, Any]:
        segment = await SegmentEngine(graph, targets=[]).segment(name)
        return _summary(segment, await segread.size(graph, name))

    print_json(run(load_settings(), work))


@segment_app.command()
def drop(name: NameArg) -> None:
    """Drop a segment: each member's exit is recorded and sent (webhooks, from the outbox)
    in batches, then the segment is removed (the history of changes stays)."""

    async def work(graph: Graph) -> None:
        engine = SegmentEngine(graph)
        await engine.drop(name)
        await engine.stop()  # the background task: done here, in the foreground
        await engine.finish_drop(name)

    run(load_settings(), work)
    say(f"segment {name} dropped")


@segment_app.command()
def explain(name: NameArg) -> None:
    """The fixed statement every segment runs, and this segment's parameters."""

    async def work(graph: Graph) -> tuple[str, Segment]:
        segment = await SegmentEngine(graph, targets=[]).segment(name)
        return graph.statements["segment-evaluate"].cypher, segment

    cypher, segment = run(load_settings(), work)
    typer.echo(f"// segment {segment.name} version {segment.version}")
    typer.echo("// $atoms (the rule's leaves; all/any/not combine them in Python):")
    for line in json.dumps(list(segment.plan.atoms), indent=2).splitlines():
        typer.echo(f"//   {line}")
    typer.echo(
        "// $checks: {person, atoms: [indexes into $atoms]} per person a write touched, "
        "only the atoms it can change; $now: the evaluation time"
    )
    typer.echo(cypher + ";")


@segment_app.command()
def members(
    name: NameArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV file to write.")],
) -> None:
    """Export the members (person id, since) as CSV."""

    async def work(graph: Graph) -> int:
        await SegmentEngine(graph, targets=[]).segment(name)  # NOT_FOUND for a bad name
        count = 0
        after = ""
        with output.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["person", "since"])
            while True:
                page = await segread.members(graph, name, first=1000, after=after)
                writer.writerows([m.person, m.since] for m in page)
                count += len(page)
                if len(page) < 1000:
                    return count
                after = page[-1].person

    count = run(load_settings(), work)
    say(f"{count} members written to {output}")
