"""What an identifier is once normalized, and the rules that normalize it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from service.errors import InvalidIdentifier, InvalidInput
from service.identity.identifiers.countries import country_code

__all__ = [
    "BUILTIN_TYPES",
    "DEFAULT_BLOCKLIST",
    "DEFAULT_BLOCK_REASONS",
    "DEFAULT_RULES",
    "MAX_VALUE_LENGTH",
    "PLACEHOLDER_EMAIL",
    "Identifier",
    "IdentifierRules",
]

BUILTIN_TYPES: tuple[str, ...] = ("EMAIL", "PHONE", "LOYALTY_CARD", "DEVICE", "ADDRESS")

#: Longest raw value accepted, counted before trimming (for a mapping ADDRESS: the sum of
#: its fields). Real identifiers are far shorter (an email is at most 254 characters); the
#: limit keeps pathological input out of the graph and out of the parsers.
MAX_VALUE_LENGTH = 512

_ZERO_UUID = "00000000-0000-0000-0000-000000000000"
PLACEHOLDER_EMAIL = "placeholder email"

#: Keys that never link, with the reason reported in ``Identifier.blocked``.
DEFAULT_BLOCK_REASONS: dict[str, str] = {
    **{
        f"EMAIL:{email}": PLACEHOLDER_EMAIL
        for email in (
            "a@a.com",
            "email@email.com",
            "no@email.com",
            "noemail@example.com",
            "none@none.com",
            "test@example.com",
            "test@test.com",
        )
    },
    f"DEVICE:{_ZERO_UUID}": "zero advertising id",
}

#: The shipped blocklist: identifier keys ("TYPE:normalized value") that never link.
#: Pattern rules (placeholder email local parts at any domain, repeated or sequential
#: phone digits) apply in addition, see :func:`normalize`.
DEFAULT_BLOCKLIST: frozenset[str] = frozenset(DEFAULT_BLOCK_REASONS)


class _Settings(Protocol):
    """The part of :class:`service.settings.Settings` the identifier rules read."""

    @property
    def default_region(self) -> str | None: ...
    @property
    def email_provider_rules(self) -> bool: ...
    @property
    def loyalty_luhn(self) -> bool: ...
    @property
    def extra_identifier_types(self) -> Sequence[str]: ...
    @property
    def blocklist(self) -> Sequence[str]: ...


_TYPE_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


@dataclass(frozen=True, slots=True)
class Identifier:
    """One normalized identifier: the node ``key`` is ``"TYPE:value"``."""

    type: str
    value: str
    display: str
    blocked: str | None = None
    #: The stable unique key of the identifier node, e.g. ``"EMAIL:ana@example.com"``.
    #: Stored, not a property: the ingest path reads it several times per identifier.
    key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", f"{self.type}:{self.value}")


@dataclass(frozen=True, slots=True)
class IdentifierRules:
    """How values are normalized; built once from :class:`Settings`, then shared.

    ``default_region`` is checked and stored as an ISO alpha-2 code; ``extra_types`` are
    upper-cased and deduplicated (builtin names are dropped). A bad value raises
    :class:`InvalidInput` naming the field.
    """

    default_region: str | None = None
    email_provider_rules: bool = True
    loyalty_luhn: bool = False
    extra_types: tuple[str, ...] = ("CUSTOMER_ID", "PAYMENT_TOKEN")
    blocklist: frozenset[str] = field(default=DEFAULT_BLOCKLIST)

    def __post_init__(self) -> None:
        if self.default_region is not None:
            code = country_code(self.default_region) if self.default_region.strip() else None
            if self.default_region.strip() and code is None:
                raise InvalidInput(
                    "must be an ISO 3166 alpha-2 country code such as 'ES'",
                    field="default_region",
                )
            object.__setattr__(self, "default_region", code)
        extras: list[str] = []
        for name in self.extra_types:
            upper = name.strip().upper()
            if not _TYPE_NAME.fullmatch(upper):
                raise InvalidInput(
                    "identifier type names are A-Z, 0-9 and _, starting with a letter",
                    field="extra_types",
                )
            if upper not in BUILTIN_TYPES and upper not in extras:
                extras.append(upper)
        object.__setattr__(self, "extra_types", tuple(extras))
        object.__setattr__(self, "blocklist", frozenset(self.blocklist))

    @classmethod
    def from_settings(cls, settings: _Settings) -> IdentifierRules:
        """Rules from :class:`~service.settings.Settings`; its blocklist adds to the defaults.

        Each entry is ``"TYPE:value"``, raw or normalized (``"EMAIL:Foo@Bar.com"`` blocks
        ``EMAIL:foo@bar.com``); an entry that does not normalize raises
        :class:`InvalidInput` naming ``OMNID_BLOCKLIST``.
        """
        base = cls(
            default_region=settings.default_region,
            email_provider_rules=settings.email_provider_rules,
            loyalty_luhn=settings.loyalty_luhn,
            extra_types=tuple(settings.extra_identifier_types),
        )
        from service.identity.identifiers import normalize  # the package's entry point

        extra: set[str] = set()
        for index, entry in enumerate(settings.blocklist):
            kind, sep, raw = entry.partition(":")
            if not sep:
                raise InvalidInput(
                    f"entry {index} must look like 'TYPE:value'", field="OMNID_BLOCKLIST"
                )
            try:
                extra.add(normalize(kind, raw, rules=base).key)
            except InvalidIdentifier as exc:
                raise InvalidInput(
                    f"entry {index} ({exc.type}): {exc.reason}", field="OMNID_BLOCKLIST"
                ) from None
        return replace(base, blocklist=DEFAULT_BLOCKLIST | extra)

    @property
    def types(self) -> tuple[str, ...]:
        """Every accepted type: the builtin ones, then the extra ones."""
        return BUILTIN_TYPES + self.extra_types


DEFAULT_RULES = IdentifierRules()
