"""What ``service.store.graph`` promises beside running statements: no identifier value in
the driver's debug log, even when an operator turns it on; timing hooks that see every
statement and transaction while set, and nothing once unset."""

from __future__ import annotations

import logging

import pytest

from service.identity.ingest import Ingestor
from service.store.graph import Graph
from tests.test_resolution_properties import event, record

SECRET = "ana.secret.person@example.org"


async def test_the_driver_debug_log_shows_no_parameter_value(
    graph: Graph, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="neo4j"):
        report = await Ingestor(graph).ingest_batch(
            [record("crm", "c-1", [("EMAIL", SECRET), ("PHONE", "+34 611 223 344")])]
        )
        found = await graph.query("persons-by-identifier", key=f"EMAIL:{SECRET}", limit=5)
        await graph.wipe()
    assert report.errors == [] and len(found) == 1
    runs = [r.getMessage() for r in caplog.records if "C: RUN" in r.getMessage()]
    # Every path that sends a statement logged it: managed, auto-commit and read.
    assert any("merge-identifiers" in m or "MERGE (i:Identifier" in m for m in runs)
    assert any("persons-by-identifier" in m or "$key" in m for m in runs)
    assert any("DETACH DELETE" in m for m in runs)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert SECRET not in text
    assert "+34611223344" not in text and "611 223 344" not in text
    assert "<list of 2>" in text  # the two identifiers, by count


async def test_auto_commit_statements_may_outlast_a_managed_transaction(
    graph: Graph, caplog: pytest.LogCaptureFixture
) -> None:
    # delete-all of a 1,000,000-item graph ran past the server's 120 s: CALL IN
    # TRANSACTIONS keeps its outer transaction open until the last batch commits.
    with caplog.at_level(logging.DEBUG, logger="neo4j"):
        await graph.wipe()
    runs = [r.getMessage() for r in caplog.records if "C: RUN" in r.getMessage()]
    assert any("DETACH DELETE" in m and "'tx_timeout': 3600000" in m for m in runs), runs


async def test_the_timing_hooks_see_every_statement_and_transaction(graph: Graph) -> None:
    statements: list[tuple[str, int, float]] = []
    transactions: list[tuple[str, float]] = []
    graph.on_statement = lambda name, rows, seconds: statements.append((name, rows, seconds))
    graph.on_transaction = lambda mode, seconds: transactions.append((mode, seconds))
    items = [
        record("crm", "c-1", [("EMAIL", "hook@example.org"), ("PHONE", "+34 611 223 345")]),
        event("pos", "e-1", [("PHONE", "+34 611 223 345"), ("LOYALTY_CARD", "700100000017")]),
    ]
    try:
        report = await Ingestor(graph).ingest_batch(items)
        found = await graph.query("persons-by-identifier", key="EMAIL:hook@example.org", limit=5)
    finally:
        graph.on_statement = graph.on_transaction = None
    assert report.errors == [] and len(found) == 1
    # Every statement the graph counted was observed, in the order it ran.
    assert len(statements) == graph.queries
    names = [name for name, _, _ in statements]
    assert names[-1] == "persons-by-identifier"
    rows = {name: n for name, n, _ in statements}
    assert rows["merge-identifiers"] == 3  # the distinct identifiers of the batch
    assert rows["persons-by-identifier"] == 0  # no list parameter
    assert all(seconds > 0 for _, _, seconds in statements)
    # One write transaction for the batch; it took at least what its statements took.
    assert [mode for mode, _ in transactions] == ["write"]
    inside = sum(seconds for name, _, seconds in statements[:-1])
    assert transactions[0][1] >= inside

    # Unset: statements and transactions run, nothing is observed.
    queries = graph.queries
    await Ingestor(graph).ingest_batch([event("web", "e-2", [("EMAIL", "hook@example.org")])])
    await graph.query("persons-by-identifier", key="EMAIL:hook@example.org", limit=5)
    assert graph.queries > queries
    assert len(statements) == queries and len(transactions) == 1
