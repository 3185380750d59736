"""Phase 4 of the initial load: ``neo4j-admin database import full`` into a new store,
swapped in for the (empty) database once it is complete.

The import writes into a staging data directory beside the server's ``data/`` (same
file system, so the swap is two renames); a crash or a failed import before the swap
leaves the database as it was. The swap happens with the server stopped; the old
directories are kept as ``<name>.before-load`` until the server has started on the new
store, then removed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from service.errors import GraphUnavailable
from service.load.export import ImportFiles
from service.load.server import ServerControl

__all__ = ["import_store", "remove_previous", "swap_in"]

_DATA_LINE = re.compile(r"^server\.directories\.data=.*$", re.MULTILINE)


def _staging_conf(control: ServerControl, staging: Path) -> Path:
    """A copy of the server's configuration whose data directory is ``staging``."""
    text = (control.home / "conf" / "neo4j.conf").read_text(encoding="utf-8")
    line = f"server.directories.data={staging / 'data'}"
    text = _DATA_LINE.sub(line, text) if _DATA_LINE.search(text) else text + f"\n{line}\n"
    conf = staging / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "neo4j.conf").write_text(text, encoding="utf-8")
    return conf


def import_store(
    control: ServerControl,
    files: ImportFiles,
    database: str,
    staging: Path,
) -> Path:
    """Run the import into ``staging``; the staged data directory."""
    if staging.exists():
        shutil.rmtree(staging)
    conf = _staging_conf(control, staging)
    cmd = [
        *control.admin_command(),
        "database",
        "import",
        "full",
        database,
        "--overwrite-destination=true",
        f"--array-delimiter=U+{ord(chr(0x1F)):04X}",
        f"--multiline-fields={'true' if files.multiline else 'false'}",
        f"--report-file={staging / 'import.report'}",
        *(f"--nodes={p}" for p in files.nodes),
        *(f"--relationships={p}" for p in files.relationships),
    ]
    done = subprocess.run(
        cmd, capture_output=True, text=True, check=False, env=control.admin_env(conf)
    )
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise GraphUnavailable(f"neo4j-admin import failed (exit {done.returncode}):\n{tail}")
    return staging / "data"


def swap_in(control: ServerControl, staged: Path, database: str) -> None:
    """Put the staged store in place of ``database`` (the server must be stopped)."""
    data = control.home / "data"
    for sub in ("databases", "transactions"):
        current = data / sub / database
        previous = data / sub / f"{database}.before-load"
        if previous.exists():
            shutil.rmtree(previous)
        if current.exists():
            current.rename(previous)
        current.parent.mkdir(parents=True, exist_ok=True)
        (staged / sub / database).rename(current)


def remove_previous(control: ServerControl, database: str) -> None:
    """Drop the directories the swap moved aside (after a successful start)."""
    for sub in ("databases", "transactions"):
        previous = control.home / "data" / sub / f"{database}.before-load"
        if previous.exists():
            shutil.rmtree(previous)
