"""The values that bridge two members of a person: a minimum vertex cut, no I/O.

A person is a connected component of items (records, events) and the linking
identifiers they carry. Parting two of its members means that some identifiers must
stop linking; the fewest that do are a minimum vertex cut between them, where only
identifiers can be cut (an item is evidence as a whole: a record is corrected at its
source, not here). Max-flow (Edmonds-Karp) over the graph with every identifier split
in two, joined by an edge of capacity 1; persons are small (tens of members, a guard
value for the largest), so a few breadth-first searches suffice and the product needs
no graph library::

    >>> bridges({"r1": ["EMAIL:a", "PHONE:1"], "r2": ["PHONE:1", "EMAIL:b"]}, "r1", "r2")
    ['PHONE:1']
    >>> bridges({"r1": ["EMAIL:a"]}, "r1", "EMAIL:a") is None   # adjacent: no cut
    True
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Mapping, Sequence

__all__ = ["bridges"]

_INF = 1 << 30
Node = tuple[str, bool]  # (member key, out-half)


def _network(items: Mapping[str, Sequence[str]], ends: set[str]) -> dict[Node, dict[Node, int]]:
    """The flow network: each member split into in- and out-halves; an identifier's
    halves joined by capacity 1 (cuttable), an item's and the two ends' by infinity."""
    cap: dict[Node, dict[Node, int]] = defaultdict(dict)
    members = set(items) | {k for links in items.values() for k in links}
    for m in members:
        cap[(m, False)][(m, True)] = _INF if m in items or m in ends else 1
        cap[(m, True)].setdefault((m, False), 0)
    for item, links in items.items():
        for ident in links:
            for u, v in ((item, ident), (ident, item)):
                cap[(u, True)][(v, False)] = _INF
                cap[(v, False)].setdefault((u, True), 0)
    return cap


def _augmenting_path(
    cap: dict[Node, dict[Node, int]], source: Node, sink: Node
) -> dict[Node, Node] | None:
    parent: dict[Node, Node] = {source: source}
    queue = deque([source])
    while queue:
        u = queue.popleft()
        for v, c in sorted(cap[u].items()):
            if c > 0 and v not in parent:
                parent[v] = u
                if v == sink:
                    return parent
                queue.append(v)
    return None


def bridges(items: Mapping[str, Sequence[str]], a: str, b: str) -> list[str] | None:
    """The fewest identifiers whose cutting parts ``a`` from ``b`` (item or identifier
    keys), sorted; ``[]`` when they are not connected; None when no cut of identifiers
    can part them (one carries the other, or they are the same member)."""
    if a == b:
        return None
    cap = _network(items, {a, b})
    if (a, False) not in cap or (b, False) not in cap:
        return []
    source, sink = (a, True), (b, False)
    while (parent := _augmenting_path(cap, source, sink)) is not None:
        step, v = _INF, sink
        while v != source:
            step = min(step, cap[parent[v]][v])
            v = parent[v]
        if step >= _INF:
            return None
        v = sink
        while v != source:
            u = parent[v]
            cap[u][v] -= step
            cap[v][u] += step
            v = u
    reached = _reachable(cap, source)
    return sorted(m for (m, out) in reached if not out and (m, True) not in reached)


def _reachable(cap: dict[Node, dict[Node, int]], source: Node) -> set[Node]:
    seen = {source}
    queue = deque([source])
    while queue:
        u = queue.popleft()
        for v, c in cap[u].items():
            if c > 0 and v not in seen:
                seen.add(v)
                queue.append(v)
    return seen
