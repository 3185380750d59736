"""Consent: written onto the identifiers it was given through, read per person.

A consent item says that a customer, through one or more identifiers (the email they
opted in with), granted, denied or withdrew a ``purpose`` on a ``channel`` at a time
``at``. It is stored once (``consent/<source>/<id>``) as a ``Consent`` node linked to its
identifiers; an identifier no record carries yet is created for it, and stays while a
consent needs it (``delete-orphan-identifiers`` keeps it). Merges and splits move
identifiers between persons, and their consents with them.

Reading is order-independent (``service/read/consents.py``, which segment deliveries
share): a person's effective consent for a (purpose, channel) is the latest by ``at``
over all their identifiers, ties broken by source then id, so an older consent arriving
late never overrides a newer one::

    granted  marketing/EMAIL  2026-01-01  through EMAIL a@x
    withdrawn marketing/EMAIL 2026-02-01  through EMAIL a@x   <- effective
    granted  marketing/EMAIL  2025-12-01  (arrives last)      <- history only

A channel consent covers the contact point it was given through (this email, this
phone); an ``ALL`` consent covers every contact point of the person. No consent means
not contactable.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from service.errors import InvalidInput, OmnidError
from service.identity.changes import Mark, mark_changed_tx
from service.identity.contract import Consent, parse_consent
from service.identity.identifiers import IdentifierRules
from service.identity.ingest import CommitHook, IngestReport, ItemResult
from service.identity.resolution import BatchOutcome, ResolutionPolicy
from service.identity.resolution.items import merge_identifier_nodes
from service.privacy.suppression import Suppression
from service.read.consents import ConsentView, ContactPoint, PersonConsents, consents_of
from service.store.graph import Graph, Tx

__all__ = [
    "ConsentView",
    "ContactPoint",
    "PersonConsents",
    "check_purpose",
    "consents_of",
    "record_consents",
]


def check_purpose(purpose: str, purposes: Sequence[str]) -> str:
    """``purpose`` lower-cased, or ``InvalidInput`` naming the configured ones."""
    if purpose.lower() not in purposes:
        raise InvalidInput(f"must be one of {', '.join(purposes)}", field="purpose")
    return purpose.lower()


async def record_consents(
    graph: Graph,
    raw_items: Sequence[object],
    *,
    rules: IdentifierRules,
    policy: ResolutionPolicy,
    suppression: Suppression,
    now: datetime,
    on_commit: CommitHook | None = None,
) -> IngestReport:
    """Validate and store consent items in one transaction; per-item results in order.

    A bad item gets its own error (the rest still go in); a consent already stored is
    ``unchanged``; one whose identifiers were all erased is ``SUPPRESSED``. The persons
    of new consents are marked changed (kind ``consent``) in the same transaction, and
    ``on_commit`` hears of the mark once committed (segments re-evaluate them).
    """
    purposes = graph.settings.consent_purposes
    parsed: list[Consent | OmnidError] = []
    for raw in raw_items:
        try:
            consent = parse_consent(raw, purposes=purposes, rules=rules)
            parsed.append(suppression.filter_consent(consent))
        except InvalidInput as exc:
            parsed.append(exc.with_traceback(None))  # no cycle through frames (Ingestor.parse)
    unique: dict[str, Consent] = {}
    for entry in parsed:
        if isinstance(entry, Consent):
            unique.setdefault(entry.key, entry)  # immutable: the first one counts
    created: set[str] = set()
    persons: dict[str, str] = {}
    if unique:
        created, persons, mark = await graph.write(
            _write_consents_tx, list(unique.values()), policy, now
        )
        if mark is not None and on_commit is not None:
            await on_commit([], BatchOutcome(mark=mark))
    report = IngestReport()
    for index, entry in enumerate(parsed):
        if isinstance(entry, OmnidError):
            report.results.append(ItemResult(index, None, "error", error=entry))
            continue
        person = persons.get(entry.key)
        if entry.key in created:
            report.results.append(ItemResult(index, entry.key, "ok", person))
        else:
            report.results.append(ItemResult(index, entry.key, "unchanged", person))
    return report


async def _write_consents_tx(
    tx: Tx, consents: list[Consent], policy: ResolutionPolicy, now: datetime
) -> tuple[set[str], dict[str, str], Mark | None]:
    identifiers = {i.key: i for c in consents for i in c.identifiers}
    rows = policy.identifier_rows(identifiers)
    merged = await merge_identifier_nodes(tx, "merge-consent-identifiers", rows, now)
    node_id = dict(zip(merged["keys"], merged["ids"], strict=True))
    consent_rows = [
        {
            "key": c.key,
            "source": c.source,
            "id": c.id,
            "purpose": c.purpose,
            "channel": c.channel,
            "status": c.status,
            "at": c.at.isoformat(),
            "evidence": json.dumps(c.evidence, sort_keys=True, ensure_ascii=False),
            "links": [{"id": node_id[i.key], "display": i.display} for i in c.identifiers],
        }
        for c in sorted(consents, key=lambda c: c.key)
    ]
    created = set(await tx.run("create-consents", rows=consent_rows, now=now) or [])
    found = await tx.run("consent-persons", keys=[c.key for c in consents])
    persons = {k: p for k, p in zip(found["keys"], found["persons"], strict=True) if p}
    mark = await mark_changed_tx(tx, [persons[k] for k in created if k in persons], ["consent"])
    return created, persons, mark
