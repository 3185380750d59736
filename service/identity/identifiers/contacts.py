"""Emails, phone numbers, loyalty cards, devices and extra types, each to one canonical
form (examples in the package docstring)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from service.errors import InvalidIdentifier
from service.identity.identifiers.checks import SPACES, region_of
from service.identity.identifiers.model import PLACEHOLDER_EMAIL, Identifier, IdentifierRules

__all__ = ["device", "email", "extra", "loyalty", "phone"]

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


def email(kind: str, text: str, region: str | None, rules: IdentifierRules) -> Identifier:
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
        return replace(ident, blocked=PLACEHOLDER_EMAIL)
    return ident


# ----------------------------------------------------------------------------------- PHONE

_SEQUENCES = ("0123456789" * 3, "9876543210" * 3)


def phone(kind: str, text: str, region: str | None, rules: IdentifierRules) -> Identifier:
    country = region_of(kind, region, rules)
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


def loyalty(kind: str, text: str, region: str | None, rules: IdentifierRules) -> Identifier:
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


def device(kind: str, text: str, region: str | None, rules: IdentifierRules) -> Identifier:
    match = _UUID.fullmatch(text)
    if match and (match.group(1) is None) == (match.group(7) is None):
        # IDFA/GAID and other UUIDs arrive upper-case, braced, undashed or as URNs.
        return Identifier(kind, "-".join(match.group(2, 3, 4, 5, 6)).lower(), text)
    # Cookie and app-instance ids are opaque and may be case-sensitive: trimmed only.
    return Identifier(kind, text, text)


# ----------------------------------------------------------------------------- extra types


def extra(kind: str, text: str, region: str | None, rules: IdentifierRules) -> Identifier:
    return Identifier(kind, SPACES.sub(" ", text), text)
