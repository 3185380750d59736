"""``omnid import``: JSON Lines and CSV files in batches, with a progress bar and a
report of the rejected lines (``service.identity.files``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
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

from service.cli.shell import (
    InputFiles,
    JsonOption,
    err,
    out,
    print_json,
    run,
    say,
)
from service.identity.files import (
    CsvMapping,
    ImportTally,
    Line,
    RejectReport,
    check_file,
    import_lines,
    read_file,
)
from service.privacy.ingest import PrivacyIngestor
from service.settings import load_settings
from service.steward.review import Touched, review_touched
from service.store.graph import Graph
from service.store.schema import apply_schema

__all__ = ["import_", "ingest_items", "print_summary"]


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
        console=err,
    )


def import_(
    files: InputFiles,
    mapping: Annotated[
        Path | None, typer.Option(help="CSV column mapping (JSON); flags override it.")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="CSV: record, event or consent.")] = None,
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
    purpose: Annotated[str | None, typer.Option(help="CSV consents: purpose of all rows.")] = None,
    purpose_column: Annotated[
        str | None, typer.Option(help="CSV consents: purpose column.")
    ] = None,
    status: Annotated[str | None, typer.Option(help="CSV consents: status of all rows.")] = None,
    status_column: Annotated[str | None, typer.Option(help="CSV consents: status column.")] = None,
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
    review: Annotated[
        bool,
        typer.Option("--review", help="Then review the persons it touched (suspicious persons)."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Import records, events and consents from files, in batches; safe to run twice.

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
        purpose=purpose,
        purpose_column=purpose_column,
        status=status,
        status_column=status_column,
        delimiter=delimiter,
    )
    for spec in identifier or []:
        csv_mapping.add_identifier(spec)
    for path in files:  # every file is checked before anything is written
        check_file(path, csv_mapping)

    async def work(graph: Graph) -> list[ImportTally]:
        await apply_schema(graph)
        touched = Touched()  # this process has no service listener: note what it touched
        ingestor = PrivacyIngestor(graph, on_commit=touched.on_commit if review else None)
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
        if touched:
            listed = await review_touched(graph, touched)
            say(f"reviewed {len(touched.persons):,} persons touched; {listed:,} listed")
        return tallies

    tallies = run(settings, work)
    if as_json:
        total = ImportTally.total(tallies).to_dict()
        print_json({"files": [t.to_dict() for t in tallies], "total": total})
    else:
        print_summary(tallies)
    if any(t.errors for t in tallies):
        raise typer.Exit(1)


def _advance(progress: Progress, task: TaskID, tally: ImportTally, position: int) -> None:
    progress.update(task, completed=position, items=tally.items)


async def ingest_items(graph: Graph, items: list[dict[str, Any]], name: str) -> ImportTally:
    """Ingest in-memory items (the demo) with a progress bar; rejected items are counted."""
    await apply_schema(graph)
    lines = (Line(n, item, None, n) for n, item in enumerate(items, start=1))
    with _progress() as progress:
        task = progress.add_task(name, total=len(items) or 1, items=0)
        return await import_lines(
            PrivacyIngestor(graph),
            lines,
            name=name,
            on_progress=functools.partial(_advance, progress, task),
        )


def print_summary(tallies: list[ImportTally]) -> None:
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
    out.print(table)
    for t in tallies:
        if t.errors and t.report is not None:
            out.print(f"{t.errors:,} rejected lines of {escape(t.name)}: {t.report}")
