"""The ``omnid`` command: a thin shell over the library, one Typer app.

    omnid serve [--host H] [--port P] [--demo-if-empty/--no-demo]
    omnid schema apply | export [--output graphql/schema.graphql] [--check]
    omnid import FILE... [--mapping map.json] [--kind event --source pos ...] [--report PATH]
    omnid load --initial FILE... [--mapping map.json] [--csv-only] [--report PATH]
    omnid resolve TYPE VALUE [--country ES] [--json]
    omnid explain TYPE VALUE TYPE VALUE [--country ES] [--json]
    omnid stats [--json]
    omnid erase TYPE VALUE | --id ID --reason R [--json]
    omnid export TYPE VALUE | --id ID [--output FILE]
    omnid unsuppress TYPE VALUE
    omnid separate SIDE SIDE --reason R [--dry-run] | assert-same SIDE SIDE --reason R
    omnid accept-match SIDE SIDE | withdraw ID     (each of these: or --file F, many)
    omnid override TYPE VALUE --mode shared|linking --reason R | --clear
    omnid overrides [--conflicts] [--json]
    omnid matches PERSON [--first N] [--min-score S] [--refresh] [--json]
    omnid reject-match A B --reason R [--by WHO] [--json]
    omnid segment define FILE | list | show NAME | drop NAME | explain NAME
                  | members NAME --output members.csv
    omnid review [--first N] [--after C] [--refresh] [--dismiss ID --reason R] [--json]

and, from the development tools when they are installed (``devtools.commands``):

    omnid neo4j install|start|stop|status
    omnid demo [--customers N] [--seed S] [--output DIR]

One module per command. Settings come from the environment and ``.env``
(``service.settings``). Every command is a few lines calling library functions (async
ones through ``asyncio.run``); omnid's own errors (``OmnidError``) are caught once, in
the command group (``shell.OmnidGroup``), and printed as ``CODE: message`` on stderr
with exit code 1.

Other packages add commands through the ``omnid.commands`` entry points: a Typer app is
added as a group under the entry point's name, a function as a command. That is how the
development tools plug in without the product importing them.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import typer

from service.cli.corrections import (
    accept_match,
    assert_same,
    override,
    overrides,
    separate,
    withdraw,
)
from service.cli.importing import import_
from service.cli.load import load
from service.cli.lookup import explain, resolve
from service.cli.matches import matches_, reject_match
from service.cli.privacy import erase, export, unsuppress_
from service.cli.review import review
from service.cli.schema import schema_app
from service.cli.segments import segment_app
from service.cli.serve import serve
from service.cli.shell import OmnidGroup
from service.cli.stats import stats
from service.gc_tuning import tune_gc

__all__ = ["app", "main"]

app = typer.Typer(
    cls=OmnidGroup,
    name="omnid",
    help="omnid: a customer identity graph on Neo4j.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals hold personal data and the password
)
app.command()(serve)
app.add_typer(schema_app, name="schema")
app.command("import")(import_)
app.command()(load)
app.command()(resolve)
app.command()(explain)
app.command()(stats)
app.command()(erase)
app.command()(export)
app.command("unsuppress")(unsuppress_)
app.add_typer(segment_app, name="segment")
app.command()(separate)
app.command("assert-same")(assert_same)
app.command("accept-match")(accept_match)
app.command()(withdraw)
app.command()(override)
app.command()(overrides)
app.command()(review)
app.command("matches")(matches_)
app.command("reject-match")(reject_match)


def _plug_in(app: typer.Typer) -> None:
    for entry in sorted(entry_points(group="omnid.commands"), key=lambda e: e.name):
        try:
            command = entry.load()
        except ImportError:
            continue  # its package's extra is not installed: the command is not offered
        if isinstance(command, typer.Typer):
            app.add_typer(command, name=entry.name)
        else:
            app.command(entry.name)(command)


_plug_in(app)


def main() -> None:
    """``python -m service.cli``."""
    tune_gc()
    app()
