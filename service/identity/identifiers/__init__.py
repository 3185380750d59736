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
from collections.abc import Callable, Mapping
from dataclasses import replace

from service.errors import InvalidIdentifier
from service.identity.identifiers.addresses import address
from service.identity.identifiers.checks import check_text, check_type
from service.identity.identifiers.contacts import device, email, extra, loyalty, phone
from service.identity.identifiers.model import (
    BUILTIN_TYPES,
    DEFAULT_BLOCK_REASONS,
    DEFAULT_BLOCKLIST,
    DEFAULT_RULES,
    MAX_VALUE_LENGTH,
    Identifier,
    IdentifierRules,
)

__all__ = [
    "BUILTIN_TYPES",
    "DEFAULT_BLOCKLIST",
    "DEFAULT_RULES",
    "MAX_VALUE_LENGTH",
    "Identifier",
    "IdentifierRules",
    "normalize",
]


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
    if isinstance(type, str) and isinstance(value, str):
        return _normalize_text(type, value, region, rules)
    kind = check_type(type, value, rules)
    if kind == "ADDRESS":
        frozen = _frozen_address(value)
        if frozen is None:  # not hashable as sent: no cache (and most likely an error)
            return _blocked(address(value, region, rules), rules)
        return _normalize_address(frozen, region, rules)
    raise InvalidIdentifier("must be a string", type=kind, value=value)


# Integration jobs send the same customer's values again and again (every event of a
# loyalty card carries it), and email and phone parsing is most of the ingest's Python
# time: remember recent answers, by the type as sent (checking the type name is part of
# the answer: a repeated value skips it too). Pure function of its arguments (rules are
# frozen); errors are not cached. About 64k entries, a few tens of MB at most.
@functools.lru_cache(maxsize=65_536)
def _normalize_text(
    type: str, value: str, region: str | None, rules: IdentifierRules
) -> Identifier:
    kind = check_type(type, value, rules)
    if kind == "ADDRESS":  # one-line addresses: their own cache, as mappings have
        return _normalize_address(value, region, rules)
    text = check_text(kind, value)
    normalizer = _NORMALIZERS.get(kind, extra)
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
    return _blocked(address(value, region, rules), rules)


def _blocked(ident: Identifier, rules: IdentifierRules) -> Identifier:
    if ident.key in rules.blocklist:
        reason = DEFAULT_BLOCK_REASONS.get(ident.key, "on the configured blocklist")
        return replace(ident, blocked=reason)
    return ident


_Normalizer = Callable[[str, str, str | None, IdentifierRules], Identifier]
_NORMALIZERS: dict[str, _Normalizer] = {
    "EMAIL": email,
    "PHONE": phone,
    "LOYALTY_CARD": loyalty,
    "DEVICE": device,
}
