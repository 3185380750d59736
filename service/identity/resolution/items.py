"""Phase 1 of resolution: write a batch's identifiers, records and events.

Upserts the identifier nodes (reading each one's status and person as stored), rewrites
records with their new identifier sets (reading what they carried and their person),
creates the events not stored yet, and deletes identifiers nothing carries any more.
What the later phases need comes back as one :class:`Written`. Statements:
``cypher/resolution-items.cypher``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from service.errors import ResolutionConflict
from service.identity.contract import Item
from service.identity.identifiers import Identifier
from service.identity.resolution.policy import ResolutionPolicy
from service.store.graph import Tx

__all__ = ["Dropped", "Written", "merge_identifier_nodes", "write_items"]


class Dropped(NamedTuple):
    """An identifier a record carried before this batch and no longer carries."""

    key: str
    linking: bool
    blocked: str | None


@dataclass(frozen=True, slots=True)
class Written:
    """What phase 1 wrote and read, for the shared rules and the regrouping."""

    #: The batch's records, by key.
    records: list[Item]
    #: The batch's identifiers by key (the first spelling seen).
    identifiers: dict[str, Identifier]
    #: The batch's identifiers' linking status, as stored before the shared rules.
    linking: dict[str, bool]
    #: The batch's identifiers stored as shared.
    shared: set[str]
    #: The batch's identifiers an operator overrode: 'shared' or 'linking'.
    overrides: dict[str, str]
    #: The batch's identifiers this transaction created.
    created: set[str]
    #: The person of each batch identifier and record before this batch (None: none).
    person_of: dict[str, str | None]
    #: Element ids of the nodes this transaction wrote, and so holds locked: the later
    #: statements find them by id instead of seeking the key index again.
    node_id: dict[str, str]
    #: Per record that dropped identifiers, those it dropped.
    removed: dict[str, list[Dropped]]
    #: Items whose evidence changed: new events, new records, records whose identifier
    #: set changed. Only these are regrouped (records in key order, then events).
    changed: list[Item]
    #: Events already stored (left as they were).
    unchanged: set[str]
    #: Identifiers deleted because nothing carries them any more.
    deleted: set[str]


@dataclass(slots=True)
class _Identifiers:
    """What merge-identifiers returned, by key."""

    by_key: dict[str, Identifier]
    linking: dict[str, bool]
    shared: set[str]
    overrides: dict[str, str]
    created: set[str]
    person_of: dict[str, str | None]
    node_id: dict[str, str]


def _item_row(item: Item) -> dict[str, Any]:
    """What lock-records and create-events both write of a record or an event."""
    return {
        "key": item.key,
        "source": item.source,
        "id": item.id,
        "attributes": item.attributes_json,
        "country": item.country,
    }


#: Rounds of a merge for the keys a concurrent deletion made it skip, before the batch
#: gives up with RESOLUTION_CONFLICT (each round needs another transaction to create and
#: delete the same identifier in between: one round nearly always suffices).
_MERGE_ROUNDS = 5


async def merge_identifier_nodes(
    tx: Tx, statement: str, rows: list[dict[str, Any]], now: datetime
) -> dict[str, list[Any]]:
    """``statement`` (merge-identifiers or its consent twin: parallel lists, ``keys``
    among them) of ``rows``, with every row's key in the result whatever deletes meanwhile.

    MERGE finds an existing node without locking it, then waits for its lock (the
    statements set a property on match). If the transaction holding that lock deletes
    the node (a record dropped the last identifier carrying it: delete-orphan-
    identifiers) and commits, the node is gone when the lock comes and MERGE returns no
    row for it. Merging those keys again in this transaction creates them anew (or finds
    the one another writer has created since): the batch then goes on as if it had come
    second.
    """
    merged: dict[str, list[Any]] = await tx.run(statement, rows=rows, now=now)
    for _ in range(_MERGE_ROUNDS):
        found = set(merged["keys"])
        missing = [row for row in rows if row["key"] not in found]
        if not missing:
            return merged
        again = await tx.run(statement, rows=missing, now=now)
        merged = {column: merged[column] + again[column] for column in merged}
    raise ResolutionConflict("an identifier kept being deleted while this batch wrote it; retry")


async def _merge_identifiers(
    tx: Tx, items: Sequence[Item], policy: ResolutionPolicy, now: datetime
) -> _Identifiers:
    identifiers: dict[str, Identifier] = {}
    for item in items:
        for ident in item.identifiers:
            identifiers.setdefault(ident.key, ident)
    if not identifiers:  # records emptied of every identifier (an erasure)
        return _Identifiers({}, {}, set(), {}, set(), {}, {})
    rows = policy.identifier_rows(identifiers)
    merged = await merge_identifier_nodes(tx, "merge-identifiers", rows, now)
    keys = merged["keys"]
    return _Identifiers(
        by_key=identifiers,
        linking={k: bool(v) for k, v in zip(keys, merged["linking"], strict=True)},
        shared={k for k, v in zip(keys, merged["shared"], strict=True) if v},
        overrides={k: v for k, v in zip(keys, merged["overrides"], strict=True) if v},
        created={k for k, v in zip(keys, merged["created"], strict=True) if v},
        person_of={k: p or None for k, p in zip(keys, merged["persons"], strict=True)},
        node_id=dict(zip(keys, merged["ids"], strict=True)),
    )


async def _write_records(
    tx: Tx,
    records: list[Item],
    node_id: dict[str, str],
    now: datetime,
) -> tuple[dict[str, str | None], dict[str, list[Dropped]], list[Item]]:
    """Rewrite ``records`` (adding their element ids to ``node_id``): the person of
    each one before, what each one dropped, and those whose identifier set changed or
    that are new."""
    old_person: dict[str, str | None] = {}
    removed: dict[str, list[Dropped]] = {}
    if not records:
        return old_person, removed, []
    locked = await tx.run("lock-records", rows=[_item_row(r) for r in records], now=now)
    by_key = {r.key: r for r in records}
    relink: list[dict[str, Any]] = []
    changed: set[str] = set()
    node_id.update(zip(locked["keys"], locked["ids"], strict=True))
    for key, person, old in zip(locked["keys"], locked["persons"], locked["old"], strict=True):
        record = by_key[key]
        old_person[key] = person or None
        forms = {o[0]: o[3] for o in old}
        new = {i.key: i for i in record.identifiers}
        dropped = [Dropped(k, linking, blocked) for k, linking, blocked, _ in old if k not in new]
        added = sorted(set(new) - set(forms))
        if dropped:
            removed[key] = dropped
        if dropped or added or old_person[key] is None:
            changed.add(key)
        # A spelling this record had not sent of a value it carries: its link keeps it
        # (links written by an omnid before links kept raw forms have none: left so).
        respell = [
            {"key": k, "display": i.display}
            for k, i in sorted(new.items())
            if forms.get(k) is not None and i.display not in forms[k]
        ]
        if dropped or added or respell:
            relink.append(
                {
                    "id": node_id[key],
                    "source": record.source,
                    "remove": sorted(o.key for o in dropped),
                    "add": [{"id": node_id[k], "display": new[k].display} for k in added],
                    "respell": respell,
                }
            )
    if relink:
        await tx.run("relink-records", rows=relink, now=now)
    return old_person, removed, [r for r in records if r.key in changed]


async def _create_events(
    tx: Tx, events: list[Item], node_id: dict[str, str], now: datetime
) -> set[str]:
    """Create the events not stored yet (adding their element ids to ``node_id``);
    their keys."""
    if not events:
        return set()
    rows = [
        _item_row(e)
        | {
            "channel": e.channel,
            "type": e.type,
            "at": e.at.isoformat() if e.at else None,
            "links": [{"id": node_id[i.key], "display": i.display} for i in e.identifiers],
        }
        for e in events
    ]
    created = await tx.run("create-events", rows=rows, now=now)
    node_id.update(zip(created["keys"], created["ids"], strict=True))
    return set(created["keys"])


async def write_items(
    tx: Tx, items: Sequence[Item], policy: ResolutionPolicy, now: datetime
) -> Written:
    """Phase 1: identifiers, then records and events, then orphaned identifiers."""
    records = sorted((i for i in items if i.kind == "record"), key=lambda i: i.key)
    events = sorted((i for i in items if i.kind == "event"), key=lambda i: i.key)
    idents = await _merge_identifiers(tx, items, policy, now)
    node_id = idents.node_id
    old_person, removed, changed = await _write_records(tx, records, node_id, now)
    new_events = await _create_events(tx, events, node_id, now)
    changed += [e for e in events if e.key in new_events]

    # Identifiers nothing carries any more (removed from a record, or sent only with an
    # event that already existed) are deleted, as if they had never been seen.
    carried = {i.key for item in changed for i in item.identifiers}
    carried |= {i.key for r in records for i in r.identifiers}
    orphan_candidates = {o.key for lst in removed.values() for o in lst}
    orphan_candidates |= set(idents.by_key) - carried
    deleted: set[str] = set()
    if orphan_candidates:
        deleted = set(await tx.run("delete-orphan-identifiers", keys=sorted(orphan_candidates)))
    return Written(
        records=records,
        identifiers=idents.by_key,
        linking=idents.linking,
        shared=idents.shared,
        overrides=idents.overrides,
        created=idents.created,
        person_of=idents.person_of | old_person,
        node_id=node_id,
        removed=removed,
        changed=changed,
        unchanged={e.key for e in events} - new_events,
        deleted=deleted,
    )
