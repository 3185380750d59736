"""The write path and the API's reads plan index seeks, never scans, on a real Neo4j.

Plans are made from statistics and cached; the worst moment is an empty database (a new
install, the first batches of a load), when any scan looks free. Each statement is
planned afresh there (``replan=force``) and must not contain a scan operator:
``tests/test_cypher.py`` checks the hints that make this hold whatever the statistics.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from service.store.cypher import load_statements
from service.store.graph import Graph
from tests.test_cypher import HOT_FILES

_HOT = [s for s in load_statements() if s.origin.split(":")[0].endswith(HOT_FILES)]


def _operators(plan: dict[str, Any]) -> Iterator[str]:
    yield f"{plan['operatorType'].split('@')[0]} {plan.get('args', {}).get('Details', '')}"
    for child in plan.get("children", []):
        yield from _operators(child)


@pytest.mark.parametrize("name", [s.name for s in _HOT])
async def test_statement_plans_no_scan_on_an_empty_graph(graph: Graph, name: str) -> None:
    statement = graph.statements[name]
    async with graph.driver.session() as session:
        result = await session.run("CYPHER replan=force EXPLAIN " + statement.cypher)
        plan = (await result.consume()).plan
    assert plan is not None
    scans = [op for op in _operators(plan) if "Scan" in op.split(" ", 1)[0]]
    assert scans == []
