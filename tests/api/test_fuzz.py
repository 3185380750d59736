"""Hostile GraphQL: operations generated from the schema (``hypothesis-graphql``), valid
and invalid, plus hostile values in variables (huge, unicode and control characters,
numbers at their limits, Cypher-looking strings) against the running service.

Whatever comes in: never a 500, never a stack trace or a sent value in an error, every
error with a typed ``extensions.code``, and the service answers the next request.
``OMNID_FUZZ_EXAMPLES`` sets the examples per strategy (default 60).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, nodes

from tests.api.conftest import ADMIN_KEY, Api

SCHEMA = (Path(__file__).resolve().parents[2] / "graphql" / "schema.graphql").read_text()
EXAMPLES = int(os.environ.get("OMNID_FUZZ_EXAMPLES", "60"))
SCALARS = {
    "DateTime": st.datetimes().map(lambda d: nodes.String(d.isoformat() + "Z")),
    "JSON": st.text(max_size=50).map(nodes.String),
}
HOSTILE = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=50),
    st.sampled_from(
        [
            "' OR 1=1 //",
            "x}) DETACH DELETE n //",
            "$value MATCH (n) RETURN n",
            "\x00\x01\x1b[31m",
            "\ud7ff\ufeff\u202e",
            "a" * 100_000,
            "ana@example.org" + "\n" * 1000,
        ]
    ),
)
NUMBERS = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),  # JSON has no NaN nor infinity
    st.sampled_from([2**31, -(2**31) - 1, 2**53 + 1, 1e308, -0.0]),
)


def _check(client: httpx.Client, body: dict[str, Any], sent: list[str]) -> None:
    response = client.post("/graphql", json=body)
    assert response.status_code != 500, response.text[:500]
    assert "Traceback" not in response.text
    if response.status_code != 200:
        return  # strawberry's own refusals of a malformed request (400), no GraphQL run
    for error in response.json().get("errors") or []:
        assert (error.get("extensions") or {}).get("code"), error
        message = error["message"]
        for value in sent:
            if len(value) >= 8 and value.strip():
                assert value not in message, (value[:20], message[:200])


def _fuzz(url: str) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        fuzz = hsettings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )

        @fuzz
        @given(
            query=from_schema(SCHEMA, custom_scalars=SCALARS, mode=Mode.POSITIVE)
            | from_schema(SCHEMA, custom_scalars=SCALARS, mode=Mode.NEGATIVE)
        )
        def operations(query: str) -> None:
            _check(client, {"query": query}, [])

        @fuzz
        @given(value=HOSTILE, kind=st.sampled_from(["EMAIL", "PHONE", "ADDRESS", "DEVICE"]))
        def lookups(value: str, kind: str) -> None:
            query = (
                "query($t: IdentifierType!, $v: String!) "
                "{ person(identifier: {type: $t, value: $v}) { id identifiers { value } } }"
            )
            _check(client, {"query": query, "variables": {"t": kind, "v": value}}, [value])

        @fuzz
        @given(value=HOSTILE, source=HOSTILE, first=NUMBERS, at=HOSTILE)
        def writes(value: str, source: str, first: Any, at: str) -> None:
            item = {
                "source": source,
                "id": value[:100],
                "channel": "WEB",
                "type": "page_view",
                "at": at,
                "identifiers": [{"type": "EMAIL", "value": value}],
                "attributes": {"n": first, "nested": [[[[value[:10]]]]]},
            }
            mutation = (
                "mutation($i: [EventInput!]!) "
                "{ recordEvents(items: $i) { status error { code message } } }"
            )
            _check(client, {"query": mutation, "variables": {"i": [item]}}, [value, source])
            page = (
                'query($n: Int!) { person(identifier: {type: EMAIL, value: "a@b.org"}) '
                "{ journey(first: $n) { pageInfo { hasNextPage } } } }"
            )
            _check(client, {"query": page, "variables": {"n": first}}, [])

        @fuzz
        @given(depth=st.integers(1, 200), aliases=st.integers(0, 300))
        def shapes(depth: int, aliases: int) -> None:
            deep = "{ __schema { types { " + "ofType { " * depth + "name" + " }" * depth + " } } }"
            _check(client, {"query": deep}, [])
            many = "{ " + " ".join(f"a{i}: __typename" for i in range(aliases)) + " }"
            _check(client, {"query": many}, [])

        for run in (operations, lookups, writes, shapes):
            run()
            # the service is still up and answers a plain request
            assert client.get("/healthz").json() == {"status": "ok"}


async def test_fuzzed_operations_never_crash_or_leak(api: Api) -> None:
    await asyncio.to_thread(_fuzz, api.url)
    body = await api.gql("{ __typename }")
    assert body == {"data": {"__typename": "Query"}}
