"""``omnid load --initial``: a whole input into an empty database through neo4j-admin's
bulk import (``service.load``), with the reject report of ``omnid import``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from service.cli.shell import InputFiles, JsonOption, out, print_json, say
from service.errors import InvalidInput
from service.identity.files import CsvMapping, RejectReport, check_file, read_file
from service.load.server import find_control
from service.settings import load_settings

if TYPE_CHECKING:
    from service.load.engine import Engine
    from service.load.initial import LoadReport

__all__ = ["load"]


def load(
    files: InputFiles,
    initial: Annotated[
        bool, typer.Option("--initial", help="Required: the database must be empty.")
    ] = False,
    mapping: Annotated[
        Path | None, typer.Option(help="CSV column mapping (JSON), as for omnid import.")
    ] = None,
    work_dir: Annotated[
        Path, typer.Option(help="Scratch space (staged chunks, CSV files).")
    ] = Path(".omnid-load"),
    csv_only: Annotated[
        bool,
        typer.Option("--csv-only", help="Stop after writing neo4j-admin's CSV files."),
    ] = False,
    report: Annotated[
        Path | None, typer.Option(help="Where rejected lines go [<file>.rejected.jsonl].")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=0, help="Processes validating the input [one per core, at most 8; 0: inline]."
        ),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            help="What resolves the input: in-process (Polars, SciPy) or spark (the "
            "spark extra; for inputs that do not fit this machine's memory)."
        ),
    ] = "in-process",
    spark_master: Annotated[
        str, typer.Option(help="Spark's master URL with --engine spark (spark://host:7077…).")
    ] = "local[*]",
    spark_conf: Annotated[
        list[str] | None,
        typer.Option(help="KEY=VALUE Spark settings with --engine spark (repeatable)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Load files into an EMPTY database, resolved offline: minutes for millions.

    Same input contract, same rules and same reject report as omnid import; exit 1 when
    any line was rejected.
    """
    if not initial:
        raise InvalidInput("only --initial loads exist; use omnid import", field="--initial")
    try:
        # Polars and SciPy come with the `load` extra, not with the base install.
        from service.load.initial import initial_load
    except ImportError as exc:
        raise InvalidInput(
            f"needs the load extra (pip install 'omnid[load]'): {exc.name} is missing",
            field="--initial",
        ) from None
    chosen = _engine(engine, spark_master, spark_conf or [])
    settings = load_settings()
    csv_mapping = CsvMapping.from_file(mapping) if mapping else CsvMapping()
    for path in files:
        check_file(path, csv_mapping)
    reports = {path.name: RejectReport(report or RejectReport.default_path(path)) for path in files}
    if report is not None:  # one report for every file
        shared = reports[files[0].name]
        reports = dict.fromkeys(reports, shared)
    try:
        done = asyncio.run(
            initial_load(
                settings,
                ((path.name, read_file(path, csv_mapping, parse=False)) for path in files),
                work_dir=work_dir,
                control=None if csv_only else find_control(settings),
                on_reject=lambda name, line, error: reports[name].add(name, line, error),
                on_phase=lambda name, seconds: say(f"{name}: {seconds:.1f}s"),
                csv_only=csv_only,
                workers=workers,
                engine=chosen,
            )
        )
    finally:
        for rejects in set(reports.values()):
            rejects.close()
    _print(done, as_json, work_dir if csv_only else None)
    if done.rejected:
        raise typer.Exit(1)


def _engine(name: str, master: str, conf: list[str]) -> Engine:
    """The resolution engine named on the command line."""
    from service.load.engine import ENGINES, InProcess

    if name not in ENGINES:
        raise InvalidInput(f"must be one of {', '.join(ENGINES)}", field="--engine")
    if name == "in-process":
        return InProcess()
    pairs = [entry.partition("=") for entry in conf]
    if any(not key or not sep for key, sep, _ in pairs):
        raise InvalidInput("must be KEY=VALUE", field="--spark-conf")
    try:
        # PySpark comes with the `spark` extra; Spark itself needs Java 17 or newer.
        import pyspark  # noqa: F401

        from service.load.spark import Spark
    except ImportError as exc:
        raise InvalidInput(
            f"needs the spark extra (pip install 'omnid[spark]'): {exc.name} is missing",
            field="--engine",
        ) from None
    return Spark(master=master, conf=tuple((k, v) for k, _, v in pairs))


def _print(done: LoadReport, as_json: bool, csv_dir: Path | None) -> None:
    if as_json:
        print_json(done.to_dict())
        return
    counts = ", ".join(f"{v:,} {k}" for k, v in done.counts.items())
    out.print(f"{done.lines:,} lines, {done.rejected:,} rejected: {counts}")
    out.print(f"{done.shared:,} shared identifiers; {done.seconds:.1f}s in all")
    if csv_dir is not None:
        out.print(f"CSV files for neo4j-admin database import full: {csv_dir / 'csv'}")
