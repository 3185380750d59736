"""An erasure committed while a bulk import runs holds for what it writes afterwards.

A bulk import validates a window of batches ahead of writing it; the erasure here
commits after the whole window was validated (with the list as it was) and before any
of it is written, from another process's point of view (its own ``Suppression``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

from service.identity.identifiers import normalize
from service.privacy.erasure import erase
from service.privacy.ingest import PrivacyIngestor
from service.privacy.suppression import Suppression
from service.read.models import find_person
from service.store.graph import Graph
from tests.privacy.conftest import record

EMAIL = ("EMAIL", "Nina.Nightly@example.org")
CARD = ("LOYALTY_CARD", "5005 1234")


def batch(n: int) -> list[dict[str, Any]]:
    """Others, her record again, and a record with her email and a new card."""
    return [
        record("pos", f"c-{n}-{k}", ("EMAIL", f"client{n}-{k}@example.com")) for k in range(4)
    ] + [
        record("crm", f"nina-{n}", EMAIL, name="Nina"),
        record("eshop", f"nina-card-{n}", EMAIL, (CARD[0], f"{CARD[1]}{n}")),
    ]


async def test_an_erasure_during_an_import_holds_for_what_is_written_after_it(
    graph: Graph, ingestor: PrivacyIngestor
) -> None:
    await ingestor.ingest_batch([record("crm", "nina-0", EMAIL, name="Nina")])
    await ingestor.suppression.refresh(graph)  # the import starts with an empty list
    loop = asyncio.get_running_loop()
    erased: list[object] = []

    async def erase_her() -> None:
        erased.append(
            await erase(
                graph,
                identifier=normalize(*EMAIL),
                reason="ticket 12",
                requested_by="other process",
                suppression=Suppression.from_settings(graph.settings),
            )
        )

    def batches() -> Iterator[list[dict[str, Any]]]:
        # Read in the import's reading thread; the last batch is asked for once the
        # others are validated, and the erasure commits before it is handed over.
        for n in range(1, 4):
            yield batch(n)
        asyncio.run_coroutine_threadsafe(erase_her(), loop).result(timeout=60)
        yield batch(4)

    reports = [r async for r in ingestor.ingest_batches(batches(), writers=4)]

    assert len(erased) == 1
    for report in reports:
        codes = [r.error.code if r.error else r.status for r in report.results]
        assert codes == ["ok"] * 4 + ["SUPPRESSED", "ok"], codes
    assert await find_person(graph, normalize(*EMAIL)) is None
    text = json.dumps(await graph.query("testing-all-properties"), default=str).casefold()
    assert "nina.nightly" not in text
    # The cards came in without her email, each a customer of its own.
    for n in range(1, 5):
        card = await find_person(graph, normalize(CARD[0], f"{CARD[1]}{n}"))
        assert card is not None
