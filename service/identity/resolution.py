"""Identity resolution, maintained at write time.

A person is a connected component of the bipartite graph of items (records and events)
and *linking* identifiers, an edge wherever an item carries an identifier. Identifiers
that do not link (ADDRESS by default, blocked values, values found to be shared by many
customers) are attached to the items that carry them, and so to every person seen with
them, but never join two persons.

Every batch runs in one transaction (``resolve_batch_tx``):

1. upsert identifier nodes, records (replacing their identifier set) and new events;
2. re-evaluate the shared-identifier rules for identifiers whose co-occurrences changed;
3. lock the persons involved, union-find the affected part of the graph and write back.

Only persons that can *split* (a record lost a linking identifier, an identifier stopped
linking) are expanded member by member; every other person moves as one block, so the
common case (a new event, a new record, a merge) never walks a whole component.

Ids: the part with most members of an old person keeps its id (a merge keeps the largest
person's id, the others become aliases); smaller parts of a split get new ids and
remember where they came from.

Concurrency: identifiers, items and then the persons the batch merges or splits are
locked in sorted order inside the transaction; a change to any ``OF`` relationship locks
both ends, so what we read after taking a lock cannot change under us (a person found
through a locked member keeps that member, and so exists, until we commit). Deadlocks
between writers surface as transient errors and the whole batch is retried by the driver.
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from service.errors import ResolutionConflict
from service.identity.contract import Item
from service.identity.identifiers import Identifier
from service.identity.partition import UnionFind
from service.settings import DEFAULT_SHARED_RULES, Settings
from service.store.graph import Tx

__all__ = ["BatchOutcome", "ResolutionPolicy", "label_for", "resolve_batch_tx"]


@functools.cache
def label_for(identifier_type: str) -> str:
    """The Neo4j label of an identifier type: ``LOYALTY_CARD`` -> ``LoyaltyCard``."""
    return "".join(part.capitalize() for part in identifier_type.split("_"))


@dataclass(frozen=True, slots=True)
class ResolutionPolicy:
    """Which identifier types link, and when a value counts as shared."""

    linking_types: frozenset[str] = frozenset(
        {"EMAIL", "PHONE", "LOYALTY_CARD", "DEVICE", "CUSTOMER_ID", "PAYMENT_TOKEN"}
    )
    #: type -> {co-occurring type: the most distinct values allowed before "shared"}
    shared_rules: Mapping[str, Mapping[str, int]] = field(
        default_factory=lambda: DEFAULT_SHARED_RULES
    )

    @classmethod
    def from_settings(cls, settings: Settings) -> ResolutionPolicy:
        return cls(
            linking_types=frozenset(t.upper() for t in settings.linking_types),
            shared_rules={
                t.upper(): {o.upper(): n for o, n in limits.items()}
                for t, limits in settings.shared_rules.items()
            },
        )

    def type_links(self, identifier: Identifier) -> bool:
        """Whether the identifier links on its own, before the shared rules."""
        return identifier.type in self.linking_types and identifier.blocked is None

    def shared_reason(self, identifier_type: str, counts: Mapping[str, int]) -> str | None:
        """Why a value with these co-occurrence counts is shared, or None.

        >>> ResolutionPolicy().shared_reason("PHONE", {"EMAIL": 7})
        'seen with 7 distinct EMAIL values (limit 4)'
        """
        for other, limit in sorted(self.shared_rules.get(identifier_type, {}).items()):
            seen = counts.get(other, 0)
            if seen > limit:
                return f"seen with {seen} distinct {other} values (limit {limit})"
        return None


@dataclass(slots=True)
class BatchOutcome:
    """What one batch did: the person of each item and the resolution events."""

    persons: dict[str, str] = field(default_factory=dict)  # item key -> person id
    unchanged: set[str] = field(default_factory=set)  # events already stored
    created: int = 0
    merged: int = 0
    split: int = 0
    shared: list[str] = field(default_factory=list)  # identifier keys newly shared
    unshared: list[str] = field(default_factory=list)
    absorbed: dict[str, str] = field(default_factory=dict)  # merged person id -> its new id


def _item_row(item: Item) -> dict[str, Any]:
    """What lock-records and create-events both write of a record or an event."""
    return {
        "key": item.key,
        "source": item.source,
        "id": item.id,
        "attributes": item.attributes_json,
        "country": item.country,
    }


async def _cooccurrence(
    tx: Tx,
    keys: set[str],
    changed: Sequence[Item],
    identifiers: Mapping[str, Identifier],
    status: Mapping[str, Mapping[str, Any]],
    policy: ResolutionPolicy,
    node_id: Mapping[str, str],
) -> list[dict[str, Any]]:
    """What the ``cooccurrence`` statement returns for ``keys``, less the identifiers
    this transaction created that stay linking. ``node_id``: the element ids of the
    identifiers this transaction merged (the others are sought by key).

    An identifier this transaction created is carried only by this batch's changed
    items (no other item could carry it: creating its key takes the unique-constraint
    lock, and an existing event re-sent with it gets no relationship), so its counts
    come from the batch alone; in a bulk load of new customers that is most of them,
    and nearly all stay linking: nothing to write for them, so no row.
    """
    # Keys a record dropped are not among the batch's identifiers: they existed before.
    created = {k for k in keys if k in status and status[k]["created"]}
    seen: dict[str, dict[str, set[str]]] = {}
    for item in changed:
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
            "linking": status[key]["linking"],
            "shared": False,
            "reason": None,
            "blocked": identifiers[key].blocked,
            "counts": [{"type": t, "n": len(values)} for t, values in counts.items()],
        }
        for key, counts in sorted(seen.items())
        if policy.shared_reason(
            identifiers[key].type, {t: len(values) for t, values in counts.items()}
        )
    ]
    counted = keys - created
    if counted:
        ids = sorted(node_id[k] for k in counted if k in node_id)
        others = sorted(k for k in counted if k not in node_id)
        rows += await tx.run("cooccurrence", ids=ids, keys=others)
    return rows


_UNLOCKED: dict[str, Any] = {"size": 0, "createdAt": ""}


async def _lock_persons(tx: Tx, ids: set[str]) -> dict[str, dict[str, Any]]:
    """Write-lock persons in id order; their size (members) and age, by id."""
    lock = await tx.run("lock-persons", ids=sorted(ids))
    locked = {
        pid: {"size": size, "createdAt": created_at}
        for pid, size, created_at in zip(lock["ids"], lock["sizes"], lock["createdAt"], strict=True)
    }
    if set(locked) != ids:
        # A person vanished between reading an OF edge and locking it: retry the batch.
        raise ResolutionConflict("a person changed while this batch was resolving")
    return locked


async def resolve_batch_tx(
    tx: Tx, items: Sequence[Item], policy: ResolutionPolicy, now: datetime
) -> BatchOutcome:
    """Write one batch of parsed items and keep every person a connected component.

    ``items`` must have distinct keys (``ingest`` deduplicates). Safe to re-run: the
    driver retries this function as a whole on transient errors.
    """
    outcome = BatchOutcome()
    records = sorted((i for i in items if i.kind == "record"), key=lambda i: i.key)
    events = sorted((i for i in items if i.kind == "event"), key=lambda i: i.key)

    # 1. Identifiers, then records and events.
    identifiers: dict[str, Identifier] = {}
    for item in items:
        for ident in item.identifiers:
            identifiers.setdefault(ident.key, ident)
    rows = [
        {
            "key": key,
            "type": ident.type,
            "value": ident.value,
            "label": label_for(ident.type),
            "display": ident.display,
            "blocked": ident.blocked,
            "linking": policy.type_links(ident),
        }
        for key, ident in sorted(identifiers.items())
    ]
    merged = await tx.run("merge-identifiers", rows=rows, now=now)
    status: dict[str, dict[str, Any]] = {
        key: {"linking": linking, "shared": shared, "person": person or None, "created": created}
        for key, linking, shared, person, created in zip(
            merged["keys"],
            merged["linking"],
            merged["shared"],
            merged["persons"],
            merged["created"],
            strict=True,
        )
    }
    # Element ids of the nodes this transaction wrote (and so holds locked): the later
    # statements find them by id instead of seeking the key index again.
    node_id: dict[str, str] = dict(zip(merged["keys"], merged["ids"], strict=True))

    old_person: dict[str, str | None] = {}
    removed: dict[str, list[dict[str, Any]]] = {}
    added: dict[str, set[str]] = {}
    if records:
        record_rows = [_item_row(r) for r in records]
        locked_records = await tx.run("lock-records", rows=record_rows, now=now)
        by_key = {r.key: r for r in records}
        relink: list[dict[str, Any]] = []
        node_id.update(zip(locked_records["keys"], locked_records["ids"], strict=True))
        for key, person, old in zip(
            locked_records["keys"], locked_records["persons"], locked_records["old"], strict=True
        ):
            record = by_key[key]
            old_person[key] = person or None
            old_keys = {o[0] for o in old}
            new_keys = {i.key for i in record.identifiers}
            removed[key] = [
                {"key": k, "linking": linking, "blocked": blocked}
                for k, linking, blocked in old
                if k not in new_keys
            ]
            added[key] = new_keys - old_keys
            if removed[key] or added[key]:
                relink.append(
                    {
                        "id": node_id[key],
                        "source": record.source,
                        "remove": sorted(o["key"] for o in removed[key]),
                        "add": [node_id[k] for k in sorted(added[key])],
                    }
                )
        if relink:
            await tx.run("relink-records", rows=relink, now=now)

    new_events: set[str] = set()
    if events:
        event_rows = [
            _item_row(e)
            | {
                "channel": e.channel,
                "type": e.type,
                "at": e.at.isoformat() if e.at else None,
                "ids": [node_id[i.key] for i in e.identifiers],
            }
            for e in events
        ]
        created = await tx.run("create-events", rows=event_rows, now=now)
        new_events = set(created["keys"])
        node_id.update(zip(created["keys"], created["ids"], strict=True))
    outcome.unchanged = {e.key for e in events} - new_events

    changed: list[Item] = [
        r for r in records if removed[r.key] or added[r.key] or old_person[r.key] is None
    ]
    changed += [e for e in events if e.key in new_events]
    carried = {i.key for item in changed for i in item.identifiers}
    carried |= {i.key for r in records for i in r.identifiers}

    # Identifiers nothing carries any more (removed from a record, or sent only with an
    # event that already existed) are deleted, as if they had never been seen.
    orphan_candidates = {o["key"] for lst in removed.values() for o in lst}
    orphan_candidates |= set(identifiers) - carried
    deleted: set[str] = set()
    if orphan_candidates:
        deleted = set(await tx.run("delete-orphan-identifiers", keys=sorted(orphan_candidates)))

    # 2. Shared-identifier rules, on the identifiers whose co-occurrences changed.
    linking: dict[str, bool] = {k: bool(v["linking"]) for k, v in status.items()}
    candidates: set[str] = set()
    for item in changed:
        lost = removed.get(item.key, [])
        countable = [i for i in item.identifiers if i.blocked is None]
        if lost:
            # Blocked values never link and are never counted: nothing to re-evaluate.
            candidates |= {i.key for i in countable}
            candidates |= {o["key"] for o in lost if o.get("blocked") is None}
        elif len(countable) >= 2:
            # Only additions: a value already shared stays shared (counts only grow), and
            # a value's rules only count the types they name, so an item that adds no
            # value of those types (an email seen with an address) cannot change it.
            for i in countable:
                watched = policy.shared_rules.get(i.type, {})
                if not status[i.key]["shared"] and any(
                    o.type in watched for o in countable if o.key != i.key
                ):
                    candidates.add(i.key)
    candidates = {
        k
        for k in candidates - deleted
        if k.split(":", 1)[0] in policy.shared_rules and k.split(":", 1)[0] in policy.linking_types
    }
    became_nonlinking: set[str] = set()
    became_linking: set[str] = set()
    if candidates:
        changes = []
        counted = await _cooccurrence(tx, candidates, changed, identifiers, status, policy, node_id)
        # In key order: set-identifier-status locks identifiers in the order every
        # writer uses.
        for row in sorted(counted, key=lambda r: str(r["key"])):
            counts = {c["type"]: c["n"] for c in row["counts"] if c["type"] is not None}
            reason = policy.shared_reason(row["type"], counts)
            # The node's own mark: a candidate need not be among this batch's identifiers
            # (a value a record dropped), so the batch alone cannot tell it is blocked.
            is_blocked = row["blocked"] is not None or (
                row["key"] in identifiers and identifiers[row["key"]].blocked is not None
            )
            now_linking = row["type"] in policy.linking_types and reason is None and not is_blocked
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
                    became_nonlinking.add(row["key"])
                    outcome.shared.append(row["key"])
                elif now_linking and not row["linking"]:
                    became_linking.add(row["key"])
                    outcome.unshared.append(row["key"])
            linking[row["key"]] = now_linking
        if changes:
            await tx.run("set-identifier-status", rows=changes, now=now)

    # 3. Persons: which ones are involved, which may split, then union-find.
    person_of: dict[str, str | None] = {k: v["person"] for k, v in status.items()}
    person_of.update(old_person)
    splitting: set[str] = set()
    for key, lost in removed.items():
        if any(o["linking"] for o in lost) and old_person[key]:
            splitting.add(old_person[key])  # type: ignore[arg-type]
    for key in became_nonlinking:
        if person_of.get(key):
            splitting.add(person_of[key])  # type: ignore[arg-type]

    relinked_items: list[dict[str, Any]] = []
    if became_linking:
        relinked_items = await tx.run("items-of-identifiers", keys=sorted(became_linking))
        for row in relinked_items:
            person_of[row["item"]] = row["person"]

    involved = {p for p in person_of.values() if p} | splitting
    # Persons are locked (and their size and age read) only where this batch decides
    # something about them: those that may split, and those that meet another person.
    # A person joined only by new members keeps its id whatever its size, and cannot
    # change meanwhile: this transaction holds the lock of the member it was found by,
    # and moving a member to another person, or deleting the person, needs that lock.
    locked: dict[str, dict[str, Any]] = {}
    members: list[dict[str, Any]] = []
    if splitting:
        locked = await _lock_persons(tx, splitting)
        members = await tx.run("person-members", ids=sorted(splitting))

    uf = UnionFind[tuple[str, str]]()
    owner: dict[tuple[str, str], str] = {}  # element -> person it belonged to
    weight: dict[tuple[str, str], int] = {}
    is_item: dict[str, bool] = {}

    def elem(key: str) -> tuple[str, str]:
        person = person_of.get(key)
        if person and person not in splitting:
            return ("p", person)
        return ("n", key)

    for pid in involved - splitting:
        e = ("p", pid)
        uf.add(e)
        owner[e] = pid
        weight[e] = 0  # its size, read below if it meets another person
    for m in members:
        if not m["item"] and not linking.get(m["key"], True):
            continue
        if m["key"] in became_nonlinking or m["key"] in deleted:
            continue
        e = ("n", m["key"])
        uf.add(e)
        owner[e] = m["person"]
        weight[e] = 1
        is_item[m["key"]] = bool(m["item"])
        for x in m["links"]:
            if x not in deleted:
                uf.union(e, elem(x))
                is_item.setdefault(x, False)
    for item in changed:
        e = elem(item.key)
        uf.add(e)
        is_item[item.key] = True
        for ident in item.identifiers:
            if linking.get(ident.key) and ident.key not in deleted:
                uf.union(e, elem(ident.key))
                is_item.setdefault(ident.key, False)
    for row in relinked_items:
        uf.union(elem(row["identifier"]), elem(row["item"]))
        is_item.setdefault(row["identifier"], False)
        is_item.setdefault(row["item"], True)

    groups = uf.groups()
    meeting: set[str] = set()
    for elems in groups.values():
        owners = {owner[e] for e in elems if e in owner}
        if len(owners) > 1:
            meeting |= owners
    if meeting - set(locked):
        locked |= await _lock_persons(tx, meeting - set(locked))
        for pid in meeting - splitting:
            weight[("p", pid)] = int(locked[pid]["size"])

    group_weights: dict[tuple[str, str], dict[str, int]] = {}
    for root, elems in groups.items():
        w: dict[str, int] = defaultdict(int)
        for e in elems:
            if e in owner:
                w[owner[e]] += weight[e]
        group_weights[root] = w

    # Most members first; among equals the oldest person, then the smallest id.
    pairs = sorted(
        ((w, pid, root) for root, ws in group_weights.items() for pid, w in ws.items()),
        # A person not locked is alone in its group: its age is never compared.
        key=lambda t: (-t[0], locked.get(t[1], _UNLOCKED)["createdAt"], t[1]),
    )
    assigned: dict[tuple[str, str], str] = {}
    used: set[str] = set()
    for _, pid, root in pairs:
        if root not in assigned and pid not in used:
            assigned[root] = pid
            used.add(pid)

    new_rows: list[dict[str, Any]] = []
    for root in groups:
        if root not in assigned:
            ws = group_weights[root]
            split_from = max(ws, key=lambda p: (ws[p], p)) if ws else None
            pid = str(uuid.uuid4())
            assigned[root] = pid
            new_rows.append({"id": pid, "splitFrom": split_from})
            if split_from:
                outcome.split += 1
            else:
                outcome.created += 1

    absorb: list[dict[str, str]] = []
    orphaned: list[str] = []
    homes_of: dict[str, list[tuple[int, tuple[str, str]]]] = defaultdict(list)
    for root, ws in group_weights.items():
        for pid, held in ws.items():
            homes_of[pid].append((held, root))
    for pid in sorted(involved - used):
        homes = homes_of.get(pid)
        if homes:
            _, root = max(homes)
            absorb.append({"from": pid, "into": assigned[root]})
            outcome.absorbed[pid] = assigned[root]
            outcome.merged += 1
        else:
            orphaned.append(pid)

    # Members with no person yet (new items, new identifiers: most of a batch) get a
    # plain CREATE, grouped by person; only members changing person need the statement
    # that finds and deletes their old OF relationship. Members without a person are
    # nearly always this batch's own items and identifiers, whose element ids are known;
    # the rest (a value the batch did not send that starts linking again) go by key, as
    # movers do.
    assign_rows: list[dict[str, Any]] = []
    attach: dict[str, dict[str, Any]] = {}
    for root, elems in groups.items():
        target = assigned[root]
        for e in elems:
            if e[0] != "n":
                continue
            key = e[1]
            current = owner.get(e) or person_of.get(key)
            if current is None and key in node_id:
                group = attach.setdefault(
                    target, {"person": target, "items": [], "identifiers": []}
                )
                group["items" if is_item.get(key, True) else "identifiers"].append(node_id[key])
            elif current != target:
                assign_rows.append({"key": key, "item": is_item.get(key, True), "person": target})

    if became_nonlinking:
        await tx.run("detach-identifiers", keys=sorted(became_nonlinking))
    if new_rows:
        await tx.run("create-persons", rows=new_rows, now=now)
    if attach:
        await tx.run("attach-to-persons", groups=[attach[pid] for pid in sorted(attach)])
    if assign_rows:
        await tx.run("assign-to-persons", rows=assign_rows)
    if absorb:
        await tx.run("absorb-persons", rows=absorb, now=now)
    if orphaned:
        await tx.run("delete-empty-persons", ids=orphaned)

    for item in changed:
        outcome.persons[item.key] = assigned[uf.find(elem(item.key))]
    if outcome.unchanged:
        found = await tx.run("item-persons", keys=sorted(outcome.unchanged))
        outcome.persons.update(zip(found["keys"], found["persons"], strict=True))
    for r in records:
        if r.key not in outcome.persons:
            outcome.persons[r.key] = assigned[uf.find(elem(r.key))]
    return outcome
