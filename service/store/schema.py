"""Apply the graph's constraints and indexes (``cypher/schema.cypher``), idempotently."""

from __future__ import annotations

import logging
import re

from service.store.graph import Graph

__all__ = ["apply_schema", "expected_names", "missing_schema"]

log = logging.getLogger("omnid")

_NAME = re.compile(r"(?:CONSTRAINT|INDEX)\s+([a-z_]+)\s+IF NOT EXISTS", re.IGNORECASE)


def expected_names(graph: Graph) -> set[str]:
    """Names of the constraints and indexes ``schema.cypher`` declares."""
    names = set()
    for stmt in graph.statements:
        if stmt.name.startswith("schema-"):
            match = _NAME.search(stmt.cypher)
            if match:
                names.add(match.group(1))
    return names


async def apply_schema(graph: Graph) -> list[str]:
    """Create what is missing and wait until every index is online; returns statement names."""
    applied = []
    for name in graph.statements.names("schema-"):
        if name in ("schema-names", "schema-await"):
            continue
        await graph.auto(name)
        applied.append(name)
    await graph.auto("schema-await")
    log.info("schema applied: %d statements", len(applied))
    return applied


async def missing_schema(graph: Graph) -> set[str]:
    """Declared constraints and indexes that are not online (empty when ready)."""
    online = set(await graph.auto("schema-names") or [])
    return expected_names(graph) - online
