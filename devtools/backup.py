"""Offline backup and restore of the local server's database (``omnid backup|restore``).

Neo4j Community has no online backup; its own ``neo4j-admin database dump`` and
``database load`` copy a database's store to and from one ``<database>.dump`` file, and
both need the server stopped (a running server holds the store's lock). So these refuse
while the local server runs, and say so, rather than stopping it behind the user's back.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from devtools import neo4j_local
from devtools.neo4j_local import ADMIN_CLASS, _home, _java, _java_env, _last_lines
from service.errors import OmnidError
from service.settings import Settings

__all__ = ["ServerRunning", "backup", "restore"]


class ServerRunning(OmnidError):
    """Raised when a dump or load is asked of a server that runs: stop it first."""

    code = "SERVER_RUNNING"


def backup(
    settings: Settings, destination: Path, *, log: Callable[[str], None] = lambda _: None
) -> Path:
    """Dump the database into ``destination`` (a directory): ``<destination>/<db>.dump``."""
    home = _refuse_while_running(settings, "back up")
    destination.mkdir(parents=True, exist_ok=True)
    database = settings.neo4j_database
    target = destination / f"{database}.dump"
    target.unlink(missing_ok=True)  # neo4j-admin refuses to overwrite
    _admin(home, ["database", "dump", database, f"--to-path={destination}"])
    log(f"Dumped database {database} of {home} to {target}")
    return target


def restore(settings: Settings, dump: Path, *, log: Callable[[str], None] = lambda _: None) -> None:
    """Replace the database with the one in ``dump`` (a file written by ``backup``).

    The home is installed first when it is new (jars, configuration, password).
    """
    if not dump.is_file():
        raise OmnidError(f"no dump file at {dump}")
    neo4j_local.install(settings, log=log)
    home = _refuse_while_running(settings, "restore")
    database = settings.neo4j_database
    with tempfile.TemporaryDirectory(dir=home) as staging:
        # neo4j-admin reads <database>.dump from a directory
        shutil.copyfile(dump, Path(staging) / f"{database}.dump")
        _admin(
            home,
            [
                "database",
                "load",
                database,
                f"--from-path={staging}",
                "--overwrite-destination=true",
            ],
        )
    log(f"Loaded {dump} into database {database} of {home}")


def _refuse_while_running(settings: Settings, what: str) -> Path:
    status = neo4j_local.status(settings)
    if status.running:
        raise ServerRunning(
            f"cannot {what} while Neo4j runs (pid {status.pid}): neo4j-admin needs the "
            "server stopped; run `omnid neo4j stop` first, then `omnid neo4j start` after"
        )
    return _home(settings)


def _admin(home: Path, args: list[str]) -> None:
    cmd = [_java(), "-Xmx512m", "-cp", str(home / "lib" / "*"), ADMIN_CLASS, *args]
    done = subprocess.run(
        cmd, capture_output=True, text=True, check=False, cwd=home, env=_java_env(home)
    )
    if done.returncode != 0:
        output = _last_lines(done.stdout + done.stderr, 20)
        raise OmnidError(
            f"neo4j-admin {' '.join(args[:2])} failed (exit {done.returncode}):\n{output}"
        )
