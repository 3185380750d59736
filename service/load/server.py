"""The Neo4j server an initial load writes into: how to stop, start and run its admin tool.

The product does not manage a server; whoever does plugs in through the
``omnid.server`` entry points (the development tools' local server does:
``devtools.neo4j_local.load_control``). An entry point names a function
``(settings) -> ServerControl``.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path
from typing import Protocol

from service.errors import GraphUnavailable
from service.settings import Settings

__all__ = ["ServerControl", "find_control"]


class ServerControl(Protocol):
    """A Neo4j installation this process may stop and start (``home`` holds ``conf/``,
    ``lib/`` and ``data/``)."""

    @property
    def home(self) -> Path: ...

    def admin_command(self) -> list[str]:
        """The command line of ``neo4j-admin`` (without its arguments)."""
        ...

    def admin_env(self, conf_dir: Path) -> dict[str, str]:
        """The environment ``neo4j-admin`` runs with, reading its config from ``conf_dir``."""
        ...

    def stop(self) -> None: ...

    def start(self) -> None: ...


def find_control(settings: Settings) -> ServerControl:
    """The server control the ``omnid.server`` entry points offer, or a clear error."""
    for entry in sorted(entry_points(group="omnid.server"), key=lambda e: e.name):
        try:
            factory = entry.load()
        except ImportError:
            continue
        control: ServerControl = factory(settings)
        return control
    raise GraphUnavailable(
        "no Neo4j server control is installed (the omnid.server entry point, e.g. the "
        "development tools' local server); use --csv-only DIR and run neo4j-admin "
        "database import yourself"
    )
