"""Operator corrections that stick: value overrides, operator links, separations.

Every correction is an operator's decision, kept in the graph with who (the API key's
fingerprint, or ``cli:<user>``), why and when, and applied by identity's own resolution
(:mod:`service.identity.resolution`), so that re-sending the same files never undoes it:

- **Value overrides** (``set_override``, ``clear_override``, ``overrides``): a value
  forced ``shared`` (never links: it leaves its person, which splits if it was a bridge)
  or ``linking`` (links despite the shared rules and the blocklist). Kept on the
  identifier node; resolution decides it before the shared rules on every write.
- **Operator links** (``assert_same``, ``accept_match``, ``withdraw_assertion``): a record
  of source ``operator`` carrying one linking identifier of each side (of one type when
  both have one: the shared rules count other types only, so the link changes no
  value's status). It has provenance, shows in ``explain`` and in the person's records,
  and withdrawing it empties and deletes it, which regroups exactly as if it had never
  been sent.
- **Separations** (``explain_separation``, ``separate``, ``separation_conflicts``): the
  fewest identifiers bridging two members of a person (:mod:`.cut`) are overridden
  ``shared`` for the separation's reason, and the person splits. If new evidence later
  joins the two sides again through another value, they are one person again (resolution
  stays connected components: omnid never hides evidence on its own), and the
  separation is listed by ``separation_conflicts`` with the new bridge values, for an
  operator to separate again or to accept.

Each correction is a function of one item (it raises a typed error naming the field),
and a ``*_each`` function of many, which the shells call: each item in its own
transaction, one ``Outcome`` per item (:mod:`.batch`). One item is a batch of one.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from service.errors import (
    AlreadySeparate,
    InvalidInput,
    NotFound,
    NotSeparable,
    OmnidError,
)
from service.identity.contract import RESERVED_SOURCE, Item, item_key
from service.identity.identifiers import Identifier
from service.identity.ingest import Ingestor
from service.identity.resolution import BatchOutcome, Override, override_tx, resolve_batch_tx
from service.read.models import parse_time
from service.steward.batch import Outcome, each
from service.steward.cut import bridges
from service.steward.matches.store import suggestion_tx
from service.store.graph import Graph, ReadChanged, Tx

__all__ = [
    "OPERATOR_SOURCE",
    "OperatorLink",
    "OverrideRequest",
    "OverrideView",
    "Pair",
    "Separation",
    "SeparationConflict",
    "SeparationPlan",
    "Subject",
    "accept_match",
    "accept_match_each",
    "assert_same",
    "assert_same_each",
    "clear_override",
    "clear_override_each",
    "explain_separation",
    "operator_links",
    "overrides",
    "overrides_of",
    "separate",
    "separate_each",
    "separation_conflicts",
    "set_override",
    "set_override_each",
    "withdraw_assertion",
    "withdraw_assertion_each",
]

#: The source of operator links: ``record/operator/<id>`` (reserved: no input may use it).
OPERATOR_SOURCE = RESERVED_SOURCE
_MAX_REASON = 500
Mode = Literal["shared", "linking"]


@dataclass(frozen=True, slots=True)
class Subject:
    """What a correction names: an identifier, a record (or event) or a person id.

    ``field`` names the argument in errors (``a``, ``b``)."""

    field: str
    key: str | None = None
    person: str | None = None

    @classmethod
    def identifier(cls, field: str, identifier: Identifier) -> Subject:
        return cls(field, key=identifier.key)

    @classmethod
    def record(cls, field: str, source: str, id: str) -> Subject:
        return cls(field, key=item_key("record", source, id))

    @classmethod
    def of_person(cls, field: str, person: str) -> Subject:
        return cls(field, person=person)


@dataclass(frozen=True, slots=True)
class Pair:
    """One item of ``assert_same_each``, ``accept_match_each`` or ``separate_each``: two
    sides, and why (optional for an accepted match, which records its score)."""

    a: Subject
    b: Subject
    reason: str = ""


@dataclass(frozen=True, slots=True)
class OverrideRequest:
    """One item of ``set_override_each``: a value, ``shared`` or ``linking``, and why."""

    identifier: Identifier
    mode: str
    reason: str


Requests = Sequence[Pair | OmnidError]


@dataclass(frozen=True, slots=True)
class _Found:
    subject: Subject
    item: bool
    person: str | None
    #: The linking identifiers it is (an identifier) or carries (an item, a person).
    links: list[str]


@dataclass(frozen=True, slots=True)
class OverrideView:
    key: str
    type: str
    value: str
    mode: str
    by: str | None
    reason: str | None
    separation: str | None
    at: datetime | None
    linking: bool

    @classmethod
    def of(cls, row: dict[str, Any]) -> OverrideView:
        return cls(
            key=row["key"],
            type=row["type"],
            value=row["value"],
            mode=row["mode"],
            by=row["by"],
            reason=row["reason"],
            separation=row["separation"],
            at=parse_time(row["at"]),
            linking=bool(row["linking"]),
        )


@dataclass(frozen=True, slots=True)
class OperatorLink:
    """An operator link: its id, the identifier keys it carries, its person."""

    id: str
    key: str
    identifiers: tuple[str, ...]
    person: str | None
    reason: str
    by: str
    score: float | None = None


@dataclass(frozen=True, slots=True)
class SeparationPlan:
    """What ``separate`` would cut: the person, and the bridge values (keys)."""

    person: str | None
    bridges: list[str]


@dataclass(frozen=True, slots=True)
class Separation:
    id: str
    a: str
    b: str
    values: list[str]
    person_a: str | None
    person_b: str | None
    reason: str
    by: str


@dataclass(frozen=True, slots=True)
class SeparationConflict:
    """A separation whose sides new evidence joined again, and the values that did."""

    separation: Separation
    person: str
    bridges: list[str]


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidInput(
            "is required (why: a ticket reference, no personal data)", field="reason"
        )
    if len(reason) > _MAX_REASON:
        raise InvalidInput(f"is longer than {_MAX_REASON} characters", field="reason")
    return reason


def _mode(mode: str) -> Mode:
    if mode == "shared":
        return "shared"
    if mode == "linking":
        return "linking"
    raise InvalidInput("must be 'shared' or 'linking'", field="mode")


async def _publish(ingestor: Ingestor, items: Sequence[Item], outcome: BatchOutcome) -> None:
    """Tell the commit listeners (live events, segments) what a correction changed."""
    if ingestor.on_commit is not None:
        await ingestor.on_commit(items, outcome)


# --- value overrides ---------------------------------------------------------------


async def set_override(
    ingestor: Ingestor, identifier: Identifier, mode: str, *, reason: str, by: str
) -> OverrideView:
    """Force a value shared or linking (replacing any earlier override), and regroup."""
    override = Override(identifier.key, _mode(mode), by, _reason(reason))
    now = datetime.now(UTC)
    outcome = await ingestor.graph.write(override_tx, [override], ingestor.policy, now)
    await _publish(ingestor, [], outcome)
    found = [o for o in await overrides(ingestor.graph) if o.key == identifier.key]
    return found[0]


async def clear_override(ingestor: Ingestor, identifier: Identifier) -> bool:
    """Drop a value's override: the rules decide again. Whether it had one."""
    had = any(o.key == identifier.key for o in await overrides(ingestor.graph))
    if not had:
        return False
    now = datetime.now(UTC)
    override = Override(identifier.key, None)
    outcome = await ingestor.graph.write(override_tx, [override], ingestor.policy, now)
    await _publish(ingestor, [], outcome)
    return True


async def set_override_each(
    ingestor: Ingestor, requests: Sequence[OverrideRequest | OmnidError], *, by: str
) -> list[Outcome[OverrideView]]:
    """``set_override`` for each item in order, one result per item."""
    return await each(
        requests,
        lambda r: set_override(ingestor, r.identifier, r.mode, reason=r.reason, by=by),
    )


async def clear_override_each(
    ingestor: Ingestor, identifiers: Sequence[Identifier | OmnidError]
) -> list[Outcome[bool]]:
    """``clear_override`` for each value in order: whether each had an override."""
    return await each(identifiers, lambda i: clear_override(ingestor, i))


async def overrides(graph: Graph) -> list[OverrideView]:
    """Every value an operator overrode, oldest first."""
    return [OverrideView.of(r) for r in await graph.query("overrides")]


async def overrides_of(graph: Graph, keys: Sequence[str]) -> list[OverrideView | None]:
    """The override of each value (identifier key), None where it has none: in key
    order, for a DataLoader."""
    rows = await graph.query("overrides-of", keys=list(keys))
    found = {r["key"]: OverrideView.of(r) for r in rows}
    return [found.get(k) for k in keys]


# --- the subjects of a correction ----------------------------------------------------


async def _find(tx: Tx, subjects: Sequence[Subject]) -> list[_Found]:
    """Each subject as the graph holds it; NotFound naming the field of one it lacks."""
    keys = sorted({s.key for s in subjects if s.key})
    rows = {r["key"]: r for r in await tx.run("correction-subjects", keys=keys)} if keys else {}
    found: list[_Found] = []
    for s in subjects:
        if s.key is not None:
            row = rows[s.key]
            if not row["found"]:
                what = "identifier" if ":" in s.key.split("/", 1)[0] else "record"
                raise NotFound(f"no such {what} in the graph", field=s.field)
            found.append(_Found(s, bool(row["item"]), row["person"], list(row["links"])))
        else:
            row = await tx.run("correction-person", id=s.person)
            if row is None:
                raise NotFound("no person has this id", field=s.field)
            found.append(_Found(s, False, row["person"], sorted(row["links"])))
    return found


# --- operator links ------------------------------------------------------------------


def _pair(a: _Found, b: _Found) -> tuple[str, str]:
    """One linking identifier of each side: of one type when both have one."""
    for side in (a, b):
        if not side.links:
            raise InvalidInput(
                "has no linking identifier to link through (a shared or non-linking value, "
                "or a record carrying none)",
                field=side.subject.field,
            )
    for x in sorted(a.links):
        same = sorted(y for y in b.links if y.split(":", 1)[0] == x.split(":", 1)[0])
        if same:
            return x, same[0]
    return sorted(a.links)[0], sorted(b.links)[0]


async def _suggested(tx: Tx, a: _Found, b: _Found) -> float:
    """The score of the possible match ``a`` and ``b`` stand for; a typed error when
    they are not a current suggestion (``assert_same`` links any two)."""
    for side in (a, b):
        if side.person is None:
            raise InvalidInput(
                "belongs to no person (a value that does not link): no match suggests it",
                field=side.subject.field,
            )
    if a.person == b.person:
        raise InvalidInput("a and b are one person already", field="b")
    assert a.person is not None and b.person is not None
    return await suggestion_tx(tx, a.person, b.person)


async def _link_tx(
    tx: Tx,
    pair: Pair,
    by: str,
    suggested: bool,
    ingestor: Ingestor,
    now: datetime,
) -> tuple[Item, BatchOutcome, dict[str, Any]]:
    found_a, found_b = await _find(tx, [pair.a, pair.b])
    decision: dict[str, Any] = {"reason": pair.reason, "by": by}
    if suggested:
        score = await _suggested(tx, found_a, found_b)
        decision["score"] = score
        decision["reason"] = pair.reason or f"accepted a possible match (score {score:.3f})"
    keys = list(dict.fromkeys(_pair(found_a, found_b)))
    # As stored (linking, so not blocked), with a raw form already in their display.
    rows = await tx.run("identifier-displays", keys=keys)
    values = tuple(Identifier(r["type"], r["value"], r["display"]) for r in rows)
    attributes = {"operatorLink": decision}
    link = Item("record", OPERATOR_SOURCE, str(uuid.uuid4()), values, attributes)
    return link, await resolve_batch_tx(tx, [link], ingestor.policy, now), decision


async def _link(ingestor: Ingestor, pair: Pair, by: str, suggested: bool) -> OperatorLink:
    now = datetime.now(UTC)
    item, outcome, decision = await ingestor.graph.write(
        _link_tx, pair, by, suggested, ingestor, now
    )
    await _publish(ingestor, [item], outcome)
    return OperatorLink(
        id=item.id,
        key=item.key,
        identifiers=tuple(i.key for i in item.identifiers),
        person=outcome.persons.get(item.key),
        reason=decision["reason"],
        by=by,
        score=decision.get("score"),
    )


async def assert_same(
    ingestor: Ingestor, a: Subject, b: Subject, *, reason: str, by: str
) -> OperatorLink:
    """Link ``a`` and ``b`` (identifiers, records, persons) as one person, as an item of
    source ``operator``."""
    return await _link(ingestor, Pair(a, b, _reason(reason)), by, suggested=False)


async def accept_match(
    ingestor: Ingestor, a: Subject, b: Subject, *, by: str, reason: str = ""
) -> OperatorLink:
    """Accept a suggested match: an operator link recording the suggestion's score. Only
    a current suggestion (scored, not rejected) is accepted: ``NotFound`` naming ``b``
    otherwise, ``InvalidInput`` when they are one person already."""
    return await _link(ingestor, Pair(a, b, _reason(reason) if reason else ""), by, suggested=True)


async def assert_same_each(
    ingestor: Ingestor, pairs: Requests, *, by: str
) -> list[Outcome[OperatorLink]]:
    """``assert_same`` for each item in order, one result per item."""
    return await each(pairs, lambda p: assert_same(ingestor, p.a, p.b, reason=p.reason, by=by))


async def accept_match_each(
    ingestor: Ingestor, pairs: Requests, *, by: str
) -> list[Outcome[OperatorLink]]:
    """``accept_match`` for each item in order, one result per item."""
    return await each(pairs, lambda p: accept_match(ingestor, p.a, p.b, reason=p.reason, by=by))


async def _withdraw_tx(tx: Tx, id: str, ingestor: Ingestor, now: datetime) -> list[str]:
    key = item_key("record", OPERATOR_SOURCE, id)
    row = await tx.run("operator-link", key=key)
    if row is None:
        raise NotFound("no operator link has this id", field="id")
    # Emptied through the write path (the persons regroup), then deleted.
    emptied = Item("record", OPERATOR_SOURCE, id, (), json.loads(row["attributes"] or "{}"))
    await resolve_batch_tx(tx, [emptied], ingestor.policy, now)
    await tx.run("operator-link-delete", keys=[key])
    sides = await _find(tx, [Subject("id", key=k) for k in row["identifiers"]])
    return sorted({s.person for s in sides if s.person})


async def withdraw_assertion(ingestor: Ingestor, id: str) -> list[str]:
    """Withdraw an operator link: the persons regroup as if it had never been made.
    The persons its values belong to now."""
    now = datetime.now(UTC)
    persons = await ingestor.graph.write(_withdraw_tx, id, ingestor, now)
    await _publish(ingestor, [], BatchOutcome())
    return persons


async def withdraw_assertion_each(
    ingestor: Ingestor, ids: Sequence[str | OmnidError]
) -> list[Outcome[list[str]]]:
    """``withdraw_assertion`` for each id in order, one result per item."""
    return await each(ids, lambda id: withdraw_assertion(ingestor, id))


async def operator_links(graph: Graph) -> list[dict[str, Any]]:
    """Every operator link, oldest first (id, attributes, person, identifiers)."""
    rows = await graph.query("operator-links")
    return [r | {"attributes": json.loads(r["attributes"] or "{}")} for r in rows]


# --- separations ---------------------------------------------------------------------


async def _plan(tx: Tx, a: Subject, b: Subject) -> tuple[_Found, _Found, SeparationPlan]:
    found_a, found_b = await _find(tx, [a, b])
    for side in (found_a, found_b):
        if side.subject.key is None:
            raise InvalidInput(
                "give an identifier or a record, not a person", field=side.subject.field
            )
        if side.person is None:
            raise InvalidInput(
                "belongs to no person (a value that does not link): give a record or a "
                "linking identifier",
                field=side.subject.field,
            )
    if found_a.person != found_b.person:
        return found_a, found_b, SeparationPlan(None, [])
    person = found_a.person
    assert person is not None
    members = await tx.run("person-members", ids=[person])
    graph = {m["key"]: list(m["links"]) for m in members if m["item"]}
    assert a.key is not None and b.key is not None
    cut = bridges(graph, a.key, b.key)
    if cut is None:
        raise NotSeparable(
            "one carries the other (or they are the same): correct the record at its "
            "source, or remove the identifier from it",
            field="b",
        )
    return found_a, found_b, SeparationPlan(person, cut)


async def explain_separation(graph: Graph, a: Subject, b: Subject) -> SeparationPlan:
    """The values ``separate`` would cut (the fewest that bridge ``a`` and ``b``); no
    person and no values when they are already apart."""

    async def plan_tx(tx: Tx) -> SeparationPlan:
        return (await _plan(tx, a, b))[2]

    return await graph.read(plan_tx)


async def _separate_tx(
    tx: Tx, a: Subject, b: Subject, reason: str, by: str, ingestor: Ingestor, now: datetime
) -> tuple[Separation, BatchOutcome]:
    _, _, plan = await _plan(tx, a, b)
    if plan.person is None:
        raise AlreadySeparate("a and b are not one person: nothing to separate", field="b")
    assert a.key is not None and b.key is not None
    sid = str(uuid.uuid4())
    cut = [Override(k, "shared", by, reason, sid) for k in plan.bridges]
    outcome = await override_tx(tx, cut, ingestor.policy, now)
    record = {"id": sid, "a": a.key, "b": b.key, "reason": reason, "by": by, "values": plan.bridges}
    await tx.run("create-separation", separation=record, now=now)
    after_a, after_b = await _find(tx, [a, b])
    if after_a.person == after_b.person:
        # The person changed between reading its members and locking them: the cut was
        # computed on an older graph. Nothing is written (the transaction rolls back).
        raise ReadChanged("the person changed while it was being separated")
    separation = Separation(
        id=sid,
        a=a.key,
        b=b.key,
        values=plan.bridges,
        person_a=after_a.person,
        person_b=after_b.person,
        reason=reason,
        by=by,
    )
    return separation, outcome


async def separate(
    ingestor: Ingestor, a: Subject, b: Subject, *, reason: str, by: str
) -> Separation:
    """Part ``a`` and ``b`` (identifiers or records of one person): the values bridging
    them stop linking for ``reason``, and the person splits."""
    now = datetime.now(UTC)
    separation, outcome = await ingestor.graph.write(
        _separate_tx, a, b, _reason(reason), by, ingestor, now
    )
    await _publish(ingestor, [], outcome)
    return separation


async def separate_each(
    ingestor: Ingestor, pairs: Requests, *, by: str
) -> list[Outcome[Separation]]:
    """``separate`` for each item in order, one result per item (a later item sees the
    persons an earlier one split)."""
    return await each(pairs, lambda p: separate(ingestor, p.a, p.b, reason=p.reason, by=by))


async def separation_conflicts(graph: Graph) -> list[SeparationConflict]:
    """Separations whose two sides are one person again (new evidence joined them),
    each with the values that bridge them now."""

    async def conflicts_tx(tx: Tx) -> list[SeparationConflict]:
        found: list[SeparationConflict] = []
        for row in await tx.run("separations"):
            a, b = Subject("a", key=row["a"]), Subject("b", key=row["b"])
            try:
                side_a, side_b, plan = await _plan(tx, a, b)
            except (NotFound, InvalidInput):
                continue  # a side was erased, corrected or no longer links: no conflict
            if plan.person is None:
                continue
            separation = Separation(
                id=row["id"],
                a=row["a"],
                b=row["b"],
                values=list(row["values"]),
                person_a=side_a.person,
                person_b=side_b.person,
                reason=row["reason"],
                by=row["by"],
            )
            found.append(SeparationConflict(separation, plan.person, plan.bridges))
        return found

    return await graph.read(conflicts_tx)
