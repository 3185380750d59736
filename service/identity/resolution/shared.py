"""Phase 2 of resolution: re-evaluate the shared-identifier rules.

Only identifiers whose co-occurrences this batch changed are counted again (values the
changed items carry, values a record dropped); those whose status flips are marked, and
come back as :class:`Statuses`: what became linking, what stopped. Statements:
``cypher/resolution-shared.cypher``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.identity.resolution.items import Written
from service.identity.resolution.policy import ResolutionPolicy
from service.store.graph import Tx

__all__ = ["Statuses", "reevaluate_shared"]


@dataclass(frozen=True, slots=True)
class Statuses:
    """Identifiers' linking status once the shared rules have been applied."""

    #: The batch's identifiers and those re-evaluated: whether each links now.
    linking: dict[str, bool]
    #: Identifiers that start linking again (no longer shared).
    became_linking: set[str]
    #: Identifiers that stop linking (found shared): they leave their person.
    became_nonlinking: set[str]


def _candidates(written: Written, policy: ResolutionPolicy) -> set[str]:
    """Identifiers whose co-occurrences may have changed enough to flip their status."""
    candidates: set[str] = set()
    for item in written.changed:
        lost = written.removed.get(item.key, [])
        countable = [i for i in item.identifiers if i.blocked is None]
        if lost:
            # Blocked values never link and are never counted: nothing to re-evaluate.
            candidates |= {i.key for i in countable}
            candidates |= {o.key for o in lost if o.blocked is None}
        elif len(countable) >= 2:
            # Only additions: a value already shared stays shared (counts only grow), and
            # a value's rules only count the types they name, so an item that adds no
            # value of those types (an email seen with an address) cannot change it.
            for i in countable:
                watched = policy.shared_rules.get(i.type, {})
                if i.key not in written.shared and any(
                    o.type in watched for o in countable if o.key != i.key
                ):
                    candidates.add(i.key)
    return {
        k
        for k in candidates - written.deleted
        if k.split(":", 1)[0] in policy.shared_rules and k.split(":", 1)[0] in policy.linking_types
    }


async def _cooccurrence(
    tx: Tx, keys: set[str], written: Written, policy: ResolutionPolicy
) -> list[dict[str, Any]]:
    """What the ``cooccurrence`` statement returns for ``keys``, less the identifiers
    this transaction created that stay linking.

    An identifier this transaction created is carried only by this batch's changed
    items (no other item could carry it: creating its key takes the unique-constraint
    lock, and an existing event re-sent with it gets no relationship), so its counts
    come from the batch alone; in a bulk load of new customers that is most of them,
    and nearly all stay linking: nothing to write for them, so no row.
    """
    # Keys a record dropped are not among the batch's identifiers: they existed before.
    created = keys & written.created
    identifiers = written.identifiers
    seen: dict[str, dict[str, set[str]]] = {}
    for item in written.changed:
        for ident in item.identifiers:
            if ident.key in created:
                watched = policy.shared_rules[ident.type]
                counts = seen.setdefault(ident.key, defaultdict(set))
                for other in item.identifiers:
                    if other.type in watched and other.key != ident.key and other.blocked is None:
                        counts[other.type].add(other.key)
    rows = [
        {
            "key": key,
            "type": identifiers[key].type,
            "linking": written.linking[key],
            "shared": False,
            "reason": None,
            "blocked": identifiers[key].blocked,
            "override": written.overrides.get(key),
            "counts": [{"type": t, "n": len(values)} for t, values in counts.items()],
        }
        for key, counts in sorted(seen.items())
        if policy.shared_reason(
            identifiers[key].type, {t: len(values) for t, values in counts.items()}
        )
    ]
    counted = keys - created
    if counted:
        # The identifiers this transaction merged go by element id, the others by key.
        ids = sorted(written.node_id[k] for k in counted if k in written.node_id)
        others = sorted(k for k in counted if k not in written.node_id)
        rows += await tx.run("cooccurrence", ids=ids, keys=others)
    return rows


async def reevaluate_shared(
    tx: Tx, written: Written, policy: ResolutionPolicy, now: datetime
) -> Statuses:
    """Phase 2: apply the shared rules to the identifiers whose co-occurrences changed."""
    statuses = Statuses(dict(written.linking), set(), set())
    candidates = _candidates(written, policy)
    if not candidates:
        return statuses
    changes = []
    counted = await _cooccurrence(tx, candidates, written, policy)
    # In key order: set-identifier-status locks identifiers in the order every writer uses.
    for row in sorted(counted, key=lambda r: str(r["key"])):
        counts = {c["type"]: c["n"] for c in row["counts"] if c["type"] is not None}
        reason = policy.shared_reason(row["type"], counts)
        # The node's own mark: a candidate need not be among this batch's identifiers
        # (a value a record dropped), so the batch alone cannot tell it is blocked.
        is_blocked = row["blocked"] is not None or (
            row["key"] in written.identifiers
            and written.identifiers[row["key"]].blocked is not None
        )
        now_linking = policy.links(row["type"], reason, is_blocked, row["override"])
        if now_linking:
            reason = None  # linking by an operator's override: not shared, whatever the count
        # A value that stays shared after losing evidence gets today's count: its old
        # reason could claim more values than the graph still holds.
        if (
            bool(row["shared"]) != (reason is not None)
            or bool(row["linking"]) != now_linking
            or row["reason"] != reason
        ):
            changes.append(
                {
                    "key": row["key"],
                    "shared": reason is not None,
                    "reason": reason,
                    "linking": now_linking,
                }
            )
            if row["linking"] and not now_linking:
                statuses.became_nonlinking.add(row["key"])
            elif now_linking and not row["linking"]:
                statuses.became_linking.add(row["key"])
        statuses.linking[row["key"]] = now_linking
    if changes:
        await tx.run("set-identifier-status", rows=changes, now=now)
    return statuses
