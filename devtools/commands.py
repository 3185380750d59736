"""The development tools' commands, added to ``omnid`` through the ``omnid.commands``
entry points: ``omnid neo4j install|start|stop|status`` and ``omnid demo``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from devtools import neo4j_local
from service.cli.importing import ingest_items, print_summary
from service.cli.shell import (
    out,
    run,
    say,
)
from service.settings import load_settings

__all__ = ["backup", "demo", "neo4j_app", "restore"]

neo4j_app = typer.Typer(help="A local Neo4j server for development (no Docker needed).")


@neo4j_app.command("install")
def neo4j_install() -> None:
    """Assemble the server from Maven jars into OMNID_NEO4J_HOME (idempotent)."""
    home = neo4j_local.install(load_settings(), log=say)
    out.print(f"Neo4j is installed in {home}")


@neo4j_app.command("start")
def neo4j_start() -> None:
    """Start the server in the background and wait until Bolt answers."""
    status = neo4j_local.start(load_settings(), log=say)
    out.print(f"Neo4j is running (pid {status.pid}): {status.bolt_uri}, {status.browser_url}")


@neo4j_app.command("stop")
def neo4j_stop() -> None:
    """Stop the server (SIGTERM, then SIGKILL as a last resort)."""
    if neo4j_local.stop(load_settings()):
        out.print("Neo4j stopped")
    else:
        out.print("Neo4j was not running")


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
    out.print(table)


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
    from devtools import demo as demo_data

    settings = load_settings()
    dataset = demo_data.generate(customers, seed=seed)
    if output is not None:
        output.mkdir(parents=True, exist_ok=True)
        items_path, truth_path = output / "demo.jsonl", output / "demo.truth.jsonl"
        demo_data.write_jsonl(dataset, items_path, truth_path)
        out.print(f"Wrote {items_path} and {truth_path}")
    tally = run(settings, lambda graph: ingest_items(graph, dataset.items, "demo"))
    print_summary([tally])
    out.print(
        f"{dataset.customers:,} real customers behind {len(dataset.items):,} items; "
        "try `omnid stats` or `omnid resolve PHONE '+34 600 12 34 56'`",
        soft_wrap=True,
    )


def backup(
    destination: Annotated[
        Path, typer.Argument(help="Directory for the dump file (<database>.dump).")
    ],
) -> None:
    """Dump the local server's database to a file (the server must be stopped)."""
    from devtools import backup as backups

    target = backups.backup(load_settings(), destination, log=say)
    out.print(f"Backup written to {target}")


def restore(
    dump: Annotated[Path, typer.Argument(help="A dump file written by `omnid backup`.")],
) -> None:
    """Replace the local server's database with a dump (the server must be stopped)."""
    from devtools import backup as backups

    backups.restore(load_settings(), dump, log=say)
    out.print(f"Restored {dump}; start the server with `omnid neo4j start`")
