"""``omnid schema apply|export``: the graph's constraints and indexes; the GraphQL SDL."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from service.cli.shell import (
    err,
    out,
    run,
)
from service.settings import load_settings
from service.store.schema import apply_schema

__all__ = ["schema_app"]

schema_app = typer.Typer(help="The graph's constraints and indexes; the GraphQL SDL.")


@schema_app.command("apply")
def schema_apply() -> None:
    """Create the missing constraints and indexes and wait until they are online."""
    applied = run(load_settings(), apply_schema)
    out.print(f"Schema applied: {len(applied)} constraints and indexes online")


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
            err.print(f"{output} is out of date: run `omnid schema export --output {output}`")
            raise typer.Exit(1)
        out.print(f"{output} is up to date")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(sdl, encoding="utf-8")
    out.print(f"Wrote {output}")
