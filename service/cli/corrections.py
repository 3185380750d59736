"""``omnid separate``, ``assert-same``, ``accept-match``, ``withdraw``, ``override`` and
``overrides``: operator corrections from the command line (an operator's shell stands
for the ``steward`` scope; who is ``cli:<OS user>``).

A side of a correction is written ``TYPE:VALUE`` (an identifier, any spelling),
``record:SOURCE/ID`` or ``person:ID``::

    omnid separate record:eshop/r1 record:eshop/r2 --reason TICKET-12 [--dry-run]
    omnid assert-same EMAIL:ana@example.com PHONE:+34600123456 --reason TICKET-13

Each command also takes ``--file`` of many (JSON Lines or CSV with a header; the columns
are the arguments' names: ``a,b,reason``, ``id``, ``type,value,mode,reason,country``;
a missing ``reason``, ``mode`` or ``country`` comes from the option) and prints one
result per line of the file, exiting 1 if any was refused. One item from the arguments
and a file go through the same function (``service.steward.batch``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape

from service.cli.shell import (
    CountryOption,
    JsonOption,
    err,
    operator_name,
    out,
    parse_identifier,
    print_json,
    run,
)
from service.errors import InvalidIdentifier, InvalidInput, OmnidError
from service.identity.files import read_rows
from service.identity.identifiers import Identifier
from service.identity.ingest import Ingestor
from service.settings import Settings, load_settings
from service.steward import corrections as steward
from service.steward.batch import Outcome, attempt
from service.steward.corrections import OverrideRequest, Pair, Subject
from service.store.graph import Graph
from service.store.schema import apply_schema

__all__ = [
    "FileOption",
    "Row",
    "accept_match",
    "assert_same",
    "override",
    "overrides",
    "read_items",
    "report",
    "row_option",
    "row_text",
    "separate",
    "withdraw",
]

T = TypeVar("T")
R = TypeVar("R")
#: One item of a corrections file: its columns (a JSON object, or a CSV row).
Row = dict[str, Any]

SideArgument = Annotated[
    str | None,
    typer.Argument(metavar="[SIDE]", help="TYPE:VALUE, record:SOURCE/ID or person:ID."),
]
ReasonOption = Annotated[
    str, typer.Option(help="Why (a ticket reference); kept with the correction. No personal data.")
]
ByOption = Annotated[
    str | None, typer.Option(help="Who, kept with the correction (default: cli:<OS user>).")
]
FileOption = Annotated[
    Path | None,
    typer.Option(
        "--file",
        help="Many items: JSON Lines or CSV with a header (columns named as the arguments); "
        "one result per line, exit 1 if any was refused.",
        exists=True,
        dir_okay=False,
    ),
]


# --- reading items -------------------------------------------------------------------


def row_option(row: Row, name: str, default: str | None = None) -> str | None:
    """A column's text, ``default`` when it is empty or absent; ``InvalidInput`` naming
    it when it is not text."""
    value = row.get(name)
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        raise InvalidInput("must be text", field=name)
    return value


def row_text(row: Row, name: str, default: str | None = None) -> str:
    """A column's text (``default`` when empty or absent); ``InvalidInput`` naming it."""
    value = row_option(row, name, default)
    if not value:
        raise InvalidInput("is required", field=name)
    return value


def _subject(field: str, text: str, country: str | None, settings: Settings) -> Subject:
    kind, sep, rest = text.partition(":")
    if not sep or not rest:
        raise InvalidInput("write TYPE:VALUE, record:SOURCE/ID or person:ID", field=field)
    if kind == "record":
        source, slash, id = rest.partition("/")
        if not slash:
            raise InvalidInput("write record:SOURCE/ID", field=field)
        return Subject.record(field, source, id)
    if kind == "person":
        return Subject.of_person(field, rest)
    return Subject.identifier(field, _identifier(field, kind, rest, country, settings))


def _identifier(
    field: str, type: str, value: str, country: str | None, settings: Settings
) -> Identifier:
    try:
        return parse_identifier(type.upper(), value, country, settings)
    except InvalidIdentifier as exc:  # named by the column it came from
        raise InvalidIdentifier(exc.reason, type=exc.type, value=value, field=field) from None


def read_items(
    args: Sequence[str | None],
    file: Path | None,
    read: Callable[[Row], R],
    names: Sequence[str],
) -> tuple[list[R | OmnidError], list[int] | None]:
    """The items of a command: one from its arguments (``names`` naming them), or each
    line of ``--file``; each read by ``read`` into a request or the error that kept it
    from being read. With the file's line numbers (None for the arguments)."""
    given = [a for a in args if a is not None]
    if file is None:
        if len(given) != len(args):
            raise typer.BadParameter(f"give {' '.join(n.upper() for n in names)}, or --file")
        return [attempt(partial(read, dict(zip(names, args, strict=True))))], None
    if given:
        raise typer.BadParameter("give the arguments or --file, not both")
    items: list[R | OmnidError] = []
    lines: list[int] = []
    for line in read_rows(file):
        row = line.item
        if isinstance(row, OmnidError):
            items.append(row)
        elif not isinstance(row, dict):
            items.append(InvalidInput("must be a JSON object", field="line"))
        else:
            items.append(attempt(partial(read, row)))
        lines.append(line.number)
    return items, lines


# --- printing results ----------------------------------------------------------------


def _plain(value: Any) -> Any:
    plain = dataclasses.is_dataclass(value) and not isinstance(value, type)
    return dataclasses.asdict(value) if plain else value


def _result(outcome: Outcome[Any], line: int) -> dict[str, Any]:
    error = outcome.error.to_dict() if outcome.error is not None else None
    return {"line": line, "status": outcome.status, "value": _plain(outcome.value), "error": error}


def report(
    outcomes: Sequence[Outcome[T]],
    lines: list[int] | None,
    as_json: bool,
    describe: Callable[[T], str],
) -> None:
    """Print the results. One item from the arguments: its result as before (an error as
    ``CODE: message``, exit 1). A file: a result per line, exit 1 if any was refused."""
    if lines is None:
        (one,) = outcomes
        if one.error is not None:
            raise one.error
        assert one.value is not None
        if as_json:
            print_json(_plain(one.value))
        else:
            out.print(escape(describe(one.value)))
        return
    refused = sum(1 for o in outcomes if o.error is not None)
    if as_json:
        print_json([_result(o, lines[o.index]) for o in outcomes])
    else:
        for o in outcomes:
            if o.error is not None:
                err.print(escape(f"line {lines[o.index]}: {o.error.code}: {o.error.message}"))
            elif o.value is not None:
                out.print(escape(f"line {lines[o.index]}: {describe(o.value)}"))
        out.print(f"{len(outcomes) - refused} done, {refused} refused.")
    if refused:
        raise typer.Exit(1)


def _write(settings: Settings, work: Callable[[Ingestor], Awaitable[Any]]) -> Any:
    async def with_ingestor(graph: Graph) -> Any:
        await apply_schema(graph)
        return await work(Ingestor(graph))

    return run(settings, with_ingestor)


# --- the commands --------------------------------------------------------------------


def _pairs(
    a: str | None, b: str | None, file: Path | None, reason: str, country: str | None
) -> tuple[Settings, list[Pair | OmnidError], list[int] | None]:
    settings = load_settings()

    def read(row: Row) -> Pair:
        region = row_option(row, "country", country)
        sa = _subject("a", row_text(row, "a"), region, settings)
        sb = _subject("b", row_text(row, "b"), region, settings)
        return Pair(sa, sb, row_option(row, "reason", reason) or "")

    items, lines = read_items([a, b], file, read, ["a", "b"])
    return settings, items, lines


def separate(
    a: SideArgument = None,
    b: SideArgument = None,
    reason: ReasonOption = "",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show the values that would be cut.")
    ] = False,
    file: FileOption = None,
    by: ByOption = None,
    country: CountryOption = None,
    as_json: JsonOption = False,
) -> None:
    """These two (identifiers or records of one person) are not one customer: the values
    bridging them stop linking, and the person splits. Kept across re-imports."""
    settings, items, lines = _pairs(a, b, file, reason, country)
    if dry_run:
        if lines is not None:
            raise typer.BadParameter("--dry-run takes one pair, not --file")
        (pair,) = items
        if isinstance(pair, OmnidError):
            raise pair
        plan = run(settings, lambda graph: steward.explain_separation(graph, pair.a, pair.b))
        line = f"Would cut {len(plan.bridges)}: {', '.join(plan.bridges) or '-'}"
        if as_json:
            print_json(_plain(plan))
        else:
            out.print(escape(line))
        return
    who = operator_name(by)
    done = _write(settings, lambda i: steward.separate_each(i, items, by=who))
    report(done, lines, as_json, lambda s: f"Separation {s.id}: cut {', '.join(s.values)}.")


def _link_line(link: steward.OperatorLink) -> str:
    return f"Operator link {link.id}: person {link.person}."


def assert_same(
    a: SideArgument = None,
    b: SideArgument = None,
    reason: ReasonOption = "",
    file: FileOption = None,
    by: ByOption = None,
    country: CountryOption = None,
    as_json: JsonOption = False,
) -> None:
    """These two are one customer: an operator link (withdraw it with ``omnid withdraw``)."""
    settings, items, lines = _pairs(a, b, file, reason, country)
    who = operator_name(by)
    done = _write(settings, lambda i: steward.assert_same_each(i, items, by=who))
    report(done, lines, as_json, _link_line)


def accept_match(
    a: SideArgument = None,
    b: SideArgument = None,
    reason: ReasonOption = "",
    file: FileOption = None,
    by: ByOption = None,
    country: CountryOption = None,
    as_json: JsonOption = False,
) -> None:
    """Accept a suggested match (``omnid matches``): an operator link recording the
    suggestion's score. A pair no current suggestion joins is refused (NOT_FOUND);
    ``omnid assert-same`` links any two."""
    settings, items, lines = _pairs(a, b, file, reason, country)
    who = operator_name(by)
    done = _write(settings, lambda i: steward.accept_match_each(i, items, by=who))
    report(done, lines, as_json, _link_line)


def withdraw(
    id: Annotated[
        str | None, typer.Argument(metavar="[ID]", help="The operator link's id.")
    ] = None,
    file: FileOption = None,
    as_json: JsonOption = False,
) -> None:
    """Withdraw an operator link: persons regroup as if it had never been made."""
    settings = load_settings()
    items, lines = read_items([id], file, lambda row: row_text(row, "id"), ["id"])
    done = _write(settings, lambda i: steward.withdraw_assertion_each(i, items))
    outcomes = [
        dataclasses.replace(o, value={"persons": o.value}) if o.error is None else o for o in done
    ]
    report(
        outcomes,
        lines,
        as_json,
        lambda v: f"Withdrawn; its values are in {', '.join(v['persons'])}.",
    )


def override(
    type: Annotated[str | None, typer.Argument(metavar="[TYPE]")] = None,
    value: Annotated[str | None, typer.Argument(metavar="[VALUE]")] = None,
    mode: Annotated[
        str | None, typer.Option(help="shared (never links) or linking (despite the rules).")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Drop the value's override.")] = False,
    reason: ReasonOption = "",
    file: FileOption = None,
    by: ByOption = None,
    country: CountryOption = None,
    as_json: JsonOption = False,
) -> None:
    """Force a value shared or linking (``--mode``), or drop its override (``--clear``)."""
    settings = load_settings()
    if clear and mode is not None:
        raise typer.BadParameter("give --mode shared|linking, or --clear")

    def identifier(row: Row) -> Identifier:
        region = row_option(row, "country", country)
        return _identifier("value", row_text(row, "type"), row_text(row, "value"), region, settings)

    if clear:
        values, lines = read_items([type, value], file, identifier, ["type", "value"])
        had = _write(settings, lambda i: steward.clear_override_each(i, values))
        cleared = [
            dataclasses.replace(o, value={"cleared": o.value}) if o.error is None else o
            for o in had
        ]
        report(cleared, lines, as_json, lambda v: "Cleared." if v["cleared"] else "No override.")
        return
    if mode is None and file is None:
        raise typer.BadParameter("give --mode shared|linking, or --clear")

    def request(row: Row) -> OverrideRequest:
        wanted = row_text(row, "mode", mode)
        return OverrideRequest(identifier(row), wanted, row_option(row, "reason", reason) or "")

    items, lines = read_items([type, value], file, request, ["type", "value"])
    who = operator_name(by)
    done = _write(settings, lambda i: steward.set_override_each(i, items, by=who))
    report(done, lines, as_json, lambda v: f"{v.type} value is now {v.mode} (by {v.by}).")


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
