"""Connected components of keys: the one union-find, and the cut of items into groups.

Resolution finds persons as components of items and linking identifiers; the ingest
pipeline cuts a window of items into transactions that share no component; the quality
metric (``devtools/quality.py``) computes reference partitions. All three use these::

    >>> uf = UnionFind[str]()
    >>> uf.union("b", "c"); uf.union("a", "c"); uf.add("z")
    >>> dict(uf.groups())
    {'a': ['b', 'c', 'a'], 'z': ['z']}
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Generic, TypeVar

from service.identity.contract import Item

__all__ = ["UnionFind", "carried_together", "cut"]

#: Keys of a union-find: identifier and item keys, or (kind, key) pairs.
K = TypeVar("K", str, tuple[str, str])


class UnionFind(Generic[K]):
    """Connected components of keys, with a deterministic root (the smallest key), so
    group iteration order is stable between runs."""

    def __init__(self, parent: dict[K, K] | None = None) -> None:
        self.parent: dict[K, K] = dict(parent or {})

    def copy(self) -> UnionFind[K]:
        return UnionFind(self.parent)

    def add(self, x: K) -> None:
        self.parent.setdefault(x, x)

    def find(self, x: K) -> K:
        self.add(x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: K, b: K) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra

    def groups(self) -> dict[K, list[K]]:
        out: dict[K, list[K]] = defaultdict(list)
        for x in self.parent:
            out[self.find(x)].append(x)
        return out


def carried_together(items: list[Item]) -> UnionFind[str]:
    """Item and identifier keys in connected components (items joined by the
    identifiers they carry), every path compressed: the ingest pipeline runs this in
    its reading thread, so the cut on the event loop only follows one step per key."""
    components = UnionFind[str]()
    for item in items:
        components.add(item.key)
        for ident in item.identifiers:
            components.union(item.key, ident.key)
    for key in list(components.parent):
        components.find(key)
    return components


def cut(
    items: list[Item],
    roots: UnionFind[str],
    parts: int,
    links: Iterable[tuple[str, str]] = (),
) -> list[list[Item]]:
    """``items`` in at most ``parts`` groups of about equal size that share no component
    (``roots``, see :func:`carried_together`) and nothing ``links`` joins to their keys:
    whole components, largest first into the smallest group (by items and identifiers
    carried). Items keep their input order within a group."""
    if parts <= 1 or len(items) <= 1:
        return [items]
    components = roots.copy()
    for key, other in links:
        components.union(key, other)
    members: dict[str, list[int]] = defaultdict(list)
    weight: dict[str, int] = defaultdict(int)
    for position, item in enumerate(items):
        root = components.find(item.key)
        members[root].append(position)
        # A transaction's work grows with the items and the identifiers they carry.
        weight[root] += 1 + len(item.identifiers)
    sizes = [0] * parts
    chosen: list[list[int]] = [[] for _ in range(parts)]
    for root in sorted(members, key=lambda r: (-weight[r], members[r][0])):
        smallest = sizes.index(min(sizes))
        chosen[smallest] += members[root]
        sizes[smallest] += weight[root]
    return [[items[p] for p in sorted(group)] for group in chosen if group]
