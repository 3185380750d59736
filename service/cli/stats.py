"""``omnid stats``: counts over the whole graph."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from service.cli.shell import (
    JsonOption,
    out,
    print_json,
    run,
)
from service.read.stats import GraphStats, graph_stats
from service.settings import load_settings

__all__ = ["stats"]


def stats(as_json: JsonOption = False) -> None:
    """Persons, identifiers, records and events, person sizes, shared identifiers."""
    result = run(load_settings(), graph_stats)
    if as_json:
        print_json(result.to_dict())
    else:
        _render_stats(result)


def _render_stats(s: GraphStats) -> None:
    out.print(
        f"[bold]{s.persons:,}[/] persons · [bold]{s.records:,}[/] records · "
        f"[bold]{s.events:,}[/] events · "
        f"[bold]{sum(t.total for t in s.identifiers):,}[/] identifiers"
    )
    idents = Table(title="Identifiers per type", title_justify="left")
    for column in ("type", "total", "linking", "shared", "blocked"):
        idents.add_column(column, justify="left" if column == "type" else "right")
    for t in s.identifiers:
        idents.add_row(t.type, f"{t.total:,}", f"{t.linking:,}", f"{t.shared:,}", f"{t.blocked:,}")
    out.print(idents)

    items = Table(title="Records and events per source and channel", title_justify="left")
    for column in ("kind", "source", "channel", "count"):
        items.add_column(column, justify="right" if column == "count" else "left")
    for c in s.items:
        items.add_row(c.kind, escape(c.source), c.channel or "", f"{c.total:,}")
    out.print(items)

    sizes = Table(title="Persons by size (records + events)", title_justify="left")
    sizes.add_column("size")
    sizes.add_column("persons", justify="right")
    sizes.add_column("")
    largest = max(s.sizes.values(), default=0) or 1
    for label, count in s.sizes.items():
        sizes.add_row(label, f"{count:,}", "█" * round(30 * count / largest))
    out.print(sizes)

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
    out.print(shared)
