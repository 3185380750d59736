"""The ``omnid`` command: a thin shell over the library, one Typer app.

    omnid serve [--host H] [--port P] [--demo-if-empty/--no-demo]
    omnid neo4j install|start|stop|status
    omnid schema apply | export [--output graphql/schema.graphql] [--check]
    omnid import FILE... [--mapping map.json] [--kind event --source pos ...] [--report PATH]
    omnid resolve TYPE VALUE [--country ES] [--json]
    omnid explain TYPE VALUE TYPE VALUE [--country ES] [--json]
    omnid stats [--json]
    omnid demo [--customers N] [--seed S] [--output DIR]

Settings come from the environment and ``.env`` (``service.settings``). Every command
is a few lines calling library functions (async ones through ``asyncio.run``); omnid's
own errors (``OmnidError``) are caught once, in the command group, and printed as
``CODE: message`` on stderr with exit code 1.

``omnid import`` streams its files through ``service.bulk`` in batches of
``OMNID_BATCH_SIZE`` items and writes each rejected line to a report, one JSON object
per line (the line number, the error code, field and message; the line's own text only
with ``--report-input``, see ``service.bulk``)::

    {"file": "crm.csv", "line": 12, "code": "INVALID_IDENTIFIER",
     "field": "identifiers[0].value", "message": "identifiers[0].value: EMAIL an***(9) ..."}
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import urlparse

import typer
from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text
from rich.tree import Tree
from typer.core import TyperGroup

from service import neo4j_local, readmodels
from service.bulk import (
    CsvMapping,
    ImportTally,
    Line,
    RejectReport,
    check_file,
    import_lines,
    read_file,
)
from service.errors import NotFound, OmnidError
from service.gc_tuning import tune_gc
from service.graph import Graph
from service.identifiers import Identifier, IdentifierRules, normalize
from service.ingest import Ingestor
from service.schema import apply_schema
from service.settings import DEV_API_KEY, Settings, load_settings
from service.stats import GraphStats, graph_stats, person_count

__all__ = ["app"]

T = TypeVar("T")

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


class _OmnidGroup(TyperGroup):
    """The command group: renders ``OmnidError`` once, as ``CODE: message``, exit 1."""

    def invoke(self, ctx: Any) -> Any:  # typer's own click Context type is private
        try:
            return super().invoke(ctx)
        except OmnidError as exc:
            _err.print(f"[bold red]{exc.code}[/]: {escape(exc.message)}", soft_wrap=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=_OmnidGroup,
    name="omnid",
    help="omnid: a customer identity graph on Neo4j.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals hold personal data and the password
)
neo4j_app = typer.Typer(help="A local Neo4j server for development (no Docker needed).")
schema_app = typer.Typer(help="The graph's constraints and indexes; the GraphQL SDL.")
app.add_typer(neo4j_app, name="neo4j")
app.add_typer(schema_app, name="schema")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
CountryOption = Annotated[
    str | None,
    typer.Option(help="ISO country of the values (reads national phone numbers)."),
]


# ---------------------------------------------------------------------------- helpers


def _run(settings: Settings, work: Callable[[Graph], Awaitable[T]]) -> T:
    """Open the graph, run ``work`` on it, close it; one event loop per command."""

    async def main() -> T:
        graph = Graph.connect(settings)
        try:
            await graph.ping()
            return await work(graph)
        finally:
            await graph.close()

    return asyncio.run(main())


def _say(message: str) -> None:
    _err.print(escape(message))


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=_json_default))


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _short(value: datetime | str | None) -> str:
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime) else value
    return text.replace("T", " ")[:19]


def _compact(attributes: dict[str, Any], width: int = 60) -> str:
    text = json.dumps(attributes, ensure_ascii=False, sort_keys=True) if attributes else ""
    return text if len(text) <= width else text[: width - 1] + "…"


def _identifier(type: str, value: str, country: str | None, settings: Settings) -> Identifier:
    return normalize(type, value, region=country, rules=IdentifierRules.from_settings(settings))


# ------------------------------------------------------------------------------ serve


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on [OMNID_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on [OMNID_PORT].")] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="uvicorn worker processes [OMNID_WORKERS]."),
    ] = None,
    demo: Annotated[
        bool | None,
        typer.Option(
            "--demo-if-empty/--no-demo",
            help="Load the demo dataset when the graph has no person [OMNID_LOAD_DEMO].",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Apply the schema, load the demo on an empty graph, and serve GraphQL."""
    import uvicorn

    from service.api.app import create_app

    settings = load_settings()
    load_demo = settings.load_demo if demo is None else demo

    async def prepare(graph: Graph) -> None:
        await apply_schema(graph)
        if load_demo and await person_count(graph) == 0:
            from service import demo as demo_data

            _say("The graph is empty: loading the demo dataset (--no-demo to skip) …")
            tally = await _ingest_items(graph, demo_data.generate().items, "demo")
            _print_summary([tally])

    _run(settings, prepare)
    host = host or settings.host
    port = port or settings.port
    shown = "localhost" if host in ("0.0.0.0", "::", "") else host  # listening everywhere
    _out.print(f"GraphQL (GraphiQL in a browser): http://{shown}:{port}/graphql", soft_wrap=True)
    _out.print(
        f"Neo4j Browser: {_browser_url(settings)} (user {settings.neo4j_user})", soft_wrap=True
    )
    if DEV_API_KEY in settings.api_keys:
        _out.print(
            f"Development API key: {DEV_API_KEY} (GraphiQL headers: "
            f'{{"Authorization": "Bearer {DEV_API_KEY}"}}); set OMNID_API_KEYS in production',
            soft_wrap=True,
        )
    else:
        _out.print("API keys: the ones in OMNID_API_KEYS (Authorization: Bearer <key>)")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    workers = workers or settings.workers
    # No access log: GET /graphql?query=...&variables=... would write personal data to it.
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=False)
        return
    # Several processes share the port: each imports the app and reads the same settings
    # (environment, .env). One Python process saturates one core well before Neo4j does.
    os.environ["OMNID_WORKERS"] = str(workers)  # the workers' live-event poll rate uses it
    _out.print(f"Serving with {workers} worker processes")
    uvicorn.run(
        "service.api.app:create_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        access_log=False,
    )


def _browser_url(settings: Settings) -> str:
    """Neo4j Browser as this machine's web browser reaches it.

    A single-label host (``bolt://neo4j:7687`` in docker-compose) is a container name
    whose ports are published on localhost.
    """
    host = urlparse(settings.neo4j_uri).hostname or "localhost"
    if "." not in host and ":" not in host:
        host = "localhost"
    return f"http://{host}:{settings.neo4j_http_port}/browser/"


# ------------------------------------------------------------------------------ neo4j


@neo4j_app.command("install")
def neo4j_install() -> None:
    """Assemble the server from Maven jars into OMNID_NEO4J_HOME (idempotent)."""
    home = neo4j_local.install(load_settings(), log=_say)
    _out.print(f"Neo4j is installed in {home}")


@neo4j_app.command("start")
def neo4j_start() -> None:
    """Start the server in the background and wait until Bolt answers."""
    status = neo4j_local.start(load_settings(), log=_say)
    _out.print(f"Neo4j is running (pid {status.pid}): {status.bolt_uri}, {status.browser_url}")


@neo4j_app.command("stop")
def neo4j_stop() -> None:
    """Stop the server (SIGTERM, then SIGKILL as a last resort)."""
    if neo4j_local.stop(load_settings()):
        _out.print("Neo4j stopped")
    else:
        _out.print("Neo4j was not running")


@neo4j_app.command("status")
def neo4j_status() -> None:
    """Whether the local server is installed and running (exit 0 either way)."""
    status = neo4j_local.status(load_settings())
    table = Table(title="Local Neo4j", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row("installed", "yes" if status.installed else "no")
    table.add_row("running", f"yes (pid {status.pid})" if status.running else "no")
    table.add_row("bolt", status.bolt_uri)
    table.add_row("browser", status.browser_url)
    table.add_row("home", str(status.home))
    _out.print(table)


# ----------------------------------------------------------------------------- schema


@schema_app.command("apply")
def schema_apply() -> None:
    """Create the missing constraints and indexes and wait until they are online."""
    applied = _run(load_settings(), apply_schema)
    _out.print(f"Schema applied: {len(applied)} constraints and indexes online")


@schema_app.command("export")
def schema_export(
    output: Annotated[Path, typer.Option(help="Where to write the SDL.")] = Path(
        "graphql/schema.graphql"
    ),
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if the file differs.")
    ] = False,
) -> None:
    """Write the GraphQL schema (SDL) of the API, or check that the file is current."""
    from service.api.schema import schema

    sdl = schema.as_str() + "\n"
    if check:
        current = output.read_text(encoding="utf-8") if output.is_file() else None
        if current != sdl:
            _err.print(f"{output} is out of date: run `omnid schema export --output {output}`")
            raise typer.Exit(1)
        _out.print(f"{output} is up to date")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(sdl, encoding="utf-8")
    _out.print(f"Wrote {output}")


# ----------------------------------------------------------------------------- import


class _Rate(ProgressColumn):
    """Items done and items per second."""

    def render(self, task: Task) -> Text:
        items = int(task.fields.get("items", 0))
        elapsed = task.elapsed or 0.0
        rate = items / elapsed if elapsed > 0 else 0.0
        return Text(f"{items:,} items · {rate:,.0f} items/s")


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        _Rate(),
        TimeElapsedColumn(),
        console=_err,
    )


@app.command("import")
def import_(
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE",
            help="JSON Lines (.jsonl, .ndjson) in the input contract, or CSV (.csv).",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    mapping: Annotated[
        Path | None, typer.Option(help="CSV column mapping (JSON); flags override it.")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="CSV: record or event.")] = None,
    source: Annotated[str | None, typer.Option(help="CSV: the source system (pos, crm…).")] = None,
    id_column: Annotated[str | None, typer.Option(help="CSV: column of the source's id.")] = None,
    time_column: Annotated[str | None, typer.Option(help="CSV events: column of the time.")] = None,
    channel: Annotated[
        str | None, typer.Option(help="CSV events: the channel of all rows.")
    ] = None,
    channel_column: Annotated[str | None, typer.Option(help="CSV events: channel column.")] = None,
    type: Annotated[
        str | None, typer.Option(help="CSV events: the event type of all rows.")
    ] = None,
    type_column: Annotated[str | None, typer.Option(help="CSV events: event type column.")] = None,
    identifier: Annotated[
        list[str] | None,
        typer.Option(help="CSV: TYPE=column, repeatable (EMAIL=email --identifier PHONE=tel)."),
    ] = None,
    country: Annotated[str | None, typer.Option(help="CSV: ISO country of all rows.")] = None,
    country_column: Annotated[str | None, typer.Option(help="CSV: country column.")] = None,
    delimiter: Annotated[str | None, typer.Option(help="CSV: field delimiter [,].")] = None,
    report: Annotated[
        Path | None,
        typer.Option(help="Where rejected lines go [<file>.rejected.jsonl, one per file]."),
    ] = None,
    report_input: Annotated[
        bool, typer.Option("--report-input", help="Copy each rejected line's text into the report.")
    ] = False,
    batch_size: Annotated[
        int | None, typer.Option(min=1, help="Items per transaction [OMNID_BATCH_SIZE].")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Import records and events from files, in batches; safe to run twice.

    Exit code 1 when any line was rejected (see the report file).
    """
    settings = load_settings()
    csv_mapping = CsvMapping.from_file(mapping) if mapping else CsvMapping()
    csv_mapping.update(
        kind=kind,
        source=source,
        id_column=id_column,
        time_column=time_column,
        channel=channel,
        channel_column=channel_column,
        type=type,
        type_column=type_column,
        country=country,
        country_column=country_column,
        delimiter=delimiter,
    )
    for spec in identifier or []:
        csv_mapping.add_identifier(spec)
    for path in files:  # every file is checked before anything is written
        check_file(path, csv_mapping)

    async def work(graph: Graph) -> list[ImportTally]:
        await apply_schema(graph)
        ingestor = Ingestor(graph)
        one_report = RejectReport(report, include_input=report_input) if report else None
        tallies = []
        with _progress() as progress:
            for path in files:
                size = path.stat().st_size or 1
                task = progress.add_task(path.name, total=size, items=0)
                rejects = one_report or RejectReport(
                    RejectReport.default_path(path), include_input=report_input
                )
                try:
                    tally = await import_lines(
                        ingestor,
                        read_file(path, csv_mapping),
                        name=path.name,
                        batch_size=batch_size,
                        on_reject=functools.partial(rejects.add, path.name),
                        on_progress=functools.partial(_advance, progress, task),
                    )
                finally:
                    if one_report is None:
                        rejects.close()
                tally.report = rejects.path
                progress.update(task, completed=size, items=tally.items)
                tallies.append(tally)
        if one_report is not None:
            one_report.close()
        return tallies

    tallies = _run(settings, work)
    if as_json:
        total = ImportTally.total(tallies).to_dict()
        _print_json({"files": [t.to_dict() for t in tallies], "total": total})
    else:
        _print_summary(tallies)
    if any(t.errors for t in tallies):
        raise typer.Exit(1)


def _advance(progress: Progress, task: TaskID, tally: ImportTally, position: int) -> None:
    progress.update(task, completed=position, items=tally.items)


async def _ingest_items(graph: Graph, items: list[dict[str, Any]], name: str) -> ImportTally:
    """Ingest in-memory items (the demo) with a progress bar; rejected items are counted."""
    await apply_schema(graph)
    lines = (Line(n, item, None, n) for n, item in enumerate(items, start=1))
    with _progress() as progress:
        task = progress.add_task(name, total=len(items) or 1, items=0)
        return await import_lines(
            Ingestor(graph),
            lines,
            name=name,
            on_progress=functools.partial(_advance, progress, task),
        )


def _print_summary(tallies: list[ImportTally]) -> None:
    """One column per file (and a total): fits a narrow terminal."""
    columns = tallies + ([ImportTally.total(tallies)] if len(tallies) > 1 else [])
    table = Table(title="Import summary", title_justify="left")
    table.add_column("")
    for t in columns:
        table.add_column(escape(t.name), justify="right", style="bold" if t.name == "total" else "")
    metrics: list[tuple[str, Callable[[ImportTally], str]]] = [
        ("items", lambda t: f"{t.items:,}"),
        ("ok", lambda t: f"{t.ok:,}"),
        ("unchanged", lambda t: f"{t.unchanged:,}"),
        ("errors", lambda t: f"[red]{t.errors:,}[/]" if t.errors else "0"),
        ("persons created", lambda t: f"{t.created:,}"),
        ("merges", lambda t: f"{t.merged:,}"),
        ("splits", lambda t: f"{t.split:,}"),
        ("shared identifiers found", lambda t: f"{len(t.shared):,}"),
        ("seconds", lambda t: f"{t.seconds:,.1f}"),
    ]
    for label, cell in metrics:
        table.add_row(label, *(cell(t) for t in columns))
    _out.print(table)
    for t in tallies:
        if t.errors and t.report is not None:
            _out.print(f"{t.errors:,} rejected lines of {escape(t.name)}: {t.report}")


# ---------------------------------------------------------------------------- resolve


@app.command()
def resolve(
    type: Annotated[str, typer.Argument(metavar="TYPE", help="EMAIL, PHONE, LOYALTY_CARD…")],
    value: Annotated[str, typer.Argument(metavar="VALUE", help="Any spelling of the value.")],
    country: CountryOption = None,
    as_json: JsonOption = False,
) -> None:
    """The person an identifier points at: identifiers, records, latest events per channel.

    An identifier attached to several persons (a household address, a shared phone)
    lists them. Unknown: exit 1.
    """
    settings = load_settings()
    ident = _identifier(type, value, country, settings)
    data = _run(settings, lambda graph: _profile(graph, ident))
    if as_json:
        _print_json(data)
    elif "persons" in data:
        _out.print(_render_ambiguous(data))
    else:
        _out.print(_render_profile(data))


#: Latest events shown per channel by ``omnid resolve``.
_EVENTS_PER_CHANNEL = 10


async def _profile(graph: Graph, ident: Identifier) -> dict[str, Any]:
    """What ``omnid resolve`` shows, as JSON-ready data (the panel renders this)."""
    query = {"type": ident.type, "value": ident.value, "key": ident.key}
    persons = await readmodels.persons_for_identifier(graph, ident)
    if not persons:
        raise NotFound(f"no person is known by this {ident.type} identifier", type=ident.type)
    ids = [p.id for p in persons]
    identifiers = await readmodels.identifiers(graph, ids)
    records = await readmodels.records(graph, ids)
    channels = await readmodels.channels(graph, ids)
    if len(persons) > 1:
        return {
            "query": query,
            "persons": [
                {
                    **_person_dict(person),
                    "records": len(recs),
                    "sources": sorted({r.source for r in recs}),
                    "events": sum(c.events for c in chans),
                    "identifiers": [i.key for i in idents if i.linking],
                }
                for person, idents, recs, chans in zip(
                    persons, identifiers, records, channels, strict=True
                )
            ],
        }
    person = persons[0]
    requests = [
        readmodels.JourneyRequest(person.id, first=_EVENTS_PER_CHANNEL, channels=(c.channel,))
        for c in channels[0]
    ]
    pages = await readmodels.journeys(graph, requests) if requests else []
    by_type: dict[str, list[dict[str, Any]]] = {}
    for i in identifiers[0]:
        by_type.setdefault(i.type, []).append(
            {
                "value": i.value,
                "display": list(i.display),
                "linking": i.linking,
                "shared": i.shared,
                "sharedReason": i.shared_reason,
                "blocked": i.blocked,
                "sources": list(i.sources),
                "firstSeen": _time(i.first_seen),
                "lastSeen": _time(i.last_seen),
            }
        )
    return {
        "query": query,
        "person": _person_dict(person),
        "identifiers": by_type,
        "records": [
            {
                "source": r.source,
                "id": r.source_id,
                "updatedAt": _time(r.updated_at),
                "attributes": r.attributes,
                "identifiers": list(r.identifiers),
            }
            for r in records[0]
        ],
        "channels": {
            c.channel: {
                "events": c.events,
                "first": _time(c.first),
                "last": _time(c.last),
                "latest": [
                    {
                        "at": _time(e.at),
                        "type": e.type,
                        "source": e.source,
                        "id": e.source_id,
                        "attributes": e.attributes,
                    }
                    for e in page.events
                ],
            }
            for c, page in zip(channels[0], pages, strict=True)
        },
    }


def _person_dict(person: readmodels.PersonView) -> dict[str, Any]:
    return {
        "id": person.id,
        "createdAt": _time(person.created_at),
        "mergedFrom": list(person.merged_from),
        "splitFrom": person.split_from,
    }


def _flags(i: dict[str, Any]) -> str:
    if i["blocked"]:
        return f"[red]blocked[/]: {escape(i['blocked'])}"
    if i["shared"]:
        return f"[yellow]shared[/]: {escape(i['sharedReason'] or '')}"
    if not i["linking"]:
        return "[dim]attached, does not link[/]"
    return ""


def _render_profile(data: dict[str, Any]) -> Panel:
    person = data["person"]
    parts: list[RenderableType] = []
    about = [f"created {_short(person['createdAt'])}"]
    if person["mergedFrom"]:
        about.append(f"merged from {len(person['mergedFrom'])} persons")
    if person["splitFrom"]:
        about.append(f"split from {person['splitFrom']}")
    parts.append(Text(" · ".join(about), style="dim"))

    idents = Table(title="Identifiers", title_justify="left", expand=True)
    for column in ("type", "value", "flags", "sources", "last seen"):
        idents.add_column(column, overflow="fold" if column == "value" else "ellipsis")
    for kind in sorted(data["identifiers"]):
        for n, i in enumerate(data["identifiers"][kind]):
            shown = i["display"][0] if kind == "ADDRESS" and i["display"] else i["value"]
            idents.add_row(
                kind if n == 0 else "",
                escape(shown),
                _flags(i),
                escape(", ".join(i["sources"])),
                _short(i["lastSeen"]),
            )
    parts.append(idents)

    recs = Table(title="Records", title_justify="left", expand=True)
    for column in ("source", "id", "updated", "attributes"):
        recs.add_column(column)
    for r in data["records"]:
        recs.add_row(
            escape(r["source"]),
            escape(r["id"]),
            _short(r["updatedAt"]),
            escape(_compact(r["attributes"])),
        )
    parts.append(recs if data["records"] else Text("No records", style="dim"))

    for channel, summary in data["channels"].items():
        events = Table(
            title=(
                f"{channel}: {summary['events']} events, {_short(summary['first'])} → "
                f"{_short(summary['last'])}"
                + (
                    f" (latest {_EVENTS_PER_CHANNEL})"
                    if summary["events"] > _EVENTS_PER_CHANNEL
                    else ""
                )
            ),
            title_justify="left",
            expand=True,
        )
        for column in ("at", "type", "source", "id", "attributes"):
            events.add_column(column)
        for e in summary["latest"]:
            events.add_row(
                _short(e["at"]),
                escape(e["type"]),
                escape(e["source"]),
                escape(e["id"]),
                escape(_compact(e["attributes"], 40)),
            )
        parts.append(events)
    if not data["channels"]:
        parts.append(Text("No events", style="dim"))
    query = data["query"]
    return Panel(
        Group(*parts),
        title=f"[bold]Person {person['id']}[/]",
        subtitle=escape(f"found by {query['type']} {query['value']}"),
    )


def _render_ambiguous(data: dict[str, Any]) -> Panel:
    query = data["query"]
    table = Table(expand=True)
    for column in ("person", "created", "records", "sources", "events", "linking identifiers"):
        table.add_column(column)
    for p in data["persons"]:
        table.add_row(
            p["id"],
            _short(p["createdAt"]),
            str(p["records"]),
            escape(", ".join(p["sources"])),
            str(p["events"]),
            escape(", ".join(p["identifiers"][:4])),
        )
    return Panel(
        Group(
            Text(
                f"{query['type']} {query['value']} does not link on its own and is attached "
                f"to {len(data['persons'])} persons. Resolve one of their identifiers:",
            ),
            table,
        ),
        title="[bold]Several persons[/]",
    )


# ---------------------------------------------------------------------------- explain


@app.command()
def explain(
    type_a: Annotated[str, typer.Argument(metavar="TYPE")],
    value_a: Annotated[str, typer.Argument(metavar="VALUE")],
    type_b: Annotated[str, typer.Argument(metavar="TYPE")],
    value_b: Annotated[str, typer.Argument(metavar="VALUE")],
    country: CountryOption = None,
    as_json: JsonOption = False,
) -> None:
    """Why two identifiers are one person: the chain of records and events linking them.

    Not one person: exit 1.
    """
    settings = load_settings()
    a = _identifier(type_a, value_a, country, settings)
    b = _identifier(type_b, value_b, country, settings)
    found = _run(settings, lambda graph: readmodels.explain(graph, a, b))
    if found is None:
        raise NotFound(
            f"these two identifiers ({a.type}, {b.type}) are not one person: one is unknown, "
            "or no chain of linking identifiers joins them"
        )
    if as_json:
        _print_json(
            {
                "person": found.person,
                "steps": [
                    {"identifier": {"type": s.identifier[0], "value": s.identifier[1]}}
                    if s.identifier
                    else {
                        "item": s.item_kind,
                        "source": s.source,
                        "id": s.source_id,
                        "channel": s.channel,
                        "at": _time(s.at),
                    }
                    for s in found.steps
                ],
            }
        )
        return
    tree = Tree(f"[bold]Person {found.person}[/]")
    node = tree
    for step in found.steps:
        if step.identifier:
            label = f"[bold cyan]{step.identifier[0]}[/] {escape(step.identifier[1])}"
        else:
            what = f"{step.item_kind} {step.source}/{step.source_id}"
            if step.channel:
                what += f" on {step.channel}"
            label = f"[dim]via[/] {escape(what)} [dim]{_short(step.at)}[/]"
        node = node.add(label)
    _out.print(tree)


# ------------------------------------------------------------------------------ stats


@app.command()
def stats(as_json: JsonOption = False) -> None:
    """Persons, identifiers, records and events, person sizes, shared identifiers."""
    result = _run(load_settings(), graph_stats)
    if as_json:
        _print_json(result.to_dict())
    else:
        _render_stats(result)


def _render_stats(s: GraphStats) -> None:
    _out.print(
        f"[bold]{s.persons:,}[/] persons · [bold]{s.records:,}[/] records · "
        f"[bold]{s.events:,}[/] events · "
        f"[bold]{sum(t.total for t in s.identifiers):,}[/] identifiers"
    )
    idents = Table(title="Identifiers per type", title_justify="left")
    for column in ("type", "total", "linking", "shared", "blocked"):
        idents.add_column(column, justify="left" if column == "type" else "right")
    for t in s.identifiers:
        idents.add_row(t.type, f"{t.total:,}", f"{t.linking:,}", f"{t.shared:,}", f"{t.blocked:,}")
    _out.print(idents)

    items = Table(title="Records and events per source and channel", title_justify="left")
    for column in ("kind", "source", "channel", "count"):
        items.add_column(column, justify="right" if column == "count" else "left")
    for c in s.items:
        items.add_row(c.kind, escape(c.source), c.channel or "", f"{c.total:,}")
    _out.print(items)

    sizes = Table(title="Persons by size (records + events)", title_justify="left")
    sizes.add_column("size")
    sizes.add_column("persons", justify="right")
    sizes.add_column("")
    largest = max(s.sizes.values(), default=0) or 1
    for label, count in s.sizes.items():
        sizes.add_row(label, f"{count:,}", "█" * round(30 * count / largest))
    _out.print(sizes)

    shared = Table(
        title=f"Shared identifiers ({s.shared_total:,}; the {len(s.shared)} most connected)",
        title_justify="left",
    )
    for column in ("type", "value", "reason", "items", "persons"):
        shared.add_column(
            column,
            justify="right" if column in ("items", "persons") else "left",
            overflow="fold" if column == "value" else "ellipsis",
        )
    for x in s.shared:
        shared.add_row(
            x.type, escape(x.value), escape(x.reason or ""), f"{x.items:,}", f"{x.persons:,}"
        )
    _out.print(shared)


# ------------------------------------------------------------------------------- demo


@app.command()
def demo(
    customers: Annotated[
        int, typer.Option(min=0, help="Synthetic customers besides the stories.")
    ] = 300,
    seed: Annotated[int, typer.Option(help="Same seed, same dataset.")] = 7,
    output: Annotated[
        Path | None,
        typer.Option(help="Also write demo.jsonl and demo.truth.jsonl (ground truth) here."),
    ] = None,
) -> None:
    """Generate the demo dataset (the seeds' stories + synthetic customers) and load it.

    Loading it again changes nothing.
    """
    from service import demo as demo_data

    settings = load_settings()
    dataset = demo_data.generate(customers, seed=seed)
    if output is not None:
        output.mkdir(parents=True, exist_ok=True)
        items_path, truth_path = output / "demo.jsonl", output / "demo.truth.jsonl"
        demo_data.write_jsonl(dataset, items_path, truth_path)
        _out.print(f"Wrote {items_path} and {truth_path}")
    tally = _run(settings, lambda graph: _ingest_items(graph, dataset.items, "demo"))
    _print_summary([tally])
    _out.print(
        f"{dataset.customers:,} real customers behind {len(dataset.items):,} items; "
        "try `omnid stats` or `omnid resolve PHONE '+34 600 12 34 56'`",
        soft_wrap=True,
    )


def main() -> None:
    """``python -m service.cli``."""
    tune_gc()
    app()


if __name__ == "__main__":
    main()
