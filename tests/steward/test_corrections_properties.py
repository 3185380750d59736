"""Order independence with operator overrides in place (issue 29), against Neo4j.

The same random items (``tests.test_resolution_properties.item_sets``: overlapping
pools, hot values the shared rules catch, blocked values) are loaded twice: once whole,
then overridden, then re-sent (a re-import); once shuffled, in other batches, each
override set as soon as its value exists. Both graphs must hold the partition an
independent networkx recomputation gives with the overrides applied.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import networkx as nx
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from service.identity.identifiers import normalize
from service.identity.ingest import Ingestor
from service.steward import corrections as c
from service.store.graph import Graph
from tests.partition import Partition, describe, reference, snapshot
from tests.test_resolution_properties import EXAMPLE_SETTINGS, chunks, fresh, item_sets, send

Item = dict[str, Any]


def _values(items: Sequence[Item]) -> dict[str, Any]:
    """Each non-blocked identifier the items carry, normalized, by key."""
    found = {}
    for item in items:
        for entry in item["identifiers"]:
            ident = normalize(entry["type"], entry["value"], region=item.get("country"))
            if ident.blocked is None:
                found[ident.key] = ident
    return found


def expected(items: Sequence[Item], overrides: dict[str, str]) -> tuple[Partition, frozenset[str]]:
    """Connected components with the overrides applied over the rules."""
    ref = reference(items)
    linking = {k for k in ref.linking if overrides.get(k) != "shared"}
    linking |= {k for k, mode in overrides.items() if mode == "linking"}
    g: nx.Graph = nx.Graph()
    for key, keys in ref.items.items():
        g.add_node(key)
        for x in keys & linking:
            g.add_edge(key, x)
    return frozenset(frozenset(p) for p in nx.connected_components(g)), frozenset(linking)


async def _override(ingestor: Ingestor, ident: Any, mode: str) -> None:
    await c.set_override(ingestor, ident, mode, reason="property test", by="key-test")


@hsettings(EXAMPLE_SETTINGS, max_examples=10)
@given(
    items=item_sets(min_items=2, max_items=80),
    picks=st.lists(
        st.tuples(st.integers(0, 10_000), st.sampled_from(["shared", "linking"])),
        min_size=1,
        max_size=4,
    ),
    rnd=st.randoms(use_true_random=False),
    size=st.sampled_from([1, 5, 20]),
)
async def test_order_independence_with_overrides(
    graph: Graph, items: list[Item], picks: list[tuple[int, str]], rnd: random.Random, size: int
):
    values = _values(items)
    if not values:
        return
    keys = sorted(values)
    overrides = {keys[i % len(keys)]: mode for i, mode in picks}
    want, linking = expected(items, overrides)

    # 1. everything, then the overrides, then everything again (a re-import).
    ingestor = await fresh(graph)
    await send(ingestor, items, len(items))
    for key, mode in sorted(overrides.items()):
        await _override(ingestor, values[key], mode)
    await send(ingestor, items, max(size, len(items) // 10))
    one = await snapshot(graph)
    assert one.partition == want, describe(one.partition, want)
    assert one.linking == linking

    # 2. shuffled, in batches; each override as soon as its value is in the graph.
    shuffled = list(items)
    rnd.shuffle(shuffled)
    ingestor = await fresh(graph)
    pending = dict(overrides)
    for batch in chunks(shuffled, max(size, len(items) // 10)):
        await send(ingestor, batch, len(batch))
        present = set(_values(batch))
        for key in sorted(k for k in pending if k in present):
            await _override(ingestor, values[key], pending.pop(key))
    two = await snapshot(graph)
    assert two.partition == want, describe(two.partition, want)
    assert two.linking == linking
    assert set(two.shared) == set(
        one.shared
    )  # reasons may quote older counts, as without overrides
