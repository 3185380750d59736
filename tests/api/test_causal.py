"""Read-your-writes across two service instances, over HTTP (``Omnid-Bookmark``).

Two services, each with its own driver through a routing URI (``neo4j://``), as two
instances behind a load balancer would be: a mutation answered by one carries a
bookmark; a query to the other with that bookmark sees the write, because the other
instance waited for it (``Graph.after``). On one Community server the wait is
immediate; a cluster's follower would wait until it has the write.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlparse

import httpx
import pytest

from service.api.causal import HEADER, decode, encode
from service.store.graph import Graph
from tests.api.conftest import ADMIN_KEY, Api, ServerInfo, _serve
from tests.api.test_api import PERSON, UPSERT
from tests.statements import STATEMENTS

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture(scope="module")
async def other_instance(session_graph: Graph) -> AsyncIterator[ServerInfo]:
    uri = urlparse(session_graph.settings.neo4j_uri)
    routing = session_graph.settings.model_copy(update={"neo4j_uri": f"neo4j://{uri.netloc}"})
    own = Graph.connect(routing, STATEMENTS)
    try:
        async for info in _serve(own):
            yield info
    finally:
        await own.close()


async def test_a_mutation_on_one_instance_is_read_on_another(
    api: Api, other_instance: ServerInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, other_graph, _ = other_instance
    waited: list[list[str]] = []
    wait = other_graph.after

    async def recording(bookmarks: list[str]) -> None:
        waited.append(bookmarks)
        await wait(bookmarks)

    monkeypatch.setattr(other_graph, "after", recording)
    written = await api.client.post(
        "/graphql",
        json={
            "query": UPSERT,
            "variables": {
                "items": [
                    {
                        "source": "crm",
                        "id": "causal-1",
                        "identifiers": [{"type": "EMAIL", "value": "causal@example.org"}],
                    }
                ]
            },
        },
        headers=AUTH,
    )
    assert written.status_code == 200 and "errors" not in written.json()
    token = written.headers[HEADER]
    assert decode(token)

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        read = await client.post(
            "/graphql",
            json={"query": PERSON, "variables": {"type": "EMAIL", "value": "causal@example.org"}},
            headers={**AUTH, HEADER: token},
        )
    assert read.status_code == 200, read.text
    records = read.json()["data"]["person"]["records"]
    assert [r["id"] for r in records] == ["causal-1"]
    # The other instance waited for exactly the writer's bookmarks. (Comparing its
    # bookmark manager with them is no test: its own background workers commit, and a
    # newer bookmark replaces the ones it subsumes.)
    assert waited == [decode(token)]
    assert decode(read.headers[HEADER])  # and answers with its own


@pytest.mark.parametrize("token", ["%%%not-base64", encode(["not-a-bookmark"]), "e30="])
async def test_a_bookmark_that_is_not_one_is_refused(api: Api, token: str) -> None:
    answer = await api.client.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={**AUTH, HEADER: token},
    )
    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert error["extensions"] == {"code": "INVALID_INPUT", "field": "bookmark"}
