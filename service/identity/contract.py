"""The input contract: one JSON object per record or event, the same for every entry point.

The CLI's JSON Lines import, the GraphQL mutations and bulk jobs all hand their items to
``parse_item``, which checks the shape, normalizes every identifier with the identifier
layer and returns an ``Item``, or raises ``InvalidInput`` naming the offending field::

    {"kind": "record", "source": "eshop", "id": "cust-1001",
     "identifiers": [{"type": "EMAIL", "value": "Ana.Silva@Example.com"}],
     "attributes": {"name": "Ana Silva"}}
    -> Item(kind="record", key="record/eshop/cust-1001",
            identifiers=(Identifier("EMAIL", "ana.silva@example.com", ...),), ...)

A record is what a source knows now (sending it again replaces it); an event is
immutable (sending the same source and id again changes nothing). Unknown top-level
fields are kept as attributes.

A consent is a third, immutable kind, parsed by ``parse_consent`` (it never reaches
resolution: it attaches to the identifiers it was given through)::

    {"kind": "consent", "source": "newsletter", "id": "opt-77",
     "identifiers": [{"type": "EMAIL", "value": "ana@example.com"}],
     "purpose": "marketing", "channel": "EMAIL", "status": "granted",
     "at": "2026-03-01T12:00:00Z", "evidence": {"form": "footer", "textVersion": "v3"}}
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from service.errors import InvalidIdentifier, InvalidInput, LimitExceeded
from service.identity.identifiers import DEFAULT_RULES, Identifier, IdentifierRules, normalize
from service.identity.identifiers.checks import CONTROL

__all__ = [
    "CHANNELS",
    "CONSENT_CHANNELS",
    "CONSENT_STATUSES",
    "MAX_ATTRIBUTES_BYTES",
    "MAX_IDENTIFIERS_PER_ITEM",
    "RESERVED_SOURCE",
    "Consent",
    "Item",
    "item_key",
    "parse_consent",
    "parse_item",
]

#: Where an interaction can happen. Extending it is a schema change (a GraphQL enum).
CHANNELS = (
    "WEB",
    "APP",
    "STORE",
    "CALL_CENTER",
    "EMAIL",
    "SMS",
    "SOCIAL",
    "MESSENGER",
    "CHAT",
    "PAYMENT",
    "POST",
    "OTHER",
)
#: Channels a consent is given for, and the identifier type each one reaches the
#: customer through (``ALL``: every channel, any contact point).
CONSENT_CHANNELS: dict[str, str | None] = {
    "EMAIL": "EMAIL",
    "SMS": "PHONE",
    "PHONE": "PHONE",
    "PUSH": "DEVICE",
    "APP": "DEVICE",
    "WEB": "DEVICE",
    "POST": "ADDRESS",
    "ALL": None,
}
CONSENT_STATUSES = ("granted", "denied", "withdrawn")
MAX_IDENTIFIERS_PER_ITEM = 50
#: The source of operator links (service/steward/corrections.py): no input may use it,
#: so that no import can rewrite or empty an operator's link.
RESERVED_SOURCE = "operator"
MAX_ATTRIBUTES_BYTES = 64 * 1024

_KNOWN_FIELDS = {
    "kind",
    "source",
    "id",
    "identifiers",
    "attributes",
    "channel",
    "type",
    "at",
    "country",
}
# Sources are system names; no "/" so that item keys "record/<source>/<id>" stay unambiguous.
_SOURCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_EVENT_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
_MAX_ID = 256


@dataclass(frozen=True, slots=True)
class Item:
    """A validated record or event, with its identifiers normalized and deduplicated."""

    kind: Literal["record", "event"]
    source: str
    id: str
    identifiers: tuple[Identifier, ...]
    attributes: dict[str, Any] = field(default_factory=dict)
    channel: str | None = None
    type: str | None = None
    at: datetime | None = None
    country: str | None = None
    #: The attributes as stored (JSON text, keys sorted); computed when not given.
    attributes_json: str = field(default="", repr=False, compare=False)
    #: ``record/<source>/<id>`` or ``event/<source>/<id>``; stored (read many times).
    key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", item_key(self.kind, self.source, self.id))
        if not self.attributes_json:
            object.__setattr__(self, "attributes_json", _attributes_text(self.attributes))


def item_key(kind: str, source: str, id: str) -> str:
    """``item_key("record", "eshop", "cust-1001") == "record/eshop/cust-1001"``."""
    return f"{kind}/{source}/{id}"


def _origin(raw: Mapping[str, Any]) -> tuple[str, str, str | None]:
    """An item's ``source``, ``id`` and ``country``, checked (records, events, consents)."""
    source = _required_str(raw, "source")
    if not _SOURCE.match(source):
        raise InvalidInput(
            "must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit",
            field="source",
        )
    if source == RESERVED_SOURCE:
        raise InvalidInput(
            "'operator' is reserved for operator links (assertSame, acceptMatch)", field="source"
        )
    ident = _required_str(raw, "id")
    if len(ident) > _MAX_ID:
        raise LimitExceeded(f"is longer than {_MAX_ID} characters", field="id")
    if CONTROL.search(ident):  # a key Neo4j cannot store (surrogates) or no one can type
        raise InvalidInput("contains control characters or unpaired surrogates", field="id")
    return source, ident, _country(raw.get("country"))


def parse_item(raw: object, *, rules: IdentifierRules = DEFAULT_RULES) -> Item:
    """Validate one input object; raise ``InvalidInput`` (naming the field) if it is bad."""
    if not isinstance(raw, Mapping):
        raise InvalidInput("an item must be a JSON object", field="item")
    kind = raw.get("kind")
    if kind not in ("record", "event"):
        raise InvalidInput(
            "must be 'record' or 'event' here (consents: parse_consent)", field="kind"
        )
    source, ident, country = _origin(raw)
    attributes, attributes_json = _attributes(raw)
    identifiers = _identifiers(raw.get("identifiers"), country=country, rules=rules)

    if kind == "record":
        return Item(
            "record",
            source,
            ident,
            identifiers,
            attributes,
            country=country,
            attributes_json=attributes_json,
        )

    if not identifiers:
        raise InvalidInput("an event needs at least one identifier", field="identifiers")
    channel = _required_str(raw, "channel").upper()
    if channel not in CHANNELS:
        raise InvalidInput(f"must be one of {', '.join(CHANNELS)}", field="channel")
    event_type = _required_str(raw, "type")
    if not _EVENT_TYPE.match(event_type):
        raise InvalidInput(
            "must be 1-64 letters, digits or '_.:-' (e.g. 'purchase', 'page_view')", field="type"
        )
    return Item(
        "event",
        source,
        ident,
        identifiers,
        attributes,
        channel=channel,
        type=event_type,
        at=_timestamp(raw.get("at"), "at"),
        country=country,
        attributes_json=attributes_json,
    )


def _required_str(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    if value is None:
        raise InvalidInput("is required", field=name)
    if isinstance(value, int) and not isinstance(value, bool) and name == "id":
        value = str(value)
    if not isinstance(value, str):
        raise InvalidInput("must be a string", field=name)
    value = value.strip()
    if not value:
        raise InvalidInput("must not be empty", field=name)
    return value


def _country(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{2}", value.strip()):
        raise InvalidInput("must be an ISO 3166 alpha-2 code such as 'ES'", field="country")
    return value.strip().upper()


# One encoder for every item: ``json.dumps`` with options builds a new one per call.
# allow_nan=False: NaN and Infinity are not JSON, and no client could read them back.
_ATTRIBUTES_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, allow_nan=False)
# Unpaired surrogates (a JSON "\ud800" escape decodes to one) cannot be sent to Neo4j as
# UTF-8: one of them would fail its whole batch.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _attributes_text(attributes: Mapping[str, Any]) -> str:
    """JSON text, keys sorted; ValueError for NaN, Infinity or an unpaired surrogate."""
    text = _ATTRIBUTES_ENCODER.encode(attributes)
    if _SURROGATE.search(text):
        raise ValueError("unpaired surrogate")
    return text


def _attributes(raw: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """The item's attributes (unknown top-level fields included) and their JSON text."""
    attributes = raw.get("attributes", {})
    if attributes is None:
        attributes = {}
    if not isinstance(attributes, Mapping):
        raise InvalidInput("must be a JSON object", field="attributes")
    merged = {k: v for k, v in raw.items() if k not in _KNOWN_FIELDS}
    merged.update(attributes)
    try:
        text = _attributes_text(merged)
    except (TypeError, ValueError):
        raise InvalidInput(
            "must be JSON: finite numbers, text without unpaired surrogates", field="attributes"
        ) from None
    if len(text) > MAX_ATTRIBUTES_BYTES:
        raise LimitExceeded(f"are larger than {MAX_ATTRIBUTES_BYTES} bytes", field="attributes")
    return dict(merged), text


def _identifiers(
    value: object, *, country: str | None, rules: IdentifierRules
) -> tuple[Identifier, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidInput("must be a list of {type, value} objects", field="identifiers")
    if len(value) > MAX_IDENTIFIERS_PER_ITEM:
        raise LimitExceeded(
            f"has more than {MAX_IDENTIFIERS_PER_ITEM} entries", field="identifiers"
        )
    seen: dict[str, Identifier] = {}
    for index, entry in enumerate(value):
        where = f"identifiers[{index}]"
        if not isinstance(entry, Mapping):
            raise InvalidInput("must be a {type, value} object", field=where)
        kind = entry.get("type")
        if not isinstance(kind, str) or not kind.strip():
            raise InvalidInput("is required", field=f"{where}.type")
        if "value" not in entry or entry["value"] is None:
            raise InvalidInput("is required", field=f"{where}.value")
        try:
            identifier = normalize(kind, entry["value"], region=country, rules=rules)
        except InvalidIdentifier as exc:
            raise InvalidIdentifier(
                exc.reason, type=exc.type, value=entry["value"], field=f"{where}.value"
            ) from None
        seen.setdefault(identifier.key, identifier)
    return tuple(seen.values())


def _timestamp(value: object, name: str) -> datetime:
    if value is None:
        raise InvalidInput("is required (ISO 8601 with a timezone)", field=name)
    if not isinstance(value, str):
        raise InvalidInput("must be an ISO 8601 string", field=name)
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput("is not an ISO 8601 date-time", field=name) from None
    if parsed.tzinfo is None:
        raise InvalidInput("needs a timezone (e.g. 'Z' or '+01:00')", field=name)
    return parsed.astimezone(UTC)


_CONSENT_FIELDS = {
    "kind",
    "source",
    "id",
    "identifiers",
    "purpose",
    "channel",
    "status",
    "at",
    "country",
    "evidence",
}
_MAX_EVIDENCE_BYTES = 4 * 1024


@dataclass(frozen=True, slots=True)
class Consent:
    """A validated consent: what a customer said, through which identifiers, and when.

    Immutable like an event: ``consent/<source>/<id>`` is stored once.
    """

    source: str
    id: str
    identifiers: tuple[Identifier, ...]
    purpose: str
    channel: str
    status: str
    at: datetime
    evidence: dict[str, Any] = field(default_factory=dict)
    country: str | None = None
    key: str = field(init=False, repr=False, compare=False)
    kind: Literal["consent"] = field(default="consent", init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", item_key("consent", self.source, self.id))


def parse_consent(
    raw: object,
    *,
    purposes: Sequence[str],
    rules: IdentifierRules = DEFAULT_RULES,
) -> Consent:
    """Validate one consent item; raise ``InvalidInput`` naming the field if it is bad.

    ``purposes``: the configured list (``OMNID_CONSENT_PURPOSES``). Evidence is a flat
    object of short values (the form, the text version shown); an IP address is refused,
    under any name: it is personal data the consent does not need.
    """
    if not isinstance(raw, Mapping):
        raise InvalidInput("an item must be a JSON object", field="item")
    if raw.get("kind") != "consent":
        raise InvalidInput("must be 'consent'", field="kind")
    unknown = sorted(set(raw) - _CONSENT_FIELDS)
    if unknown:
        raise InvalidInput(
            f"unknown field (known: {', '.join(sorted(_CONSENT_FIELDS))})", field=str(unknown[0])
        )
    source, ident, country = _origin(raw)
    identifiers = _identifiers(raw.get("identifiers"), country=country, rules=rules)
    if not identifiers:
        raise InvalidInput("a consent needs at least one identifier", field="identifiers")
    purpose = _required_str(raw, "purpose").lower()
    if purpose not in purposes:
        raise InvalidInput(f"must be one of {', '.join(purposes)}", field="purpose")
    channel = _required_str(raw, "channel").upper()
    if channel not in CONSENT_CHANNELS:
        raise InvalidInput(f"must be one of {', '.join(CONSENT_CHANNELS)}", field="channel")
    status = _required_str(raw, "status").lower()
    if status not in CONSENT_STATUSES:
        raise InvalidInput(f"must be one of {', '.join(CONSENT_STATUSES)}", field="status")
    return Consent(
        source,
        ident,
        identifiers,
        purpose,
        channel,
        status,
        _timestamp(raw.get("at"), "at"),
        _evidence(raw.get("evidence")),
        country,
    )


_IP_NAME = re.compile(r"(^|[^a-z])ip([^a-z]|$)|ipaddress|ip_?addr", re.IGNORECASE)


def _evidence(value: object) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInput("must be a JSON object", field="evidence")
    evidence: dict[str, Any] = {}
    for name, entry in value.items():
        where = f"evidence.{name}"
        if _IP_NAME.search(str(name)):
            raise InvalidInput("an IP address is not kept as consent evidence", field=where)
        if entry is not None and not isinstance(entry, str | int | float | bool):
            raise InvalidInput("must be a string, number or boolean", field=where)
        if isinstance(entry, str) and _is_ip(entry):
            raise InvalidInput("an IP address is not kept as consent evidence", field=where)
        evidence[str(name)] = entry
    try:
        text = _attributes_text(evidence)
    except ValueError:
        raise InvalidInput(
            "must be JSON: finite numbers, text without unpaired surrogates", field="evidence"
        ) from None
    if len(text) > _MAX_EVIDENCE_BYTES:
        raise LimitExceeded(f"is larger than {_MAX_EVIDENCE_BYTES} bytes", field="evidence")
    return evidence


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip())
    except ValueError:
        return False
    return True
