"""Privacy types: consents (input, effective, history), contact points, erasure
receipts, and the privacy operations (``privacy`` scope) merged into Query and Mutation."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from service.api.context import Context
from service.api.types.common import IdentifierInput, IdentifierType, raw_identifier, to_identifier
from service.api.types.ingest import ItemResult
from service.errors import LimitExceeded
from service.privacy import consents as consent_models
from service.privacy.erasure import ErasureReceipt as ReceiptView
from service.privacy.erasure import erase, erasures, person_id_for, unsuppress
from service.privacy.export import export_person

__all__ = [
    "Consent",
    "ConsentChannel",
    "ConsentInput",
    "ConsentStatus",
    "ContactPoint",
    "ErasureReceipt",
    "PrivacyMutation",
    "PrivacyQuery",
    "consent_to_contract",
    "consents_for",
    "contactable_for",
]

Info = strawberry.Info[Context, None]


@strawberry.enum(description="The channel a consent is given for; ALL: every channel.")
class ConsentChannel(Enum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    PHONE = "PHONE"
    PUSH = "PUSH"
    APP = "APP"
    WEB = "WEB"
    POST = "POST"
    ALL = "ALL"


@strawberry.enum(description="What the customer said.")
class ConsentStatus(Enum):
    GRANTED = "granted"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"


@strawberry.input(
    description=(
        "A consent as the customer gave it: through which identifiers, for which purpose "
        "(OMNID_CONSENT_PURPOSES) and channel, and when (`at`, not when it arrives). "
        "Immutable: re-sending one changes nothing. `evidence`: the form, the text "
        "version shown (an IP address is refused)."
    )
)
class ConsentInput:
    source: str
    id: str
    identifiers: list[IdentifierInput]
    purpose: str
    channel: ConsentChannel
    status: ConsentStatus
    at: datetime
    evidence: JSON | None = None
    country: str | None = None


def consent_to_contract(item: ConsentInput) -> dict[str, Any]:
    return {
        "kind": "consent",
        "source": item.source,
        "id": item.id,
        "identifiers": [raw_identifier(i) for i in item.identifiers],
        "purpose": item.purpose,
        "channel": item.channel.value,
        "status": item.status.value,
        "at": item.at.isoformat(),
        "evidence": item.evidence or {},
        "country": item.country,
    }


@strawberry.type(description="An identifier a consent was given through.")
class ConsentIdentifier:
    type: IdentifierType
    value: str


@strawberry.type(description="One consent, with where it comes from.")
class Consent:
    purpose: str
    channel: ConsentChannel
    status: ConsentStatus
    at: datetime = strawberry.field(description="When the customer gave it.")
    source: str
    id: str = strawberry.field(description="The consent's id in its source system.")
    evidence: JSON
    through: list[ConsentIdentifier] = strawberry.field(
        description="The person's identifiers it was given through."
    )

    @classmethod
    def of(cls, view: consent_models.ConsentView) -> Consent:
        return cls(
            purpose=view.purpose,
            channel=ConsentChannel(view.channel),
            status=ConsentStatus(view.status),
            at=view.at,
            source=view.source,
            id=view.id,
            evidence=cast(JSON, view.evidence),
            through=[
                ConsentIdentifier(type=IdentifierType(k.split(":", 1)[0]), value=k.split(":", 1)[1])
                for k in view.through
            ],
        )


@strawberry.type(description="A contact point a purpose may use, and the consent allowing it.")
class ContactPoint:
    type: IdentifierType
    value: str
    consent: Consent


async def consents_for(info: Info, person: str, history: bool) -> list[Consent]:
    """Person.consents: the effective consent per (purpose, channel), or every one."""
    mine = await info.context.loaders.consents.load(person)
    views = mine.history if history else mine.effective()
    return [Consent.of(v) for v in views]


async def contactable_for(
    info: Info, person: str, purpose: str, channel: ConsentChannel
) -> list[ContactPoint]:
    """Person.contactable: the contact points ``purpose`` may use on ``channel``."""
    wanted = consent_models.check_purpose(purpose, info.context.settings.consent_purposes)
    mine = await info.context.loaders.consents.load(person)
    return [
        ContactPoint(type=IdentifierType(p.type), value=p.value, consent=Consent.of(p.consent))
        for p in mine.contactable(wanted, channel.value)
    ]


@strawberry.type(description="What one erasure removed: counts only, no personal value.")
class ErasureReceipt:
    id: strawberry.ID
    at: datetime
    requested_by: str = strawberry.field(description="The API key's name (a fingerprint).")
    reason: str
    records: int
    events: int
    identifiers: int
    consents: int
    aliases: int
    suppressed: int

    @classmethod
    def of(cls, view: ReceiptView) -> ErasureReceipt:
        return cls(
            id=strawberry.ID(view.id),
            at=view.at,
            requested_by=view.requested_by,
            reason=view.reason,
            records=view.records,
            events=view.events,
            identifiers=view.identifiers,
            consents=view.consents,
            aliases=view.aliases,
            suppressed=view.suppressed,
        )


async def _person_id(
    info: Info, id: strawberry.ID | None, identifier: IdentifierInput | None
) -> str:
    value = to_identifier(identifier, info.context.ingestor.rules) if identifier else None
    return await person_id_for(
        info.context.graph, id=str(id) if id is not None else None, identifier=value
    )


@strawberry.type
class PrivacyQuery:
    @strawberry.field(description="Erasure receipts since a time (all when omitted), oldest first.")
    async def erasures(self, info: Info, since: datetime | None = None) -> list[ErasureReceipt]:
        info.context.require("privacy")
        return [ErasureReceipt.of(r) for r in await erasures(info.context.graph, since)]

    @strawberry.field(
        description=(
            "Subject access: everything held about a person, as one JSON document "
            '("format": "omnid.export/1"). Give `id` or `identifier`.'
        )
    )
    async def export_person(
        self, info: Info, id: strawberry.ID | None = None, identifier: IdentifierInput | None = None
    ) -> JSON:
        info.context.require("privacy")
        person = await _person_id(info, id, identifier)
        return cast(JSON, await export_person(info.context.graph, person))


@strawberry.type
class PrivacyMutation:
    @strawberry.mutation(
        description="Record consents (immutable: re-sending one changes nothing). Per-item results."
    )
    async def record_consents(self, info: Info, items: list[ConsentInput]) -> list[ItemResult]:
        info.context.require("write")
        limit = info.context.settings.max_batch_size
        if len(items) > limit:
            raise LimitExceeded(
                f"has {len(items)} items; the most per call is {limit}", field="items"
            )
        report = await info.context.ingestor.record_consents(
            [consent_to_contract(i) for i in items]
        )
        return [ItemResult.of(r) for r in report.results]

    @strawberry.mutation(
        description=(
            "The right to be forgotten: remove a person and everything only they own "
            "(records, events, identifiers, consents, merge history) in one transaction; "
            "their identifiers are kept only as suppression hashes. Give `id` or "
            "`identifier`, and a reason (a ticket reference; no personal data). An "
            "identifier no record carries yet, kept for consents given through it, is "
            "erased with those consents."
        )
    )
    async def erase_person(
        self,
        info: Info,
        reason: str,
        id: strawberry.ID | None = None,
        identifier: IdentifierInput | None = None,
    ) -> ErasureReceipt:
        info.context.require("privacy")
        value = to_identifier(identifier, info.context.ingestor.rules) if identifier else None
        receipt = await erase(
            info.context.graph,
            id=str(id) if id is not None else None,
            identifier=value,
            reason=reason,
            requested_by=info.context.access.name,
            suppression=info.context.ingestor.suppression,
            policy=info.context.ingestor.policy,
        )
        return ErasureReceipt.of(receipt)

    @strawberry.mutation(
        description=(
            "Lift the suppression of one erased identifier (a customer who came back of "
            "their own will). Whether it was suppressed."
        )
    )
    async def unsuppress(self, info: Info, identifier: IdentifierInput) -> bool:
        info.context.require("privacy")
        value = to_identifier(identifier, info.context.ingestor.rules)
        return await unsuppress(info.context.graph, value, info.context.ingestor.suppression)
