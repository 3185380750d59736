"""Enums, inputs and helpers shared by every area of the schema."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry

from service.errors import InvalidIdentifier, InvalidInput
from service.identity.identifiers import Identifier, IdentifierRules, normalize

__all__ = [
    "AddressInput",
    "Channel",
    "IdentifierInput",
    "IdentifierType",
    "raw_identifier",
    "to_identifier",
]


@strawberry.enum(description="What kind of value points at a customer.")
class IdentifierType(Enum):
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    LOYALTY_CARD = "LOYALTY_CARD"
    DEVICE = "DEVICE"
    ADDRESS = "ADDRESS"
    CUSTOMER_ID = "CUSTOMER_ID"
    PAYMENT_TOKEN = "PAYMENT_TOKEN"


@strawberry.enum(description="Where an interaction happened.")
class Channel(Enum):
    WEB = "WEB"
    APP = "APP"
    STORE = "STORE"
    CALL_CENTER = "CALL_CENTER"
    EMAIL = "EMAIL"
    SMS = "SMS"
    SOCIAL = "SOCIAL"
    MESSENGER = "MESSENGER"
    CHAT = "CHAT"
    PAYMENT = "PAYMENT"
    POST = "POST"
    OTHER = "OTHER"


@strawberry.input(description="A postal address in parts; `country` is ISO 3166 alpha-2.")
class AddressInput:
    line1: str
    line2: str | None = None
    postcode: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None


@strawberry.input(
    description=(
        "An identifier as the channel saw it; omnid normalizes it. Give `value`, or "
        "`address` for a structured ADDRESS. `country` reads national phone numbers."
    )
)
class IdentifierInput:
    type: IdentifierType
    value: str | None = None
    address: AddressInput | None = None
    country: str | None = None


def raw_identifier(given: IdentifierInput) -> dict[str, Any]:
    """The input-contract form of an identifier input."""
    if given.address is not None:
        value: Any = {k: v for k, v in vars(given.address).items() if v is not None}
    else:
        value = given.value  # None is reported by the contract as "value: is required"
    return {"type": given.type.value, "value": value}


def to_identifier(
    given: IdentifierInput, rules: IdentifierRules, field: str | None = None
) -> Identifier:
    """The normalized identifier. ``field``: where it sits in a batch's item, so that its
    errors name ``<field>.value`` (``a.identifier.value``)."""
    raw = raw_identifier(given)
    path = f"{field}.value" if field else "identifier.value"
    if raw["value"] is None:
        raise InvalidInput("give `value` (or `address` for ADDRESS)", field=path)
    try:
        return normalize(raw["type"], raw["value"], region=given.country, rules=rules)
    except InvalidIdentifier as exc:
        if field is None:
            raise
        raise InvalidIdentifier(exc.reason, type=exc.type, value=raw["value"], field=path) from None
