"""Segment definitions in Neo4j: named, versioned, with their evaluation progress."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from service.errors import NotFound, SegmentExists
from service.segments.clock import Clock
from service.segments.compile import Plan, compile_rule
from service.segments.rules import Definition, parse_definition
from service.store.graph import Graph

__all__ = ["Segment", "SegmentCache", "define_segment", "load_segments", "start_dropping"]


@dataclass(frozen=True, slots=True)
class Segment:
    name: str
    version: int
    description: str
    definition: Definition
    plan: Plan
    #: EVALUATING (over the whole graph, in the background), READY, or DROPPING (its
    #: members leaving, in the background; no longer evaluated)
    status: str
    evaluated: int  # persons the background evaluation has done
    cursor: str  # the last person id it did
    created_at: str | None
    updated_at: str | None

    @property
    def source(self) -> dict[str, Any]:
        return self.definition.source


def _canonical(definition: Definition) -> str:
    """The stored text: the same definition always gives the same text (versions)."""
    return json.dumps(definition.source, sort_keys=True, separators=(",", ":"))


async def define_segment(
    graph: Graph,
    raw: object,
    *,
    clock: Clock,
    replace: bool = False,
    identifier_types: Sequence[str] = (),
    purposes: Sequence[str] = (),
) -> tuple[str, int, bool]:
    """Check and store a definition; returns (name, version, changed).

    Nothing is stored when the rule is invalid (``InvalidRule``) or the name is taken
    and ``replace`` is false (``SegmentExists``).
    """
    definition = parse_definition(raw, identifier_types=identifier_types, purposes=purposes)
    status = await graph.query("segment-exists", segment=definition.name)
    if status == "DROPPING":
        raise SegmentExists(
            "a segment of this name is being dropped; define it again once it is gone",
            field="name",
        )
    if not replace and status is not None:
        raise SegmentExists(
            "a segment of this name exists; pass replace to change it", field="name"
        )
    row = await graph.command(
        "segment-save",
        segment=definition.name,
        definition=_canonical(definition),
        description=definition.description,
        now=clock.now().isoformat(),
    )
    return definition.name, int(row["version"]), not row["unchanged"]


async def start_dropping(graph: Graph, name: str) -> int:
    """Mark a segment DROPPING (no longer evaluated); its version. The engine then
    sends its members' exits and removes it (``SegmentEngine.finish_drop``)."""
    version = await graph.command("segment-dropping", segment=name)
    if version is None:
        raise NotFound("no segment of this name", name=name)
    return int(version)


async def load_segments(graph: Graph) -> list[Segment]:
    rows = await graph.query("segments-all")
    return [_segment(row) for row in rows]


def _segment(row: dict[str, Any]) -> Segment:
    # Stored definitions were checked when defined; identifier types are not re-checked
    # here so a type removed from the settings later does not hide the segment.
    definition = parse_definition(json.loads(row["definition"]))
    return Segment(
        name=row["name"],
        version=int(row["version"]),
        description=row["description"] or "",
        definition=definition,
        plan=compile_rule(row["name"], definition.rule),
        status=row["status"] or "READY",
        evaluated=int(row["evaluated"] or 0),
        cursor=row["cursor"] or "",
        created_at=row["createdAt"],
        updated_at=row["updatedAt"],
    )


class SegmentCache:
    """The definitions evaluated (not those being dropped), re-read at most every
    ``ttl`` seconds: the CLI (another process)
    may define segments, and reading them on every write would cost a statement each."""

    def __init__(self, graph: Graph, ttl: float = 2.0) -> None:
        self.graph = graph
        self.ttl = ttl
        self._segments: list[Segment] | None = None
        self._read_at = 0.0

    async def current(self) -> list[Segment]:
        if self._segments is None or time.monotonic() - self._read_at > self.ttl:
            self._segments = [s for s in await load_segments(self.graph) if s.status != "DROPPING"]
            self._read_at = time.monotonic()
        return self._segments

    def invalidate(self) -> None:
        self._segments = None
