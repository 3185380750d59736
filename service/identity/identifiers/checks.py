"""Checks every identifier type shares: the type name, the text (length, control
characters, emptiness) and the region a national value is read in."""

from __future__ import annotations

import re

from service.errors import InvalidIdentifier
from service.identity.identifiers.countries import country_code
from service.identity.identifiers.model import MAX_VALUE_LENGTH, IdentifierRules

__all__ = ["CONTROL", "SPACES", "TRIM", "check_text", "check_type", "region_of"]

# --------------------------------------------------------------------------- common checks

TRIM = re.compile(r"^[\s\ufeff\u200b-\u200d\u2060]+|[\s\ufeff\u200b-\u200d\u2060]+$")
SPACES = re.compile(r"\s+")
# Control characters (category Cc) that are not whitespace, and unpaired surrogates (Cs):
# what a loop over unicodedata.category finds, at a fraction of its cost (both
# categories are fixed by Unicode; tests/test_identifiers.py checks every code point).
CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff]")


def check_type(type: object, value: object, rules: IdentifierRules) -> str:
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


def check_text(kind: str, raw: str, what: str = "") -> str:
    """Length, character and emptiness checks shared by all types; returns trimmed text."""
    prefix = f"{what} " if what else ""
    if len(raw) > MAX_VALUE_LENGTH:
        raise InvalidIdentifier(
            f"{prefix}is longer than MAX_VALUE_LENGTH ({MAX_VALUE_LENGTH} characters)",
            type=kind,
            value=raw,
            limit=MAX_VALUE_LENGTH,
        )
    if CONTROL.search(raw):
        raise InvalidIdentifier(
            f"{prefix}contains control characters or unpaired surrogates",
            type=kind,
            value=raw,
        )
    text = TRIM.sub("", raw)
    if not text:
        raise InvalidIdentifier(f"{prefix}is empty", type=kind, value=raw)
    return text


def region_of(kind: str, region: object, rules: IdentifierRules) -> str | None:
    """The record's country (wins) or the default region, as ISO alpha-2, or None."""
    if region is None or (isinstance(region, str) and not region.strip()):
        return rules.default_region
    if not isinstance(region, str) or (code := country_code(region)) is None:
        raise InvalidIdentifier(
            "region must be an ISO 3166 alpha-2 country code such as 'ES'",
            type=kind,
            value=region,
            field="region",
        )
    return code
