"""Phase 3 of resolution: regroup the persons the batch touched, and write them back.

Which persons are involved (those the batch's members belong to, those that may split),
a union-find over the affected part of the graph, person ids for its components
(:mod:`.ids`), then the writes: new persons, members joining or changing person, merged
persons becoming aliases, empty persons deleted. Statements:
``cypher/resolution-persons.cypher``.

Only persons that can *split* (a record lost a linking identifier, an identifier stopped
linking) are expanded member by member; every other person moves as one block (one
union-find element, ``("p", id)``), so the common case (a new event, a new record, a
merge) never walks a whole component. A member read one by one is ``("n", key)``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from service.identity.changes import Mark, mark_changed_tx
from service.identity.partition import UnionFind
from service.identity.resolution.ids import PersonIds, assign_person_ids
from service.identity.resolution.items import Written
from service.identity.resolution.outcome import BatchOutcome
from service.identity.resolution.shared import Statuses
from service.store.graph import ReadChanged, Tx

__all__ = ["Regrouped", "outcome", "regroup"]

#: A union-find element: a whole person ("p", id) or one member ("n", key).
Elem = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Regrouped:
    """The person of every item of the batch, and the ids phase 3 assigned."""

    persons: dict[str, str]
    ids: PersonIds[Elem]
    #: Whether identifiers joined, left or changed person (not only items).
    identifiers_moved: bool = False


@dataclass(slots=True)
class _Involved:
    """The persons a batch decides something about, and what was read of them."""

    #: The person of each member as the batch found it (None: none yet).
    person_of: dict[str, str | None]
    #: Persons that may split: expanded member by member.
    splitting: set[str]
    #: Every person the batch's members belong to, and those that may split.
    persons: set[str] = field(default_factory=set)
    #: Items carrying identifiers that start linking again, with their person.
    relinked: list[dict[str, Any]] = field(default_factory=list)
    #: The members of the splitting persons, with the linking identifiers they carry.
    members: list[dict[str, Any]] = field(default_factory=list)
    #: Locked persons' sizes (members) and ages, by id.
    sizes: dict[str, int] = field(default_factory=dict)
    ages: dict[str, str] = field(default_factory=dict)

    def elem(self, key: str) -> Elem:
        person = self.person_of.get(key)
        if person and person not in self.splitting:
            return ("p", person)
        return ("n", key)

    async def lock(self, tx: Tx, members: dict[str, str]) -> None:
        """Write-lock every involved person in id order, reading their size and age,
        and check that ``members`` (element id -> the person read for it) are still
        theirs: if not, the batch decided on a graph that changed meanwhile and is run
        again (``ReadChanged``)."""
        rows = [{"id": node, "person": person} for node, person in sorted(members.items())]
        lock = await tx.run("lock-persons", ids=sorted(self.persons), members=rows)
        if set(lock["ids"]) != self.persons or lock["moved"]:
            raise ReadChanged("a person changed while this batch was resolving")
        self.sizes.update(zip(lock["ids"], lock["sizes"], strict=True))
        self.ages.update(zip(lock["ids"], lock["createdAt"], strict=True))


@dataclass(slots=True)
class _Parts:
    """The affected part of the graph in union-find."""

    uf: UnionFind[Elem] = field(default_factory=UnionFind[Elem])
    #: The person each element belonged to (elements new to a person have none).
    owner: dict[Elem, str] = field(default_factory=dict)
    #: Members of its old person each element stands for.
    weight: dict[Elem, int] = field(default_factory=dict)
    #: Member keys: item (True) or identifier (False).
    is_item: dict[str, bool] = field(default_factory=dict)


async def _involved(tx: Tx, written: Written, statuses: Statuses) -> _Involved:
    """Which persons are involved, which may split; lock and expand those."""
    inv = _Involved(dict(written.person_of), set())
    for key, lost in written.removed.items():
        person = written.person_of[key]
        if person and any(o.linking for o in lost):
            inv.splitting.add(person)
    for key in statuses.became_nonlinking:
        person = inv.person_of.get(key)
        if person:
            inv.splitting.add(person)
    if statuses.became_linking:
        inv.relinked = await tx.run("items-of-identifiers", keys=sorted(statuses.became_linking))
        for row in inv.relinked:
            inv.person_of[row["item"]] = row["person"]
    inv.persons = {p for p in inv.person_of.values() if p} | inv.splitting
    # Every person involved is locked, even one only joined by new members: Neo4j
    # creates and deletes relationships of a dense node (50 or more) without its lock,
    # so a concurrent split would otherwise read its members without the ones this
    # batch adds, and leave them behind (tests/test_resolution_races.py).
    if inv.persons:
        members = {written.node_id[k]: p for k, p in written.person_of.items() if p}
        members |= {row["id"]: row["person"] for row in inv.relinked if row["person"]}
        await inv.lock(tx, members)
    if inv.splitting:
        inv.members = await tx.run("person-members", ids=sorted(inv.splitting))
    return inv


def _union(written: Written, statuses: Statuses, inv: _Involved) -> _Parts:
    """Union-find of the affected part: whole persons, the splitting persons' members,
    the changed items with the linking identifiers they carry, relinked items."""
    parts = _Parts()
    uf, owner, weight, is_item, elem = parts.uf, parts.owner, parts.weight, parts.is_item, inv.elem
    linking, deleted = statuses.linking, written.deleted
    for pid in inv.persons - inv.splitting:
        e = ("p", pid)
        uf.add(e)
        owner[e] = pid
        weight[e] = 0  # its size, read if it meets another person
    for m in inv.members:
        if not m["item"] and not linking.get(m["key"], True):
            continue
        if m["key"] in statuses.became_nonlinking or m["key"] in deleted:
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
    for item in written.changed:
        e = elem(item.key)
        uf.add(e)
        is_item[item.key] = True
        for ident in item.identifiers:
            if linking.get(ident.key) and ident.key not in deleted:
                uf.union(e, elem(ident.key))
                is_item.setdefault(ident.key, False)
    for row in inv.relinked:
        uf.union(elem(row["identifier"]), elem(row["item"]))
        is_item.setdefault(row["identifier"], False)
        is_item.setdefault(row["item"], True)
    return parts


def _holdings(
    groups: dict[Elem, list[Elem]], parts: _Parts, inv: _Involved
) -> dict[Elem, dict[str, int]]:
    """Per group, the members of each old person it holds; a person that meets another
    counts with its size (read when it was locked), which decides the id the group keeps."""
    meeting: set[str] = set()
    for elems in groups.values():
        owners = {parts.owner[e] for e in elems if e in parts.owner}
        if len(owners) > 1:
            meeting |= owners
    for pid in meeting - inv.splitting:
        parts.weight[("p", pid)] = int(inv.sizes[pid])
    holdings: dict[Elem, dict[str, int]] = {}
    for root, elems in groups.items():
        w: dict[str, int] = defaultdict(int)
        for e in elems:
            if e in parts.owner:
                w[parts.owner[e]] += parts.weight[e]
        holdings[root] = w
    return holdings


async def _write_back(
    tx: Tx,
    written: Written,
    statuses: Statuses,
    groups: dict[Elem, list[Elem]],
    parts: _Parts,
    inv: _Involved,
    ids: PersonIds[Elem],
    now: datetime,
) -> bool:
    """Write the regrouping; whether any identifier joined, left or changed person."""
    # Members with no person yet (new items, new identifiers: most of a batch) get a
    # plain CREATE, grouped by person; only members changing person need the statement
    # that finds and deletes their old OF relationship. Members without a person are
    # nearly always this batch's own items and identifiers, whose element ids are known;
    # the rest (a value the batch did not send that starts linking again) go by key, as
    # movers do.
    assign_rows: list[dict[str, Any]] = []
    attach: dict[str, dict[str, Any]] = {}
    node_id, is_item = written.node_id, parts.is_item
    for root, elems in groups.items():
        target = ids.of_group[root]
        for e in elems:
            if e[0] != "n":
                continue
            key = e[1]
            current = parts.owner.get(e) or inv.person_of.get(key)
            if current is None and key in node_id:
                group = attach.setdefault(
                    target, {"person": target, "items": [], "identifiers": []}
                )
                group["items" if is_item.get(key, True) else "identifiers"].append(node_id[key])
            elif current != target:
                assign_rows.append({"key": key, "item": is_item.get(key, True), "person": target})

    if statuses.became_nonlinking:
        await tx.run("detach-identifiers", keys=sorted(statuses.became_nonlinking))
    if ids.new:
        rows = [{"id": pid, "splitFrom": split_from} for pid, split_from in ids.new]
        await tx.run("create-persons", rows=rows, now=now)
    if attach:
        await tx.run("attach-to-persons", groups=[attach[pid] for pid in sorted(attach)])
    if assign_rows:
        await tx.run("assign-to-persons", rows=assign_rows)
    if ids.absorbed:
        absorb = [{"from": old, "into": new} for old, new in ids.absorbed.items()]
        await tx.run("absorb-persons", rows=absorb, now=now)
    if ids.orphaned:
        await tx.run("delete-empty-persons", ids=ids.orphaned)
    return (
        bool(statuses.became_nonlinking)
        or any(group["identifiers"] for group in attach.values())
        or any(not row["item"] for row in assign_rows)
    )


async def regroup(tx: Tx, written: Written, statuses: Statuses, now: datetime) -> Regrouped:
    """Phase 3: keep every person a connected component; the person of each item."""
    inv = await _involved(tx, written, statuses)
    parts = _union(written, statuses, inv)
    groups = parts.uf.groups()
    holdings = _holdings(groups, parts, inv)
    ids = assign_person_ids(holdings, inv.ages, inv.persons)
    moved = await _write_back(tx, written, statuses, groups, parts, inv, ids, now)

    persons: dict[str, str] = {}
    for item in written.changed:
        persons[item.key] = ids.of_group[parts.uf.find(inv.elem(item.key))]
    if written.unchanged:
        found = await tx.run("item-persons", keys=sorted(written.unchanged))
        persons.update(zip(found["keys"], found["persons"], strict=True))
    for r in written.records:
        if r.key not in persons:
            persons[r.key] = ids.of_group[parts.uf.find(inv.elem(r.key))]
    return Regrouped(persons, ids, moved)


def outcome(
    regrouped: Regrouped, statuses: Statuses, written: Written, mark: Mark | None = None
) -> BatchOutcome:
    """What a resolved batch (or an operator's override) did, as its callers read it."""
    ids = regrouped.ids
    return BatchOutcome(
        persons=regrouped.persons,
        unchanged=written.unchanged,
        created=ids.created,
        merged=len(ids.absorbed),
        split=ids.split,
        shared=sorted(statuses.became_nonlinking),
        unshared=sorted(statuses.became_linking),
        absorbed=ids.absorbed,
        mark=mark,
    )


async def settle(
    tx: Tx, regrouped: Regrouped, statuses: Statuses, written: Written
) -> BatchOutcome:
    """The outcome of a resolved batch (or an operator's override), with the
    changed-persons mark (``service/identity/changes.py``) written in its transaction:
    the persons of its items and of its identifiers before it, and those merged away,
    emptied or split off."""
    ids = regrouped.ids
    persons = {regrouped.persons[i.key] for i in [*written.changed, *written.records]}
    persons |= {p for p in written.person_of.values() if p}
    persons |= set(ids.absorbed) | set(ids.orphaned)
    persons |= {new for new, _ in ids.new} | {old for _, old in ids.new if old}
    kinds = _kinds(written, regrouped.identifiers_moved or bool(statuses.became_linking))
    if ids.absorbed or ids.orphaned or ids.split:
        kinds.add("regroup")
    mark = await mark_changed_tx(tx, persons, kinds)
    return outcome(regrouped, statuses, written, mark)


def _kinds(written: Written, identifiers_moved: bool) -> set[str]:
    """What a batch changed, as the changed-persons mark names it
    (``service/identity/changes.py``)."""
    kinds = {f"event:{e.type}" for e in written.changed if e.kind == "event"}
    if written.records:
        kinds.add("record")
    # A new identifier, or a non-linking one (an address) an item now carries, changes
    # what the person has without moving any identifier between persons.
    if (
        identifiers_moved
        or written.created
        or written.removed
        or any(not written.linking.get(i.key, True) for x in written.changed for i in x.identifiers)
    ):
        kinds.add("identifier")
    return kinds
