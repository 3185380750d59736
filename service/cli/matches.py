"""``omnid matches`` and ``omnid reject-match``: possible matches from the command line
(an operator's shell stands for the ``steward`` scope)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from service.cli.corrections import FileOption, Row, read_items, report, row_option, row_text
from service.cli.shell import JsonOption, operator_name, out, print_json, run
from service.settings import load_settings
from service.steward import matches
from service.steward.batch import Outcome
from service.store.graph import Graph
from service.store.schema import apply_schema

__all__ = ["matches_", "reject_match"]


def matches_(
    person: Annotated[
        str | None, typer.Argument(metavar="[PERSON]", help="A person id (or a merged one's).")
    ] = None,
    first: Annotated[int, typer.Option(help="At most this many.")] = 10,
    min_score: Annotated[
        float, typer.Option(help="Suggest from this score (0.5 to 1).")
    ] = matches.DEFAULT_THRESHOLD,
    refresh: Annotated[
        bool,
        typer.Option(
            "--refresh",
            help="First match the records written since the last refresh (by any process, "
            "e.g. omnid import).",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """The persons PERSON may be, best first, with the reasons of each score; never
    merged by themselves. With --refresh alone: catch up the records written meanwhile."""
    if person is None and not refresh:
        raise typer.BadParameter("give PERSON, or --refresh")

    async def work(graph: Graph) -> tuple[matches.Refresh | None, list[matches.PossibleMatch]]:
        await apply_schema(graph)
        done = await matches.catch_up(graph) if refresh else None
        found = (
            await matches.possible_matches(graph, person, first=first, min_score=min_score)
            if person is not None
            else []
        )
        return done, found

    done, found = run(load_settings(), work)
    if as_json:
        print_json(
            {
                "refreshed": asdict(done) if done else None,
                "matches": [asdict(m) for m in found],
            }
        )
        return
    if done is not None:
        out.print(
            f"Refreshed {done.records} records: {done.candidates} candidate pairs scored, "
            f"{done.kept} kept."
        )
    if person is None:
        return
    if not found:
        out.print("No possible match.")
        return
    table = Table("person", "score", "reasons")
    for m in found:
        reasons = ", ".join(f"{r.field} {r.level} ({r.weight:+.1f})" for r in m.reasons)
        table.add_row(m.person, f"{m.score:.3f}", reasons)
    out.print(table)


def reject_match(
    a: Annotated[str | None, typer.Argument(metavar="[A]", help="A person id.")] = None,
    b: Annotated[str | None, typer.Argument(metavar="[B]", help="The person id it is not.")] = None,
    reason: Annotated[
        str, typer.Option(help="Why (kept with the decision). No personal data.")
    ] = "",
    file: FileOption = None,
    by: Annotated[str | None, typer.Option(help="Who decided [cli:<OS user>].")] = None,
    as_json: JsonOption = False,
) -> None:
    """A and B are not one customer: never suggest them again (kept across re-imports
    and merges of either side). ``--file``: many (columns a, b, reason)."""

    def read(row: Row) -> matches.RejectRequest:
        return matches.RejectRequest(
            row_text(row, "a"), row_text(row, "b"), row_option(row, "reason", reason) or ""
        )

    items, lines = read_items([a, b], file, read, ["a", "b"])

    async def work(graph: Graph) -> list[Outcome[matches.Rejection]]:
        await apply_schema(graph)
        return await matches.reject_match_each(graph, items, by=operator_name(by))

    done = run(load_settings(), work)
    report(
        done,
        lines,
        as_json,
        lambda r: f"Rejected: {r.a} and {r.b} ({r.records} records). Rejection {r.id}.",
    )
