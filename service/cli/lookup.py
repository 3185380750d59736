"""``omnid resolve`` and ``omnid explain``: one person as a panel, the chain that makes
two identifiers one person as a tree.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from service.cli.shell import (
    CountryOption,
    JsonOption,
    compact,
    iso,
    out,
    parse_identifier,
    print_json,
    run,
    short,
)
from service.errors import NotFound
from service.identity.identifiers import Identifier
from service.privacy.consents import consents_of
from service.read import models as readmodels
from service.read.profile import Candidates, profile
from service.settings import load_settings
from service.store.graph import Graph

__all__ = ["explain", "resolve"]


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
    ident = parse_identifier(type, value, country, settings)
    data = run(settings, lambda graph: _profile(graph, ident))
    if as_json:
        print_json(data)
    elif "persons" in data:
        out.print(_render_ambiguous(data))
    else:
        out.print(_render_profile(data))


#: Latest events shown per channel by ``omnid resolve``.
_EVENTS_PER_CHANNEL = 10


async def _profile(graph: Graph, ident: Identifier) -> dict[str, Any]:
    """What ``omnid resolve`` shows, as JSON-ready data (the panel renders this)."""
    found = await profile(graph, ident, events_per_channel=_EVENTS_PER_CHANNEL)
    query = {"type": ident.type, "value": ident.value, "key": ident.key}
    if isinstance(found, Candidates):
        return {
            "query": query,
            "persons": [
                {
                    **_person_dict(c.person),
                    "records": c.records,
                    "sources": list(c.sources),
                    "events": c.events,
                    "identifiers": list(c.identifiers),
                }
                for c in found.persons
            ],
        }
    by_type: dict[str, list[dict[str, Any]]] = {}
    for i in found.identifiers:
        by_type.setdefault(i.type, []).append(
            {
                "value": i.value,
                "display": list(i.display),
                "linking": i.linking,
                "shared": i.shared,
                "sharedReason": i.shared_reason,
                "blocked": i.blocked,
                "sources": list(i.sources),
                "firstSeen": iso(i.first_seen),
                "lastSeen": iso(i.last_seen),
            }
        )
    consents = (await consents_of(graph, [found.person.id]))[0]
    return {
        "query": query,
        "person": _person_dict(found.person),
        "identifiers": by_type,
        "consents": [
            {
                "purpose": c.purpose,
                "channel": c.channel,
                "status": c.status,
                "at": iso(c.at),
                "source": c.source,
                "id": c.id,
                "through": list(c.through),
            }
            for c in consents.effective()
        ],
        "records": [
            {
                "source": r.source,
                "id": r.source_id,
                "updatedAt": iso(r.updated_at),
                "attributes": r.attributes,
                "identifiers": list(r.identifiers),
            }
            for r in found.records
        ],
        "channels": {
            c.summary.channel: {
                "events": c.summary.events,
                "first": iso(c.summary.first),
                "last": iso(c.summary.last),
                "latest": [
                    {
                        "at": iso(e.at),
                        "type": e.type,
                        "source": e.source,
                        "id": e.source_id,
                        "attributes": e.attributes,
                    }
                    for e in c.latest
                ],
            }
            for c in found.channels
        },
    }


def _person_dict(person: readmodels.PersonView) -> dict[str, Any]:
    return {
        "id": person.id,
        "createdAt": iso(person.created_at),
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
    about = [f"created {short(person['createdAt'])}"]
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
                short(i["lastSeen"]),
            )
    parts.append(idents)

    recs = Table(title="Records", title_justify="left", expand=True)
    for column in ("source", "id", "updated", "attributes"):
        recs.add_column(column)
    for r in data["records"]:
        recs.add_row(
            escape(r["source"]),
            escape(r["id"]),
            short(r["updatedAt"]),
            escape(compact(r["attributes"])),
        )
    parts.append(recs if data["records"] else Text("No records", style="dim"))

    consents = Table(title="Consents (effective)", title_justify="left", expand=True)
    for column in ("purpose", "channel", "status", "given", "source", "id"):
        consents.add_column(column)
    for c in data["consents"]:
        consents.add_row(
            escape(c["purpose"]),
            c["channel"],
            c["status"],
            short(c["at"]),
            escape(c["source"]),
            escape(c["id"]),
        )
    parts.append(consents if data["consents"] else Text("No consents", style="dim"))

    for channel, summary in data["channels"].items():
        events = Table(
            title=(
                f"{channel}: {summary['events']} events, {short(summary['first'])} → "
                f"{short(summary['last'])}"
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
                short(e["at"]),
                escape(e["type"]),
                escape(e["source"]),
                escape(e["id"]),
                escape(compact(e["attributes"], 40)),
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
            short(p["createdAt"]),
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
    a = parse_identifier(type_a, value_a, country, settings)
    b = parse_identifier(type_b, value_b, country, settings)
    found = run(settings, lambda graph: readmodels.explain(graph, a, b))
    if found is None:
        raise NotFound(
            f"these two identifiers ({a.type}, {b.type}) are not one person: one is unknown, "
            "or no chain of linking identifiers joins them"
        )
    if as_json:
        print_json(
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
                        "at": iso(s.at),
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
            label = f"[dim]via[/] {escape(what)} [dim]{short(step.at)}[/]"
        node = node.add(label)
    out.print(tree)
