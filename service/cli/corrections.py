"""``omnid separate``, ``assert-same``, ``accept-match``, ``withdraw``, ``override`` and
``overrides``: operator corrections from the command line (an operator's shell stands
for the ``steward`` scope; who is ``cli:<OS user>``).

A side of a correction is written ``TYPE:VALUE`` (an identifier, any spelling),
``record:SOURCE/ID`` or ``person:ID``::

    omnid separate record:eshop/r1 record:eshop/r2 --reason TICKET-12 [--dry-run]
    omnid assert-same EMAIL:ana@example.com PHONE:+34600123456 --reason TICKET-13
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import typer
from rich.markup import escape

from service.cli.shell import (
    CountryOption,
    JsonOption,
    operator_name,
    out,
    parse_identifier,
    print_json,
    run,
)
from service.identity.ingest import Ingestor
from service.settings import Settings, load_settings
from service.steward import corrections as steward
from service.steward.corrections import Subject
from service.store.graph import Graph
from service.store.schema import apply_schema

__all__ = ["accept_match", "assert_same", "override", "overrides", "separate", "withdraw"]

SideArgument = Annotated[
    str, typer.Argument(metavar="SIDE", help="TYPE:VALUE, record:SOURCE/ID or person:ID.")
]
ReasonOption = Annotated[
    str, typer.Option(help="Why (a ticket reference); kept with the correction. No personal data.")
]
ByOption = Annotated[
    str | None, typer.Option(help="Who, kept with the correction (default: cli:<OS user>).")
]


def _subject(field: str, text: str, country: str | None, settings: Settings) -> Subject:
    kind, sep, rest = text.partition(":")
    if not sep or not rest:
        raise typer.BadParameter(f"{field}: write TYPE:VALUE, record:SOURCE/ID or person:ID")
    if kind == "record":
        source, slash, id = rest.partition("/")
        if not slash:
            raise typer.BadParameter(f"{field}: write record:SOURCE/ID")
        return Subject.record(field, source, id)
    if kind == "person":
        return Subject.of_person(field, rest)
    return Subject.identifier(field, parse_identifier(kind.upper(), rest, country, settings))


def _write(settings: Settings, work: Callable[[Ingestor], Awaitable[Any]]) -> Any:
    async def with_ingestor(graph: Graph) -> Any:
        await apply_schema(graph)
        return await work(Ingestor(graph))

    return run(settings, with_ingestor)


def _show(data: Any, as_json: bool, line: str) -> None:
    if as_json:
        plain = dataclasses.is_dataclass(data) and not isinstance(data, type)
        print_json(dataclasses.asdict(data) if plain else data)
    else:
        out.print(escape(line))


def separate(
    a: SideArgument,
    b: SideArgument,
    reason: ReasonOption = "",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show the values that would be cut.")
    ] = False,
    by: ByOption = None,
    country: CountryOption = None,
    as_json: JsonOption = False,
) -> None:
    """These two (identifiers or records of one person) are not one customer: the values
    bridging them stop linking, and the person splits. Kept across re-imports."""
    settings = load_settings()
    sa, sb = _subject("a", a, country, settings), _subject("b", b, country, settings)
    if dry_run:
        plan = run(settings, lambda graph: steward.explain_separation(graph, sa, sb))
        _show(plan, as_json, f"Would cut {len(plan.bridges)}: {', '.join(plan.bridges) or '-'}")
        return
    who = operator_name(by)
    done = _write(settings, lambda i: steward.separate(i, sa, sb, reason=reason, by=who))
    _show(done, as_json, f"Separation {done.id}: cut {', '.join(done.values)}.")


def _link(
    a: str,
    b: str,
    country: str | None,
    as_json: bool,
    make: Callable[[Ingestor, Subject, Subject], Awaitable[steward.OperatorLink]],
) -> None:
    """An operator link between two sides, printed."""
    settings = load_settings()
    sa, sb = _subject("a", a, country, settings), _subject("b", b, country, settings)
    link = _write(settings, lambda i: make(i, sa, sb))
    _show(link, as_json, f"Operator link {link.id}: person {link.person}.")


def assert_same(
    a: SideArgument,
    b: SideArgument,
    reason: ReasonOption = "",
    by: ByOption = None,
    country: CountryOption = None,
    as_json: JsonOption = False,
) -> None:
    """These two are one customer: an operator link (withdraw it with ``omnid withdraw``)."""
    who = operator_name(by)
    _link(
        a, b, country, as_json, lambda i, x, y: steward.assert_same(i, x, y, reason=reason, by=who)
    )


def accept_match(
    a: SideArgument,
    b: SideArgument,
    score: Annotated[float, typer.Option(help="The suggestion's score.")],
    by: ByOption = None,
    country: CountryOption = None,
    as_json: JsonOption = False,
) -> None:
    """Accept a suggested match: an operator link recording its score."""
    who = operator_name(by)
    _link(
        a, b, country, as_json, lambda i, x, y: steward.accept_match(i, x, y, score=score, by=who)
    )


def withdraw(
    id: Annotated[str, typer.Argument(metavar="ID", help="The operator link's id.")],
    as_json: JsonOption = False,
) -> None:
    """Withdraw an operator link: persons regroup as if it had never been made."""
    settings = load_settings()
    persons = _write(settings, lambda i: steward.withdraw_assertion(i, id))
    _show({"persons": persons}, as_json, f"Withdrawn; its values are in {', '.join(persons)}.")


def override(
    type: Annotated[str, typer.Argument(metavar="TYPE")],
    value: Annotated[str, typer.Argument(metavar="VALUE")],
    mode: Annotated[
        str | None, typer.Option(help="shared (never links) or linking (despite the rules).")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Drop the value's override.")] = False,
    reason: ReasonOption = "",
    by: ByOption = None,
    country: CountryOption = None,
    as_json: JsonOption = False,
) -> None:
    """Force a value shared or linking (``--mode``), or drop its override (``--clear``)."""
    settings = load_settings()
    identifier = parse_identifier(type, value, country, settings)
    if clear == (mode is not None):
        raise typer.BadParameter("give --mode shared|linking, or --clear")
    if clear:
        had = _write(settings, lambda i: steward.clear_override(i, identifier))
        _show({"cleared": had}, as_json, "Cleared." if had else "It had no override.")
        return
    who = operator_name(by)
    assert mode is not None
    view = _write(
        settings, lambda i: steward.set_override(i, identifier, mode, reason=reason, by=who)
    )
    _show(view, as_json, f"{view.type} value is now {view.mode} (by {view.by}).")


def overrides(
    conflicts: Annotated[
        bool, typer.Option("--conflicts", help="List separations new evidence joined again.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Every value an operator overrode (who, why, when), or the separation conflicts."""
    settings = load_settings()
    if conflicts:
        found = run(settings, steward.separation_conflicts)
        if as_json:
            print_json([dataclasses.asdict(c) for c in found])
            return
        for c in found:
            out.print(
                escape(f"{c.separation.id}  person {c.person}  bridges {', '.join(c.bridges)}")
            )
        return
    views = run(settings, steward.overrides)
    if as_json:
        print_json([dataclasses.asdict(v) for v in views])
        return
    for v in views:
        out.print(escape(f"{v.key}  {v.mode}  by {v.by}  {v.reason}"))
