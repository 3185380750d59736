"""Membership of touched persons: evaluate, compare with the stored state, write the
changes and their outbox rows in one transaction.

A change carries the person's contact points that the segment's purpose may use, by the
person's effective consent (``service/read/consents.py``, as ``Person.contactable``
answers): the phones and emails allowed for the (purpose, channel) of each consent
condition of the rule, and those deciding consents themselves. A rule without a consent
condition carries no contact point: no consent means not contactable.

One write transaction per evaluation does it all: the new membership states (with
``since`` and the next time a window closes), the history of entries and exits
(``SegmentChange``) and one ``WebhookDelivery`` per interested target. A crash before
its commit leaves nothing to send; after it, the outbox holds everything to deliver.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from service.identity.changes import mark_evaluated_tx
from service.identity.contract import Item
from service.read.consents import ConsentView, PersonConsents, consents_of_tx
from service.segments.compile import verdict
from service.segments.store import Segment
from service.segments.webhooks import WebhookTarget
from service.store.graph import Graph, Tx

__all__ = ["Change", "evaluate_persons", "every", "leave_tx", "projection_rows"]

ChangeKind = Literal["ENTERED", "LEFT"]

_last_seq = 0


def _next_seq() -> int:
    """Increasing in this process (wall-clock nanoseconds), so a person's changes keep
    their order in the outbox across restarts too."""
    global _last_seq
    _last_seq = max(_last_seq + 1, time.time_ns())
    return _last_seq


@dataclass(frozen=True, slots=True)
class Change:
    id: str
    seq: int
    segment: str
    version: int
    person: str
    change: ChangeKind
    at: datetime
    #: The newest event that made a condition hold ({key, type, channel, at}); None
    #: for an exit by time or for a change no event explains.
    cause: dict[str, Any] | None
    #: The contact points the segment's purpose may use (by consent), and the
    #: effective consents that decide it.
    phones: tuple[str, ...]
    emails: tuple[str, ...]
    consents: tuple[ConsentView, ...] = ()

    def payload(self) -> dict[str, Any]:
        """What subscribers and webhooks receive."""
        consents = [
            {
                "purpose": c.purpose,
                "channel": c.channel,
                "status": c.status,
                "at": c.at.isoformat(),
                "source": c.source,
                "id": c.id,
            }
            for c in self.consents
        ]
        return {
            "id": self.id,
            "change": self.change,
            "segment": self.segment,
            "version": self.version,
            "at": self.at.isoformat(),
            "person": {
                "id": self.person,
                "phones": list(self.phones),
                "emails": list(self.emails),
                "consents": consents,
            },
            "event": self.cause,
        }


def _contacts(
    mine: PersonConsents, scopes: Sequence[tuple[str, tuple[str, ...]]]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[ConsentView, ...]]:
    """Phones, emails and deciding consents of a person for a segment's consent scopes."""
    points = [p for purpose, channels in scopes for p in mine.allowed(purpose, channels)]
    deciding = {c.key: c for purpose, ch in scopes for c in mine.deciding(purpose, ch)}
    return (
        tuple(sorted({p.value for p in points if p.type == "PHONE"})),
        tuple(sorted({p.value for p in points if p.type == "EMAIL"})),
        tuple(sorted(deciding.values(), key=lambda c: (c.purpose, c.channel))),
    )


def projection_rows(items: Sequence[Item], attributes: frozenset[str]) -> list[dict[str, Any]]:
    """The scalar attributes rules compare, per item, as ``attr.<name>`` properties."""
    rows = []
    for item in items:
        props = _projected(item.attributes, attributes)
        # An event is stored once and never changes; a record may have dropped an
        # attribute it carried, so its projection is rewritten even when empty.
        if props or item.kind == "record":
            rows.append({"key": item.key, "props": props})
    return rows


def _projected(attributes: Mapping[str, Any], wanted: frozenset[str]) -> dict[str, Any]:
    return {
        f"attr.{k}": v
        for k, v in attributes.items()
        if f"attr.{k}" in wanted and isinstance(v, str | int | float | bool)
    }


async def evaluate_persons(
    graph: Graph,
    checks: Mapping[str, Sequence[Segment]],
    *,
    now: datetime,
    targets: Sequence[WebhookTarget] = (),
    items: Sequence[Item] | None = None,
    answers: Sequence[str] = (),
) -> list[Change]:
    """Re-evaluate each person of ``checks`` in its segments; the committed changes.
    ``answers``: changed-persons marks this evaluation finishes, flagged in its
    transaction (service/identity/changes.py).

    Persons merged into another (aliases now) hand their memberships to the survivor
    first, keeping ``since``. ``items``: the items just written, whose attributes are
    projected; without them the stored attributes of every item of the persons are
    (the background evaluation, marks read from the graph).
    """
    wanted = {p: list(s) for p, s in checks.items() if p and s}
    if not wanted:
        return []
    return await graph.write(_evaluate_tx, wanted, now, targets, items, answers)


def every(persons: Sequence[str], segments: Sequence[Segment]) -> dict[str, Sequence[Segment]]:
    """Checks of every person in every segment."""
    return {p: segments for p in persons}


async def _evaluate_tx(
    tx: Tx,
    checks: dict[str, list[Segment]],
    now: datetime,
    targets: Sequence[WebhookTarget],
    items: Sequence[Item] | None,
    answers: Sequence[str],
) -> list[Change]:
    persons = sorted(checks)
    await mark_evaluated_tx(tx, answers)
    await tx.run("transfer-merged-memberships", persons=persons)
    segments = list({s.name: s for ss in checks.values() for s in ss}.values())
    await _project(tx, persons, segments, items)
    atoms: list[dict[str, Any]] = []
    positions: dict[str, list[int]] = {}
    for segment in segments:
        positions[segment.name] = list(range(len(atoms), len(atoms) + len(segment.plan.atoms)))
        atoms.extend(segment.plan.atoms)
    # Consent atoms have a statement of their own (see segment-consents); each person's
    # atoms go to one or both, and their answers are read alike.
    rows: list[dict[str, Any]] = []
    for statement, consent in (("segment-evaluate", False), ("segment-consents", True)):
        params = []
        for p in persons:
            wanted = [
                i
                for s in checks[p]
                for i in positions[s.name]
                if (atoms[i]["kind"] == "consent") == consent
            ]
            if wanted:
                params.append({"person": p, "atoms": wanted})
        if params:
            at = {} if consent else {"now": now.isoformat()}
            rows += await tx.run(statement, checks=params, atoms=atoms, **at)
    stored = await tx.run("memberships-of", persons=persons, segments=[s.name for s in segments])
    upserts, deletes, changed = _diff(rows, stored, segments, now)
    if upserts or deletes:
        await tx.run("apply-memberships", upserts=upserts, deletes=deletes)
    if not changed:
        return []
    changes = await _changes(tx, changed, {s.name: s for s in segments}, now)
    await _record(tx, changes, targets)
    return changes


async def leave_tx(
    tx: Tx,
    segment: Segment,
    persons: Sequence[str],
    now: datetime,
    targets: Sequence[WebhookTarget],
) -> list[Change]:
    """These persons leave ``segment`` (it is being dropped): their membership states
    go, each member's exit is recorded and sent like any other."""
    stored = await tx.run("memberships-of", persons=list(persons), segments=[segment.name])
    await tx.run("apply-memberships", upserts=[], deletes=[r["key"] for r in stored])
    changed: list[tuple[str, str, ChangeKind, Any]] = [
        (segment.name, r["person"], "LEFT", None) for r in stored if r["member"]
    ]
    if not changed:
        return []
    changes = await _changes(tx, changed, {segment.name: segment}, now)
    await _record(tx, changes, targets)
    return changes


async def _project(
    tx: Tx, persons: list[str], segments: Sequence[Segment], items: Sequence[Item] | None
) -> None:
    wanted = frozenset(a for s in segments for a in s.plan.attributes)
    if not wanted:
        return
    if items is None:
        stored = await tx.run("items-to-project", persons=persons)
        rows = [
            {"key": r["key"], "props": _projected(json.loads(r["attributes"]), wanted)}
            for r in stored
        ]
    else:
        rows = projection_rows(items, wanted)
    if rows:
        await tx.run("project-attributes", rows=rows)


@dataclass(slots=True)
class _Answer:
    exists: bool = False
    atoms: dict[int, bool] | None = None
    expires: str | None = None
    cause: dict[str, Any] | None = None


def _diff(
    rows: list[dict[str, Any]],
    stored: list[dict[str, Any]],
    segments: Sequence[Segment],
    now: datetime,
) -> tuple[list[dict[str, Any]], list[str], list[tuple[str, str, ChangeKind, Any]]]:
    answers: dict[tuple[str, str], _Answer] = defaultdict(_Answer)
    for row in rows:
        answer = answers[(row["segment"], row["person"])]
        answer.exists = row["exists"]
        answer.atoms = answer.atoms or {}
        answer.atoms[row["atom"]] = bool(row["ok"])
        if row["expires"] and (answer.expires is None or row["expires"] < answer.expires):
            answer.expires = row["expires"]
        if row["ok"] and row["cause"] and answer.cause is None:
            answer.cause = row["cause"]
    before = {(r["segment"], r["person"]): r for r in stored}
    by_name = {s.name: s for s in segments}
    upserts: list[dict[str, Any]] = []
    deletes: list[str] = []
    changed: list[tuple[str, str, ChangeKind, Any]] = []
    for (segment, person), answer in sorted(answers.items()):
        member = answer.exists and verdict(by_name[segment].definition.rule, answer.atoms or {})
        old = before.get((segment, person))
        was = bool(old and old["member"])
        key = f"{segment}|{person}"
        if member or answer.expires:
            since = (
                old["since"] if (old and was and member) else (now.isoformat() if member else None)
            )
            upserts.append(
                {
                    "key": key,
                    "segment": segment,
                    "person": person,
                    "member": member,
                    "since": since,
                    "expiresAt": answer.expires,
                }
            )
        elif old is not None:
            deletes.append(key)
        if member != was:
            changed.append((segment, person, "ENTERED" if member else "LEFT", answer.cause))
    return upserts, deletes, changed


async def _changes(
    tx: Tx,
    changed: list[tuple[str, str, ChangeKind, Any]],
    segments: Mapping[str, Segment],
    now: datetime,
) -> list[Change]:
    # Only persons whose segments weigh a consent can be contacted: read theirs.
    persons = sorted({p for s, p, _, _ in changed if segments[s].plan.consents})
    consents = dict(zip(persons, await consents_of_tx(tx, persons), strict=True)) if persons else {}
    changes = []
    for segment, person, kind, cause in changed:
        scopes = segments[segment].plan.consents
        mine = consents.get(person)
        phones, emails, deciding = _contacts(mine, scopes) if mine else ((), (), ())
        changes.append(
            Change(
                id=str(uuid.uuid4()),
                seq=_next_seq(),
                segment=segment,
                version=segments[segment].version,
                person=person,
                change=kind,
                at=now,
                cause=cause if kind == "ENTERED" else None,
                phones=phones,
                emails=emails,
                consents=deciding,
            )
        )
    return changes


async def _record(tx: Tx, changes: list[Change], targets: Sequence[WebhookTarget]) -> None:
    wall = datetime.now(UTC).isoformat()  # deliveries are due by real time, not the test clock
    change_rows = []
    deliveries = []
    for change in changes:
        body = json.dumps(change.payload(), sort_keys=True)
        change_rows.append(
            {
                "id": change.id,
                "seq": change.seq,
                "segment": change.segment,
                "version": change.version,
                "person": change.person,
                "change": change.change,
                "at": change.at.isoformat(),
                "cause": change.cause["key"] if change.cause is not None else None,
                "payload": body,
            }
        )
        for target in targets:
            if target.wants(change.segment):
                deliveries.append(
                    {
                        "id": str(uuid.uuid4()),
                        "change": change.id,
                        "target": target.name,
                        "person": change.person,
                        "seq": change.seq,
                        "body": body,
                        "at": wall,
                    }
                )
    await tx.run("record-changes", changes=change_rows, deliveries=deliveries)
