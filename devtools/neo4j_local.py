"""A local Neo4j Community server for development and tests, assembled from Maven jars.

Why: the usual ways to get a Neo4j server (the ``neo4j:5.26-community`` Docker image,
testcontainers) need a Docker engine, and the machines this project is developed and
tested on have none. The server itself is an ordinary Java program published on Maven
Central, so ``omnid neo4j install|start|stop|status`` (and the test fixtures) build a
server home from those jars and run it with the local Java 17+:

* ``install`` runs ``mvn dependency:copy-dependencies`` on ``scripts/neo4j/pom.xml``
  (Neo4j Community ``org.neo4j:neo4j`` plus the ``neo4j-browser`` jar) into
  ``<home>/lib``, only when that jar set is missing or incomplete (a marker file records
  a complete copy and the pom it came from; bump the version in the pom and the next
  install replaces the jars; a home other than ``.neo4j/``, such as the tests', hard-links
  the jars of ``.neo4j/lib`` when that set is complete, instead). It then writes
  ``<home>/conf/neo4j.conf`` from the settings (every time: the file is generated, edits
  to it are lost) and, before the very first start only, sets the password of the
  ``neo4j`` user.
* ``start`` launches ``java … org.neo4j.server.CommunityEntryPoint`` in the background
  (its own session, so it outlives the calling process; JVM output goes to
  ``<home>/logs/console.log``, Neo4j's own logs to ``<home>/logs/neo4j.log`` and
  ``debug.log``), records the pid in ``<home>/run/omnid-neo4j.pid`` and returns once
  Bolt answers an authenticated query. It is idempotent.
* ``stop`` sends SIGTERM (Neo4j checkpoints and shuts down cleanly), waits, and uses
  SIGKILL only as a last resort.

The server listens on 127.0.0.1 only: Bolt on ``OMNID_NEO4J_BOLT_PORT`` (7687) and HTTP
on ``OMNID_NEO4J_HTTP_PORT`` (7474), where Neo4j Browser is served at
``http://127.0.0.1:7474/browser/``. Heap and page cache come from ``OMNID_NEO4J_HEAP``
and ``OMNID_NEO4J_PAGECACHE``. Everything under ``<home>`` (``OMNID_NEO4J_HOME``,
default ``.neo4j/`` in the project; git-ignored) is generated.

Password: ``NEO4J_PASSWORD`` (user ``neo4j``) is set **once**, before the first start,
when the server creates its ``system`` database under ``<home>/data``. Changing
``NEO4J_PASSWORD`` afterwards does not change the server's password: a start then fails
with an error that says so. Either go back to the old password, change it in Cypher
(``ALTER CURRENT USER SET PASSWORD FROM 'old' TO 'new'`` on the ``system`` database),
or, for a development server whose data may go, ``omnid neo4j stop``, delete
``<home>/data`` and start again. (The initial password is passed to Neo4j's admin
command on its command line, visible to local users for a moment: development only.)

This is a development server: Community edition, no TLS, one fixed set of JVM flags.
Users with Docker can run ``docker compose up`` instead (``docker-compose.yml``).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import functools
import gc
import hashlib
import hmac
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, DriverError, Neo4jError

from service.errors import GraphUnavailable, InvalidInput
from service.settings import Settings

__all__ = ["LocalControl", "LocalStatus", "install", "load_control", "start", "status", "stop"]

_log = logging.getLogger(__name__)

_ROOT = Path(__file__).resolve().parent.parent
#: The Maven project that lists the server's jars (Neo4j Community + Neo4j Browser).
POM = _ROOT / "scripts" / "neo4j" / "pom.xml"
#: Where ``mvn`` puts the jars by default (the pom's outputDirectory); other homes link them.
_DEFAULT_LIB = _ROOT / ".neo4j" / "lib"

MAIN_CLASS = "org.neo4j.server.CommunityEntryPoint"
ADMIN_CLASS = "org.neo4j.server.startup.Neo4jAdminCommand"
PID_FILE = "omnid-neo4j.pid"
LOCK_FILE = "omnid-neo4j.lock"
JARS_MARKER = ".omnid-jars-complete"
CONSOLE_LOG = "console.log"
MIN_JAVA = 17
SUPPORTED_JAVA = (17, 21)  # what Neo4j 5.26 supports; others get a warning

#: JVM flags of the stock ``neo4j.conf`` (``server.jvm.additional``), which only the
#: stock ``neo4j`` launcher reads: we start java ourselves, so we pass them. Without the
#: ``--add-opens`` the page cache logs that it falls back to a slower mode.
#: ``-XX:+AlwaysPreTouch`` is left out on purpose: it makes start-up touch the whole
#: heap, which a development server does not need.
JVM_FLAGS: tuple[str, ...] = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "-XX:FlightRecorderOptions=stackdepth=256",
    "-XX:+UnlockDiagnosticVMOptions",
    "-XX:+DebugNonSafepoints",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true",
    "-Dlog4j.layout.jsonTemplate.maxStringLength=32768",
    "-Dfile.encoding=UTF-8",
)

#: Servers started by this Python process, kept so that they are reaped (no zombie, no
#: ``ResourceWarning`` from a collected ``Popen``) and ``stop`` can wait on them.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@atexit.register
def _detach_children() -> None:
    """Let servers outlive this process (``omnid neo4j start`` exits at once) quietly.

    A collected ``Popen`` whose process still runs warns ``ResourceWarning``; here that
    is the intended outcome, not a leak.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        _CHILDREN.clear()
        gc.collect()  # the driver's exception cycles can still hold a Popen: free it here


@dataclass(frozen=True)
class LocalStatus:
    """Where the local server lives and whether it runs."""

    installed: bool
    running: bool
    pid: int | None
    bolt_uri: str  # bolt://127.0.0.1:<bolt port>
    browser_url: str  # http://127.0.0.1:<http port>/browser/
    home: Path


def _default_log(message: str) -> None:
    _log.info("%s", message)


# --------------------------------------------------------------------------- public API


def install(settings: Settings, *, log: Callable[[str], None] = _default_log) -> Path:
    """Make ``<home>`` ready to start; idempotent. Returns the home directory.

    Copies the jars with Maven only when ``<home>/lib`` is missing or incomplete, writes
    ``<home>/conf/neo4j.conf`` from ``settings`` every time, and sets the initial password
    only while the server has never started (no ``system`` database yet).
    Raises ``GraphUnavailable`` when Java 17+ or Maven is missing or a step fails.
    """
    home = _home(settings)
    with _lock(home):
        _install(settings, home, log)
    return home


def start(
    settings: Settings,
    *,
    wait_seconds: float = 90,
    log: Callable[[str], None] = _default_log,
) -> LocalStatus:
    """Start the server in the background and wait until Bolt answers; idempotent.

    Already running: returns its status (the settings are not re-applied; stop first).
    Otherwise installs, launches java, and returns once an authenticated ``RETURN 1``
    succeeds. If the process dies, the password is refused, or ``wait_seconds`` pass,
    the process is stopped and ``GraphUnavailable`` is raised with the end of the logs.
    """
    home = _home(settings)
    with _lock(home):
        pid = _find_pid(home)
        if pid is not None:
            log(f"Neo4j is already running (pid {pid}), {_bolt_uri(settings)}")
            return _status(settings, home, pid)
        _install(settings, home, log)
        initialized = _system_db(home).exists()
        _check_ports_free(settings)
        java = _java()
        heap = _jvm_size(settings.neo4j_heap, "OMNID_NEO4J_HEAP")
        cmd = [
            java,
            f"-Xms{heap}",
            f"-Xmx{heap}",
            *JVM_FLAGS,
            f"-XX:ErrorFile={home / 'logs' / 'hs_err_pid%p.log'}",
            "-cp",
            str(home / "lib" / "*"),
            MAIN_CLASS,
            f"--home-dir={home}",
            f"--config-dir={home / 'conf'}",
        ]
        console = home / "logs" / CONSOLE_LOG
        console.parent.mkdir(parents=True, exist_ok=True)
        if console.exists():
            console.replace(console.with_name(CONSOLE_LOG + ".1"))
        user_log = home / "logs" / "neo4j.log"
        log_offset = user_log.stat().st_size if user_log.exists() else 0
        log(f"Starting Neo4j ({home}) …")
        began = time.monotonic()
        with console.open("ab") as out:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=home,
                env=_java_env(home),
                start_new_session=True,
            )
        _CHILDREN[proc.pid] = proc
        pid_file = home / "run" / PID_FILE
        pid_file.parent.mkdir(parents=True, exist_ok=True)
        pid_file.write_text(f"{proc.pid}\n", encoding="ascii")
        try:
            _wait_for_bolt(settings, home, proc, began + wait_seconds, initialized, log_offset)
        except BaseException:
            with contextlib.suppress(GraphUnavailable):  # keep the original error
                _terminate(proc.pid, 30)
            pid_file.unlink(missing_ok=True)
            raise
        took = time.monotonic() - began
        log(
            f"Neo4j is up after {took:.1f}s (pid {proc.pid}): {_bolt_uri(settings)}, "
            f"Browser {_browser_url(settings)} (user {settings.neo4j_user})"
        )
        return _status(settings, home, proc.pid)


def stop(settings: Settings, *, wait_seconds: float = 60) -> bool:
    """Stop the server: SIGTERM, wait up to ``wait_seconds``, then SIGKILL.

    Removes the pid file. Returns whether a server was running.
    """
    home = _home(settings)
    with _lock(home):
        pid = _find_pid(home)
        if pid is not None:
            _terminate(pid, wait_seconds)
        (home / "run" / PID_FILE).unlink(missing_ok=True)
        return pid is not None


def status(settings: Settings) -> LocalStatus:
    """Whether the local server is installed and running; changes nothing."""
    home = _home(settings)
    return _status(settings, home, _find_pid(home, repair=False))


@dataclass(frozen=True)
class LocalControl:
    """This server as ``omnid load --initial`` drives it (``service.load.server``)."""

    settings: Settings
    #: How long a restart may take (a loaded store on a busy machine takes longer).
    wait_seconds: float = 90

    @property
    def home(self) -> Path:
        return _home(self.settings)

    def admin_command(self) -> list[str]:
        return [_java(), "-Xmx1g", "-cp", str(self.home / "lib" / "*"), ADMIN_CLASS]

    def admin_env(self, conf_dir: Path) -> dict[str, str]:
        return _java_env(self.home) | {"NEO4J_CONF": str(conf_dir)}

    def stop(self) -> None:
        stop(self.settings)

    def start(self) -> None:
        start(self.settings, wait_seconds=self.wait_seconds)


def load_control(settings: Settings) -> LocalControl:
    """The ``omnid.server`` entry point: the local server, for initial loads."""
    return LocalControl(settings)


# ---------------------------------------------------------------------------- install


def _install(settings: Settings, home: Path, log: Callable[[str], None]) -> None:
    java = _java()
    for sub in ("conf", "data", "logs", "run", "plugins", "import", "lib"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    _ensure_jars(home / "lib", log)
    _write_conf(settings, home)
    if not _system_db(home).exists() and not _initial_password_is(settings, home):
        _set_initial_password(settings, home, java, log)


def _ensure_jars(lib: Path, log: Callable[[str], None]) -> None:
    if not POM.is_file():
        raise GraphUnavailable(f"cannot install Neo4j: {POM} is missing")
    pom_hash = hashlib.sha256(POM.read_bytes()).hexdigest()
    if _jars_complete(lib, pom_hash):
        return
    marker = lib / JARS_MARKER
    if marker.exists():  # a complete copy from another pom: replace it, do not mix versions
        if _find_pid(lib.parent) is not None:
            raise GraphUnavailable(
                f"{POM.name} changed since the jars in {lib} were copied; "
                "stop Neo4j (omnid neo4j stop) before installing the new version"
            )
        log(f"{POM.name} changed: removing the old jars from {lib}")
        for jar in lib.glob("*.jar"):
            jar.unlink()
        marker.unlink()
    else:  # maybe an interrupted copy: drop truncated jars so Maven copies them again
        for jar in lib.glob("*.jar"):
            if not _readable_jar(jar):
                jar.unlink()
    if _link_jars_from(_DEFAULT_LIB, lib, pom_hash):
        log(f"Linked the Neo4j jars of {_DEFAULT_LIB} into {lib}")
        return
    mvn = shutil.which("mvn")
    if mvn is None:
        raise GraphUnavailable(
            "cannot install Neo4j: Maven (mvn) is not on PATH. Install Maven 3.6+ "
            "(e.g. apt-get install maven), then run `omnid neo4j install` again"
        )
    log(f"Copying the Neo4j jars into {lib} with Maven (about 116 MB the first time) …")
    cmd = [
        mvn,
        "-q",
        "-B",
        "-f",
        str(POM),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={lib}",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        output = _last_lines(done.stdout + done.stderr, 30)
        raise GraphUnavailable(
            f"cannot install Neo4j: Maven failed (exit {done.returncode}):\n{output}"
        )
    jars = sorted(lib.glob("*.jar"))
    names = {jar.name for jar in jars}
    if not any(n.startswith("neo4j-server-") for n in names) or not any(
        n.startswith("neo4j-browser-") for n in names
    ):
        raise GraphUnavailable(f"cannot install Neo4j: Maven ran but {lib} lacks the server jars")
    lines = [f"pom-sha256 {pom_hash}", *(f"{jar.stat().st_size} {jar.name}" for jar in jars)]
    marker.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log(f"{len(jars)} jars in {lib}")


def _link_jars_from(source: Path, lib: Path, pom_hash: str) -> bool:
    """Reuse the project home's complete jar set (hard links, else copies): no Maven run.

    Other homes (the tests' ``.neo4j/test``, say) then cost neither time nor disk.
    """
    if source.resolve() == lib.resolve() or not _jars_complete(source, pom_hash):
        return False
    marker = source / JARS_MARKER
    for line in marker.read_text(encoding="utf-8").splitlines()[1:]:
        name = line.partition(" ")[2]
        target = lib / name
        if target.exists():
            target.unlink()
        try:
            os.link(source / name, target)
        except OSError:
            shutil.copy2(source / name, target)
    shutil.copy2(marker, lib / JARS_MARKER)
    return _jars_complete(lib, pom_hash)


def _jars_complete(lib: Path, pom_hash: str) -> bool:
    """The marker exists, names the current pom, and every jar it lists is there, whole."""
    try:
        lines = (lib / JARS_MARKER).read_text(encoding="utf-8").splitlines()
    except OSError:
        return False
    if not lines or lines[0] != f"pom-sha256 {pom_hash}":
        return False
    for line in lines[1:]:
        size, _, name = line.partition(" ")
        try:
            if (lib / name).stat().st_size != int(size):
                return False
        except (OSError, ValueError):
            return False
    return True


def _readable_jar(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path):
            return True
    except (OSError, zipfile.BadZipFile):
        return False


def _render_conf(settings: Settings, home: Path) -> str:
    heap = _jvm_size(settings.neo4j_heap, "OMNID_NEO4J_HEAP")
    pagecache = _jvm_size(settings.neo4j_pagecache, "OMNID_NEO4J_PAGECACHE")
    bolt, http = settings.neo4j_bolt_port, settings.neo4j_http_port
    entries = [
        ("server.config.strict_validation.enabled", "true"),
        ("server.directories.data", home / "data"),
        ("server.directories.logs", home / "logs"),
        ("server.directories.run", home / "run"),
        ("server.directories.lib", home / "lib"),
        ("server.directories.plugins", home / "plugins"),
        # LOAD CSV reads only from here (unset, it could read any file).
        ("server.directories.import", home / "import"),
        ("server.default_listen_address", "127.0.0.1"),
        ("server.default_advertised_address", "localhost"),
        ("server.bolt.enabled", "true"),
        ("server.bolt.listen_address", f"127.0.0.1:{bolt}"),
        # The page at http://host:<http>/ tells Browser where Bolt is: keep it right.
        ("server.bolt.advertised_address", f"localhost:{bolt}"),
        ("server.http.enabled", "true"),
        ("server.http.listen_address", f"127.0.0.1:{http}"),
        ("server.http.advertised_address", f"localhost:{http}"),
        ("server.https.enabled", "false"),
        # Read by the server for its memory checks; the JVM gets -Xms/-Xmx from start().
        ("server.memory.heap.initial_size", heap),
        ("server.memory.heap.max_size", heap),
        ("server.memory.pagecache.size", pagecache),
        ("dbms.security.auth_enabled", "true"),
        ("dbms.usage_report.enabled", "false"),
        ("db.transaction.timeout", "120s"),
        # Logs older than the last checkpoint only serve backups and point-in-time
        # recovery, which a local server does not offer. A day of them was 66 GB after a
        # morning of benchmark loads (and filled the disk). They also hold every value
        # written, erased ones included, until pruned (README, "Privacy"): keep one file
        # past the last checkpoint, and rotate files small so that one is soon pruned.
        ("db.tx_log.rotation.retention_policy", "1 files"),
        ("db.tx_log.rotation.size", "32M"),
        # Netty's default quiet period makes every stop wait 2 x 5 s for nothing.
        ("internal.dbms.bolt.netty_server_shutdown_quiet_period", "0"),
    ]
    head = [
        "# Generated by omnid (devtools/neo4j_local.py) at every `omnid neo4j install|start`.",
        "# Do not edit: change OMNID_NEO4J_* settings instead.",
    ]
    return "\n".join([*head, *(f"{key}={value}" for key, value in entries)]) + "\n"


def _write_conf(settings: Settings, home: Path) -> None:
    conf = home / "conf" / "neo4j.conf"
    text = _render_conf(settings, home)
    if conf.exists() and conf.read_text(encoding="utf-8") == text:
        return
    tmp = conf.with_suffix(".conf.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(conf)


def _initial_password_is(settings: Settings, home: Path) -> bool:
    """Whether ``data/dbms/auth.ini`` (written by set-initial-password) holds this password.

    It is read only to skip a redundant admin command (a JVM start, about 3 s); anything
    unexpected in the file answers False, and the command runs.
    """
    try:
        lines = (home / "data" / "dbms" / "auth.ini").read_text(encoding="utf-8").splitlines()
    except OSError:
        return False
    password = settings.neo4j_password.get_secret_value().encode()
    for line in lines:
        user, _, rest = line.partition(":")
        fields = rest.split(":", 1)[0].split(",")
        if user != settings.neo4j_user or len(fields) != 4 or fields[0] != "SHA-256":
            continue
        try:  # Shiro's SimpleHash: sha256(salt + password), then re-hashed iterations-1 times
            expected, salt, iterations = (
                bytes.fromhex(fields[1]),
                bytes.fromhex(fields[2]),
                int(fields[3]),
            )
        except ValueError:
            return False
        digest = hashlib.sha256(salt + password).digest()
        for _ in range(iterations - 1):
            digest = hashlib.sha256(digest).digest()
        return hmac.compare_digest(digest, expected)
    return False


def _set_initial_password(
    settings: Settings, home: Path, java: str, log: Callable[[str], None]
) -> None:
    password = settings.neo4j_password.get_secret_value()
    cmd = [
        java,
        "-Xmx256m",
        "-XX:+UseSerialGC",
        "-Dfile.encoding=UTF-8",
        "-cp",
        str(home / "lib" / "*"),
        ADMIN_CLASS,
        "dbms",
        "set-initial-password",
        password,
    ]
    done = subprocess.run(
        cmd, capture_output=True, text=True, check=False, cwd=home, env=_java_env(home)
    )
    if done.returncode != 0:
        output = _last_lines((done.stdout + done.stderr).replace(password, "***"), 20)
        raise GraphUnavailable(
            f"cannot set the initial Neo4j password (exit {done.returncode}); "
            f"check NEO4J_PASSWORD (at least 8 characters):\n{output}"
        )
    log(f"Initial password set for user neo4j (from NEO4J_PASSWORD) in {home / 'data'}")


# ------------------------------------------------------------------------------- java


def _java() -> str:
    """The java executable ($JAVA_HOME/bin/java, else java on PATH), checked to be 17+."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        exe = Path(java_home) / "bin" / "java"
        if not exe.is_file():
            raise GraphUnavailable(f"JAVA_HOME is {java_home}, but {exe} does not exist")
        path = str(exe)
    else:
        found = shutil.which("java")
        if found is None:
            raise GraphUnavailable(
                f"Java {MIN_JAVA}+ is needed to run Neo4j, and there is no java on PATH "
                "(install e.g. openjdk-17-jre-headless, or set JAVA_HOME)"
            )
        path = found
    major = _java_major(path)
    if major < MIN_JAVA:
        raise GraphUnavailable(
            f"Neo4j 5 needs Java {MIN_JAVA} or 21; {path} is Java {major} "
            "(set JAVA_HOME to a JDK/JRE 17 or 21)"
        )
    if major not in SUPPORTED_JAVA:
        _log.warning("Java %s at %s is not one Neo4j 5.26 supports (17, 21)", major, path)
    return path


@functools.lru_cache(maxsize=8)
def _java_major(java: str) -> int:
    try:
        done = subprocess.run(
            [java, "-version"], capture_output=True, text=True, check=False, timeout=60
        )
    except OSError as exc:
        raise GraphUnavailable(f"cannot run {java}: {exc}") from None
    text = done.stderr + done.stdout
    match = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if match is None:
        raise GraphUnavailable(f"cannot tell the Java version of {java}: {text.strip()[:200]}")
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8.0_392" is Java 8
        major = int(match.group(2))
    return major


def _java_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["NEO4J_HOME"] = str(home)
    env["NEO4J_CONF"] = str(home / "conf")
    return env


_SIZE = re.compile(r"^\s*(\d+)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)


def _jvm_size(value: str, field: str) -> str:
    """``1g``, ``1G``, ``1GiB``, ``512m``, ``512MB`` -> the form both the JVM and Neo4j read."""
    match = _SIZE.match(value)
    if match is None:
        raise InvalidInput(f"{value!r} is not a memory size like 1g or 512m", field=field)
    return f"{match.group(1)}{match.group(2).lower()}"


# ---------------------------------------------------------------------- process state


def _home(settings: Settings) -> Path:
    return Path(settings.neo4j_home).expanduser().resolve()


def _system_db(home: Path) -> Path:
    return home / "data" / "databases" / "system"


def _bolt_uri(settings: Settings) -> str:
    return f"bolt://127.0.0.1:{settings.neo4j_bolt_port}"


def _browser_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.neo4j_http_port}/browser/"


def _status(settings: Settings, home: Path, pid: int | None) -> LocalStatus:
    pom_hash = hashlib.sha256(POM.read_bytes()).hexdigest() if POM.is_file() else ""
    installed = _jars_complete(home / "lib", pom_hash) and (home / "conf" / "neo4j.conf").is_file()
    return LocalStatus(
        installed=installed,
        running=pid is not None,
        pid=pid,
        bolt_uri=_bolt_uri(settings),
        browser_url=_browser_url(settings),
        home=home,
    )


@contextlib.contextmanager
def _lock(home: Path) -> Iterator[None]:
    """Serialize install/start/stop on one home across processes (e.g. test workers)."""
    run = home / "run"
    run.mkdir(parents=True, exist_ok=True)
    with (run / LOCK_FILE).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _find_pid(home: Path, *, repair: bool = True) -> int | None:
    """The pid of the server running from ``home``: the pid file, else a process scan.

    With ``repair``, a stale pid file is removed and a found server's pid recorded.
    """
    pid_file = home / "run" / PID_FILE
    try:
        recorded: int | None = int(pid_file.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        recorded = None
    if recorded is not None and _alive(recorded) and _is_server(recorded, home):
        return recorded
    found = next((p for p in _scan_processes() if _is_server(p, home) and _alive(p)), None)
    if repair:
        if found is not None:
            pid_file.write_text(f"{found}\n", encoding="ascii")
        elif recorded is not None:
            pid_file.unlink(missing_ok=True)
    return found


def _alive(pid: int) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        del _CHILDREN[pid]
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie answers kill(0) but is gone
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def _command_line(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        if sys.platform.startswith("linux"):
            return []
        done = subprocess.run(
            ["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True, check=False
        )
        return done.stdout.split()
    return raw.decode(errors="replace").split("\0")


def _is_server(pid: int, home: Path) -> bool:
    args = _command_line(pid)
    return MAIN_CLASS in args and f"--home-dir={home}" in args


def _scan_processes() -> Iterator[int]:
    proc = Path("/proc")
    if not proc.is_dir():
        return
    for entry in proc.iterdir():
        if entry.name.isdigit():
            yield int(entry.name)


def _terminate(pid: int, wait_seconds: float) -> None:
    """SIGTERM, wait up to ``wait_seconds``, then SIGKILL and wait a little more."""
    for sig, wait in ((signal.SIGTERM, wait_seconds), (signal.SIGKILL, 15.0)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while _alive(pid):
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        else:
            _CHILDREN.pop(pid, None)
            return
        if sig == signal.SIGTERM:
            _log.warning("Neo4j (pid %s) ignored SIGTERM for %.0fs: killing it", pid, wait)
    raise GraphUnavailable(f"Neo4j (pid {pid}) did not exit, even after SIGKILL")


def _check_ports_free(settings: Settings) -> None:
    for name, port in (
        ("OMNID_NEO4J_BOLT_PORT", settings.neo4j_bolt_port),
        ("OMNID_NEO4J_HTTP_PORT", settings.neo4j_http_port),
    ):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                raise GraphUnavailable(
                    f"port {port} on 127.0.0.1 is in use by another process (another "
                    f"Neo4j?): stop it, or choose another port with {name}"
                ) from None


# ------------------------------------------------------------------------ readiness


def _wait_for_bolt(
    settings: Settings,
    home: Path,
    proc: subprocess.Popen[bytes],
    deadline: float,
    initialized: bool,
    log_offset: int,
) -> None:
    """Return once an authenticated ``RETURN 1`` succeeds on the default database."""
    auth = (settings.neo4j_user, settings.neo4j_password.get_secret_value())
    last = "no answer yet"  # a message, not the exception: its traceback would pin frames
    with GraphDatabase.driver(
        _bolt_uri(settings), auth=auth, connection_timeout=5.0, max_connection_pool_size=2
    ) as driver:
        while True:
            code = proc.poll()
            if code is not None:
                raise GraphUnavailable(
                    f"Neo4j exited with code {code} while starting.{_log_tails(home, log_offset)}"
                )
            try:
                driver.verify_connectivity()
                with driver.session() as session:  # auto-commit: no driver-side retries
                    session.run("RETURN 1").consume()
                return
            except AuthError as exc:
                raise GraphUnavailable(_auth_message(settings, home, initialized, exc)) from None
            except Neo4jError as exc:
                if (exc.code or "").startswith("Neo.ClientError.Security."):
                    raise GraphUnavailable(
                        _auth_message(settings, home, initialized, exc)
                    ) from None
                last = str(exc)
            except (DriverError, OSError) as exc:
                last = str(exc)
            _log.debug("Neo4j not ready yet: %s", last)
            if time.monotonic() > deadline:
                raise GraphUnavailable(
                    f"Neo4j did not answer on {_bolt_uri(settings)} in time "
                    f"(last error: {last}); it was stopped. Retry with a longer wait."
                    f"{_log_tails(home, log_offset)}"
                )
            time.sleep(0.25)


def _auth_message(settings: Settings, home: Path, initialized: bool, exc: Exception) -> str:
    if initialized:
        return (
            f"Neo4j in {home} refused user {settings.neo4j_user!r} with the password from "
            "NEO4J_PASSWORD, and was stopped. The password is set only once, before the "
            f"first start, and {home / 'data'} was created with another one. Set "
            "NEO4J_PASSWORD to that one, or change it in Cypher (ALTER CURRENT USER SET "
            "PASSWORD FROM 'old' TO 'new', on the system database), or, for a development "
            f"server whose data may go, delete {home / 'data'} and start again: the next "
            "start sets NEO4J_PASSWORD as the password."
        )
    return f"Neo4j refused the initial password just set in {home / 'data'}: {exc}"


def _log_tails(home: Path, neo4j_log_offset: int, lines: int = 25) -> str:
    """The end of this start's console.log and of what it added to neo4j.log."""
    parts = []
    for path, offset in (
        (home / "logs" / CONSOLE_LOG, 0),
        (home / "logs" / "neo4j.log", neo4j_log_offset),
    ):
        try:
            with path.open("rb") as handle:
                handle.seek(offset)
                text = handle.read().decode("utf-8", errors="replace")
        except OSError:
            continue
        if text.strip():
            parts.append(f"\n--- last lines of {path} ---\n{_last_lines(text, lines)}")
    return "".join(parts) or f"\n(no output in {home / 'logs'})"


def _last_lines(text: str, count: int) -> str:
    return "\n".join(text.rstrip().splitlines()[-count:])
