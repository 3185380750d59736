"""Phase 1 of the initial load: the input files, validated, as columnar chunks on disk.

Each input line goes through the same contract as ``omnid import`` (``parse_item``), in
worker processes, a chunk of lines at a time; a worker writes its chunk's items and the
identifiers they carry as two Parquet files and returns only the rejected lines. Memory
stays bounded by a few chunks, whatever the input's size: the later phases read the
chunks back with Polars.

Every line gets a sequence number (its rank in the whole input, files in order): the
last version of a record and the first of an event are chosen by it, as the online path
keeps them (``ingest._keep``).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from service.errors import OmnidError
from service.identity.contract import Item, parse_item
from service.identity.files import UNPARSED, Line, parse_json_line
from service.identity.identifiers import IdentifierRules

__all__ = ["CARRIES", "ITEMS", "StagedInput", "stage"]

#: Items per chunk: a chunk's Python objects in a worker stay well under 100 MB.
CHUNK_LINES = 50_000

_T = TypeVar("_T")

#: Workers start fresh interpreters: a forked child of a process whose Polars thread
#: pool already runs can hang in Polars (it did, writing its first chunk).
_SPAWN = multiprocessing.get_context("spawn")

ITEMS = "items"
CARRIES = "carries"

#: A rejected line, as a worker returns it: (its position in the chunk, error class name,
#: message, details). Errors cross the process boundary as plain values.
_Rejected = tuple[int, str, str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class StagedInput:
    """Where the staged chunks are, and what reading the input found."""

    directory: Path
    lines: int
    rejected: int


def _error(name: str, message: str, details: dict[str, Any]) -> OmnidError:
    """An omnid error rebuilt from a worker's plain values (same class, same code)."""
    classes = {cls.__name__: cls for cls in _subclasses(OmnidError)}
    error = OmnidError.__new__(classes.get(name, OmnidError))
    OmnidError.__init__(error, message, **details)
    return error


def _subclasses(cls: type[OmnidError]) -> Iterator[type[OmnidError]]:
    yield cls
    for sub in cls.__subclasses__():
        yield from _subclasses(sub)


def _columns(items: list[tuple[int, Item]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A chunk's items and what they carry, as two frames (one row per item, per carry)."""
    item_rows: dict[str, list[Any]] = {
        "seq": [], "key": [], "kind": [], "source": [], "sourceId": [], "channel": [],
        "type": [], "at": [], "attributes": [], "country": [],
    }  # fmt: skip
    carry_rows: dict[str, list[Any]] = {
        "seq": [], "ikey": [], "itype": [], "value": [], "display": [], "blocked": [],
    }  # fmt: skip
    for seq, item in items:
        item_rows["seq"].append(seq)
        item_rows["key"].append(item.key)
        item_rows["kind"].append(item.kind)
        item_rows["source"].append(item.source)
        item_rows["sourceId"].append(item.id)
        item_rows["channel"].append(item.channel)
        item_rows["type"].append(item.type)
        # The online path sends `at` as this ISO string and stores datetime() of it.
        item_rows["at"].append(item.at.isoformat() if item.at else None)
        item_rows["attributes"].append(item.attributes_json)
        item_rows["country"].append(item.country)
        for ident in item.identifiers:
            carry_rows["seq"].append(seq)
            carry_rows["ikey"].append(ident.key)
            carry_rows["itype"].append(ident.type)
            carry_rows["value"].append(ident.value)
            carry_rows["display"].append(ident.display)
            carry_rows["blocked"].append(ident.blocked)
    string = {k: pl.String for k in item_rows if k != "seq"}
    items_frame = pl.DataFrame(item_rows, schema={"seq": pl.Int64, **string})
    carry_string = {k: pl.String for k in carry_rows if k != "seq"}
    carries_frame = pl.DataFrame(carry_rows, schema={"seq": pl.Int64, **carry_string})
    return items_frame, carries_frame


def _stage_chunk(
    rules: IdentifierRules,
    directory: Path,
    number: int,
    first_seq: int,
    raws: list[object],
    texts: list[str | None],
) -> list[_Rejected]:
    """Validate one chunk (in a worker process) and write it; the rejected lines. A line
    with a text in ``texts`` is parsed here from it (its ``raws`` entry is unused)."""
    good: list[tuple[int, Item]] = []
    rejected: list[_Rejected] = []
    for position, (raw, text) in enumerate(zip(raws, texts, strict=True)):
        try:
            if text is not None:
                raw = parse_json_line(text)
            good.append((first_seq + position, parse_item(raw, rules=rules)))
        except OmnidError as exc:
            rejected.append((position, type(exc).__name__, exc.message, dict(exc.details)))
    items, carries = _columns(good)
    items.write_parquet(directory / f"{ITEMS}-{number:06d}.parquet")
    carries.write_parquet(directory / f"{CARRIES}-{number:06d}.parquet")
    return rejected


def default_workers() -> int:
    """Worker processes for staging: one per core (at most 8). The reading process only
    splits the files into lines: JSON Lines read with ``parse=False`` reach the workers
    as text, which costs little to send, and are parsed there. (Sending parsed lines
    cost as much CPU as validating them: on 2 cores, 100,000 generated items staged at
    7,278 items/s inline against 4,080 with 2 workers; as text, see bench/README.md.)"""
    return min(8, os.cpu_count() or 1)


def stage(
    files: Iterable[tuple[str, Iterable[Line]]],
    directory: Path,
    rules: IdentifierRules,
    *,
    on_reject: Callable[[str, Line, OmnidError], None],
    on_progress: Callable[[int], None] = lambda lines: None,
    workers: int | None = None,
) -> StagedInput:
    """Read ``files`` (name, lines) into Parquet chunks under ``directory``.

    Lines that cannot be read or break the contract go to ``on_reject`` in file order;
    ``on_progress(lines)`` after each chunk. At most ``2 * workers`` chunks are in
    flight, so memory does not grow with the input.
    """
    directory.mkdir(parents=True, exist_ok=True)
    if workers is None:
        workers = default_workers()
    pending: list[tuple[Future[list[_Rejected]], str, list[Line]]] = []
    counts = {"lines": 0, "rejected": 0, "chunks": 0}

    def drain(keep: int) -> None:
        while len(pending) > keep:
            future, name, lines = pending.pop(0)
            sent = [line for line in lines if not isinstance(line.item, OmnidError)]
            errors = {sent[p].number: _error(n, m, d) for p, n, m, d in future.result()}
            for line in lines:
                error = line.item if isinstance(line.item, OmnidError) else errors.get(line.number)
                if error is not None:
                    counts["rejected"] += 1
                    on_reject(name, line, error)
            counts["lines"] += len(lines)
            on_progress(counts["lines"])

    # workers=0: validate in this process (small inputs, tests): no pool to start.
    with (
        _InlinePool()
        if workers == 0
        else ProcessPoolExecutor(max_workers=workers, mp_context=_SPAWN) as pool
    ):
        seq = 0
        for name, lines in files:
            chunk: list[Line] = []
            for line in lines:
                chunk.append(line)
                if len(chunk) >= CHUNK_LINES:
                    pending.append(_submit(pool, rules, directory, counts, seq, name, chunk))
                    seq += len(chunk)
                    chunk = []
                    drain(2 * max(1, workers))
            if chunk:
                pending.append(_submit(pool, rules, directory, counts, seq, name, chunk))
                seq += len(chunk)
        drain(0)
    return StagedInput(directory, counts["lines"], counts["rejected"])


class _InlinePool(ThreadPoolExecutor):
    """Runs each chunk at once, in the calling thread."""

    def submit(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> Future[_T]:
        future: Future[_T] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def _submit(
    pool: Executor,
    rules: IdentifierRules,
    directory: Path,
    counts: dict[str, int],
    seq: int,
    name: str,
    chunk: list[Line],
) -> tuple[Future[list[_Rejected]], str, list[Line]]:
    sent = [line for line in chunk if not isinstance(line.item, OmnidError)]
    raws = [None if line.item is UNPARSED else line.item for line in sent]
    texts = [line.text if line.item is UNPARSED else None for line in sent]
    number = counts["chunks"]
    counts["chunks"] += 1
    # Sequence numbers follow the input: a line's rank among the whole input's lines.
    firsts = seq
    future = pool.submit(_stage_chunk, rules, directory, number, firsts, raws, texts)
    return future, name, chunk
