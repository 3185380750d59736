"""The one place omnid talks to Neo4j.

``Graph`` owns the async driver and the named statements. Work runs in managed
transactions (``graph.write(fn)`` / ``graph.read(fn)``): the function receives a ``Tx``
that runs statements by name, may be re-run by the driver on transient errors
(deadlocks between concurrent writers, leader switches), so it must be idempotent and
return plain values. Driver errors leave this module translated into omnid's own:

    neo4j error                             omnid error
    ServiceUnavailable, SessionExpired      GraphUnavailable
    AuthError                               GraphUnavailable (credentials rejected)
    TransientError after the retry budget   ResolutionConflict
    ConstraintError                         ResolutionConflict

A transaction function that finds what it read has changed before it could lock it
raises ``ReadChanged``: the transaction is rolled back and run again, as after a
deadlock, within the same budget (then ResolutionConflict).

Timing hooks, for benchmarks and profiling: set ``graph.on_statement`` to a callable and
it is called after every named statement with the statement's name, the rows it was
given and the seconds it took; ``graph.on_transaction`` after every managed transaction
with its mode and seconds. Unset (None, the default) they cost one attribute check::

    seen = []
    graph.on_statement = lambda name, rows, seconds: seen.append((name, rows, seconds))
    await Ingestor(graph).ingest_batch(items)   # seen: ("merge-identifiers", 4, 0.003), ...
    graph.on_statement = None

Causal consistency (a Neo4j cluster, through a ``neo4j://`` URI): every session of a
``Graph`` shares one bookmark manager, so work of this process sees the writes this
process committed before it, even when a follower serves the read. Across processes
(two service instances behind a load balancer), ``bookmarks()`` gives the bookmarks of
what this process has committed so far, for the client to carry, and ``after(bookmarks)``
makes this process's later work wait until the server it reads from has those writes.
On one server both are immediate.

Two retry budgets: transient errors (writers deadlocking on each other) are retried for
``settings.retry_seconds``, but an unreachable server only for
``settings.unavailable_seconds`` from the first connection error, so that a request
gets its GRAPH_UNAVAILABLE answer in bounded time instead of hanging for the driver's
30 s; the same retries reconnect by themselves once Neo4j is back.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar

import neo4j
from neo4j import AsyncDriver, AsyncGraphDatabase, AsyncManagedTransaction
from neo4j import exceptions as neo4j_errors

from service.errors import GraphUnavailable, InvalidInput, ResolutionConflict
from service.settings import Settings
from service.store.cypher import Statement, Statements, load_statements

__all__ = [
    "Graph",
    "ReadChanged",
    "StatementObserver",
    "TransactionObserver",
    "Tx",
    "in_background",
]

log = logging.getLogger("omnid")


class ReadChanged(Exception):
    """Raised inside a write transaction's function: something it read changed before
    it could lock it (Neo4j reads without locks). The transaction is rolled back and
    run again, as after a deadlock."""


#: Seconds a transaction may run on the server (the same as ``db.transaction.timeout``
#: of the local server omnid installs).
_TX_TIMEOUT = 120.0
#: Seconds for auto-commit statements (``Graph.auto``): the outer transaction of ``CALL
#: { } IN TRANSACTIONS`` lives until its last batch commits, and emptying a graph of
#: 1,000,000 items (``delete-all``) outlasted 120 s and was terminated.
_AUTO_TIMEOUT = 3600.0

P = ParamSpec("P")
T = TypeVar("T")

#: True in the tasks of background work (workers, pollers), whose statements are counted
#: apart from those of requests (``Graph.queries``).
_BACKGROUND: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "omnid_background", default=False
)


def in_background(coro: Coroutine[Any, Any, T], *, name: str | None = None) -> asyncio.Task[T]:
    """Start ``coro`` as a task of background work: the statements it runs (and those of
    the tasks it starts) count in ``Graph.background_queries``, not ``Graph.queries``."""
    context = contextvars.copy_context()
    context.run(_BACKGROUND.set, True)
    return asyncio.create_task(coro, name=name, context=context)


#: ``(name, rows, seconds)`` after a named statement ran (``Graph.on_statement``).
StatementObserver = Callable[[str, int, float], None]
#: ``(mode, seconds)`` after a managed transaction ended, "write" or "read"
#: (``Graph.on_transaction``).
TransactionObserver = Callable[[str, float], None]


class Tx:
    """A managed transaction that runs statements by name."""

    __slots__ = ("_graph", "tx")

    def __init__(self, tx: AsyncManagedTransaction, graph: Graph) -> None:
        self.tx = tx
        self._graph = graph

    async def run(self, name: str, **params: Any) -> Any:
        """Run the statement ``name``; the result has the shape its name declares."""
        stmt = self._graph.statements[name]
        self._graph.count_statement()
        observer = self._graph.on_statement
        if observer is None:
            result = await self.tx.run(stmt.cypher, _sealed(params))
            return await _shaped(result, stmt)
        started = time.perf_counter()
        try:
            result = await self.tx.run(stmt.cypher, _sealed(params))
            return await _shaped(result, stmt)
        finally:
            observer(name, _rows(params), time.perf_counter() - started)


def _rows(params: dict[str, Any]) -> int:
    """The rows a statement was given: its list parameters' lengths summed (statements
    take their input rows as lists; some, e.g. ``cooccurrence``, as two of them)."""
    return sum(len(value) for value in params.values() if isinstance(value, list))


class _SealedStr(str):
    __slots__ = ()

    def __repr__(self) -> str:
        return f"<string of {len(self)}>"


class _SealedList(list[Any]):
    __slots__ = ()

    def __repr__(self) -> str:
        return f"<list of {len(self)}>"


class _SealedDict(dict[str, Any]):
    __slots__ = ()

    def __repr__(self) -> str:
        return f"<map of {len(self)}>"


def _sealed(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters whose ``repr`` gives their shape, never their values.

    The driver formats every RUN message for its debug log before the logger looks at
    the level (``" ".join(map(repr, fields))``). With the values, turning on the
    ``neo4j`` debug log would write every email and phone of every batch to it; and
    building that string for nothing took about half of the client's time to send a
    5,000-row batch (22 ms against 12). The driver packs these subclasses as it packs
    ``str``, ``list`` and ``dict``.
    """
    sealed: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, str):
            value = _SealedStr(value)
        elif isinstance(value, list):
            value = _SealedList(value)
        elif isinstance(value, dict):
            value = _SealedDict(value)
        sealed[key] = value
    return sealed


async def _shaped(result: neo4j.AsyncResult, stmt: Statement) -> Any:
    if stmt.shape == "none":
        await result.consume()
        return None
    if stmt.shape == "rows":
        return [_plain(record) async for record in result]
    record = await result.single(strict=False)
    if record is None:
        return None
    return _plain(record) if stmt.shape == "one" else record[0]


_GRAPH_TYPES = (neo4j.graph.Node, neo4j.graph.Relationship, neo4j.graph.Path)


def _plain(record: neo4j.Record) -> dict[str, Any]:
    """The record as a dict; nodes, relationships and paths as ``record.data()`` has them.

    ``record.data()`` walks every nested list and map looking for graph values, which
    only the analysts' drawing queries return (at the top level, or as a list of them);
    on the ingest's one-row-of-lists results that walk was a tenth of its Python time.
    """
    values = record.values()
    for value in values:
        if isinstance(value, _GRAPH_TYPES) or (
            isinstance(value, list) and value and isinstance(value[0], _GRAPH_TYPES)
        ):
            return record.data()
    return dict(zip(record.keys(), values, strict=True))


class Graph:
    """The driver, the statements and the settings that govern retries and timeouts."""

    def __init__(self, driver: AsyncDriver, settings: Settings, statements: Statements) -> None:
        self.driver = driver
        self.settings = settings
        self.statements = statements
        #: Statements run through this graph on behalf of callers (requests, commands);
        #: tests use it to catch N+1 query patterns. Background work (``in_background``)
        #: counts in ``background_queries``.
        self.queries = 0
        self.background_queries = 0
        #: Called after every named statement (``Tx.run``, ``query``, ``auto``) with its
        #: name, its rows (``_rows``) and its seconds, including reading the result and,
        #: for ``query``, its retries; also when it raised. Must not raise. None: no timing.
        self.on_statement: StatementObserver | None = None
        #: Called after every managed transaction (``write``, ``read``, ``command``) with
        #: its mode and seconds: its statements, the Python of its function, the commit
        #: and the retries. Must not raise. None: no timing.
        self.on_transaction: TransactionObserver | None = None
        #: Every session's bookmarks: read-your-writes across this process's sessions.
        self.bookmark_manager = AsyncGraphDatabase.bookmark_manager()

    @classmethod
    def connect(cls, settings: Settings, statements: Statements | None = None) -> Graph:
        driver = AsyncGraphDatabase.driver(
            settings.neo4j_uri,
            auth=(settings.neo4j_user, settings.neo4j_password.get_secret_value()),
            max_transaction_retry_time=settings.retry_seconds,
            max_connection_pool_size=50,
            connection_acquisition_timeout=30.0,
            # a server that accepts no connection (stopped, or frozen) answers in bounded time
            connection_timeout=settings.unavailable_seconds,
            notifications_min_severity="OFF",
        )
        return cls(driver, settings, statements or load_statements())

    async def close(self) -> None:
        await self.driver.close()

    async def __aenter__(self) -> Graph:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def ping(self) -> None:
        """Raise ``GraphUnavailable`` unless Neo4j answers."""
        try:
            await self.driver.verify_connectivity()
        except Exception as exc:
            raise _translate(exc) from None

    async def bookmarks(self) -> list[str]:
        """The bookmarks of every write this process has committed so far (opaque
        strings): a reader holding them sees those writes (``after``)."""
        return sorted(await self.bookmark_manager.get_bookmarks())

    async def after(self, bookmarks: list[str]) -> None:
        """Make this process's later work see the writes behind ``bookmarks`` (from
        ``bookmarks()`` of any process on the same database): waits until the server
        has them, then adds them to the shared bookmark manager.

        Checked on a session of its own first, so that bookmarks the server rejects
        (``INVALID_INPUT``, field ``bookmark``) never reach the manager, which every
        later session would carry.
        """
        if not bookmarks:
            return
        given = neo4j.Bookmarks.from_raw_values(bookmarks)
        query = neo4j.Query(self.statements["bookmark-wait"].cypher, timeout=_TX_TIMEOUT)
        try:
            async with self.driver.session(
                database=self.settings.neo4j_database,
                default_access_mode=neo4j.READ_ACCESS,
                bookmarks=given,
            ) as session:
                await (await session.run(query)).consume()
        except neo4j_errors.ClientError:
            raise InvalidInput("is not a bookmark of this database", field="bookmark") from None
        except Exception as exc:
            if _is_omnid_error(exc):
                raise _translate(exc) from None
            raise
        await self.bookmark_manager.update_bookmarks((), bookmarks)

    async def write(
        self,
        fn: Callable[Concatenate[Tx, P], Awaitable[T]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run ``fn(tx, ...)`` in a write transaction, retried on transient errors."""
        return await self._observed("write", fn, *args, **kwargs)

    async def read(
        self,
        fn: Callable[Concatenate[Tx, P], Awaitable[T]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run ``fn(tx, ...)`` in a read transaction (routed to readers in a cluster)."""
        return await self._observed("read", fn, *args, **kwargs)

    def count_statement(self) -> None:
        if _BACKGROUND.get():
            self.background_queries += 1
        else:
            self.queries += 1

    async def query(self, name: str, **params: Any) -> Any:
        """Run one named read statement, retried on transient and connection errors.

        An auto-commit transaction: a managed one adds BEGIN and COMMIT messages and
        the driver's retry machinery, about half a millisecond of Python per call on
        the API's hot path, for one statement that reads. A read is safe to re-run, so
        the retries the driver would do are done here (same budget:
        ``settings.retry_seconds``).
        """
        observer = self.on_statement
        if observer is None:
            return await self._query(name, params)
        started = time.perf_counter()
        try:
            return await self._query(name, params)
        finally:
            observer(name, _rows(params), time.perf_counter() - started)

    async def _query(self, name: str, params: dict[str, Any]) -> Any:
        stmt = self.statements[name]
        self.count_statement()
        query = neo4j.Query(stmt.cypher, timeout=_TX_TIMEOUT, metadata=_metadata(name))
        retry = _Retry(self.settings, first_transient_delay=0.05, max_transient_delay=1.0)
        while True:
            try:
                async with self.driver.session(
                    database=self.settings.neo4j_database,
                    default_access_mode=neo4j.READ_ACCESS,
                    bookmark_manager=self.bookmark_manager,
                ) as session:
                    result = await session.run(query, _sealed(params))
                    return await _shaped(result, stmt)
            except Exception as exc:
                delay = retry.delay(exc)
                if delay is not None:
                    log.info("retrying read %s after %s", name, type(exc).__name__)
                    await asyncio.sleep(delay)
                    continue
                if _is_omnid_error(exc):
                    raise _translate(exc) from None
                raise

    async def command(self, name: str, **params: Any) -> Any:
        """Run one named write statement in its own write transaction."""

        async def one(tx: Tx) -> Any:
            return await tx.run(name, **params)

        return await self.write(one)

    async def auto(self, name: str, **params: Any) -> Any:
        """Run a statement in an auto-commit transaction.

        Only for what managed transactions cannot run: schema commands and
        ``CALL { } IN TRANSACTIONS``. Not retried.
        """
        observer = self.on_statement
        if observer is None:
            return await self._auto(name, params)
        started = time.perf_counter()
        try:
            return await self._auto(name, params)
        finally:
            observer(name, _rows(params), time.perf_counter() - started)

    async def wipe(self) -> None:
        """Delete everything (tests, benchmarks, a demo reset). ``delete-all`` is
        idempotent, so a deadlock with a writer still running beside it (a server's
        background work) is retried as a write's would be."""
        retry = _Retry(self.settings, first_transient_delay=0.2, max_transient_delay=4.0)
        while True:
            try:
                await self.auto("delete-all")
                return
            except neo4j_errors.TransientError as exc:
                delay = retry.delay(exc)
                if delay is None:
                    raise _translate(exc) from None
                log.warning("retrying delete-all after %s", type(exc).__name__)
                await asyncio.sleep(delay)

    async def _auto(self, name: str, params: dict[str, Any]) -> Any:
        stmt = self.statements[name]
        self.count_statement()
        try:
            async with self.driver.session(
                database=self.settings.neo4j_database, bookmark_manager=self.bookmark_manager
            ) as session:
                query = neo4j.Query(stmt.cypher, timeout=_AUTO_TIMEOUT, metadata=_metadata(name))
                result = await session.run(query, _sealed(params))
                return await _shaped(result, stmt)
        except Exception as exc:
            if _is_connection_error(exc):
                raise _translate(exc) from None
            raise

    async def _observed(
        self,
        mode: str,
        fn: Callable[..., Awaitable[T]],
        *args: Any,
        **kwargs: Any,
    ) -> T:
        observer = self.on_transaction
        if observer is None:
            return await self._execute(mode, fn, *args, **kwargs)
        started = time.perf_counter()
        try:
            return await self._execute(mode, fn, *args, **kwargs)
        finally:
            observer(mode, time.perf_counter() - started)

    async def _execute(
        self,
        mode: str,
        fn: Callable[..., Awaitable[T]],
        *args: Any,
        **kwargs: Any,
    ) -> T:
        async def work(tx: AsyncManagedTransaction) -> T:
            return await fn(Tx(tx, self), *args, **kwargs)

        name = getattr(fn, "__name__", "tx")
        unit = neo4j.unit_of_work(timeout=_TX_TIMEOUT, metadata=_metadata(name))(work)
        # The driver's own retry loop has one budget for every retryable error; with
        # its budget at zero it tries once, and ``_Retry`` decides here.
        retry = _Retry(self.settings, first_transient_delay=1.0, max_transient_delay=8.0)
        while True:
            try:
                async with self.driver.session(
                    database=self.settings.neo4j_database,
                    max_transaction_retry_time=0.0,
                    bookmark_manager=self.bookmark_manager,
                ) as session:
                    if mode == "write":
                        return await session.execute_write(unit)
                    return await session.execute_read(unit)
            except Exception as exc:
                delay = retry.delay(exc)
                if delay is not None:
                    log.warning("retrying %s after %s", name, type(exc).__name__)
                    await asyncio.sleep(delay)
                    continue
                if _is_omnid_error(exc):
                    raise _translate(exc) from None
                raise


class _Retry:
    """Whether an error is worth another attempt, and after how long (``None``: no).

    Transient errors get ``settings.retry_seconds`` from the first attempt, with
    exponential backoff and jitter; connection errors get ``settings.unavailable_seconds``
    from the first connection error, polling every quarter second or so.
    """

    __slots__ = ("_down_until", "_max_transient", "_settings", "_transient", "_transient_until")

    def __init__(
        self, settings: Settings, *, first_transient_delay: float, max_transient_delay: float
    ) -> None:
        self._settings = settings
        self._transient_until = time.monotonic() + settings.retry_seconds
        self._transient = first_transient_delay
        self._max_transient = max_transient_delay
        self._down_until: float | None = None

    def delay(self, exc: BaseException) -> float | None:
        if isinstance(exc, ReadChanged):
            return self._transient_delay()
        if not isinstance(exc, neo4j_errors.Neo4jError | neo4j_errors.DriverError):
            return None
        if not exc.is_retryable():
            return None
        now = time.monotonic()
        if _is_connection_error(exc):
            if self._down_until is None:
                self._down_until = now + self._settings.unavailable_seconds
            delay = 0.25 * random.uniform(0.8, 1.2)
            return delay if now + delay < self._down_until else None
        return self._transient_delay()

    def _transient_delay(self) -> float | None:
        delay = self._transient * random.uniform(0.8, 1.2)
        self._transient = min(self._transient * 2, self._max_transient)
        return delay if time.monotonic() + delay < self._transient_until else None


def _metadata(work: str) -> dict[str, str]:
    """Shown beside the transaction in SHOW TRANSACTIONS and the server's logs."""
    return {"app": "omnid", "work": work}


def _is_omnid_error(exc: BaseException) -> bool:
    """Driver errors that leave this module as omnid's own (the rest are bugs)."""
    return _is_connection_error(exc) or isinstance(
        exc, neo4j_errors.TransientError | neo4j_errors.ConstraintError | ReadChanged
    )


def _is_connection_error(exc: BaseException) -> bool:
    return isinstance(
        exc,
        neo4j_errors.ServiceUnavailable
        | neo4j_errors.SessionExpired
        | neo4j_errors.AuthError
        | OSError,
    )


def _translate(exc: BaseException) -> Exception:
    if isinstance(exc, neo4j_errors.AuthError):
        return GraphUnavailable("Neo4j rejected the credentials (NEO4J_USER/NEO4J_PASSWORD)")
    if isinstance(exc, neo4j_errors.TransientError):
        log.warning("write kept colliding after retries: %s", exc.code)
        return ResolutionConflict(
            "concurrent writes kept colliding; retry the batch", neo4j_code=exc.code
        )
    if isinstance(exc, neo4j_errors.ConstraintError):
        return ResolutionConflict("a concurrent write created the same node; retry the batch")
    if isinstance(exc, ReadChanged):
        log.warning("a write kept finding its reads changed after retries")
        return ResolutionConflict("concurrent writes kept colliding; retry the batch")
    return GraphUnavailable(f"Neo4j is unavailable: {type(exc).__name__}")
