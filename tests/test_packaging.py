"""The served image's install: base dependencies only, as ``scripts/Dockerfile`` does it.

A throwaway venv gets the project the Dockerfile's way: the build context copied
(``COPY . .``, less what ``.dockerignore`` leaves out), the dependency list parsed from
pyproject.toml and installed, then ``pip install --no-deps -e .``. Without the ``demo``
extra there is no Faker, so ``omnid serve`` on an empty graph must say the demo data is
not installed and serve the empty graph. pip's cache is kept: about a minute the first
time, much less after.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from service.read.stats import person_count
from service.settings import Settings
from service.store.graph import Graph

ROOT = Path(__file__).resolve().parent.parent
NOT_INSTALLED = "the demo data is not installed"


def _context_filter(root: Path) -> Callable[[str, list[str]], set[str]]:
    """``.dockerignore`` as a ``shutil.copytree`` filter (entries matched by name at any
    depth: a superset of Docker's root-anchored rules, enough to keep local state out)."""
    patterns = [
        line.strip().removeprefix("**/")
        for line in (root / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return lambda _dir, names: {n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)}


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without this checkout on the path or this venv active."""
    drop = ("PYTHONPATH", "VIRTUAL_ENV", "PIP_NO_CACHE_DIR", "PYTHONHOME")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    return {**env, **extra}


def _run(*command: str | Path, cwd: Path) -> str:
    done = subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env=_clean_env(PIP_DISABLE_PIP_VERSION_CHECK="1"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The venv's bin directory, the project installed in it as the Dockerfile does."""
    base = tmp_path_factory.mktemp("image")
    app = base / "app"
    shutil.copytree(ROOT, app, ignore=_context_filter(ROOT))
    venv = base / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=base)
    python = venv / "bin" / "python"
    dependencies = tomllib.loads((app / "pyproject.toml").read_text())["project"]["dependencies"]
    requirements = base / "requirements.txt"
    requirements.write_text("\n".join(dependencies) + "\n")
    # --no-compile: writing the dependencies' .pyc files is half of this install's time
    # (about 9 of 20 s); the few commands run from this venv below compile what they
    # import in memory instead (about 4 s in all). Nothing checked here depends on them.
    _run(python, "-m", "pip", "install", "-q", "--no-compile", "-r", requirements, cwd=app)
    _run(python, "-m", "pip", "install", "-q", "--no-deps", "-e", ".", cwd=app)
    return venv / "bin"


def test_the_context_leaves_local_state_out(image: Path) -> None:
    app = image.parent.parent / "app"
    assert (app / "cypher" / "ingest.cypher").is_file()
    assert (app / "devtools" / "demo.py").is_file()
    assert not (app / ".neo4j").exists() and not (app / ".git").exists()


def test_the_base_install_has_no_faker_and_the_cli_answers(image: Path) -> None:
    probe = "import importlib.util as u; print(u.find_spec('faker'), u.find_spec('service').origin)"
    found = _run(image / "python", "-c", probe, cwd=image)
    faker, origin = found.split()
    assert faker == "None"
    assert origin.endswith("/app/service/__init__.py")  # the copy, not this checkout
    help_text = _run(image / "omnid", "serve", "--help", cwd=image)
    assert "--demo-if-empty" in help_text
    assert "neo4j" in _run(image / "omnid", "--help", cwd=image)  # devtools, plugged in


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return int(answer.status) == 200
    except (urllib.error.URLError, OSError):
        return False


async def test_serve_starts_on_an_empty_graph_without_the_demo(
    image: Path, settings: Settings, graph: Graph, tmp_path: Path
) -> None:
    port = _free_port()
    env = _clean_env(
        NEO4J_URI=settings.neo4j_uri,
        NEO4J_USER=settings.neo4j_user,
        NEO4J_PASSWORD=settings.neo4j_password.get_secret_value(),
        NEO4J_DATABASE=settings.neo4j_database,
        OMNID_HOST="127.0.0.1",
        OMNID_PORT=str(port),
        OMNID_LOAD_DEMO="true",
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(image / "omnid"), "serve"],
            cwd=tmp_path,  # no .env of this checkout
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 90
            ready = False
            while time.monotonic() < deadline and process.poll() is None:
                ready = _ready(f"http://127.0.0.1:{port}/readyz")
                if ready and NOT_INSTALLED in log.read_text(errors="replace"):
                    break
                time.sleep(0.3)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    output = log.read_text(errors="replace")
    assert ready, output[-3000:]
    assert NOT_INSTALLED in " ".join(output.split()), output[-3000:]
    assert "loading the demo" not in output
    assert await person_count(graph) == 0  # served empty: nothing was loaded
