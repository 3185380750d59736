"""Writers of every kind at once end where one writer doing the same work ends.

On a base of records, four writers run together: GraphQL batches (``upsertRecords`` and
``recordEvents``, two clients), a bulk import (the real ``omnid import``, a process of its
own), corrections that remove an identifier from base records (``removeIdentifier``,
which splits persons) and erasures of base persons (``erasePerson``). Then the same work
again, one piece after the other. Both runs must end with the same digest (identifiers,
items and their links), the same partition into persons, the same shared values, and
no broken invariant.

The work is drawn so that its end state does not depend on order, which is what makes
"the same as serially" a sharp check: every item key is written by one writer only, a
correction's record is written by nobody else (its final identifiers are known), and an
erased person's identifiers are carried by nothing else (what an erasure removes cannot
depend on merges made beside it). Everything else overlaps on purpose: new items join,
and corrections split, persons that the other writers are changing at the same time.
``OMNID_FAULTS_LONG=1`` runs three rounds with more items.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.identity.files import import_lines, read_file
from service.privacy.ingest import PrivacyIngestor
from service.store.graph import Graph
from tests.api.conftest import ADMIN_KEY, ServerInfo, _serve
from tests.conftest import ROOT
from tests.faults.conftest import LONG, graph_state, leftovers, omnid_env

ROUNDS = 3 if LONG else 1
SCALE = 3 if LONG else 1
UPSERT = """mutation($items: [RecordInput!]!) {
  upsertRecords(items: $items) { status error { code } } }"""
EVENTS = """mutation($items: [EventInput!]!) {
  recordEvents(items: $items) { status error { code } } }"""
REMOVE = """mutation($record: RecordRef!, $identifier: IdentifierInput!) {
  removeIdentifier(record: $record, identifier: $identifier) { status error { code } } }"""
ERASE = """mutation($identifier: IdentifierInput!) {
  erasePerson(identifier: $identifier, reason: "ticket-1") { records } }"""

Item = dict[str, Any]


def _value(rng: random.Random, pool: int) -> dict[str, str]:
    kind = rng.choice(["EMAIL", "PHONE", "LOYALTY_CARD"])
    n = rng.randrange(pool)
    value = {"EMAIL": f"c{n}@example.org", "PHONE": f"+34 61{n + 1:07d}", "LOYALTY_CARD": f"LC-{n}"}
    return {"type": kind, "value": value[kind]}


def _item(kind: str, source: str, id: str, identifiers: list[dict[str, str]]) -> Item:
    item: Item = {"kind": kind, "source": source, "id": id, "country": "ES"}
    if kind == "event":
        item |= {"channel": "STORE", "type": "purchase", "at": "2026-11-20T10:00:00Z"}
    return item | {"identifiers": identifiers}


class Work:
    """One round's work, drawn from a seed."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        pool = 60 * SCALE

        def idents() -> list[dict[str, str]]:
            return [_value(rng, pool) for _ in range(rng.randint(1, 3))]

        self.base = [_item("record", "crm", f"b{i}", idents()) for i in range(120 * SCALE)]
        # persons to erase: identifiers nobody else carries, a record and two events each
        self.erase = [{"type": "EMAIL", "value": f"erase{j}@example.org"} for j in range(5)]
        for j, email in enumerate(self.erase):
            self.base.append(_item("record", "crm", f"x{j}", [email]))
            self.base += [_item("event", "pos", f"x{j}-{k}", [email]) for k in range(2)]
        self.graphql = [
            _item(rng.choice(["record", "event"]), "app", f"g{i}", idents())
            for i in range(150 * SCALE)
        ]
        self.imported = [
            _item(rng.choice(["record", "event"]), "eshop", f"i{i}", idents())
            for i in range(300 * SCALE)
        ]
        corrected = [r for r in self.base if r["id"].startswith("b") and len(r["identifiers"]) > 1]
        self.corrections = [
            ({"source": r["source"], "id": r["id"]}, rng.choice(r["identifiers"]))
            for r in rng.sample(corrected, min(25 * SCALE, len(corrected)))
        ]


def _mutations(items: list[Item]) -> list[tuple[str, list[Item]]]:
    """Batches of up to 20 items of one kind, as GraphQL inputs."""
    out = []
    for kind, query in (("record", UPSERT), ("event", EVENTS)):
        same = [{k: v for k, v in i.items() if k != "kind"} for i in items if i["kind"] == kind]
        out += [(query, same[n : n + 20]) for n in range(0, len(same), 20)]
    return out


async def _gql(client: httpx.AsyncClient, query: str, **variables: Any) -> Any:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    assert "errors" not in body, body["errors"]
    return next(iter(body["data"].values()))


async def _batches(client: httpx.AsyncClient, batches: list[tuple[str, list[Item]]]) -> None:
    for query, items in batches:
        for result in await _gql(client, query, items=items):
            assert result["status"] in ("OK", "UNCHANGED"), result


async def _corrections(client: httpx.AsyncClient, work: Work) -> None:
    for record, identifier in work.corrections:
        result = await _gql(client, REMOVE, record=record, identifier=identifier)
        assert result["status"] == "OK", result


async def _erasures(client: httpx.AsyncClient, work: Work) -> None:
    for identifier in work.erase:
        receipt = await _gql(client, ERASE, identifier=identifier)
        assert receipt["records"] == 1, receipt


async def _import(graph: Graph, path: Path) -> None:
    """``omnid import`` in a process of its own, as an integration job runs it."""
    env = omnid_env(graph.settings, OMNID_BATCH_SIZE="40")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service.cli", "import", str(path), "--json",
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()[-2000:]
    assert json.loads(out)["total"]["errors"] == 0


async def _lines(graph: Graph) -> set[str]:
    return {row["line"] for row in await graph.query("testing-digest")}


@pytest.fixture
async def service(graph: Graph) -> AsyncIterator[ServerInfo]:
    async for info in _serve(graph):
        yield info


async def test_writers_of_every_kind_at_once_end_like_one(
    graph: Graph, service: ServerInfo, tmp_path: Path
) -> None:
    url = service[0]
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=300) as client:
        for round in range(ROUNDS):
            # OMNID_FAULTS_SEED replays the round a failure names
            seed = int(os.environ.get("OMNID_FAULTS_SEED") or random.randrange(1_000_000))
            work = Work(seed)
            path = tmp_path / f"import-{round}.jsonl"
            path.write_text("".join(json.dumps(i) + "\n" for i in work.imported))
            batches = _mutations(work.graphql)
            base = _mutations(work.base)

            # one writer, one piece of work after the other
            await graph.wipe()
            await _batches(client, base)
            await _batches(client, batches)
            tally = await import_lines(PrivacyIngestor(graph), read_file(path), name=path.name)
            assert tally.errors == 0
            await _corrections(client, work)
            await _erasures(client, work)
            alone = await graph_state(graph)
            alone_lines = await _lines(graph)

            # every writer at once
            await graph.wipe()
            await _batches(client, base)
            await asyncio.gather(
                _batches(client, batches[0::2]),
                _batches(client, batches[1::2]),
                _import(graph, path),
                _corrections(client, work),
                _erasures(client, work),
            )
            assert await leftovers(graph) == []
            together = await graph_state(graph)  # fails on a broken invariant
            together_lines = await _lines(graph)
            # What differs, named, so that a failing interleaving can be understood.
            assert (alone_lines - together_lines, together_lines - alone_lines) == (
                set(),
                set(),
            ), f"seed {seed}"
            assert together == alone, f"seed {seed}"
