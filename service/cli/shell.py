"""What every ``omnid`` command shares: the consoles, the command group that renders
``OmnidError`` as ``CODE: message``, running async work on the graph, JSON output.
"""

from __future__ import annotations

import asyncio
import getpass
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from service.errors import OmnidError
from service.identity.identifiers import Identifier, IdentifierRules, normalize
from service.settings import Settings
from service.store.graph import Graph

__all__ = [
    "CountryOption",
    "InputFiles",
    "JsonOption",
    "OmnidGroup",
    "compact",
    "err",
    "iso",
    "operator_name",
    "out",
    "parse_identifier",
    "print_json",
    "run",
    "say",
    "short",
]


T = TypeVar("T")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


class OmnidGroup(TyperGroup):
    """The command group: renders ``OmnidError`` once, as ``CODE: message``, exit 1."""

    def invoke(self, ctx: Any) -> Any:  # typer's own click Context type is private
        try:
            return super().invoke(ctx)
        except OmnidError as exc:
            err.print(f"[bold red]{exc.code}[/]: {escape(exc.message)}", soft_wrap=True)
            raise typer.Exit(1) from None


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
CountryOption = Annotated[
    str | None,
    typer.Option(help="ISO country of the values (reads national phone numbers)."),
]
#: The input files of ``omnid import`` and ``omnid load``: one contract, one argument.
InputFiles = Annotated[
    list[Path],
    typer.Argument(
        metavar="FILE",
        help="JSON Lines (.jsonl, .ndjson) in the input contract, or CSV (.csv).",
        exists=True,
        dir_okay=False,
        readable=True,
    ),
]


def run(settings: Settings, work: Callable[[Graph], Awaitable[T]]) -> T:
    """Open the graph, run ``work`` on it, close it; one event loop per command."""

    async def main() -> T:
        graph = Graph.connect(settings)
        try:
            await graph.ping()
            return await work(graph)
        finally:
            await graph.close()

    return asyncio.run(main())


def operator_name(by: str | None = None) -> str:
    """Who a decision made on the command line is recorded as (erasures, corrections,
    rejected matches, dismissals): ``--by`` when given, else ``cli:<OS user>``."""
    return by or f"cli:{getpass.getuser()}"


def say(message: str) -> None:
    err.print(escape(message))


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=_json_default))


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def short(value: datetime | str | None) -> str:
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime) else value
    return text.replace("T", " ")[:19]


def compact(attributes: dict[str, Any], width: int = 60) -> str:
    text = json.dumps(attributes, ensure_ascii=False, sort_keys=True) if attributes else ""
    return text if len(text) <= width else text[: width - 1] + "…"


def parse_identifier(type: str, value: str, country: str | None, settings: Settings) -> Identifier:
    return normalize(type, value, region=country, rules=IdentifierRules.from_settings(settings))
