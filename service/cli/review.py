"""``omnid review``: the review list of suspicious persons, its catch-up and dismissals.

omnid review [--first 50] [--after CURSOR] [--json]
omnid review --refresh          review every person again (after `omnid load`, which
                                writes no marks; a running service reviews what
                                `omnid import` writes from the changed-persons marks)
omnid review --dismiss ID --reason R
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from service.cli.shell import JsonOption, operator_name, out, print_json, run, say
from service.errors import InvalidInput
from service.settings import load_settings
from service.steward import review as steward
from service.store.graph import Graph

__all__ = ["review"]


def review(
    first: Annotated[int, typer.Option(help="Entries to show.")] = 50,
    after: Annotated[str | None, typer.Option(help="The previous page's cursor.")] = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Review every person again first.")
    ] = False,
    dismiss: Annotated[
        str | None, typer.Option(help="Dismiss this person's entry (a person id).")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why (with --dismiss).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Persons whose records disagree, above the size guards or held by one bridge value."""
    settings = load_settings()
    if dismiss is not None:
        if reason is None:
            raise InvalidInput("is required with --dismiss", field="reason")
        done = run(
            settings,
            lambda g: steward.dismiss_review(g, dismiss, reason=reason, by=operator_name()),
        )
        say(f"dismissed: {done}")
        return

    async def work(graph: Graph) -> steward.ReviewPage:
        if refresh:
            reviewed, listed = await steward.refresh_all(graph)
            say(f"reviewed {reviewed:,} persons; {listed:,} listed")
        return await steward.suspicious_persons(graph, first=first, after=after)

    page = run(settings, work)
    if as_json:
        print_json(_as_dict(page))
    else:
        _render(page)


def _as_dict(page: steward.ReviewPage) -> dict[str, object]:
    return {
        "nodes": [
            {
                "person": e.person,
                "score": e.score,
                "reasons": [r.to_dict() for r in e.reasons],
                "bridges": [{"type": b.type, "value": b.value} for b in e.bridges],
                "reviewedAt": e.reviewed_at,
            }
            for e in page.entries
        ],
        "endCursor": page.end_cursor,
        "hasNextPage": page.has_next_page,
    }


def _render(page: steward.ReviewPage) -> None:
    table = Table(title="Suspicious persons, highest score first", title_justify="left")
    for column in ("person", "score", "reasons", "bridges"):
        table.add_column(column, justify="right" if column == "score" else "left")
    for e in page.entries:
        reasons = "\n".join(f"{r.code}: {r.detail}" for r in e.reasons)
        bridges = "\n".join(f"{b.type} {b.value}" for b in e.bridges)
        table.add_row(e.person, f"{e.score:.2f}", escape(reasons), escape(bridges))
    out.print(table)
    if page.has_next_page:
        out.print(f"more: --after {page.end_cursor}")
