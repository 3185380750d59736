"""``omnid backup`` / ``omnid restore``: a dump restored into a new home holds the same
graph (digest and partition), and neither runs while the server does."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from devtools import backup as backups
from devtools import neo4j_local
from service.identity.ingest import Ingestor
from service.store.graph import Graph
from tests.faults.conftest import FAULTS_HOME, FaultServer, fault_settings, graph_state
from tests.statements import STATEMENTS

RESTORE_HOME = FAULTS_HOME.parent / "faults-restore"


def _items() -> list[dict[str, object]]:
    return [
        {
            "kind": "record",
            "source": "crm",
            "id": str(i),
            "identifiers": [
                {"type": "EMAIL", "value": f"c{i}@example.org"},
                {"type": "PHONE", "value": f"+3460000{i // 3:04d}"},
            ],
        }
        for i in range(60)
    ]


async def test_backup_then_restore_into_a_new_home(
    fault_graph: Graph, fault_server: FaultServer, tmp_path: Path
) -> None:
    report = await Ingestor(fault_graph).ingest(_items())
    assert all(r.error is None for r in report.results)
    expected = await graph_state(fault_graph)

    with pytest.raises(backups.ServerRunning, match="omnid neo4j stop"):
        backups.backup(fault_server.settings, tmp_path)
    await asyncio.to_thread(fault_server.stop)
    try:
        dump = await asyncio.to_thread(backups.backup, fault_server.settings, tmp_path / "b")
        assert dump.stat().st_size > 0
    finally:
        await asyncio.to_thread(fault_server.start)

    shutil.rmtree(RESTORE_HOME, ignore_errors=True)
    restored = fault_settings(
        fault_server.settings,
        neo4j_uri="bolt://127.0.0.1:7863",
        neo4j_home=RESTORE_HOME,
        neo4j_bolt_port=7863,
        neo4j_http_port=7864,
    )
    await asyncio.to_thread(backups.restore, restored, dump)
    await asyncio.to_thread(neo4j_local.start, restored)
    try:
        with pytest.raises(backups.ServerRunning):
            backups.restore(restored, dump)
        graph = Graph.connect(restored, STATEMENTS)
        try:
            assert await graph_state(graph) == expected
        finally:
            await graph.close()
    finally:
        await asyncio.to_thread(neo4j_local.stop, restored)
        shutil.rmtree(RESTORE_HOME, ignore_errors=True)
