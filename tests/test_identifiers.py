"""Table tests for service.identity.identifiers: equivalence classes, rejections, blocked values."""

from __future__ import annotations

import sys
import unicodedata
from dataclasses import FrozenInstanceError
from typing import Any

import pytest

from service.errors import InvalidIdentifier, InvalidInput
from service.identity.identifiers import (
    BUILTIN_TYPES,
    DEFAULT_BLOCKLIST,
    DEFAULT_RULES,
    MAX_VALUE_LENGTH,
    Identifier,
    IdentifierRules,
    normalize,
)
from service.identity.identifiers.checks import CONTROL
from service.settings import load_settings

ZERO_UUID = "00000000-0000-0000-0000-000000000000"

# (type, region, [raw spellings that must share one key], expected key)
EQUIVALENT: list[tuple[str, str | None, list[Any], str]] = [
    (
        "EMAIL",
        None,
        ["ana.silva@example.com", "  Ana.Silva@Example.COM ", "ANA.SILVA@EXAMPLE.COM\n"],
        "EMAIL:ana.silva@example.com",
    ),
    (
        "EMAIL",
        None,
        ["info@bücher.de", "info@Bücher.DE", "info@xn--bcher-kva.de", "INFO@XN--BCHER-KVA.DE"],
        "EMAIL:info@xn--bcher-kva.de",
    ),
    (
        "EMAIL",
        None,
        [
            "anasilva@gmail.com",
            "Ana.Silva@gmail.com",
            "a.n.a.silva+newsletter@gmail.com",
            "ana.silva+x+y@googlemail.com",
            "ANASILVA@GoogleMail.com",
        ],
        "EMAIL:anasilva@gmail.com",
    ),
    (
        "EMAIL",
        None,
        ["ana+shop@example.com", "Ana+Shop@Example.com"],  # +tags kept off Gmail
        "EMAIL:ana+shop@example.com",
    ),
    (
        "PHONE",
        "ES",
        ["+34 600 12 34 56", "0034600123456", "600123456", "600 12 34 56", "+34-600-123-456"],
        "PHONE:+34600123456",
    ),
    ("PHONE", "es", ["(+34) 600.12.34.56", "600 123 456"], "PHONE:+34600123456"),
    (
        "PHONE",
        None,
        ["+34600123456", "0034 600 12 34 56", "00 34 600-123-456"],
        "PHONE:+34600123456",
    ),
    ("PHONE", "US", ["0034600123456", "+34600123456"], "PHONE:+34600123456"),
    (
        "PHONE",
        "US",
        ["(650) 253-0000", "650-253-0000", "+1 650 253 0000", "1 650 253 0000"],
        "PHONE:+16502530000",
    ),
    ("PHONE", "FR", ["06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678"], "PHONE:+33612345678"),
    (
        "LOYALTY_CARD",
        None,
        ["ab-1234 5678/9", "AB1234.5678.9", "ab 1234 5678 9", "AB\u20131234\u20145678/9"],
        "LOYALTY_CARD:AB123456789",
    ),
    ("LOYALTY_CARD", None, ["\uff21\uff22\uff11\uff12", "ab12"], "LOYALTY_CARD:AB12"),
    (
        "DEVICE",
        None,
        [
            "6f9619ff-8b86-d011-b42d-00c04fc964ff",
            "6F9619FF-8B86-D011-B42D-00C04FC964FF",
            "{6F9619FF-8B86-D011-B42D-00C04FC964FF}",
            "6f9619ff8b86d011b42d00c04fc964ff",
            "urn:uuid:6f9619ff-8b86-d011-b42d-00c04fc964ff",
            "URN:UUID:6F9619FF8B86D011B42D00C04FC964FF",
            "  6f9619ff-8b86-d011-b42d-00c04fc964ff\t",
        ],
        "DEVICE:6f9619ff-8b86-d011-b42d-00c04fc964ff",
    ),
    ("DEVICE", None, ["GA1.2.1234.5678", "  GA1.2.1234.5678 "], "DEVICE:GA1.2.1234.5678"),
    (
        "ADDRESS",
        None,
        [
            {"line1": "Calle Mayor 5", "postcode": "28013", "city": "Madrid", "country": "ES"},
            {"line1": "C/ MAYOR, 5", "postcode": "28013", "city": "MADRID", "country": "España"},
            {"line1": "Cl. Mayor nº 5", "postcode": " 28013 ", "city": "madrid", "country": "esp"},
            {"line1": "calle  mayor 5", "postcode": "28013", "city": "Madrid", "country": "Spain"},
            "C/ Mayor, 5, 28013 Madrid, España",
            "Calle Mayor 5\n28013 Madrid\nSpain",
            "Calle Mayor 5, 28013, Madrid, ES",
            "Calle Mayor nº 5 28013 Madrid España",
            "calle mayor 5||28013|madrid|ES",
        ],
        "ADDRESS:calle mayor 5||28013|madrid|ES",
    ),
    (
        "ADDRESS",
        "ES",  # the record's country fills a missing address country
        [
            {"line1": "Avda. de la Constitución 12", "postcode": "41001", "city": "Sevilla"},
            {"line1": "Avenida de la Constitucion 12", "postcode": "41001", "city": "SEVILLA"},
            {"line1": "av de la constitución, 12", "postcode": "41001", "city": "Sevilla"},
            "Avda. de la Constitución, 12, 41001 Sevilla",
        ],
        "ADDRESS:avenida de la constitucion 12||41001|sevilla|ES",
    ),
    (
        "ADDRESS",
        None,
        [
            {"line1": "Pza. Mayor 1", "line2": "2º B", "city": "Madrid", "country": "ES"},
            {"line1": "Plaza Mayor, 1", "line2": "2º-B", "city": "madrid", "country": "es"},
        ],
        "ADDRESS:plaza mayor 1|2o b||madrid|ES",
    ),
    (
        "ADDRESS",
        None,
        [
            {"line1": "5 Rue de la Paix", "postcode": "75002", "city": "Paris", "country": "FR"},
            {"line1": "5 r. de la paix", "postcode": "75002", "city": "PARIS", "country": "France"},
            "5, rue de la Paix, 75002 Paris, France",
        ],
        "ADDRESS:5 rue de la paix||75002|paris|FR",
    ),
    (
        "ADDRESS",
        "FR",
        [
            {"line1": "12 bd Saint-Germain", "postcode": "75005", "city": "Paris"},
            {"line1": "12 Boulevard Saint Germain", "postcode": "75005", "city": "Paris"},
            {"line1": "12, Bd. Saint-Germain", "postcode": "75005", "city": "paris"},
        ],
        "ADDRESS:12 boulevard saint germain||75005|paris|FR",
    ),
    (
        "ADDRESS",
        None,
        [
            {"line1": "Hauptstraße 5", "postcode": "10115", "city": "Berlin", "country": "DE"},
            {"line1": "Hauptstr. 5", "postcode": "10115", "city": "berlin", "country": "DEU"},
            {"line1": "HAUPTSTRASSE 5", "postcode": "10115", "city": "Berlin", "country": "de"},
            "Hauptstr. 5, 10115 Berlin, Deutschland",
        ],
        "ADDRESS:hauptstrasse 5||10115|berlin|DE",
    ),
    (
        "ADDRESS",
        None,
        [
            {"line1": "Berliner Straße 7", "city": "Köln", "country": "Germany"},
            {"line1": "Berliner Str. 7", "city": "Koln", "country": "DE"},
        ],
        "ADDRESS:berliner strasse 7|||koln|DE",
    ),
    (
        "ADDRESS",
        None,
        [
            {
                "line1": "10 Downing Street",
                "postcode": "SW1A 2AA",
                "city": "London",
                "country": "GB",
            },
            {"line1": "10 Downing St.", "postcode": "sw1a2aa", "city": "LONDON", "country": "UK"},
            "10 Downing St, London SW1A 2AA, United Kingdom",
        ],
        "ADDRESS:10 downing street||sw1a2aa|london|GB",
    ),
    (
        "ADDRESS",
        "GB",
        [
            {"line1": "1 St John's Rd", "city": "Oxford"},
            {"line1": "1 Saint Johns Road", "city": "Oxford"},
        ],
        "ADDRESS:1 saint johns road|||oxford|GB",
    ),
    (
        "ADDRESS",
        None,
        [
            {
                "line1": "1600 Pennsylvania Avenue NW",
                "postcode": "20500",
                "city": "Washington",
                "region": "DC",
                "country": "US",
            },
            {
                "line1": "1600 Pennsylvania Ave. N.W.",
                "postcode": "20500-0003",
                "city": "Washington",
                "country": "USA",
            },
            "1600 Pennsylvania Ave NW, Washington, DC 20500, USA",
        ],
        "ADDRESS:1600 pennsylvania avenue nw||20500|washington|US",
    ),
    (
        "ADDRESS",
        "US",
        [
            {"line1": "42 Sunset Blvd", "line2": "Apt 3", "city": "Los Angeles"},
            {"line1": "42 Sunset Boulevard", "line2": "Apartment 3", "city": "los angeles"},
        ],
        "ADDRESS:42 sunset boulevard|apartment 3||los angeles|US",
    ),
    (
        "ADDRESS",
        "US",
        [{"line1": "7 Mulholland Dr"}, {"line1": "7 Mulholland Drive"}],
        "ADDRESS:7 mulholland drive||||US",
    ),
    (
        "CUSTOMER_ID",
        None,
        ["AB 12 cd", "  AB  12\tcd ", "AB\u00a012 cd"],
        "CUSTOMER_ID:AB 12 cd",
    ),
    ("PAYMENT_TOKEN", None, ["tok_ABC123", " tok_ABC123 "], "PAYMENT_TOKEN:tok_ABC123"),
]


@pytest.mark.parametrize(
    ("kind", "region", "spellings", "key"),
    EQUIVALENT,
    ids=[f"{row[0]}-{i}" for i, row in enumerate(EQUIVALENT)],
)
def test_spellings_share_one_key(
    kind: str, region: str | None, spellings: list[Any], key: str
) -> None:
    keys = {normalize(kind, raw, region=region).key for raw in spellings}
    assert keys == {key}


# (type, region, a distinct spelling, key it must NOT share with)
DISTINCT: list[tuple[str, str | None, Any, str]] = [
    ("EMAIL", None, "ana.silva@example.org", "EMAIL:ana.silva@example.com"),
    ("EMAIL", None, "ana.silva+x@example.com", "EMAIL:ana.silva@example.com"),
    ("PHONE", "ES", "600123457", "PHONE:+34600123456"),
    ("LOYALTY_CARD", None, "AB1234567890", "LOYALTY_CARD:AB123456789"),
    ("DEVICE", None, "ga1.2.1234.5678", "DEVICE:GA1.2.1234.5678"),  # cookie ids keep case
    ("CUSTOMER_ID", None, "ab 12 cd", "CUSTOMER_ID:AB 12 cd"),  # extra types keep case
    (
        "ADDRESS",
        None,
        {"line1": "Calle Mayor 7", "postcode": "28013", "city": "Madrid", "country": "ES"},
        "ADDRESS:calle mayor 5||28013|madrid|ES",
    ),
    (
        "ADDRESS",
        None,
        {"line1": "Calle Mayor 5", "postcode": "28013", "city": "Madrid", "country": "MX"},
        "ADDRESS:calle mayor 5||28013|madrid|ES",
    ),
]


@pytest.mark.parametrize(("kind", "region", "raw", "other"), DISTINCT)
def test_distinct_values_keep_distinct_keys(
    kind: str, region: str | None, raw: Any, other: str
) -> None:
    assert normalize(kind, raw, region=region).key != other


def test_gmail_provider_rules_are_switchable() -> None:
    rules = IdentifierRules(email_provider_rules=False)
    assert normalize("EMAIL", "A.Na+x@GoogleMail.com", rules=rules).value == (
        "a.na+x@googlemail.com"
    )
    assert normalize("EMAIL", "A.Na+x@GoogleMail.com").value == "ana@gmail.com"


# (type, region, raw, reason substring)
REJECTED: list[tuple[str, str | None, Any, str]] = [
    # value kinds, emptiness, length, characters: every type
    *[(kind, None, 12345, "must be a string") for kind in BUILTIN_TYPES[:-1]],
    ("CUSTOMER_ID", None, None, "must be a string"),
    ("EMAIL", None, b"ana@example.com", "must be a string"),
    ("PHONE", "ES", 600123456, "must be a string"),
    ("ADDRESS", None, 12345, "must be a string or an address object"),
    ("ADDRESS", None, ["Calle Mayor 5"], "must be a string or an address object"),
    *[(kind, None, "", "is empty") for kind in (*BUILTIN_TYPES, "CUSTOMER_ID")],
    *[(kind, None, " \t\n\u3000 ", "is empty") for kind in (*BUILTIN_TYPES, "PAYMENT_TOKEN")],
    ("DEVICE", None, "\ufeff\u200b", "is empty"),
    *[
        (
            kind,
            "ES",
            "1" * (MAX_VALUE_LENGTH + 1),
            f"longer than MAX_VALUE_LENGTH ({MAX_VALUE_LENGTH}",
        )
        for kind in (*BUILTIN_TYPES, "CUSTOMER_ID")
    ],
    ("EMAIL", None, " " * MAX_VALUE_LENGTH + "a@b.com", "longer than"),
    *[(kind, None, "abc\x00def", "control characters") for kind in (*BUILTIN_TYPES, "CUSTOMER_ID")],
    ("DEVICE", None, "abc\ud800", "unpaired surrogates"),
    ("LOYALTY_CARD", None, "12\x1b34", "control characters"),
    # EMAIL
    ("EMAIL", None, "ana.silva", "not a valid email"),
    ("EMAIL", None, "ana@", "not a valid email"),
    ("EMAIL", None, "@example.com", "not a valid email"),
    ("EMAIL", None, "ana silva@example.com", "not a valid email"),
    ("EMAIL", None, "ana@@example.com", "not a valid email"),
    ("EMAIL", None, "ana@localhost", "not a valid email"),
    ("EMAIL", None, "ana@example", "not a valid email"),
    ("EMAIL", None, "Ana Silva <ana@example.com>", "not a valid email"),
    ("EMAIL", None, "ana..silva@example.com", "not a valid email"),
    ("EMAIL", None, "+news@gmail.com", "empty local part"),
    # PHONE
    ("PHONE", None, "600123456", "needs a region/country"),
    ("PHONE", None, "600 12 34 56", "needs a region/country"),
    ("PHONE", "ES", "12345", "not a valid phone number"),
    ("PHONE", "ES", "1234567890", "not a valid phone number"),
    ("PHONE", "US", "1234567890", "not a valid phone number"),
    ("PHONE", "US", "0000000000", "not a valid phone number"),
    ("PHONE", "ES", "0000000000", "not a valid phone number"),
    ("PHONE", None, "+0000000000", "unknown country calling code"),
    ("PHONE", None, "+1 234-567-890", "not a valid phone number"),
    ("PHONE", "ES", "call me", "not a valid phone number"),
    ("PHONE", "ES", "+34 600", "not a valid phone number"),
    ("PHONE", "ZZ", "600123456", "region must be an ISO 3166"),
    # LOYALTY_CARD
    ("LOYALTY_CARD", None, "- . /", "has no letters or digits"),
    ("LOYALTY_CARD", None, "AB#123", "only contain letters A-Z and digits"),
    ("LOYALTY_CARD", None, "straße1", "only contain letters A-Z and digits"),
    ("LOYALTY_CARD", None, "ÅB123", "only contain letters A-Z and digits"),
    # ADDRESS
    ("ADDRESS", None, {"city": "Madrid"}, "line1 is empty"),
    ("ADDRESS", None, {"line1": "  "}, "line1 is empty"),
    ("ADDRESS", None, {"line1": "!!! ..."}, "line1 has no letters or digits"),
    ("ADDRESS", None, "--- , ---", "line1 has no letters or digits"),
    ("ADDRESS", None, {"line1": "Calle Mayor 5", "zip": "28013"}, "fields must be among"),
    ("ADDRESS", None, {"line1": "Calle Mayor 5", "postcode": 28013}, "postcode must be a string"),
    ("ADDRESS", None, {"line1": "Calle Mayor 5", "country": "Narnia"}, "country must be an ISO"),
    ("ADDRESS", None, "calle mayor 5||28013|madrid|Narnia", "country must be an ISO"),
    ("ADDRESS", None, {"line1": "x" * 300, "city": "y" * 300}, "longer than MAX_VALUE_LENGTH"),
    ("ADDRESS", None, {"line1": "Calle\x00Mayor"}, "line1 contains control characters"),
    ("ADDRESS", "Narnia", "Calle Mayor 5", "region must be an ISO 3166"),
]


@pytest.mark.parametrize(
    ("kind", "region", "raw", "reason"),
    REJECTED,
    ids=[f"{row[0]}-{i}" for i, row in enumerate(REJECTED)],
)
def test_rejections_name_the_reason(kind: str, region: str | None, raw: Any, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        normalize(kind, raw, region=region)
    error = caught.value
    assert reason in error.reason
    assert error.type == kind
    assert error.code == "INVALID_IDENTIFIER"
    if isinstance(raw, str) and len(raw) > 4:
        # messages never carry the raw value, only its mask
        assert raw not in error.message
        assert raw not in error.reason


def test_control_characters_are_those_unicode_names() -> None:
    """The pattern that refuses control characters and unpaired surrogates matches
    exactly the code points of category Cs, or Cc that are not whitespace."""
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        category = unicodedata.category(char)
        expected = category == "Cs" or (category == "Cc" and not char.isspace())
        assert bool(CONTROL.search(char)) is expected, hex(code)


def test_long_address_mapping_is_refused_before_parsing() -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        normalize("ADDRESS", {"line1": "a" * (MAX_VALUE_LENGTH + 1)})
    assert caught.value.details["limit"] == MAX_VALUE_LENGTH


def test_value_of_exactly_max_length_is_accepted() -> None:
    raw = "A" * MAX_VALUE_LENGTH
    assert normalize("LOYALTY_CARD", raw).value == raw
    assert normalize("DEVICE", " " * 10 + "x" * (MAX_VALUE_LENGTH - 10)).value == "x" * 502


def test_error_message_masks_the_value() -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        normalize("EMAIL", "ana.silva@@example.com")
    assert caught.value.message == ("value: EMAIL an***(22) is not a valid email address")
    assert caught.value.to_dict()["field"] == "value"


# (type, region, raw, expected value, blocked reason substring)
BLOCKED: list[tuple[str, str | None, str, str, str]] = [
    ("EMAIL", None, "test@test.com", "test@test.com", "placeholder email"),
    ("EMAIL", None, "Test@Example.com", "test@example.com", "placeholder email"),
    ("EMAIL", None, "noemail@example.com", "noemail@example.com", "placeholder email"),
    ("EMAIL", None, "no@email.com", "no@email.com", "placeholder email"),
    ("EMAIL", None, "NONE@none.com", "none@none.com", "placeholder email"),
    ("EMAIL", None, "a@a.com", "a@a.com", "placeholder email"),
    ("EMAIL", None, "noemail@myshop.es", "noemail@myshop.es", "placeholder email"),
    ("EMAIL", None, "No-Email@myshop.es", "no-email@myshop.es", "placeholder email"),
    ("EMAIL", None, "no_email2@myshop.es", "no_email2@myshop.es", "placeholder email"),
    ("EMAIL", None, "none@shop.fr", "none@shop.fr", "placeholder email"),
    ("EMAIL", None, "nomail@x.de", "nomail@x.de", "placeholder email"),
    ("EMAIL", None, "noreply@x.com", "noreply@x.com", "placeholder email"),
    ("EMAIL", None, "no.reply@gmail.com", "noreply@gmail.com", "placeholder email"),
    ("EMAIL", None, "do-not-reply@x.com", "do-not-reply@x.com", "placeholder email"),
    ("EMAIL", None, "donotreply@x.com", "donotreply@x.com", "placeholder email"),
    ("EMAIL", None, "unknown@x.com", "unknown@x.com", "placeholder email"),
    ("EMAIL", None, "n.a@x.com", "n.a@x.com", "placeholder email"),
    ("EMAIL", None, "NA@x.com", "na@x.com", "placeholder email"),
    ("EMAIL", None, "null@x.com", "null@x.com", "placeholder email"),
    ("PHONE", None, "+34 666 666 666", "+34666666666", "repeated-digit"),
    ("PHONE", "ES", "666 666 666", "+34666666666", "repeated-digit"),
    ("PHONE", None, "+33 1 23 45 67 89", "+33123456789", "sequential-digit"),
    ("PHONE", None, "+1 234-567-8901", "+12345678901", "sequential-digit"),
    ("PHONE", "FR", "09 87 65 43 21", "+33987654321", "sequential-digit"),
    ("DEVICE", None, ZERO_UUID, ZERO_UUID, "zero advertising id"),
    ("DEVICE", None, "{00000000-0000-0000-0000-000000000000}", ZERO_UUID, "zero advertising id"),
    ("DEVICE", None, "0" * 32, ZERO_UUID, "zero advertising id"),
]


@pytest.mark.parametrize(("kind", "region", "raw", "value", "reason"), BLOCKED)
def test_blocked_values_are_returned_with_a_reason(
    kind: str, region: str | None, raw: str, value: str, reason: str
) -> None:
    ident = normalize(kind, raw, region=region)
    assert ident.value == value
    assert ident.blocked is not None
    assert reason in ident.blocked
    assert raw.strip() not in ident.blocked


NOT_BLOCKED: list[tuple[str, str | None, str]] = [
    ("EMAIL", None, "ana.silva@example.com"),
    ("EMAIL", None, "nadia@x.com"),  # starts like "na"
    ("EMAIL", None, "noelia@x.com"),  # starts like "no"
    ("EMAIL", None, "test@mycompany.com"),
    ("PHONE", "ES", "600123456"),
    ("PHONE", "US", "650 253 0000"),
    ("DEVICE", None, "6f9619ff-8b86-d011-b42d-00c04fc964ff"),
    ("LOYALTY_CARD", None, "0000"),
    ("ADDRESS", "ES", "Calle Mayor 5, 28013 Madrid"),
    ("CUSTOMER_ID", None, "test"),
]


@pytest.mark.parametrize(("kind", "region", "raw"), NOT_BLOCKED)
def test_ordinary_values_are_not_blocked(kind: str, region: str | None, raw: str) -> None:
    assert normalize(kind, raw, region=region).blocked is None


def test_default_blocklist_holds_normalized_keys() -> None:
    for key in DEFAULT_BLOCKLIST:
        kind, _, value = key.partition(":")
        assert normalize(kind, value).key == key
        assert normalize(kind, value).blocked
    assert f"DEVICE:{ZERO_UUID}" in DEFAULT_BLOCKLIST
    assert "EMAIL:test@example.com" in DEFAULT_BLOCKLIST


def test_a_custom_blocklist_replaces_the_default_keys() -> None:
    rules = IdentifierRules(blocklist=frozenset({"CUSTOMER_ID:0"}))
    assert normalize("EMAIL", "test@test.com", rules=rules).blocked is None
    assert normalize("CUSTOMER_ID", " 0 ", rules=rules).blocked == "on the configured blocklist"
    # pattern rules stay on
    assert normalize("EMAIL", "noemail@x.com", rules=rules).blocked == "placeholder email"


# --------------------------------------------------------------------------- types


@pytest.mark.parametrize("spelling", ["email", "Email", " EMAIL ", "eMaIl"])
def test_type_is_case_insensitive(spelling: str) -> None:
    ident = normalize(spelling, "ana@example.com")
    assert ident.type == "EMAIL"
    assert ident.key == "EMAIL:ana@example.com"


@pytest.mark.parametrize("spelling", ["customer_id", "Payment_Token"])
def test_extra_types_are_case_insensitive(spelling: str) -> None:
    assert normalize(spelling, "X1").type == spelling.upper()


@pytest.mark.parametrize("kind", ["SSN", "mail", "", "EMAIL:x", "CUSTOMER ID"])
def test_unknown_type_is_refused(kind: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        normalize(kind, "ana@example.com")
    assert "unknown identifier type" in caught.value.reason
    assert caught.value.details["field"] == "type"


def test_non_string_type_is_refused() -> None:
    with pytest.raises(InvalidIdentifier, match="type must be a string"):
        normalize(None, "ana@example.com")  # type: ignore[arg-type]


def test_extra_types_come_from_the_rules() -> None:
    rules = IdentifierRules(extra_types=("member_no", "EMAIL", "MEMBER_NO"))
    assert rules.extra_types == ("MEMBER_NO",)
    assert rules.types == (*BUILTIN_TYPES, "MEMBER_NO")
    assert normalize("member_no", " M  7 ", rules=rules).key == "MEMBER_NO:M 7"
    with pytest.raises(InvalidIdentifier, match="unknown identifier type"):
        normalize("CUSTOMER_ID", "x", rules=rules)


def test_default_rules_types() -> None:
    assert DEFAULT_RULES.types == (*BUILTIN_TYPES, "CUSTOMER_ID", "PAYMENT_TOKEN")
    assert BUILTIN_TYPES == ("EMAIL", "PHONE", "LOYALTY_CARD", "DEVICE", "ADDRESS")


@pytest.mark.parametrize("bad", ["not a type", "1ABC", "A-B"])
def test_bad_extra_type_names_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput, match="extra_types"):
        IdentifierRules(extra_types=(bad,))


# --------------------------------------------------------------------------- regions


def test_region_wins_over_default_region() -> None:
    rules = IdentifierRules(default_region="fr")
    assert rules.default_region == "FR"
    assert normalize("PHONE", "0612345678", rules=rules).value == "+33612345678"
    assert normalize("PHONE", "600123456", region="ES", rules=rules).value == "+34600123456"
    assert normalize("PHONE", "600123456", region="es", rules=rules).value == "+34600123456"


def test_region_is_ignored_for_types_that_do_not_use_it() -> None:
    assert normalize("EMAIL", "ana@example.com", region="??").value == "ana@example.com"


def test_address_country_falls_back_to_region_then_default_region() -> None:
    raw = {"line1": "Calle Mayor 5", "city": "Madrid"}
    assert normalize("ADDRESS", raw).value == "calle mayor 5|||madrid|"
    assert normalize("ADDRESS", raw, region="ES").value == "calle mayor 5|||madrid|ES"
    rules = IdentifierRules(default_region="ES")
    assert normalize("ADDRESS", raw, rules=rules).value == "calle mayor 5|||madrid|ES"
    # the address's own country wins over the record's
    assert normalize("ADDRESS", {**raw, "country": "MX"}, region="ES").value.endswith("|MX")


def test_bad_default_region_is_refused() -> None:
    with pytest.raises(InvalidInput, match="default_region"):
        IdentifierRules(default_region="Narnia")


# --------------------------------------------------------------------------- loyalty Luhn


@pytest.mark.parametrize("raw", ["4992 7398 716", "79927398713", "0000000000"])
def test_luhn_valid_cards_pass(raw: str) -> None:
    rules = IdentifierRules(loyalty_luhn=True)
    assert normalize("LOYALTY_CARD", raw, rules=rules).value == raw.replace(" ", "")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("4992 7398 717", "fails the Luhn check digit"),
        ("79927398710", "fails the Luhn check digit"),
        ("AB12", "digits only"),
    ],
)
def test_luhn_invalid_cards_fail(raw: str, reason: str) -> None:
    rules = IdentifierRules(loyalty_luhn=True)
    with pytest.raises(InvalidIdentifier, match=reason):
        normalize("LOYALTY_CARD", raw, rules=rules)
    assert normalize("LOYALTY_CARD", raw).value  # without the rule: accepted


# --------------------------------------------------------------------------- display and shape


@pytest.mark.parametrize(
    ("kind", "raw", "display"),
    [
        ("EMAIL", "  Ana.Silva@Example.COM \n", "Ana.Silva@Example.COM"),
        ("PHONE", " +34 600 12 34 56 ", "+34 600 12 34 56"),
        ("LOYALTY_CARD", " ab-12 ", "ab-12"),
        ("CUSTOMER_ID", "  AB  12 ", "AB  12"),
        ("ADDRESS", "Calle Mayor 5,\n  28013 Madrid\n", "Calle Mayor 5, 28013 Madrid"),
        (
            "ADDRESS",
            {
                "line1": " Calle Mayor 5 ",
                "line2": "",
                "postcode": "28013",
                "city": "Madrid",
                "region": "Madrid",
                "country": "ES",
            },
            "Calle Mayor 5, 28013 Madrid, Madrid, ES",
        ),
    ],
)
def test_display_keeps_the_trimmed_original(kind: str, raw: Any, display: str) -> None:
    assert normalize(kind, raw).display == display


def test_identifier_is_frozen_and_keyed() -> None:
    ident = Identifier("EMAIL", "ana@example.com", "Ana@Example.com")
    assert ident.key == "EMAIL:ana@example.com"
    assert ident.blocked is None
    with pytest.raises(FrozenInstanceError):
        ident.value = "x"  # type: ignore[misc]
    assert normalize("email", "Ana@Example.com") == Identifier(
        "EMAIL", "ana@example.com", "Ana@Example.com"
    )


# --------------------------------------------------------------------------- from_settings


def test_from_settings_defaults_match_default_rules() -> None:
    assert IdentifierRules.from_settings(load_settings({})) == DEFAULT_RULES


def test_from_settings_reads_every_field() -> None:
    settings = load_settings(
        {
            "OMNID_DEFAULT_REGION": "es",
            "OMNID_EMAIL_PROVIDER_RULES": "false",
            "OMNID_LOYALTY_LUHN": "true",
            "OMNID_EXTRA_IDENTIFIER_TYPES": '["member_no"]',
            "OMNID_BLOCKLIST": (
                '["EMAIL:Shop@MyShop.es", "PHONE:600 00 00 01", '
                '"DEVICE:{11111111-1111-1111-1111-111111111111}"]'
            ),
        }
    )
    rules = IdentifierRules.from_settings(settings)
    assert rules.default_region == "ES"
    assert rules.email_provider_rules is False
    assert rules.loyalty_luhn is True
    assert rules.types == (*BUILTIN_TYPES, "MEMBER_NO")
    assert rules.blocklist == DEFAULT_BLOCKLIST | {
        "EMAIL:shop@myshop.es",
        "PHONE:+34600000001",
        "DEVICE:11111111-1111-1111-1111-111111111111",
    }
    assert normalize("EMAIL", "shop@myshop.es", rules=rules).blocked == (
        "on the configured blocklist"
    )
    assert normalize("PHONE", "+34600000001", rules=rules).blocked
    assert normalize("EMAIL", "test@test.com", rules=rules).blocked == "placeholder email"


@pytest.mark.parametrize(
    "entry", ['["EMAIL:not an email"]', '["no colon"]', '["SSN:123"]', '["PHONE:600000001"]']
)
def test_from_settings_refuses_bad_blocklist_entries(entry: str) -> None:
    settings = load_settings({"OMNID_BLOCKLIST": entry})
    with pytest.raises(InvalidInput) as caught:
        IdentifierRules.from_settings(settings)
    assert caught.value.field == "OMNID_BLOCKLIST"
    assert "not an email" not in caught.value.message


@pytest.mark.parametrize(
    ("raw", "region", "blocked"),
    [
        ("600 000 000", "ES", True),
        ("06 00 00 00 00", "FR", True),
        ("+34 600 10 00 00", None, False),
        ("+34 600 12 34 56", None, False),
    ],
)
def test_zero_padded_placeholder_phones_are_blocked(
    raw: str, region: str | None, blocked: bool
) -> None:
    ident = normalize("PHONE", raw, region=region)
    assert (ident.blocked is not None) == blocked
    if blocked:
        assert "placeholder" in str(ident.blocked)
