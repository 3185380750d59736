"""A person's consents and the contact points they allow: the read model.

Privacy writes consents and serves them (``service/privacy/consents.py``); segment
deliveries carry the contact points a segment's purpose may use. Both read them here,
one implementation of "effective consent" and "contactable".

A person's effective consent for a (purpose, channel) is the latest by ``at`` over all
their identifiers, ties broken by source then id, so an older consent arriving late
never overrides a newer one. A channel consent covers the contact point it was given
through (this email, this phone); an ``ALL`` consent covers every contact point of the
person. No consent means not contactable.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.errors import InvalidInput
from service.identity.contract import CONSENT_CHANNELS
from service.read.models import parse_time
from service.store.graph import Graph, Tx

__all__ = [
    "ConsentView",
    "ContactPoint",
    "PersonConsents",
    "consents_of",
    "consents_of_tx",
]


@dataclass(frozen=True, slots=True)
class ConsentView:
    """One stored consent, with the person's identifiers it was given through."""

    key: str
    source: str
    id: str
    purpose: str
    channel: str
    status: str
    at: datetime
    evidence: dict[str, Any]
    #: identifier keys (``TYPE:value``) of the person it was given through
    through: tuple[str, ...]

    @property
    def order(self) -> tuple[datetime, str, str]:
        """Later wins; ties by source, then id: the same answer in any arrival order."""
        return (self.at, self.source, self.id)


@dataclass(frozen=True, slots=True)
class ContactPoint:
    """An identifier a purpose may use on a channel, and the consent that allows it."""

    type: str
    value: str
    consent: ConsentView


@dataclass(frozen=True, slots=True)
class PersonConsents:
    """A person's contact points (``key -> (type, value)``) and every consent given
    through them, oldest first."""

    contacts: dict[str, tuple[str, str]]
    history: tuple[ConsentView, ...]

    def effective(self) -> list[ConsentView]:
        """The latest consent per (purpose, channel), in purpose and channel order."""
        latest: dict[tuple[str, str], ConsentView] = {}
        for consent in self.history:
            slot = (consent.purpose, consent.channel)
            if slot not in latest or consent.order > latest[slot].order:
                latest[slot] = consent
        return [latest[slot] for slot in sorted(latest)]

    def contactable(self, purpose: str, channel: str) -> list[ContactPoint]:
        """The contact points ``purpose`` may use on ``channel``: each identifier of the
        channel's type whose latest applicable consent (given through it for this
        channel, or for ``ALL`` through any identifier of the person) is a grant."""
        wanted = CONSENT_CHANNELS.get(channel)
        if wanted is None:
            raise InvalidInput(
                f"must be a channel one is contacted on: "
                f"{', '.join(c for c, t in CONSENT_CHANNELS.items() if t)}",
                field="channel",
            )
        general = [c for c in self.history if c.purpose == purpose and c.channel == "ALL"]
        points: list[ContactPoint] = []
        for key, (kind, value) in sorted(self.contacts.items()):
            if kind != wanted:
                continue
            own = [
                c
                for c in self.history
                if c.purpose == purpose and c.channel == channel and key in c.through
            ]
            applicable = own + general
            if applicable:
                latest = max(applicable, key=lambda c: c.order)
                if latest.status == "granted":
                    points.append(ContactPoint(kind, value, latest))
        return points

    def allowed(self, purpose: str, channels: Iterable[str]) -> list[ContactPoint]:
        """The contact points ``purpose`` may use on any of ``channels``, each once
        (``ALL`` among them counts through each channel's ``contactable``); ``ALL`` alone
        stands for every channel one is contacted on."""
        wanted = set(channels) - {"ALL"}
        if not wanted:
            wanted = {c for c, kind in CONSENT_CHANNELS.items() if kind}
        points: dict[tuple[str, str], ContactPoint] = {}
        for channel in sorted(wanted):
            for point in self.contactable(purpose, channel):
                points.setdefault((point.type, point.value), point)
        return [points[k] for k in sorted(points)]

    def deciding(self, purpose: str, channels: Iterable[str]) -> list[ConsentView]:
        """The effective consents for ``purpose`` on these channels (the ones a rule's
        consent condition weighs), in channel order."""
        wanted = set(channels)
        return [c for c in self.effective() if c.purpose == purpose and c.channel in wanted]


async def consents_of(graph: Graph, person_ids: Sequence[str]) -> list[PersonConsents]:
    """Each person's contact points and consent history, in the order of ``person_ids``."""
    return _assemble(await graph.query("person-consents", ids=list(person_ids)), person_ids)


async def consents_of_tx(tx: Tx, person_ids: Sequence[str]) -> list[PersonConsents]:
    """``consents_of`` inside a transaction (what it has written included)."""
    return _assemble(await tx.run("person-consents", ids=list(person_ids)), person_ids)


def _assemble(rows: list[dict[str, Any]], person_ids: Sequence[str]) -> list[PersonConsents]:
    contacts: dict[str, dict[str, tuple[str, str]]] = {p: {} for p in person_ids}
    found: dict[str, dict[str, dict[str, Any]]] = {p: {} for p in person_ids}
    for row in rows:
        person = row["person"]
        contacts[person][row["key"]] = (row["type"], row["value"])
        for c in row["consents"]:
            entry = found[person].setdefault(c["key"], {**c, "through": []})
            entry["through"].append(row["key"])
    out = []
    for person in person_ids:
        history = sorted((_view(c) for c in found[person].values()), key=lambda c: (c.order, c.key))
        out.append(PersonConsents(contacts[person], tuple(history)))
    return out


def _view(row: dict[str, Any]) -> ConsentView:
    at = parse_time(row["at"])
    assert at is not None  # stored from a validated consent
    return ConsentView(
        key=row["key"],
        source=row["source"],
        id=row["id"],
        purpose=row["purpose"],
        channel=row["channel"],
        status=row["status"],
        at=at,
        evidence=json.loads(row["evidence"] or "{}"),
        through=tuple(sorted(row["through"])),
    )
