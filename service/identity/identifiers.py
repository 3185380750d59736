"""The identifier layer: every raw value becomes one canonical, typed :class:`Identifier`.

An identifier is a node in the graph, keyed by ``"TYPE:normalized value"``; two records
are the same customer when they share a key, so normalization decides what "the same"
means. :func:`normalize` is the only way in. It raises :class:`InvalidIdentifier` (and
nothing else) when a value cannot be read; a value that reads fine but is junk (a
placeholder email, the zero advertising id, 000-000-0000-style phones) is *not* an error:
it comes back with ``blocked`` set to a human reason, and never links.

Rules common to all types
    * ``type`` is case-insensitive (``"email"`` -> ``"EMAIL"``); unknown types are refused.
    * The raw value must be a string (ADDRESS: a string or a mapping), at most
      :data:`MAX_VALUE_LENGTH` characters *before* trimming, without unpaired surrogates
      or control characters other than whitespace. It is trimmed (Unicode whitespace,
      BOM and zero-width characters); nothing left -> ``"is empty"``.
    * ``display`` is the trimmed raw value (ADDRESS: a readable one-line original). Only
      ``value`` is used for matching.
    * ``region`` is the record's country (ISO alpha-2, case-insensitive; alpha-3 and a few
      common names are accepted too) and wins over :attr:`IdentifierRules.default_region`.

EMAIL -- syntax checked by email-validator, lower-cased, domain in ASCII (punycode)::

    "  Ana.Silva@Example.COM "     -> "ana.silva@example.com"
    "info@Bücher.de"               -> "info@xn--bcher-kva.de"   (same as "info@xn--bcher-kva.de")
    "A.Na.Silva+shop@GoogleMail.com" -> "anasilva@gmail.com"    (provider rules, switchable)
    "no-reply@shop.es"             -> blocked "placeholder email"

PHONE -- parsed by phonenumbers with the region, must be a valid number, stored E.164::

    "+34 600 12 34 56", "0034600123456", "600123456" (region ES) -> "+34600123456"
    "0034600123456" (no region: a leading 00 is read as +)      -> "+34600123456"
    "600123456" (no region)          -> InvalidIdentifier "... needs a region/country ..."
    "1234567890" (region US)         -> InvalidIdentifier "is not a valid phone number"
    "+34 666 666 666"                -> "+34666666666", blocked "repeated-digit phone number"
    "+1 234-567-8901"                -> "+12345678901", blocked "sequential-digit phone number"
    "600 000 000" (region ES)        -> "+34600000000", blocked "zero-padded placeholder ..."

LOYALTY_CARD -- spaces, dashes, dots and slashes removed, upper-cased, only A-Z 0-9::

    "ab-1234 5678/9" -> "AB123456789";  with ``loyalty_luhn``: digits only and a valid
    Luhn check digit ("4992 7398 716" -> "49927398716", "4992 7398 717" refused).

DEVICE -- UUID-shaped ids (advertising ids) in one form; anything else kept as given::

    "{6F9619FF-8B86-D011-B42D-00C04FC964FF}", "urn:uuid:6f9619ff8b86d011b42d00c04fc964ff"
                                     -> "6f9619ff-8b86-d011-b42d-00c04fc964ff"
    "00000000-0000-0000-0000-000000000000" -> blocked "zero advertising id"
    "  GA1.2.1234.5678 "             -> "GA1.2.1234.5678"         (cookie id: trimmed only)

ADDRESS -- a mapping ``{line1, line2?, postcode?, city?, region?, country?}`` or one
string, folded to ``"line1|line2|postcode|city|CC"``: five fields, always four ``|``
(folding removes every ``|`` from the fields, so the split is exact)::

    {"line1": "Calle Mayor 5", "postcode": "28013", "city": "Madrid", "country": "ES"}
    {"line1": "C/ MAYOR, 5", "postcode": "28013", "city": "MADRID", "country": "España"}
    "C/ Mayor, 5, 28013 Madrid, España"
    "calle mayor 5||28013|madrid|ES"          (the canonical form reads back as itself)
                                     -> "calle mayor 5||28013|madrid|ES"
    "Hauptstr. 5, 10115 Berlin, Deutschland" -> "hauptstrasse 5||10115|berlin|DE"
    "1600 Pennsylvania Ave. N.W., Washington, DC 20500-0003, USA"
                                     -> "1600 pennsylvania avenue nw||20500|washington|US"

    * Text fields: NFKC, casefold ("Straße" -> "strasse"), accents stripped from Latin
      letters ("Constitución" -> "constitucion"), apostrophes dropped ("St John's" ->
      "st johns"), other punctuation -> space ("C/Mayor" -> "c mayor"), whitespace
      collapsed, runs of single letters joined ("N.W." -> "nw").
    * Street types, per country, spelled out: ES "c/ cl avda av pza pl"... -> "calle
      avenida plaza" (first word of line1), FR "r av bd pl" -> "rue avenue boulevard
      place" (first word after the house number), DE "str"/"-str." -> "strasse" (any
      word, also as a suffix), GB/US "rd ave blvd dr ln"... -> "road avenue boulevard
      drive lane" (any word); "st"/"dr" leading a name are Saint/Doctor ("12 St John
      St" -> "12 saint john street"). ES drops "nº" before a number. Without a country
      no table applies.
    * Postcode: folded, spaces removed ("SW1A 1AA" -> "sw1a1aa"); US ZIP+4 -> ZIP.
    * Country: ISO alpha-2, from alpha-2, alpha-3 or a common name ("España", "UK",
      "Deutschland", "USA"); an unknown country is refused. Missing -> ``region``, then
      ``default_region``, else empty.
    * ``region`` (state, province) is shown in ``display`` but is not part of the key:
      postcode and city already place the address, and one-line input rarely says it.
    * One-line strings are split best-effort on commas, semicolons and newlines: a last
      part (or last words) naming a country is the country, a part that is only a house
      number joins the street ("C/ Mayor, 5"), the last part holding a postcode gives
      postcode and city ("28013 Madrid", "London SW1A 2AA", US "DC 20500" after the
      city), the first part is line1 and the rest line2. Without commas, a postcode
      followed by a city splits the string ("Calle Mayor 5 28013 Madrid").

Extra types (``CUSTOMER_ID``, ``PAYMENT_TOKEN``, configurable) -- trimmed, inner
whitespace collapsed, case kept (they are opaque system ids)::

    "  AB  12\\tcd " -> "AB 12 cd"

Blocked values -- ``rules.blocklist`` holds keys (:data:`DEFAULT_BLOCKLIST` plus the
configured ones); pattern rules apply on top, whatever the blocklist::

    "Test@Example.com"       -> "test@example.com", blocked "placeholder email" (listed)
    "No-Email2@myshop.es"    -> blocked "placeholder email": local part noemail, no-email,
                                none, nomail, noreply, donotreply, unknown, na, null...
                                at any domain (dots, dashes, trailing digits ignored)
    "+33 1 23 45 67 89"      -> blocked "sequential-digit phone number"
    "{00000000-0000-0000-0000-000000000000}" -> blocked "zero advertising id" (listed)

Junk phone strings such as "0000000000", "1234567890" (region ES or US) or "+0000000000"
are not valid numbers and are refused. Junk that does parse as a valid number is blocked:
a national part repeating one digit ("+34 666 666 666"), or a run of 7+ consecutive
digits, ascending or descending ("+1 234-567-8901", "+33 9 87 65 43 21").
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from service.errors import InvalidIdentifier, InvalidInput

__all__ = [
    "BUILTIN_TYPES",
    "DEFAULT_BLOCKLIST",
    "DEFAULT_RULES",
    "MAX_VALUE_LENGTH",
    "Identifier",
    "IdentifierRules",
    "normalize",
]

BUILTIN_TYPES: tuple[str, ...] = ("EMAIL", "PHONE", "LOYALTY_CARD", "DEVICE", "ADDRESS")

#: Longest raw value accepted, counted before trimming (for a mapping ADDRESS: the sum of
#: its fields). Real identifiers are far shorter (an email is at most 254 characters); the
#: limit keeps pathological input out of the graph and out of the parsers.
MAX_VALUE_LENGTH = 512

_ZERO_UUID = "00000000-0000-0000-0000-000000000000"
_PLACEHOLDER_EMAIL = "placeholder email"

#: Keys that never link, with the reason reported in ``Identifier.blocked``.
_DEFAULT_BLOCK_REASONS: dict[str, str] = {
    **{
        f"EMAIL:{email}": _PLACEHOLDER_EMAIL
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
DEFAULT_BLOCKLIST: frozenset[str] = frozenset(_DEFAULT_BLOCK_REASONS)


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
            code = _country_code(self.default_region) if self.default_region.strip() else None
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


def normalize(
    type: str,
    value: object,
    *,
    region: str | None = None,
    rules: IdentifierRules = DEFAULT_RULES,
) -> Identifier:
    """Normalize one raw identifier value of ``type`` into its canonical :class:`Identifier`.

    Raises :class:`InvalidIdentifier` (never anything else) for an unknown type, a value of
    the wrong kind, an empty, too long or unreadable value. A blocked value is not an
    error: it is returned with ``blocked`` set.

    >>> normalize("email", " Ana.Silva@Example.com ").key
    'EMAIL:ana.silva@example.com'
    >>> normalize("PHONE", "600 12 34 56", region="es").value
    '+34600123456'
    >>> normalize("DEVICE", "00000000-0000-0000-0000-000000000000").blocked
    'zero advertising id'
    """
    kind = _check_type(type, value, rules)
    if kind == "ADDRESS":
        frozen = _frozen_address(value)
        if frozen is None:  # not hashable as sent: no cache (and most likely an error)
            return _blocked(_address(value, region, rules), rules)
        return _normalize_address(frozen, region, rules)
    if not isinstance(value, str):
        raise InvalidIdentifier("must be a string", type=kind, value=value)
    return _normalize_text(kind, value, region, rules)


# Integration jobs send the same customer's values again and again (every event of a
# loyalty card carries it), and email and phone parsing is most of the ingest's Python
# time: remember recent answers. Pure function of its arguments (rules are frozen);
# errors are not cached. About 64k entries, a few tens of MB at most.
@functools.lru_cache(maxsize=65_536)
def _normalize_text(
    kind: str, value: str, region: str | None, rules: IdentifierRules
) -> Identifier:
    text = _check_text(kind, value)
    normalizer = _NORMALIZERS.get(kind, _extra)
    return _blocked(normalizer(kind, text, region, rules), rules)


FrozenAddress = str | tuple[tuple[str, str | None], ...]


def _frozen_address(value: object) -> FrozenAddress | None:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in value.items()
    ):
        return tuple(sorted(value.items()))
    return None


@functools.lru_cache(maxsize=16_384)
def _normalize_address(
    frozen: FrozenAddress, region: str | None, rules: IdentifierRules
) -> Identifier:
    value = frozen if isinstance(frozen, str) else dict(frozen)
    return _blocked(_address(value, region, rules), rules)


def _blocked(ident: Identifier, rules: IdentifierRules) -> Identifier:
    if ident.key in rules.blocklist:
        reason = _DEFAULT_BLOCK_REASONS.get(ident.key, "on the configured blocklist")
        return replace(ident, blocked=reason)
    return ident


# --------------------------------------------------------------------------- common checks

_TRIM = re.compile(r"^[\s\ufeff\u200b-\u200d\u2060]+|[\s\ufeff\u200b-\u200d\u2060]+$")
_SPACES = re.compile(r"\s+")
# Control characters (category Cc) that are not whitespace, and unpaired surrogates (Cs):
# what a loop over unicodedata.category finds, at a fraction of its cost (both
# categories are fixed by Unicode; tests/test_identifiers.py checks every code point).
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff]")


def _check_type(type: object, value: object, rules: IdentifierRules) -> str:
    if not isinstance(type, str):
        raise InvalidIdentifier(
            "identifier type must be a string", type="?", value=value, field="type"
        )
    kind = type.strip().upper()
    if kind not in rules.types:
        raise InvalidIdentifier(
            f"has an unknown identifier type; known: {', '.join(rules.types)}",
            type=kind[:40] or "?",
            value=value,
            field="type",
        )
    return kind


def _check_text(kind: str, raw: str, what: str = "") -> str:
    """Length, character and emptiness checks shared by all types; returns trimmed text."""
    prefix = f"{what} " if what else ""
    if len(raw) > MAX_VALUE_LENGTH:
        raise InvalidIdentifier(
            f"{prefix}is longer than MAX_VALUE_LENGTH ({MAX_VALUE_LENGTH} characters)",
            type=kind,
            value=raw,
            limit=MAX_VALUE_LENGTH,
        )
    if _CONTROL.search(raw):
        raise InvalidIdentifier(
            f"{prefix}contains control characters or unpaired surrogates",
            type=kind,
            value=raw,
        )
    text = _TRIM.sub("", raw)
    if not text:
        raise InvalidIdentifier(f"{prefix}is empty", type=kind, value=raw)
    return text


def _region(kind: str, region: object, rules: IdentifierRules) -> str | None:
    """The record's country (wins) or the default region, as ISO alpha-2, or None."""
    if region is None or (isinstance(region, str) and not region.strip()):
        return rules.default_region
    if not isinstance(region, str) or (code := _country_code(region)) is None:
        raise InvalidIdentifier(
            "region must be an ISO 3166 alpha-2 country code such as 'ES'",
            type=kind,
            value=region,
            field="region",
        )
    return code


# ----------------------------------------------------------------------------------- EMAIL

_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
# Local parts that mean "the customer gave no email", at any domain; compared after
# removing dots, dashes, underscores and trailing digits ("no-reply", "n.a", "noemail2").
_PLACEHOLDER_LOCALS = frozenset(
    ["donotreply", "dontreply", "na", "noemail", "nomail", "none", "noreply", "null", "unknown"]
)


# The plain shape nearly every address has: ASCII letters, digits and ``._+-`` before
# the "@", dot-separated letter-digit-hyphen labels after it, a TLD of letters.
_PLAIN_EMAIL = re.compile(
    r"([A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*)@"
    r"((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,63}))",
    re.ASCII,
)
_SPECIAL_USE_TLDS = frozenset(SPECIAL_USE_DOMAIN_NAMES)


def _plain_email(text: str) -> tuple[str, str] | None:
    """``(local, domain)`` of an address of the plain shape, lower-cased, exactly as
    ``validate_email`` reads it; None for anything else, which goes to
    ``validate_email``. About 75 µs less per new address, most of the validation of a
    bulk load (``tests/test_identifiers_properties.py`` checks the two agree).
    """
    match = _PLAIN_EMAIL.fullmatch(text)
    if (
        match is None
        or len(text) > 254
        or len(match[1]) > 64
        or "--" in match[2]  # Punycode and the IDNA rule on "ab--" labels: left to the library
        or match[3].lower() in _SPECIAL_USE_TLDS
    ):
        return None
    return match[1].lower(), match[2].lower()


def _email(kind: str, text: str, region: str | None, rules: IdentifierRules) -> Identifier:
    plain = _plain_email(text)
    if plain is not None:
        local, domain = plain
    else:
        try:
            result = validate_email(text, check_deliverability=False)
            # Lower-case the local part too: RFC 5321 allows case-sensitive mailboxes, but
            # no mainstream provider has them, and customers type their address in any case.
            local = unicodedata.normalize("NFC", result.local_part.lower())
            # One canonical domain form: ASCII (punycode): "bücher.de" == "xn--bcher-kva.de".
            domain = result.ascii_domain.lower()
        except (EmailNotValidError, UnicodeError, ValueError):
            raise InvalidIdentifier("is not a valid email address", type=kind, value=text) from None
    if rules.email_provider_rules and domain in _GMAIL_DOMAINS:
        # Gmail ignores dots and anything after "+" in the local part; googlemail.com is
        # the same mailbox as gmail.com.
        local = local.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
        if not local:
            raise InvalidIdentifier(
                "has an empty local part once provider rules apply", type=kind, value=text
            )
    ident = Identifier(kind, f"{local}@{domain}", text)
    if re.sub(r"[._\-]|\d+$", "", local) in _PLACEHOLDER_LOCALS:
        return replace(ident, blocked=_PLACEHOLDER_EMAIL)
    return ident


# ----------------------------------------------------------------------------------- PHONE

_SEQUENCES = ("0123456789" * 3, "9876543210" * 3)


def _phone(kind: str, text: str, region: str | None, rules: IdentifierRules) -> Identifier:
    country = _region(kind, region, rules)
    compact = re.sub(r"[\s().\-/]", "", text)
    candidates = [text]
    if compact.startswith("00") and compact[2:].isdigit():
        # "00" is the international prefix almost everywhere: phonenumbers knows it for
        # regions whose prefix it is; without a region (or when it fails) read it as "+".
        plus = "+" + compact[2:]
        candidates = [text, plus] if country else [plus]
    number = None
    errors: list[str] = []  # the reason reported is the first candidate's
    for candidate in candidates:
        try:
            parsed = phonenumbers.parse(candidate, country)
        except phonenumbers.NumberParseException as exc:
            if exc.error_type != phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
                errors.append("is not a valid phone number")
            elif country is None and "+" not in candidate:
                errors.append(
                    "is a national number: it needs a region/country "
                    "(the record's country or the default region) to be read"
                )
            else:
                errors.append("has an unknown country calling code")
            continue
        except (ValueError, UnicodeError, IndexError):
            errors.append("is not a valid phone number")
            continue
        if phonenumbers.is_possible_number(parsed) and phonenumbers.is_valid_number(parsed):
            number = parsed
            break
        errors.append("is not a valid phone number")
    if number is None:
        raise InvalidIdentifier(errors[0], type=kind, value=text)
    e164: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    ident = Identifier(kind, e164, text)
    national: str = phonenumbers.national_significant_number(number)
    if len(set(national)) == 1:
        return replace(ident, blocked="repeated-digit phone number")
    if len(national) >= 7 and any(national in seq or e164[1:] in seq for seq in _SEQUENCES):
        return replace(ident, blocked="sequential-digit phone number")
    # "600 000 000", "06 00 00 00 00": a valid prefix padded with zeros is a placeholder
    # typed to get past a mandatory field, not a subscriber's number.
    if len(national) >= 8 and set(national[2:]) == {"0"}:
        return replace(ident, blocked="zero-padded placeholder phone number")
    return ident


# ---------------------------------------------------------------------------- LOYALTY_CARD

_CARD_SEPARATORS = re.compile(r"[\s./\\\-\u2010-\u2015\u2212]+")
_CARD = re.compile(r"[A-Z0-9]+")


def _loyalty(kind: str, text: str, region: str | None, rules: IdentifierRules) -> Identifier:
    # NFKC first so full-width digits and letters from Asian keyboards read as ASCII.
    compact = _CARD_SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    if not compact:
        raise InvalidIdentifier("has no letters or digits", type=kind, value=text)
    # Check ASCII before upper-casing: "ß".upper() is "SS", and the dotless i becomes "I".
    if not compact.isascii() or not _CARD.fullmatch(compact.upper()):
        raise InvalidIdentifier(
            "may only contain letters A-Z and digits 0-9 (plus spaces, dashes, dots, slashes)",
            type=kind,
            value=text,
        )
    card = compact.upper()
    if rules.loyalty_luhn:
        if not card.isdigit():
            raise InvalidIdentifier(
                "must be digits only to carry a Luhn check digit", type=kind, value=text
            )
        if not _luhn_ok(card):
            raise InvalidIdentifier("fails the Luhn check digit", type=kind, value=text)
    return Identifier(kind, card, text)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


# ---------------------------------------------------------------------------------- DEVICE

_UUID = re.compile(
    r"(?:urn:uuid:)?(\{)?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?"
    r"([0-9a-f]{12})(\})?",
    re.IGNORECASE | re.ASCII,
)


def _device(kind: str, text: str, region: str | None, rules: IdentifierRules) -> Identifier:
    match = _UUID.fullmatch(text)
    if match and (match.group(1) is None) == (match.group(7) is None):
        # IDFA/GAID and other UUIDs arrive upper-case, braced, undashed or as URNs.
        return Identifier(kind, "-".join(match.group(2, 3, 4, 5, 6)).lower(), text)
    # Cookie and app-instance ids are opaque and may be case-sensitive: trimmed only.
    return Identifier(kind, text, text)


# ----------------------------------------------------------------------------- extra types


def _extra(kind: str, text: str, region: str | None, rules: IdentifierRules) -> Identifier:
    return Identifier(kind, _SPACES.sub(" ", text), text)


# --------------------------------------------------------------------------------- ADDRESS

_ADDRESS_FIELDS = ("line1", "line2", "postcode", "city", "region", "country")
_SEPARATOR = "|"

# Country names accepted besides ISO alpha-2 codes, compared folded and without spaces.
_COUNTRY_NAMES: dict[str, str] = {
    "AT": "aut austria osterreich",
    "BE": "bel belgium belgique belgie",
    "BR": "bra brazil brasil",
    "CA": "can canada",
    "CH": "che switzerland schweiz suisse svizzera",
    "CN": "chn china",
    "DE": "deu germany deutschland",
    "DK": "dnk denmark danmark",
    "ES": "esp spain espana",
    "FR": "fra france",
    "GB": "gbr uk unitedkingdom greatbritain england scotland",
    "IE": "irl ireland",
    "IT": "ita italy italia",
    "JP": "jpn japan",
    "LU": "lux luxembourg",
    "MA": "mar morocco maroc",
    "NL": "nld netherlands nederland holland",
    "PL": "pol poland polska",
    "PT": "prt portugal",
    "SE": "swe sweden sverige",
    "US": "usa us unitedstates unitedstatesofamerica",
}
_COUNTRY_BY_NAME: dict[str, str] = {
    name: code for code, names in _COUNTRY_NAMES.items() for name in names.split()
}
_ISO_ALPHA2 = frozenset(phonenumbers.SUPPORTED_REGIONS) - {"AC", "TA"}

# Street types per country: every spelling -> the full word. The canonical form spells
# them out (re-normalizing the full word is a no-op, which keeps normalization idempotent).


def _spellings(table: str) -> dict[str, str]:
    """ "calle: c cl; plaza: pza" -> {"c": "calle", "cl": "calle", "pza": "plaza"}."""
    out: dict[str, str] = {}
    for entry in table.split(";"):
        word, _, spellings = entry.partition(":")
        out.update(dict.fromkeys(spellings.split(), word.strip()))
    return out


_STREET_TYPES: dict[str, dict[str, str]] = {
    "ES": _spellings(
        "calle: c cl cll; avenida: av avd avda; plaza: pza pl plz plza; paseo: po pso;"
        "carretera: ctra; ronda: rda; travesia: trav; glorieta: gta"
    ),
    "FR": _spellings(
        "rue: r; avenue: av ave; boulevard: bd bld blvd boul; place: pl; chemin: ch chem;"
        "route: rte; impasse: imp; faubourg: fg fbg"
    ),
    "DE": _spellings("strasse: str; platz: pl"),  # plus the "-str" suffix, see below
    "GB": _spellings(
        "road: rd; avenue: av ave; lane: ln; place: pl; court: ct; crescent: cres;"
        "square: sq; gardens: gdns; terrace: ter terr"
    ),  # "st" (street/saint) and "dr" (drive/doctor) depend on their position
    "US": _spellings(
        "avenue: av ave; road: rd; boulevard: blvd; lane: ln; court: ct; place: pl;"
        "parkway: pkwy; highway: hwy; suite: ste; apartment: apt"
    ),
}
# Where the street type sits: at the start of the street (after a house number) in ES/FR,
# anywhere in GB/US (with "st"/"dr" read from their position), as a suffix in DE.
_LEADING_TYPE = frozenset({"ES", "FR"})
_HOUSE_NUMBER_WORDS = frozenset({"bis", "ter", "quater"})
_ES_NUMBER_WORDS = frozenset({"n", "no", "num", "numero", "nro"})

_POSTCODE: dict[str, re.Pattern[str]] = {
    "GB": re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE | re.ASCII),
    "US": re.compile(r"\b\d{5}(?:-\d{4})?\b", re.ASCII),
    "CA": re.compile(r"\b[A-Z]\d[A-Z]\s*\d[A-Z]\d\b", re.IGNORECASE | re.ASCII),
    "PT": re.compile(r"\b\d{4}-\d{3}\b", re.ASCII),
    "NL": re.compile(r"\b\d{4}\s?[A-Z]{2}\b", re.IGNORECASE | re.ASCII),
    "IE": re.compile(r"\b[A-Z]\d[\dW]\s*[A-Z\d]{4}\b", re.IGNORECASE | re.ASCII),
}
_POSTCODE_4 = re.compile(r"\b\d{4}\b", re.ASCII)
_POSTCODE_DEFAULT = re.compile(r"\b\d{5}\b", re.ASCII)
_FOUR_DIGIT_POSTCODES = frozenset({"AT", "BE", "CH", "DK", "LU", "NO", "HU", "AU", "NZ"})
# A house number alone, as folded: "5", "5 b", "no 5", "5 7" (from "5-7").
_HOUSE_NUMBER_PART = re.compile(r"(?:no?\s*)?\d{1,4}(?:\s?[a-z])?(?:\s\d{1,4}(?:\s?[a-z])?)?")
_US_STATE = re.compile(r"[A-Za-z]{2}", re.ASCII)


def _fold_once(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    # Accents are stripped from Latin letters: tills, forms and address books disagree on
    # them ("Malaga"/"Málaga", upper-case "MALAGA" usually drops them) while two streets
    # in one postcode and city that differ only by an accent do not exist in practice.
    # Marks on other scripts (Thai vowels, Devanagari signs...) carry meaning: kept.
    # Marks with no letter to carry them (after a space or a digit) are dropped too.
    out: list[str] = []
    keep_marks = False
    for char in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(char):
            if not keep_marks:
                continue
        else:
            keep_marks = char.isalpha() and not char.isascii()
        out.append(char)
    text = unicodedata.normalize("NFC", "".join(out))
    # Apostrophes join ("O'Connell" -> "oconnell"), other punctuation and symbols
    # separate ("C/Mayor" -> "c mayor").
    text = re.sub(r"['\u2019\u2018`\u00b4]", "", text)
    text = "".join(" " if unicodedata.category(c)[0] in "PSZC" else c for c in text)
    # Runs of single letters are one abbreviation: "N.W." == "NW", "s/n" == "sn".
    return re.sub(r"(?<!\S)[^\W\d_](?: [^\W\d_])+(?!\S)", _join_letters, " ".join(text.split()))


def _join_letters(match: re.Match[str]) -> str:
    return match.group().replace(" ", "")


def _fold(text: str) -> str:
    """NFKC, casefold, strip Latin accents and punctuation, collapse whitespace."""
    for _ in range(4):  # reach a fixed point: NFKC/casefold/NFC can feed each other
        folded = _fold_once(text)
        if folded == text:
            break
        text = folded
    return text


@functools.lru_cache(maxsize=1024)
def _country_code(text: str) -> str | None:
    """ISO alpha-2 code for an alpha-2, alpha-3 or common country name, else None."""
    key = _fold(text).replace(" ", "")
    if key.upper() in _ISO_ALPHA2:
        return key.upper()
    return _COUNTRY_BY_NAME.get(key)


def _expand_street(line: str, country: str | None, *, first_line: bool) -> str:
    tokens = line.split()
    table = _STREET_TYPES.get(country or "", {})
    if not tokens or not table:
        return line
    if country in _LEADING_TYPE:
        if country == "ES":  # "Calle Mayor nº 5" == "Calle Mayor 5"
            tokens = _drop_number_words(tokens)
        if not first_line:
            return " ".join(tokens)
        for i, token in enumerate(tokens):
            if token[0].isdigit() or token in _HOUSE_NUMBER_WORDS:
                continue
            tokens[i] = table.get(token, token)
            break
        return " ".join(tokens)
    if country == "DE":
        return " ".join(_german_street(t) for t in tokens)
    words = [i for i, t in enumerate(tokens) if not t[0].isdigit()]
    for i, token in enumerate(tokens):
        if token in ("st", "dr"):
            # "St John St": a leading "st"/"dr" followed by a name is Saint/Doctor.
            leading = bool(words) and i == words[0] and any(tokens[j].isalpha() for j in words[1:])
            if token == "st":
                tokens[i] = "saint" if leading else "street"
            else:
                tokens[i] = "doctor" if leading else "drive"
        else:
            tokens[i] = table.get(token, token)
    return " ".join(tokens)


def _drop_number_words(tokens: list[str]) -> list[str]:
    """Drop "n", "no", "num"... in front of a house number (runs of them too)."""
    kept: list[str] = []
    for token in reversed(tokens):
        if token in _ES_NUMBER_WORDS and kept and kept[-1][0].isdigit():
            continue
        kept.append(token)
    return kept[::-1]


def _german_street(token: str) -> str:
    if token in ("str", "pl"):
        return "strasse" if token == "str" else "platz"
    if len(token) > 3 and token.endswith("str"):  # "Hauptstr." -> "hauptstrasse"
        return token[:-3] + "strasse"
    return token


def _postcode_pattern(country: str | None) -> re.Pattern[str]:
    if country in _POSTCODE:
        return _POSTCODE[country]
    return _POSTCODE_4 if country in _FOUR_DIGIT_POSTCODES else _POSTCODE_DEFAULT


def _postcode(text: str, country: str | None) -> str:
    code = _fold(text).replace(" ", "")
    for _ in range(4):  # joining may compose characters (Hangul jamo): fold again
        joined = _fold(code).replace(" ", "")
        if joined == code:
            break
        code = joined
    if country == "US" and re.fullmatch(r"\d{9}", code):
        code = code[:5]  # ZIP+4 -> ZIP: channels disagree on giving the +4
    return code


@dataclass(slots=True)
class _Parts:
    line1: str
    line2: str = ""
    postcode: str = ""
    city: str = ""
    region: str = ""
    country: str | None = None


def _address(value: object, region: object, rules: IdentifierRules) -> Identifier:
    kind = "ADDRESS"
    if isinstance(value, Mapping):
        parts, display = _address_mapping(kind, value)
    elif isinstance(value, str):
        text = _check_text(kind, value)
        lines = (" ".join(line.split()).strip(",; ") for line in text.splitlines())
        display = ", ".join(line for line in lines if line)
        parts = _address_line(kind, display)
    else:
        raise InvalidIdentifier(
            "must be a string or an address object {line1, line2, postcode, city, region, country}",
            type=kind,
            value=value,
        )
    country = parts.country or _region(kind, region, rules)
    line1 = _expand_street(_fold(parts.line1), country, first_line=True)
    if not line1:
        raise InvalidIdentifier("line1 has no letters or digits", type=kind, value=display)
    line2 = _expand_street(_fold(parts.line2), country, first_line=False)
    fields = (line1, line2, _postcode(parts.postcode, country), _fold(parts.city), country or "")
    return Identifier(kind, _SEPARATOR.join(fields), display)


def _address_mapping(kind: str, value: Mapping[object, object]) -> tuple[_Parts, str]:
    if any(key not in _ADDRESS_FIELDS for key in value):
        raise InvalidIdentifier(
            "address fields must be among " + ", ".join(_ADDRESS_FIELDS),
            type=kind,
            value="{...}",
        )
    texts: dict[str, str] = {}
    for name in _ADDRESS_FIELDS:
        raw = value.get(name)
        if raw is None:
            continue
        if not isinstance(raw, str):
            raise InvalidIdentifier(f"{name} must be a string", type=kind, value=raw)
        texts[name] = raw
    total = sum(len(text) for text in texts.values())
    if total > MAX_VALUE_LENGTH:
        raise InvalidIdentifier(
            f"is longer than MAX_VALUE_LENGTH ({MAX_VALUE_LENGTH} characters)",
            type=kind,
            value="{...}",
            limit=MAX_VALUE_LENGTH,
        )
    clean: dict[str, str] = {}
    for name, raw in texts.items():
        if name == "line1" or _TRIM.sub("", raw):
            clean[name] = _check_text(kind, raw, name)
    if "line1" not in clean:
        raise InvalidIdentifier("line1 is empty", type=kind, value="{...}")
    country: str | None = None
    if "country" in clean:
        country = _country_code(clean["country"])
        if country is None:
            raise InvalidIdentifier(
                "country must be an ISO 3166 code or a common country name",
                type=kind,
                value=clean["country"],
            )
    readable = {name: " ".join(text.split()) for name, text in clean.items()}
    town = " ".join(filter(None, (readable.get("postcode"), readable.get("city"))))
    display = ", ".join(
        filter(
            None,
            (
                readable["line1"],
                readable.get("line2"),
                town,
                readable.get("region"),
                readable.get("country"),
            ),
        )
    )
    parts = _Parts(
        line1=clean["line1"],
        line2=clean.get("line2", ""),
        postcode=clean.get("postcode", ""),
        city=clean.get("city", ""),
        region=clean.get("region", ""),
        country=country,
    )
    return parts, display


def _address_line(kind: str, text: str) -> _Parts:
    """Best-effort split of a one-line address; the canonical form splits exactly."""
    if text.count(_SEPARATOR) == 4:
        line1, line2, postcode, city, country_text = (f.strip() for f in text.split("|"))
        code = _country_code(country_text) if country_text else None
        if country_text and code is None:
            raise InvalidIdentifier(
                "country must be an ISO 3166 code or a common country name",
                type=kind,
                value=country_text,
            )
        return _Parts(line1, line2, postcode, city, "", code)
    parts = [p.strip() for p in re.split(r"[,;\n\r]+", text) if p.strip()]
    if not parts:
        return _Parts(line1="")
    country: str | None = None
    if len(parts) >= 2 and (country := _country_code(parts[-1])) is not None:
        parts.pop()
    else:
        country = _trailing_country(parts)
    # A part that is only a house number belongs to the street before it ("C/ Mayor, 5"),
    # or after it when it comes first ("5, rue de la Paix").
    pattern = _postcode_pattern(country)
    merged: list[str] = []
    for part in parts:
        if merged and (
            _house_number(part, pattern) or (len(merged) == 1 and _house_number(merged[0], pattern))
        ):
            merged[-1] = f"{merged[-1]} {part}"
        else:
            merged.append(part)
    parts = merged
    result = _Parts(line1=parts[0], country=country)
    if len(parts) == 1:
        # "Calle Mayor 5 28013 Madrid": split around a postcode followed by a city.
        for match in pattern.finditer(parts[0]):
            before, after = parts[0][: match.start()].strip(), parts[0][match.end() :].strip()
            if before and after and not after[0].isdigit():
                result.line1, result.postcode, result.city = before, match.group(), after
        return result
    used: set[int] = set()
    for index in range(len(parts) - 1, 0, -1):
        matches = list(pattern.finditer(parts[index]))
        if not matches:
            continue
        match = matches[-1]
        result.postcode = match.group()
        rest = (parts[index][: match.start()] + " " + parts[index][match.end() :]).strip(" ,.")
        rest = " ".join(rest.split())
        used.add(index)
        if country == "US" and _US_STATE.fullmatch(rest):
            result.region, rest = rest, ""
        if rest:
            result.city = rest
        elif index + 1 < len(parts):
            result.city = parts[index + 1]
            used.add(index + 1)
        elif index - 1 >= 1:
            result.city = parts[index - 1]
            used.add(index - 1)
        break
    else:
        result.city = parts[-1]
        used.add(len(parts) - 1)
    result.line2 = " ".join(p for i, p in enumerate(parts) if i and i not in used)
    return result


def _house_number(part: str, postcode: re.Pattern[str]) -> bool:
    return bool(_HOUSE_NUMBER_PART.fullmatch(_fold(part))) and not postcode.fullmatch(part)


def _trailing_country(parts: list[str]) -> str | None:
    """Country named by the last words of the last part ("... 28013 Madrid España")."""
    words = parts[-1].split()
    for size in (3, 2, 1):
        if len(words) > size or (len(parts) > 1 and len(words) == size):
            key = _fold(" ".join(words[-size:])).replace(" ", "")
            if key in _COUNTRY_BY_NAME:
                rest = " ".join(words[:-size])
                if rest:
                    parts[-1] = rest
                else:
                    parts.pop()
                return _COUNTRY_BY_NAME[key]
    return None


_Normalizer = Callable[[str, str, str | None, IdentifierRules], Identifier]
_NORMALIZERS: dict[str, _Normalizer] = {
    "EMAIL": _email,
    "PHONE": _phone,
    "LOYALTY_CARD": _loyalty,
    "DEVICE": _device,
}
