"""An operator's override of values, applied as resolution would apply new evidence.

``override_tx`` marks identifiers 'shared' (never link), 'linking' (link despite the
shared rules and the blocklist) or clears the mark, re-evaluates each value's status
(the override first, then the rules, as :mod:`.shared` does for every batch) and
regroups the persons whose values changed status with phase 3 (:mod:`.regroup`): a value
that stops linking splits its person exactly as a value found shared does, one that
starts linking merges as a value no longer shared does. Statements:
``cypher/resolution-shared.cypher``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.errors import InvalidInput, NotFound
from service.identity.resolution.items import Written
from service.identity.resolution.outcome import BatchOutcome
from service.identity.resolution.policy import ResolutionPolicy
from service.identity.resolution.regroup import regroup, settle
from service.identity.resolution.shared import Statuses
from service.store.graph import Tx

__all__ = ["Override", "override_tx"]


@dataclass(frozen=True, slots=True)
class Override:
    """One value's override: ``mode`` 'shared', 'linking', or None to clear it."""

    key: str
    mode: str | None
    by: str | None = None
    reason: str | None = None
    #: The separation that cut this value (service/steward/corrections.py), if any.
    separation: str | None = None


def _written(person_of: dict[str, str | None], node_id: dict[str, str]) -> Written:
    """Phase 1's answer for a change that writes no item: only the values' persons (and
    their element ids, to check they are still theirs once the persons are locked)."""
    return Written(
        records=[],
        identifiers={},
        linking={},
        shared=set(),
        overrides={},
        created=set(),
        person_of=person_of,
        node_id=node_id,
        removed={},
        changed=[],
        unchanged=set(),
        deleted=set(),
    )


async def override_tx(
    tx: Tx, overrides: Sequence[Override], policy: ResolutionPolicy, now: datetime
) -> BatchOutcome:
    """Apply ``overrides`` (distinct keys) and regroup; raises NotFound for a key that
    is not in the graph (nothing is written: the transaction rolls back)."""
    rows = [
        {
            "key": o.key,
            "override": o.mode,
            "by": o.by,
            "reason": o.reason,
            "separation": o.separation,
        }
        for o in sorted(overrides, key=lambda o: o.key)
    ]
    before = {r["key"]: r for r in await tx.run("override-identifiers", rows=rows, now=now)}
    if len(before) != len(rows):
        raise NotFound("no such identifier in the graph", field="identifier")
    mode = {o.key: o.mode for o in overrides}
    carried = sorted(k for k, r in before.items() if r["carried"])
    # A value nothing carries any more was kept only for its override: cleared, it goes
    # as any orphan does (unless a consent keeps it).
    orphans = sorted(k for k, r in before.items() if not r["carried"] and mode[k] is None)
    if orphans:
        await tx.run("delete-orphan-identifiers", keys=orphans)
    counted = await tx.run("cooccurrence", ids=[], keys=carried) if carried else []
    statuses = Statuses({}, set(), set())
    changes: list[dict[str, Any]] = []
    for row in sorted(counted, key=lambda r: str(r["key"])):
        key = row["key"]
        counts = {c["type"]: c["n"] for c in row["counts"] if c["type"] is not None}
        reason = policy.shared_reason(row["type"], counts)
        if mode[key] == "linking" and row["blocked"] is not None:
            raise InvalidInput(
                "is blocked (a placeholder value): it cannot be forced to link", field="identifier"
            )
        linking = policy.links(row["type"], reason, row["blocked"] is not None, mode[key])
        if linking:
            reason = None  # linking by an operator's override: not shared
        changes.append(
            {"key": key, "shared": reason is not None, "reason": reason, "linking": linking}
        )
        statuses.linking[key] = linking
        if before[key]["linking"] and not linking:
            statuses.became_nonlinking.add(key)
        elif linking and not before[key]["linking"]:
            statuses.became_linking.add(key)
    if changes:
        await tx.run("set-identifier-status", rows=changes, now=now)
    if not statuses.became_linking and not statuses.became_nonlinking:
        return BatchOutcome()
    written = _written(
        {k: before[k]["person"] for k in carried}, {k: before[k]["id"] for k in carried}
    )
    return await settle(tx, await regroup(tx, written, statuses, now), statuses, written)
