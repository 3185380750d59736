"""Bulk import: JSON Lines and CSV files streamed into the ingestor, batch by batch.

A file is never read whole: :func:`read_jsonl` and :func:`read_csv` yield one
:class:`Line` at a time (its number, the input-contract item or the error that kept it
from being read, its text, and how far into the file it ends), and
:func:`import_lines` sends them to :meth:`Ingestor.ingest_batches` in batches, one
transaction each (the next batch is read and validated while earlier ones write),
counting what happened in an :class:`ImportTally`. Running the same
file twice changes nothing (records are rewritten as they are, events are immutable).

A CSV file needs a :class:`CsvMapping`: which column is the source id, which ones hold
identifiers (``EMAIL=email``, several columns per type allowed), for events the time,
channel and type; every other non-empty column becomes an attribute::

    receipt,at,email,total          CsvMapping(kind="event", source="pos",
    R-1,2026-03-01T12:00:00Z,...  ->   id_column="receipt", time_column="at",
                                       channel="STORE", type="purchase",
                                       identifiers=[("EMAIL", "email")])
    -> {"kind": "event", "source": "pos", "id": "R-1", "at": "2026-03-01T12:00:00Z",
        "channel": "STORE", "type": "purchase",
        "identifiers": [{"type": "EMAIL", "value": "..."}], "attributes": {"total": "..."}}

Rejected lines go to a :class:`RejectReport`, one JSON object per line with the line
number, the error code, field and message. omnid's messages mask personal values and
the report leaves the line's text out unless asked (``include_input``): report files
travel (tickets, mails), and the line number finds the line in the user's own file.
"""

from __future__ import annotations

import csv
import json
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final, NamedTuple

from service.errors import InvalidInput, OmnidError
from service.identity.ingest import Ingestor, chunks

__all__ = [
    "SUFFIXES",
    "UNPARSED",
    "CsvMapping",
    "ImportTally",
    "Line",
    "RejectReport",
    "check_file",
    "csv_header",
    "import_lines",
    "parse_json_line",
    "read_csv",
    "read_file",
    "read_jsonl",
    "read_rows",
]

#: File suffixes omnid imports: JSON Lines in the input contract, or CSV with a mapping.
SUFFIXES = (".jsonl", ".ndjson", ".csv")


class Line(NamedTuple):
    """One input line (or CSV record, which may span lines)."""

    number: int  #: where it starts in the file, from 1
    item: object  #: the input-contract object, or the ``OmnidError`` that kept it unread
    text: str | None  #: its original text (for ``RejectReport(include_input=True)``)
    position: int  #: bytes of the file read once it is read (drives progress bars)


_MAPPING_KEYS = {
    "kind",
    "source",
    "id_column",
    "time_column",
    "channel",
    "channel_column",
    "type",
    "type_column",
    "country",
    "country_column",
    "purpose",
    "purpose_column",
    "status",
    "status_column",
    "identifiers",
    "ignore",
    "delimiter",
}


@dataclass
class CsvMapping:
    """Which CSV column is which part of an item; the other columns become attributes."""

    kind: str = "record"
    source: str | None = None
    id_column: str | None = None
    time_column: str | None = None
    channel: str | None = None
    channel_column: str | None = None
    type: str | None = None
    type_column: str | None = None
    country: str | None = None
    country_column: str | None = None
    #: Consents (``kind: consent``): the purpose and status, for all rows or per column;
    #: the other columns become the consent's evidence.
    purpose: str | None = None
    purpose_column: str | None = None
    status: str | None = None
    status_column: str | None = None
    identifiers: list[tuple[str, str]] = field(default_factory=list)  # (TYPE, column)
    ignore: list[str] = field(default_factory=list)
    delimiter: str = ","

    @classmethod
    def from_file(cls, path: Path) -> CsvMapping:
        """Read a mapping file (JSON, the same keys as the flags, without dashes)::

        {"kind": "event", "source": "pos", "id_column": "receipt", "time_column": "at",
         "channel": "STORE", "type_column": "ty", "country_column": "cc",
         "identifiers": {"EMAIL": "email", "PHONE": ["phone", "mobile"]}}
        """
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"cannot read {path}: {exc}", field="--mapping") from None
        if not isinstance(data, dict):
            raise InvalidInput("must be a JSON object", field="--mapping")
        unknown = sorted(set(data) - _MAPPING_KEYS)
        if unknown:
            raise InvalidInput(
                f"unknown keys {unknown}; known: {sorted(_MAPPING_KEYS)}", field="--mapping"
            )
        mapping = cls()
        for key in _MAPPING_KEYS - {"identifiers", "ignore"}:
            value = data.get(key)
            if value is not None:
                if not isinstance(value, str):
                    raise InvalidInput("must be a string", field=f"mapping.{key}")
                setattr(mapping, key, value)
        identifiers = data.get("identifiers") or {}
        if not isinstance(identifiers, dict):
            raise InvalidInput('must be an object {"TYPE": "column"}', field="mapping.identifiers")
        for kind, columns in identifiers.items():
            for column in [columns] if isinstance(columns, str) else columns:
                if not isinstance(column, str):
                    raise InvalidInput("columns must be strings", field="mapping.identifiers")
                mapping.identifiers.append((kind.upper(), column))
        ignore = data.get("ignore") or []
        if not isinstance(ignore, list) or not all(isinstance(c, str) for c in ignore):
            raise InvalidInput("must be a list of column names", field="mapping.ignore")
        mapping.ignore = list(ignore)
        return mapping

    def update(self, **flags: str | None) -> None:
        """Override fields with the flags that are set (``None`` leaves a field as is)."""
        for key, value in flags.items():
            if key not in _MAPPING_KEYS or key in ("identifiers", "ignore"):
                raise InvalidInput(f"unknown mapping field {key!r}", field="mapping")
            if value is not None:
                setattr(self, key, value)

    def add_identifier(self, spec: str) -> None:
        """Map one more column: ``"EMAIL=email"`` (type names are case-insensitive)."""
        kind, sep, column = spec.partition("=")
        if not sep or not kind.strip() or not column.strip():
            raise InvalidInput(f"{spec!r} is not TYPE=column", field="--identifier")
        self.identifiers.append((kind.strip().upper(), column.strip()))

    def check(self, name: str, header: list[str]) -> None:
        """Refuse a mapping that cannot produce items from file ``name`` with ``header``."""
        if self.kind not in ("record", "event", "consent"):
            raise InvalidInput("must be 'record', 'event' or 'consent'", field="--kind")
        if not self.source:
            raise InvalidInput("a CSV import needs the source system", field="--source")
        if not self.id_column:
            raise InvalidInput(
                "a CSV import needs the column of the source's id", field="--id-column"
            )
        if self.kind in ("event", "consent"):
            plural = f"{self.kind}s"
            if not self.time_column:
                raise InvalidInput(f"{plural} need the column of their time", field="--time-column")
            if not (self.channel or self.channel_column):
                raise InvalidInput(
                    f"{plural} need --channel or --channel-column", field="--channel"
                )
        if self.kind == "event" and not (self.type or self.type_column):
            raise InvalidInput("events need --type or --type-column", field="--type")
        if self.kind == "consent":
            if not (self.purpose or self.purpose_column):
                raise InvalidInput("consents need --purpose or --purpose-column", field="--purpose")
            if not (self.status or self.status_column):
                raise InvalidInput("consents need --status or --status-column", field="--status")
        if not self.identifiers:
            raise InvalidInput("map at least one column, e.g. EMAIL=email", field="--identifier")
        missing = sorted(c for c in self._columns() if c not in header)
        if missing:
            raise InvalidInput(
                f"{name} has no column {', '.join(missing)} (its header: {', '.join(header)})",
                field="mapping",
            )

    def _columns(self) -> list[str]:
        named = [
            self.id_column,
            self.time_column,
            self.channel_column,
            self.type_column,
            self.country_column,
            self.purpose_column,
            self.status_column,
        ]
        return [c for c in named if c] + [c for _, c in self.identifiers]

    def item(self, row: dict[str, str]) -> dict[str, Any]:
        """One CSV row as an input-contract item (empty cells are left out)."""
        item: dict[str, Any] = {
            "kind": self.kind,
            "source": self.source,
            "id": row[self.id_column or ""],
        }
        item["identifiers"] = [
            {"type": kind, "value": row[column]}
            for kind, column in self.identifiers
            if row[column].strip()
        ]
        if self.kind in ("event", "consent"):
            item["at"] = row[self.time_column or ""]
            item["channel"] = self.channel or row[self.channel_column or ""]
        if self.kind == "event":
            item["type"] = self.type or row[self.type_column or ""]
        if self.kind == "consent":
            item["purpose"] = self.purpose or row[self.purpose_column or ""]
            item["status"] = self.status or row[self.status_column or ""]
        country = self.country or (row[self.country_column] if self.country_column else "")
        if country.strip():
            item["country"] = country
        used = set(self._columns()) | set(self.ignore)
        rest = {k: v for k, v in row.items() if k not in used and v != ""}
        item["evidence" if self.kind == "consent" else "attributes"] = rest
        return item


@dataclass
class ImportTally:
    """What one input file did, summed over its batches."""

    name: str
    items: int = 0
    ok: int = 0
    unchanged: int = 0
    errors: int = 0
    created: int = 0
    merged: int = 0
    split: int = 0
    shared: set[str] = field(default_factory=set)
    seconds: float = 0.0
    report: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.name,
            "items": self.items,
            "ok": self.ok,
            "unchanged": self.unchanged,
            "errors": self.errors,
            "personsCreated": self.created,
            "merges": self.merged,
            "splits": self.split,
            "sharedFound": len(self.shared),
            "seconds": round(self.seconds, 3),
            "report": str(self.report) if self.report and self.errors else None,
        }

    @classmethod
    def total(cls, tallies: list[ImportTally]) -> ImportTally:
        out = cls("total")
        for t in tallies:
            out.items += t.items
            out.ok += t.ok
            out.unchanged += t.unchanged
            out.errors += t.errors
            out.created += t.created
            out.merged += t.merged
            out.split += t.split
            out.shared |= t.shared
            out.seconds += t.seconds
        return out


class RejectReport:
    """Rejected lines as JSON Lines: the file is opened at the first one.

    Closing a report that received nothing removes a file left at its path by an
    earlier run: a report that lists lines since fixed would mislead.
    """

    def __init__(self, path: Path, *, include_input: bool = False) -> None:
        self.path = path
        self.include_input = include_input
        self.count = 0
        self._handle: IO[str] | None = None

    @staticmethod
    def default_path(path: Path) -> Path:
        """``crm.csv`` -> ``crm.csv.rejected.jsonl``, beside the input."""
        return path.with_name(path.name + ".rejected.jsonl")

    def add(self, file: str, line: Line, error: OmnidError) -> None:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("w", encoding="utf-8")
        entry: dict[str, Any] = {
            "file": file,
            "line": line.number,
            "code": error.code,
            "field": error.details.get("field"),
            "message": error.message,
        }
        if self.include_input and line.text is not None:
            entry["input"] = line.text.rstrip("\r\n")
        self._handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self.count += 1

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        elif self.path.is_file():
            self.path.unlink()

    def __enter__(self) -> RejectReport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


async def import_lines(
    ingestor: Ingestor,
    lines: Iterable[Line],
    *,
    name: str,
    batch_size: int | None = None,
    on_reject: Callable[[Line, OmnidError], None] | None = None,
    on_progress: Callable[[ImportTally, int], None] | None = None,
) -> ImportTally:
    """Send ``lines`` to the ingestor in batches (default ``settings.batch_size``).

    Lines that could not even be read (bad JSON, a short CSV row) ride along in their
    batch without being sent, so ``on_reject`` sees rejected lines in file order.
    ``on_progress(tally, position)`` runs after each batch.
    """
    size = batch_size or ingestor.graph.settings.batch_size
    tally = ImportTally(name)
    started = time.perf_counter()
    # Batches are cut in the ingestor's reading thread (the file is read there too) and
    # come back in order, so each batch's lines, and those of them sent, wait here.
    waiting: deque[tuple[list[Line], list[Line]]] = deque()

    def batches() -> Iterator[list[object]]:
        for batch in chunks(lines, size):
            sent = [line for line in batch if not isinstance(line.item, OmnidError)]
            waiting.append((batch, sent))
            yield [line.item for line in sent]

    async for report in ingestor.ingest_batches(batches()):
        batch, sent = waiting.popleft()
        results = {sent[r.index].number: r for r in report.results}
        for line in batch:
            tally.items += 1
            result = results.get(line.number)
            error = line.item if isinstance(line.item, OmnidError) else None
            if result is not None and result.error is not None:
                error = result.error
            if error is not None:
                tally.errors += 1
                if on_reject is not None:
                    on_reject(line, error)
            elif result is not None and result.status == "unchanged":
                tally.unchanged += 1
            else:
                tally.ok += 1
        tally.created += report.created
        tally.merged += report.merged
        tally.split += report.split
        tally.shared.update(report.shared)
        tally.seconds = time.perf_counter() - started
        if on_progress is not None:
            on_progress(tally, batch[-1].position)
    tally.seconds = time.perf_counter() - started
    return tally


def read_file(
    path: Path, mapping: CsvMapping | None = None, *, parse: bool = True
) -> Iterator[Line]:
    """The lines of a ``.jsonl``/``.ndjson`` file, or the rows of a ``.csv`` via ``mapping``
    (``parse``: see :func:`read_jsonl`; CSV rows are always items)."""
    if path.suffix.lower() == ".csv":
        return read_csv(path, mapping or CsvMapping())
    return read_jsonl(path, parse=parse)


def check_file(path: Path, mapping: CsvMapping | None = None) -> None:
    """Refuse a file omnid cannot import (suffix, or a CSV its mapping does not fit)."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInput(
            f"{path.name}: use .jsonl/.ndjson (input contract) or .csv", field="FILE"
        )
    if suffix == ".csv":
        mapping = mapping or CsvMapping()
        mapping.check(path.name, csv_header(path, mapping.delimiter))


#: ``Line.item`` of a JSON line read with ``parse=False``: its ``text`` is to be parsed
#: (by :func:`parse_json_line`) where the item is needed, e.g. in a worker process.
UNPARSED: Final = object()


def parse_json_line(text: str) -> object:
    """One line's JSON value; ``InvalidInput`` naming the line when it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"is not valid JSON ({exc.msg}, column {exc.colno})", field="line"
        ) from None
    except (ValueError, RecursionError):
        raise InvalidInput("is not valid JSON", field="line") from None


def read_jsonl(path: Path, *, parse: bool = True) -> Iterator[Line]:
    """Each non-blank line of a JSON Lines file, parsed, or the reason it is not JSON.
    With ``parse=False`` a UTF-8 line's item is :data:`UNPARSED` (its text is parsed
    later: the initial load parses in its worker processes, not in the reading one)."""
    position = 0
    with path.open("rb") as handle:
        for number, data in enumerate(handle, start=1):
            position += len(data)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                yield Line(number, InvalidInput("is not UTF-8 text", field="line"), None, position)
                continue
            if number == 1:
                text = text.removeprefix("\ufeff")
            if not text.strip():
                continue
            if not parse:
                yield Line(number, UNPARSED, text, position)
                continue
            try:
                raw: object = parse_json_line(text)
            except InvalidInput as exc:
                raw = exc
            yield Line(number, raw, text, position)


class _CountingLines:
    """Decoded lines of a binary file, counting bytes and keeping the current record's text."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.position = 0
        self.pending: list[str] = []
        self.first = True

    def __iter__(self) -> Iterator[str]:
        for data in self.handle:
            self.position += len(data)
            # surrogateescape keeps going on bad bytes; the row is rejected below.
            text = data.decode("utf-8", errors="surrogateescape")
            if self.first:
                text = text.removeprefix("\ufeff")
                self.first = False
            self.pending.append(text)
            yield text

    def take(self) -> str:
        text = "".join(self.pending)
        self.pending.clear()
        return text


def csv_header(path: Path, delimiter: str) -> list[str]:
    """The column names of a CSV file (its first line)."""
    with path.open("rb") as handle:
        reader = csv.reader(_CountingLines(handle), delimiter=delimiter)
        try:
            return [h.strip() for h in next(reader)]
        except StopIteration:
            raise InvalidInput(
                f"{path.name} is empty: a CSV needs a header", field="FILE"
            ) from None
        except csv.Error as exc:
            raise InvalidInput(f"{path.name}: unreadable CSV header: {exc}", field="FILE") from None


def read_csv(path: Path, mapping: CsvMapping) -> Iterator[Line]:
    """Each CSV row as an input-contract item, numbered by its first line in the file."""
    return _read_rows(path, mapping.delimiter, mapping.item)


def read_rows(path: Path) -> Iterator[Line]:
    """Each line of a ``.jsonl``/``.ndjson`` file, parsed, or each row of a ``.csv``
    (comma-separated, with a header) as ``{column: text}``: files of other things than
    items (a steward's corrections), read as carefully as an import."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInput(f"{path.name}: use .jsonl/.ndjson or .csv", field="FILE")
    if suffix == ".csv":
        return _read_rows(path, ",", dict)
    return read_jsonl(path)


def _read_rows(
    path: Path, delimiter: str, make: Callable[[dict[str, str]], object]
) -> Iterator[Line]:
    header = csv_header(path, delimiter)
    with path.open("rb") as handle:
        source = _CountingLines(handle)
        reader = csv.reader(source, delimiter=delimiter)
        next(reader)
        source.take()
        consumed = reader.line_num
        while True:
            start = consumed + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                consumed = reader.line_num
                error = InvalidInput(f"is not readable CSV ({exc})", field="line")
                yield Line(start, error, source.take(), source.position)
                continue
            consumed = reader.line_num
            text = source.take()
            if not row or not any(cell.strip() for cell in row):
                continue
            raw: object
            if len(row) != len(header):
                raw = InvalidInput(f"has {len(row)} fields, the header {len(header)}", field="line")
            elif any(_undecodable(cell) for cell in row):
                raw = InvalidInput("is not UTF-8 text", field="line")
            else:
                raw = make(dict(zip(header, row, strict=True)))
            yield Line(start, raw, text, source.position)


def _undecodable(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)
