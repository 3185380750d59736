"""The right to be forgotten: erase a person, in one transaction, with a receipt.

Erasing reuses the write path as it is: every record and event of the person is
rewritten as a record with no identifier (events are relabelled records for the
transaction's length), so resolution removes what they carried exactly as it removes
an identifier from a record: values shared with other customers are re-evaluated
(a phone that was "shared" only because of this person links again, and the persons it
joins merge), identifiers nobody carries any more are deleted. What is left is then
deleted: the emptied items and the persons they were left in, the identifiers kept only
for consents, those consents, the aliases of persons merged into this one, and what
segments hold of the person (memberships, entries and exits, webhook deliveries sent or
waiting). Values other customers still carry (a household address) stay, without this
person's links.

Each identifier the erasure deleted is kept as a keyed hash (``Suppression``) so later
items do not bring it back, and a receipt records who asked, why and how much went:
counts only, no personal value. Nothing is half-done: it all commits or none of it.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from service.errors import InvalidInput, LimitExceeded, NotFound
from service.identity.changes import mark_changed_tx
from service.identity.contract import Item
from service.identity.identifiers import Identifier
from service.identity.resolution import ResolutionPolicy, resolve_batch_tx
from service.privacy.suppression import Suppression
from service.read.models import find_person, parse_time
from service.store.graph import Graph, Tx

__all__ = [
    "ErasureReceipt",
    "erase",
    "erase_orphan",
    "erase_person",
    "erasures",
    "person_id_for",
    "unsuppress",
]

log = logging.getLogger("omnid")

MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class ErasureReceipt:
    """What one erasure removed. Counts only: no identifier, no person id."""

    id: str
    at: datetime
    requested_by: str
    reason: str
    records: int
    events: int
    identifiers: int
    consents: int
    aliases: int
    suppressed: int

    @classmethod
    def of(cls, row: dict[str, Any]) -> ErasureReceipt:
        at = parse_time(row["at"])
        assert at is not None
        return cls(
            id=row["id"],
            at=at,
            requested_by=row["requestedBy"],
            reason=row["reason"],
            records=row["records"],
            events=row["events"],
            identifiers=row["identifiers"],
            consents=row["consents"],
            aliases=row["aliases"],
            suppressed=row["suppressed"],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "requestedBy": self.requested_by,
            "reason": self.reason,
            "records": self.records,
            "events": self.events,
            "identifiers": self.identifiers,
            "consents": self.consents,
            "aliases": self.aliases,
            "suppressed": self.suppressed,
        }


async def person_id_for(
    graph: Graph, *, id: str | None = None, identifier: Identifier | None = None
) -> str:
    """The person id to act on, from an id or an identifier; exactly one must be given."""
    if (id is None) == (identifier is None):
        raise InvalidInput("give either `id` or `identifier`", field="id")
    if id is not None:
        if not id.strip():
            raise InvalidInput("must not be empty", field="id")
        return id.strip()
    assert identifier is not None
    person = await find_person(graph, identifier)
    if person is None:
        raise NotFound(f"no person is known by this {identifier.type} identifier")
    return person.id


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidInput("is required (a ticket reference, a request date)", field="reason")
    if len(reason) > MAX_REASON:
        raise LimitExceeded(f"is longer than {MAX_REASON} characters", field="reason")
    return reason


async def erase(
    graph: Graph,
    *,
    id: str | None = None,
    identifier: Identifier | None = None,
    reason: str,
    requested_by: str,
    suppression: Suppression,
    policy: ResolutionPolicy | None = None,
) -> ErasureReceipt:
    """Erase whoever ``id`` or ``identifier`` names: a person, or, for an identifier no
    record carries yet, the consents given through it and it (``erase_orphan``)."""
    if identifier is not None and id is None:
        person = await find_person(graph, identifier)
        if person is None:
            return await erase_orphan(
                graph,
                identifier,
                reason=reason,
                requested_by=requested_by,
                suppression=suppression,
                policy=policy,
            )
    person_id = await person_id_for(graph, id=id, identifier=identifier)
    return await erase_person(
        graph,
        person_id,
        reason=reason,
        requested_by=requested_by,
        suppression=suppression,
        policy=policy,
    )


async def erase_person(
    graph: Graph,
    person_id: str,
    *,
    reason: str,
    requested_by: str,
    suppression: Suppression,
    policy: ResolutionPolicy | None = None,
) -> ErasureReceipt:
    """Erase one person (an id or an alias of it); ``NotFound`` if none answers."""
    return await _erase(
        graph, ("erasure-scope", {"id": person_id}, "no person has this id"),
        reason=reason, requested_by=requested_by, suppression=suppression, policy=policy,
    )  # fmt: skip


async def erase_orphan(
    graph: Graph,
    identifier: Identifier,
    *,
    reason: str,
    requested_by: str,
    suppression: Suppression,
    policy: ResolutionPolicy | None = None,
) -> ErasureReceipt:
    """Erase an identifier no record or event carries, kept only for the consents given
    through it: those consents, it and their other identifiers nothing else keeps go,
    and are suppressed. ``NotFound`` if no such identifier is stored."""
    missing = f"no person or consent is known by this {identifier.type} identifier"
    return await _erase(
        graph, ("erasure-orphan-scope", {"key": identifier.key}, missing),
        reason=reason, requested_by=requested_by, suppression=suppression, policy=policy,
    )  # fmt: skip


async def _erase(
    graph: Graph,
    scope: tuple[str, dict[str, Any], str],
    *,
    reason: str,
    requested_by: str,
    suppression: Suppression,
    policy: ResolutionPolicy | None,
) -> ErasureReceipt:
    reason = _check_reason(reason)
    policy = policy or ResolutionPolicy.from_settings(graph.settings)
    now = datetime.now(UTC)
    receipt, hashes = await graph.write(
        _erase_tx, scope, reason, requested_by, suppression, policy, now
    )
    log.info(
        "erased a person: receipt=%s records=%d events=%d identifiers=%d consents=%d",
        receipt.id,
        receipt.records,
        receipt.events,
        receipt.identifiers,
        receipt.consents,
    )
    suppression.changed(added=hashes)
    return receipt


def _emptied(row: dict[str, Any]) -> Item:
    """A record or event of the person as a record with no identifier. Its key stays
    the node's own (``event/…`` for an event, relabelled a record for the erasure), so
    the write path finds the node it rewrites."""
    item = Item("record", row["source"], row["id"], ())
    object.__setattr__(item, "key", row["key"])
    return item


def _mentions(reason: str, identifiers: Sequence[dict[str, Any]]) -> bool:
    """Whether the reason quotes one of the person's values (raw or normalized)."""
    folded = reason.casefold()
    for x in identifiers:
        for value in [x["value"], *(x["display"] or [])]:
            text = str(value or "").casefold()
            if len(text) >= 4 and text in folded:
                return True
    return False


async def _erase_tx(
    tx: Tx,
    scope_statement: tuple[str, dict[str, Any], str],
    reason: str,
    requested_by: str,
    suppression: Suppression,
    policy: ResolutionPolicy,
    now: datetime,
) -> tuple[ErasureReceipt, list[str]]:
    """The erasure and the hashes it suppressed."""
    statement, params, missing = scope_statement
    scope = await tx.run(statement, **params)
    if scope is None:
        raise NotFound(missing)
    if _mentions(reason, scope["identifiers"]):
        raise InvalidInput("must not quote the person's identifiers", field="reason")
    items = scope["items"]
    absorbed: list[str] = []
    if items:  # erasure-scope made the events records
        emptied = sorted((_emptied(i) for i in items), key=lambda i: i.key)
        absorbed = sorted((await resolve_batch_tx(tx, emptied, policy, now)).absorbed)
    events = sum(1 for i in items if i["event"])
    keys = sorted({x["key"] for x in scope["identifiers"]})
    receipt = ErasureReceipt(
        id=str(uuid.uuid4()),
        at=now,
        requested_by=requested_by,
        reason=reason,
        records=len(items) - events,
        events=events,
        identifiers=0,
        consents=0,
        aliases=0,
        suppressed=0,
    )
    # One map, not nine list parameters: see erasure-finish (its plan is cached once).
    erasure = {
        "keys": sorted(i["key"] for i in items),
        "persons": [scope["id"], *sorted(scope["aliases"])] if scope["id"] else [],
        "aliases": sorted(scope["aliases"]),
        "absorbed": absorbed,
        "identifiers": keys,
        "links": scope["links"],
        "hashes": [{"key": k, "hash": suppression.hash(k)} for k in keys],
        "now": now,
        "receipt": receipt.to_dict(),
    }
    done = await tx.run("erasure-finish", erasure=erasure)
    hashes = sorted(done["suppressed"])
    counts = {"aliases": done["aliases"], "consents": done["consents"]}
    receipt = dataclasses.replace(
        receipt, identifiers=len(hashes), suppressed=len(hashes), **counts
    )
    # The person is gone: consumers of the mark (segments) drop what they held of it.
    await mark_changed_tx(tx, [scope["id"], *scope["aliases"]], ["erase"])
    return receipt, hashes


async def erasures(graph: Graph, since: datetime | None = None) -> list[ErasureReceipt]:
    """Erasure receipts since ``since`` (all when None), oldest first."""
    rows = await graph.query("erasure-receipts", since=since.isoformat() if since else None)
    return [ErasureReceipt.of(r) for r in rows]


async def unsuppress(graph: Graph, identifier: Identifier, suppression: Suppression) -> bool:
    """Forget one suppressed identifier (the customer came back of their own will).
    Whether it was suppressed."""
    hashed = suppression.hash(identifier.key)
    done = bool(await graph.command("unsuppress", hash=hashed))
    if done:
        suppression.changed(removed=[hashed])
    log.info("unsuppressed one %s identifier: %s", identifier.type, "found" if done else "absent")
    return done
