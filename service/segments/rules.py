"""The segment rule language: parsed and checked when a segment is defined.

A definition is a JSON (or YAML) object; its rule is a tree of conditions::

    name: travelling-abroad
    description: paid by card abroad in the last three days
    rule:
      event:                      # the person has events...
        type: card_payment        # of these types (a name or a list)
        channel: [STORE, WEB]     # optional: on these channels
        within: 3d                # optional: in a sliding window (m, h, d, w)
        atLeast: 1                # optional: at least this many (default 1)
        where:                    # optional: every comparison holds on the same event
          - {attribute: country, ne: {home: country}}
          - {attribute: amount, gt: 100}

Leaves: ``event`` (above), ``identifier: {type: PHONE}`` (the person has one),
``record: {source: crm, where: [...]}`` (a record of the person matches), and
``consent: {purpose: marketing, channel: SMS}``: the person's effective consent for that
purpose on that channel is a grant. Effective: the latest (by ``at``, ties by source then
id, as ``service/privacy/consents.py`` reads it) of the consents given through any of the
person's identifiers for the purpose on that channel or on ``ALL``; without ``channel``,
the ``ALL`` consent alone. No consent means not granted.
Branches: ``all: [...]``, ``any: [...]``, ``not: {...}``. A comparison names
``attribute`` (a top-level attribute of the item) or ``field: country`` (the item's own
country) and one operator: ``eq``, ``ne``, ``gt``, ``lt`` (a string, number or boolean),
``in`` (a list of them); ``eq``/``ne`` may take ``{home: country}``: the person's home
countries, the countries of their records.

Every problem is an ``InvalidRule`` naming its path (``rule.all[1].within``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from service.errors import InvalidRule
from service.identity.contract import CHANNELS, CONSENT_CHANNELS

__all__ = [
    "MAX_AT_LEAST",
    "MAX_WINDOW_SECONDS",
    "All",
    "Any_",
    "Comparison",
    "Condition",
    "ConsentCondition",
    "Definition",
    "EventCondition",
    "IdentifierCondition",
    "Not",
    "RecordCondition",
    "parse_definition",
    "parse_duration",
]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_ATTRIBUTE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_EVENT_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
_SOURCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_IDENTIFIER_TYPE = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")
_DURATION = re.compile(r"^([1-9][0-9]{0,5})(m|h|d|w)$")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
#: A window longer than a year would keep most of a journey "recent"; a count above a
#: thousand reads more events per person than a write should (statements cap at it).
MAX_WINDOW_SECONDS = 366 * 86400
MAX_AT_LEAST = 1000
_MAX_DEPTH = 8
_MAX_LEAVES = 32
_OPERATORS = ("eq", "ne", "gt", "lt", "in")
_FIELDS = ("country",)

Op = Literal["eq", "ne", "gt", "lt", "in"]
Scalar = str | int | float | bool


@dataclass(frozen=True, slots=True)
class Comparison:
    """``attribute`` (or ``field``) ``op`` ``value``; ``home``: compared with the
    person's home countries instead of a value."""

    prop: str  # the stored property: "attr.<name>" or a field such as "country"
    op: Op
    value: Scalar | tuple[Scalar, ...] | None
    home: bool = False


@dataclass(frozen=True, slots=True)
class EventCondition:
    types: tuple[str, ...] | None
    channels: tuple[str, ...] | None
    window_seconds: int | None
    at_least: int
    where: tuple[Comparison, ...]


@dataclass(frozen=True, slots=True)
class IdentifierCondition:
    type: str


@dataclass(frozen=True, slots=True)
class RecordCondition:
    sources: tuple[str, ...] | None
    where: tuple[Comparison, ...]


@dataclass(frozen=True, slots=True)
class ConsentCondition:
    purpose: str
    #: The consent channel (SMS, EMAIL...); None: only the ``ALL`` consent counts.
    channel: str | None


@dataclass(frozen=True, slots=True)
class All:
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Any_:
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Condition


Condition = (
    EventCondition | IdentifierCondition | RecordCondition | ConsentCondition | All | Any_ | Not
)


@dataclass(frozen=True, slots=True)
class Definition:
    name: str
    description: str
    rule: Condition
    #: The definition as given (JSON-able): stored, shown and compared for versions.
    source: dict[str, Any] = field(compare=False)


def parse_duration(text: object, path: str) -> int:
    """``"3d"`` -> 259200 seconds; units m, h, d, w."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidRule('must be a duration like "3d" (m, h, d or w)', field=path)
    seconds = int(match[1]) * _UNIT_SECONDS[match[2]]
    if seconds > MAX_WINDOW_SECONDS:
        raise InvalidRule("must be at most 366 days", field=path)
    return seconds


def parse_definition(
    raw: object, *, identifier_types: Sequence[str] = (), purposes: Sequence[str] = ()
) -> Definition:
    """Check a definition; raise ``InvalidRule`` (naming the path) at the first problem.
    ``identifier_types`` and ``purposes``, when given, are the only ones a rule may name
    (the settings'); stored definitions are read back without them."""
    if not isinstance(raw, Mapping):
        raise InvalidRule("a segment definition must be an object", field="definition")
    _only(raw, ("name", "description", "rule"), "")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidRule(
            "must be 1-63 lowercase letters, digits, '-' or '_', starting with a letter or digit",
            field="name",
        )
    description = raw.get("description", "")
    if not isinstance(description, str) or len(description) > 500:
        raise InvalidRule("must be a string of at most 500 characters", field="description")
    if "rule" not in raw:
        raise InvalidRule("is required", field="rule")
    parser = _Parser(frozenset(identifier_types), frozenset(purposes))
    rule = parser.condition(raw["rule"], "rule", 0)
    if not _has_positive(rule):
        raise InvalidRule(
            "needs at least one condition outside 'not': a rule made only of absences "
            "holds nearly every person, so defining it would enrol the whole graph and "
            "each closing window inside it would need a scan of every person",
            field="rule",
        )
    return Definition(name, description, rule, dict(raw))


def _has_positive(rule: Condition, negated: bool = False) -> bool:
    if isinstance(rule, Not):
        return _has_positive(rule.part, not negated)
    if isinstance(rule, All | Any_):
        return any(_has_positive(p, negated) for p in rule.parts)
    return not negated


def _only(raw: Mapping[str, Any], allowed: Sequence[str], path: str) -> None:
    for key in raw:
        if key not in allowed:
            where = f"{path}.{key}" if path else str(key)
            raise InvalidRule(f"unknown field; expected one of {', '.join(allowed)}", field=where)


class _Parser:
    def __init__(self, identifier_types: frozenset[str], purposes: frozenset[str]) -> None:
        self.identifier_types = identifier_types
        self.purposes = purposes
        self.leaves = 0

    def condition(self, raw: object, path: str, depth: int) -> Condition:
        if depth > _MAX_DEPTH:
            raise InvalidRule(f"nests deeper than {_MAX_DEPTH} levels", field=path)
        if not isinstance(raw, Mapping) or len(raw) != 1:
            raise InvalidRule(
                "must be an object with exactly one of all, any, not, event, identifier, "
                "record, consent",
                field=path,
            )
        ((kind, body),) = raw.items()
        sub = f"{path}.{kind}"
        if kind in ("all", "any"):
            if not isinstance(body, list) or not body:
                raise InvalidRule("must be a non-empty list of conditions", field=sub)
            parts = tuple(self.condition(p, f"{sub}[{i}]", depth + 1) for i, p in enumerate(body))
            return All(parts) if kind == "all" else Any_(parts)
        if kind == "not":
            return Not(self.condition(body, sub, depth + 1))
        self.leaves += 1
        if self.leaves > _MAX_LEAVES:
            raise InvalidRule(f"has more than {_MAX_LEAVES} conditions", field=sub)
        if not isinstance(body, Mapping):
            raise InvalidRule("must be an object", field=sub)
        if kind == "event":
            return self.event(body, sub)
        if kind == "identifier":
            return self.identifier(body, sub)
        if kind == "record":
            return self.record(body, sub)
        if kind == "consent":
            return self.consent(body, sub)
        raise InvalidRule(
            "unknown condition; expected all, any, not, event, identifier, record or consent",
            field=path + f".{kind}",
        )

    def event(self, body: Mapping[str, Any], path: str) -> EventCondition:
        _only(body, ("type", "channel", "within", "atLeast", "where"), path)
        types = _names(body.get("type"), f"{path}.type", _EVENT_TYPE, "an event type")
        channels = _names(body.get("channel"), f"{path}.channel", None, "a channel")
        for i, channel in enumerate(channels or ()):
            if channel not in CHANNELS:
                raise InvalidRule(
                    f"must be one of {', '.join(CHANNELS)}", field=f"{path}.channel[{i}]"
                )
        window = None
        if body.get("within") is not None:
            window = parse_duration(body["within"], f"{path}.within")
        at_least = body.get("atLeast", 1)
        if isinstance(at_least, bool) or not isinstance(at_least, int):
            raise InvalidRule("must be a whole number", field=f"{path}.atLeast")
        if not 1 <= at_least <= MAX_AT_LEAST:
            raise InvalidRule(f"must be between 1 and {MAX_AT_LEAST}", field=f"{path}.atLeast")
        where = _comparisons(body.get("where", []), f"{path}.where")
        return EventCondition(types, channels, window, at_least, where)

    def identifier(self, body: Mapping[str, Any], path: str) -> IdentifierCondition:
        _only(body, ("type",), path)
        kind = body.get("type")
        if not isinstance(kind, str) or not _IDENTIFIER_TYPE.match(kind):
            raise InvalidRule("must be an identifier type such as PHONE", field=f"{path}.type")
        if self.identifier_types and kind not in self.identifier_types:
            raise InvalidRule(
                "unknown identifier type; expected one of "
                + ", ".join(sorted(self.identifier_types)),
                field=f"{path}.type",
            )
        return IdentifierCondition(kind)

    def record(self, body: Mapping[str, Any], path: str) -> RecordCondition:
        _only(body, ("source", "where"), path)
        sources = _names(body.get("source"), f"{path}.source", _SOURCE, "a source name")
        where = _comparisons(body.get("where", []), f"{path}.where")
        if any(c.home for c in where):
            raise InvalidRule(
                "a record compared with the home country compares it with itself",
                field=f"{path}.where",
            )
        return RecordCondition(sources, where)

    def consent(self, body: Mapping[str, Any], path: str) -> ConsentCondition:
        _only(body, ("purpose", "channel"), path)
        purpose = body.get("purpose")
        if not isinstance(purpose, str) or not _ATTRIBUTE.match(purpose):
            raise InvalidRule("must be a purpose name such as 'marketing'", field=f"{path}.purpose")
        purpose = purpose.lower()  # consents store their purpose lower-cased
        if self.purposes and purpose not in self.purposes:
            raise InvalidRule(
                "unknown purpose; expected one of " + ", ".join(sorted(self.purposes)),
                field=f"{path}.purpose",
            )
        channel = body.get("channel")
        if channel is not None and channel not in CONSENT_CHANNELS:
            raise InvalidRule(
                f"must be one of {', '.join(CONSENT_CHANNELS)}", field=f"{path}.channel"
            )
        return ConsentCondition(purpose, channel)


def _names(
    value: object, path: str, pattern: re.Pattern[str] | None, what: str
) -> tuple[str, ...] | None:
    if value is None:
        return None
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values:
        raise InvalidRule(f"must be {what} or a non-empty list of them", field=path)
    for i, v in enumerate(values):
        if not isinstance(v, str) or (pattern is not None and not pattern.match(v)):
            raise InvalidRule(f"must be {what}", field=f"{path}[{i}]")
    return tuple(values)


def _comparisons(raw: object, path: str) -> tuple[Comparison, ...]:
    if not isinstance(raw, list):
        raise InvalidRule("must be a list of comparisons", field=path)
    return tuple(_comparison(c, f"{path}[{i}]") for i, c in enumerate(raw))


def _comparison(raw: object, path: str) -> Comparison:
    if not isinstance(raw, Mapping):
        raise InvalidRule("must be an object such as {attribute: country, eq: FR}", field=path)
    _only(raw, ("attribute", "field", *_OPERATORS), path)
    if ("attribute" in raw) == ("field" in raw):
        raise InvalidRule("needs exactly one of attribute or field", field=path)
    if "attribute" in raw:
        name = raw["attribute"]
        if not isinstance(name, str) or not _ATTRIBUTE.match(name):
            raise InvalidRule("must be a top-level attribute name", field=f"{path}.attribute")
        prop = f"attr.{name}"
    else:
        prop = raw["field"]
        if prop not in _FIELDS:
            raise InvalidRule(f"must be one of {', '.join(_FIELDS)}", field=f"{path}.field")
    ops = [k for k in raw if k in _OPERATORS]
    if len(ops) != 1:
        raise InvalidRule(f"needs exactly one operator of {', '.join(_OPERATORS)}", field=path)
    op: Op = ops[0]
    value = raw[op]
    where = f"{path}.{op}"
    if isinstance(value, Mapping):
        if op not in ("eq", "ne") or dict(value) != {"home": "country"}:
            raise InvalidRule("only eq and ne compare with {home: country}", field=where)
        return Comparison(prop, op, None, home=True)
    if op == "in":
        if not isinstance(value, list) or not value or not all(_scalar(v) for v in value):
            raise InvalidRule("must be a non-empty list of strings or numbers", field=where)
        return Comparison(prop, op, tuple(value))
    if not _scalar(value):
        raise InvalidRule("must be a string, number or boolean", field=where)
    if op in ("gt", "lt") and isinstance(value, bool):
        raise InvalidRule("must be a string or number", field=where)
    return Comparison(prop, op, value)


def _scalar(value: object) -> bool:
    return isinstance(value, str | int | float | bool) and value is not None
