"""What a load must leave in the graph whatever its transactions: the partition of the
items into persons and every identifier's flags, as digests two phases can compare.

Person ids, aliases (persons merged away) and how many persons were created along the
way depend on which items met in which transaction: they are not part of it.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from service.store.graph import Graph

__all__ = ["Outcome", "outcome"]


@dataclass(frozen=True)
class Outcome:
    """Counts and digests that must be equal after the same items."""

    items: int
    persons: int
    unplaced: int  # items without a person (none expected)
    partition: str  # digest of the item keys grouped by person, ids aside
    identifiers: int
    shared: int
    blocked: int
    flags: str  # digest of every identifier key with its linking, shared, blocked flags

    def differences(self, other: Outcome) -> list[str]:
        """What differs from ``other``, as "what: ours against theirs"."""
        return [
            f"{name}: {mine} against {theirs}"
            for name, mine, theirs in (
                (name, getattr(self, name), getattr(other, name))
                for name in self.__dataclass_fields__
            )
            if mine != theirs
        ]


async def outcome(graph: Graph) -> Outcome:
    """Read the partition and the identifier flags (one row per item, per identifier:
    about 20 s for a 1,000,000-item graph)."""
    members: dict[str | None, list[str]] = defaultdict(list)
    for row in await graph.query("item-partition"):
        members[row["person"]].append(row["key"])
    unplaced = members.pop(None, [])
    groups = sorted("\t".join(sorted(keys)) for keys in members.values())
    flags = await graph.query("bench-identifier-flags")
    return Outcome(
        items=sum(len(keys) for keys in members.values()) + len(unplaced),
        persons=len(members),
        unplaced=len(unplaced),
        partition=_digest([*groups, "unplaced", *sorted(unplaced)]),
        identifiers=len(flags),
        shared=sum(1 for row in flags if row["shared"]),
        blocked=sum(1 for row in flags if row["blocked"]),
        flags=_digest(
            sorted(f"{r['key']}\t{r['linking']}\t{r['shared']}\t{r['blocked']}" for r in flags)
        ),
    )


def _digest(lines: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()[:16]
