"""What ``service.store.graph`` promises beside running statements: no identifier value in
the driver's debug log, even when an operator turns it on."""

from __future__ import annotations

import logging

import pytest

from service.identity.ingest import Ingestor
from service.store.graph import Graph
from tests.test_resolution_properties import record

SECRET = "ana.secret.person@example.org"


async def test_the_driver_debug_log_shows_no_parameter_value(
    graph: Graph, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="neo4j"):
        report = await Ingestor(graph).ingest_batch(
            [record("crm", "c-1", [("EMAIL", SECRET), ("PHONE", "+34 611 223 344")])]
        )
        found = await graph.query("persons-by-identifier", key=f"EMAIL:{SECRET}", limit=5)
        await graph.auto("delete-all")
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
        await graph.auto("delete-all")
    runs = [r.getMessage() for r in caplog.records if "C: RUN" in r.getMessage()]
    assert any("DETACH DELETE" in m and "'tx_timeout': 3600000" in m for m in runs), runs
