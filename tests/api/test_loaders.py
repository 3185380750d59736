"""No N+1: the number of Neo4j queries does not grow with the number of items fetched."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.api.test_api import EVENTS, UPSERT, events

PAGE = """
{ person(identifier: {type: LOYALTY_CARD, value: "70012345"}) {
    identifiers { type value sources }
    journey(first: 50) { edges { node { id at channel seenWith { type value } } } }
    channels { channel events }
    firstSeen lastSeen
} }"""


async def _count(api: Api, query: str) -> int:
    before = api.graph.queries
    body = await api.gql(query)
    assert "errors" not in body, body
    return api.graph.queries - before


async def test_a_page_of_50_events_and_identifiers_is_a_fixed_number_of_queries(api: Api) -> None:
    await api.gql(EVENTS, {"items": events(28)})
    await api.gql(EVENTS, {"items": events(28, start_day=0)[:0]})
    more = events(25, start_day=1)
    for i, e in enumerate(more):
        e["id"] = f"more-{i}"
        e["at"] = e["at"].replace("2026-10", "2026-09")
    await api.gql(EVENTS, {"items": more})
    await api.gql(
        UPSERT,
        {
            "items": [
                {
                    "source": "loyalty",
                    "id": "c",
                    "identifiers": [
                        {"type": "LOYALTY_CARD", "value": "70012345"},
                        {"type": "EMAIL", "value": "card@example.org"},
                        {"type": "PHONE", "value": "+33612345678"},
                    ],
                }
            ]
        },
    )
    body = await api.gql(PAGE)
    assert len(body["data"]["person"]["journey"]["edges"]) == 50
    assert len(body["data"]["person"]["identifiers"]) == 3
    # the person with identifiers and journey page (one statement), channels, activity.
    assert await _count(api, PAGE) == 3


async def test_many_persons_batch_into_one_query_per_field(api: Api) -> None:
    items = [
        {
            "source": "crm",
            "id": f"p{i}",
            "identifiers": [{"type": "EMAIL", "value": f"p{i}@example.org"}],
        }
        for i in range(12)
    ]
    results = (await api.gql(UPSERT, {"items": items}))["data"]["upsertRecords"]
    fields = " ".join(
        f'p{i}: person(id: "{r["personId"]}") {{ identifiers {{ value }} records {{ id }} '
        f"journey(first: 5) {{ edges {{ cursor }} }} }}"
        for i, r in enumerate(results)
    )
    count = await _count(api, "{ " + fields + " }")
    # the 12 persons with their identifiers and journey pages in one statement (looked
    # ahead by Query.person, batched by its DataLoader), then records for all 12.
    assert count == 2
