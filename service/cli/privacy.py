"""``omnid erase``, ``omnid export`` and ``omnid unsuppress``: the privacy operations
from the command line (an operator's shell stands for the ``privacy`` scope)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from service.cli.shell import (
    CountryOption,
    JsonOption,
    operator_name,
    out,
    parse_identifier,
    print_json,
    run,
)
from service.identity.identifiers import Identifier
from service.privacy import erasure
from service.privacy.export import export_person
from service.privacy.suppression import Suppression
from service.settings import load_settings
from service.store.graph import Graph
from service.store.schema import apply_schema

__all__ = ["erase", "export", "unsuppress_"]

TypeArgument = Annotated[
    str | None, typer.Argument(metavar="[TYPE]", help="EMAIL, PHONE, LOYALTY_CARD…")
]
ValueArgument = Annotated[str | None, typer.Argument(metavar="[VALUE]", help="Any spelling.")]
IdOption = Annotated[
    str | None, typer.Option("--id", help="The person's id instead of TYPE VALUE.")
]


def _who(type: str | None, value: str | None, country: str | None) -> Identifier | None:
    if type is None and value is None:
        return None
    if type is None or value is None:
        raise typer.BadParameter("give TYPE and VALUE, or --id")
    return parse_identifier(type, value, country, load_settings())


def erase(
    type: TypeArgument = None,
    value: ValueArgument = None,
    id: IdOption = None,
    reason: Annotated[
        str, typer.Option(help="Why (a ticket reference); kept in the receipt. No personal data.")
    ] = "",
    requested_by: Annotated[
        str | None, typer.Option(help="Who asked, for the receipt [cli:<OS user>].")
    ] = None,
    country: CountryOption = None,
    as_json: JsonOption = False,
) -> None:
    """Erase a person and everything only they own, in one transaction; their
    identifiers are kept only as suppression hashes. Prints the receipt."""
    settings = load_settings()
    identifier = _who(type, value, country)
    by = operator_name(requested_by)

    async def work(graph: Graph) -> dict[str, Any]:
        await apply_schema(graph)
        receipt = await erasure.erase(
            graph,
            id=id,
            identifier=identifier,
            reason=reason,
            requested_by=by,
            suppression=Suppression.from_settings(settings),
        )
        return receipt.to_dict()

    receipt = run(settings, work)
    if as_json:
        print_json(receipt)
        return
    out.print(
        f"Erased: {receipt['records']} records, {receipt['events']} events, "
        f"{receipt['identifiers']} identifiers (suppressed), {receipt['consents']} consents, "
        f"{receipt['aliases']} aliases. Receipt {receipt['id']}."
    )


def export(
    type: TypeArgument = None,
    value: ValueArgument = None,
    id: IdOption = None,
    output: Annotated[
        Path | None, typer.Option(help="Write the document here instead of stdout.")
    ] = None,
    country: CountryOption = None,
) -> None:
    """Subject access: everything held about a person, as one JSON document."""
    settings = load_settings()
    identifier = _who(type, value, country)

    async def work(graph: Graph) -> dict[str, Any]:
        person = await erasure.person_id_for(graph, id=id, identifier=identifier)
        return await export_person(graph, person)

    document = run(settings, work)
    if output is None:
        print_json(document)
    else:
        output.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
        out.print(f"Wrote {output}")


def unsuppress_(
    type: Annotated[str, typer.Argument(metavar="TYPE")],
    value: Annotated[str, typer.Argument(metavar="VALUE")],
    country: CountryOption = None,
) -> None:
    """Let an erased identifier in again (the customer came back of their own will).
    Exit 1 when it was not suppressed."""
    settings = load_settings()
    identifier = parse_identifier(type, value, country, settings)

    async def work(graph: Graph) -> bool:
        return await erasure.unsuppress(graph, identifier, Suppression.from_settings(settings))

    if not run(settings, work):
        out.print(f"This {identifier.type} identifier was not suppressed.")
        raise typer.Exit(1)
    out.print(f"This {identifier.type} identifier is no longer suppressed.")
