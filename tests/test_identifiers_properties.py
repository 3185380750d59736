"""Property tests for service.identity.identifiers: idempotence, robustness, key stability."""

from __future__ import annotations

import string
from typing import Any

import pytest
from email_validator import validate_email
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from service.errors import InvalidIdentifier
from service.identity.identifiers import (
    BUILTIN_TYPES,
    DEFAULT_RULES,
    MAX_VALUE_LENGTH,
    IdentifierRules,
    normalize,
)
from service.identity.identifiers.contacts import _plain_email

FAST = hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TYPES = (*BUILTIN_TYPES, *DEFAULT_RULES.extra_types)
REGIONS = st.sampled_from([None, "ES", "es", "FR", "US", "GB", "DE"])

# Any code point, surrogates and controls included.
any_char = st.characters(exclude_categories=())
any_text = st.text(any_char, max_size=60)
# Text that looks like identifiers more often: ASCII, separators, a few accents.
likely_char = st.sampled_from(
    string.ascii_letters + string.digits + " .-_/+@,|{}:\n\t'ºñéüßÅ" + "\u00a0\u200b"
)
likely_text = st.text(likely_char, min_size=1, max_size=60)
texts = st.one_of(any_text, likely_text)
address_maps = st.dictionaries(
    st.sampled_from(["line1", "line2", "postcode", "city", "region", "country"]),
    st.one_of(st.none(), texts, st.sampled_from(["ES", "España", "uk", "USA", "fr", "Narnia"])),
)
odd_values = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=True),
    st.binary(max_size=10),
    st.lists(texts, max_size=3),
    st.dictionaries(texts, texts, max_size=3),
    address_maps,
)


def _try(kind: str, value: object, region: str | None = None, **kw: Any) -> Any:
    try:
        return normalize(kind, value, region=region, **kw)
    except InvalidIdentifier:
        return None


# --------------------------------------------------------------------------- robustness


@FAST
@given(kind=st.sampled_from(TYPES), value=st.one_of(texts, odd_values), region=REGIONS)
def test_only_invalid_identifier_is_ever_raised(
    kind: str, value: object, region: str | None
) -> None:
    try:
        ident = normalize(kind, value, region=region)
    except InvalidIdentifier as exc:
        assert exc.type == kind
        assert exc.reason
        if isinstance(value, str) and len(value) > 4:
            assert value not in exc.message
        return
    assert ident.type == kind
    assert ident.value
    assert ident.key == f"{kind}:{ident.value}"
    assert len(ident.value) <= 4 * MAX_VALUE_LENGTH


@FAST
@given(kind=texts, value=texts, region=st.one_of(st.none(), texts))
def test_arbitrary_type_and_region_raise_only_invalid_identifier(
    kind: str, value: str, region: str | None
) -> None:
    _try(kind, value, region)


@hsettings(max_examples=30, deadline=None)
@given(kind=st.sampled_from(TYPES), pad=st.integers(min_value=1, max_value=50))
def test_too_long_values_are_refused(kind: str, pad: int) -> None:
    with pytest.raises(InvalidIdentifier, match="MAX_VALUE_LENGTH"):
        normalize(kind, "7" * (MAX_VALUE_LENGTH + pad), region="ES")


# --------------------------------------------------------------------------- idempotence


@FAST
@given(
    kind=st.sampled_from(["EMAIL", "LOYALTY_CARD", "DEVICE", *DEFAULT_RULES.extra_types]),
    value=texts,
)
def test_normalization_is_idempotent(kind: str, value: str) -> None:
    first = _try(kind, value)
    assume(first is not None)
    again = normalize(kind, first.value)
    assert again.value == first.value
    assert again.blocked == first.blocked


emails_local = st.text(string.ascii_letters + string.digits + ".+_-", min_size=1, max_size=20)
emails_domain = st.sampled_from(
    ["example.com", "Gmail.com", "googlemail.com", "bücher.de", "xn--bcher-kva.de", "Shop.ES"]
)


@FAST
@given(local=emails_local, domain=emails_domain, unicode_local=st.text("áéñüç", max_size=3))
def test_email_normalization_is_idempotent(local: str, domain: str, unicode_local: str) -> None:
    for rules in (DEFAULT_RULES, IdentifierRules(email_provider_rules=False)):
        first = _try("EMAIL", f"{local}{unicode_local}@{domain}", rules=rules)
        if first is None:
            continue
        assert normalize("EMAIL", first.value, rules=rules).value == first.value


# Spanish mobile numbers: 6 followed by 8 digits are valid.
es_mobiles = st.text(string.digits, min_size=8, max_size=8).map(lambda d: "6" + d)


phone_like = st.one_of(
    st.text(string.digits + " +-().", min_size=1, max_size=20),
    st.tuples(
        st.sampled_from(["", "+", "00", "+34 ", "0034", "+1", "+33 ", "0", "+44 "]),
        st.sampled_from(["6", "7", "9", "650", "20", "1", "2"]),
        st.text(string.digits, min_size=5, max_size=9),
    ).map("".join),
)


@hsettings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(digits=phone_like, region=REGIONS)
def test_phone_e164_feeds_back_to_itself(digits: str, region: str | None) -> None:
    first = _try("PHONE", digits, region)
    assume(first is not None)
    assert first.value.startswith("+")
    for other_region in (None, "US", "ES"):
        again = normalize("PHONE", first.value, region=other_region)
        assert again.value == first.value
        assert again.blocked == first.blocked


@FAST
@given(value=st.one_of(texts, address_maps), region=REGIONS)
def test_address_canonical_form_is_stable_as_one_line(value: object, region: str | None) -> None:
    first = _try("ADDRESS", value, region)
    assume(first is not None)
    assert first.value.count("|") == 4
    again = normalize("ADDRESS", first.value, region=region)
    assert again.value == first.value
    # the canonical form carries its country: no region needed to read it back
    if not first.value.endswith("|"):
        assert normalize("ADDRESS", first.value).value == first.value


# --------------------------------------------------------------------------- keys


# Values every type accepts in some spelling, so that a pair of them is valid often
# enough (two random texts rarely both are: hypothesis gave up on the filtering).
_VALID = st.sampled_from(
    [
        "Ana.Silva@Example.com",
        " ana.silva@example.com",
        "a-b@shop.es",
        "+34 600 12 34 56",
        "600123456",
        "+1 202 555 0143",
        "7001 2345",
        "70012345",
        "Calle Mayor 5, 28013 Madrid",
        "CUST-1001",
        "cust-1001",
    ]
)
_KEYED = st.one_of(texts, _VALID, _VALID.map(str.upper), _VALID.map(lambda v: f" {v}\t"))


@FAST
@given(kind=st.sampled_from(TYPES), a=_KEYED, b=_KEYED, region=REGIONS)
def test_equal_keys_imply_equal_values(kind: str, a: str, b: str, region: str | None) -> None:
    first, second = _try(kind, a, region), _try(kind, b, region)
    assume(first is not None and second is not None)
    if first.key == second.key:
        assert first.value == second.value
        assert first.type == second.type
        assert first.blocked == second.blocked
    else:
        assert first.value != second.value


def _scramble(text: str, flips: list[bool]) -> str:
    return "".join(c.swapcase() if flips[i % len(flips)] else c for i, c in enumerate(text))


@FAST
@given(
    local=st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=15),
    dots=st.lists(st.sampled_from(["", ".", "_", "-"]), min_size=1, max_size=4),
    domain=st.sampled_from(["example.com", "shop.es", "bücher.de", "gmail.com"]),
    flips=st.lists(st.booleans(), min_size=1, max_size=8),
    before=st.text(" \t\n\u00a0\u3000", max_size=3),
    after=st.text(" \t\n\u00a0\u3000", max_size=3),
)
def test_emails_in_any_case_and_padding_share_a_key(
    local: str, dots: list[str], domain: str, flips: list[bool], before: str, after: str
) -> None:
    base = local[0] + dots[0] + local[1:] if len(local) > 1 else local
    assume(not base.endswith(tuple(".-_")))
    reference = _try("EMAIL", f"{base}@{domain}")
    assume(reference is not None)
    variant = normalize("EMAIL", f"{before}{_scramble(base + '@' + domain, flips)}{after}")
    assert variant.key == reference.key


@FAST
@given(
    number=es_mobiles,
    style=st.sampled_from(["+34 {}", "0034{}", "{}", "+34-{}", "(+34) {}", "00 34 {}"]),
    spaces=st.lists(st.integers(min_value=1, max_value=8), max_size=3),
)
def test_phone_spellings_share_a_key(number: str, style: str, spaces: list[int]) -> None:
    spaced = number
    for index in sorted(set(spaces), reverse=True):
        spaced = spaced[:index] + " " + spaced[index:]
    ident = normalize("PHONE", style.format(spaced), region="ES")
    assert ident.key == f"PHONE:+34{number}"


words = st.text(string.ascii_lowercase, min_size=2, max_size=8).filter(
    lambda w: w not in {"no", "nro", "num", "str", "pl"}
)
STREET_SPELLINGS = {
    "ES": [("calle", ["Calle", "C/", "c.", "CL"]), ("avenida", ["Avenida", "Avda.", "av"])],
    "FR": [("rue", ["rue", "R.", "RUE"]), ("boulevard", ["Boulevard", "bd", "Bd."])],
    "GB": [("road", ["Road", "Rd", "rd."]), ("avenue", ["Avenue", "Ave", "av."])],
    "US": [("boulevard", ["Boulevard", "Blvd.", "blvd"]), ("road", ["road", "RD", "Rd."])],
}


@FAST
@given(
    country=st.sampled_from(sorted(STREET_SPELLINGS)),
    choice=st.integers(min_value=0, max_value=1),
    spelling=st.integers(min_value=0, max_value=3),
    name=st.lists(words, min_size=1, max_size=3),
    number=st.integers(min_value=1, max_value=999),
    city=st.lists(words, min_size=1, max_size=2),
    postcode=st.text(string.digits, min_size=5, max_size=5),
    flips=st.lists(st.booleans(), min_size=1, max_size=6),
    punct=st.sampled_from(["", ",", ".", " ,", ";"]),
)
def test_structured_addresses_differing_in_form_share_a_key(
    country: str,
    choice: int,
    spelling: int,
    name: list[str],
    number: int,
    city: list[str],
    postcode: str,
    flips: list[bool],
    punct: str,
) -> None:
    full, spellings = STREET_SPELLINGS[country][choice]
    abbreviation = spellings[spelling % len(spellings)]
    street = " ".join(name)
    if country in ("ES",):
        canonical, variant = f"{full} {street} {number}", f"{abbreviation} {street}{punct} {number}"
    elif country == "FR":
        canonical, variant = f"{number} {full} {street}", f"{number}{punct} {abbreviation} {street}"
    else:
        canonical, variant = f"{number} {street} {full}", f"{number} {street} {abbreviation}"
    town = " ".join(city)
    plain = {"line1": canonical, "postcode": postcode, "city": town, "country": country}
    varied = {
        "line1": _scramble(variant, flips),
        "postcode": f" {postcode} ",
        "city": _scramble(town, flips[::-1]) + punct,
        "country": country.lower(),
    }
    assert normalize("ADDRESS", varied).key == normalize("ADDRESS", plain).key


_local_parts = st.text(st.sampled_from("abzAZ09._+-'!~\u00e9 "), min_size=1, max_size=70)
_labels = st.one_of(
    st.text(st.sampled_from("abzAZ09-_\u00fc"), min_size=1, max_size=66),
    st.sampled_from(["ab--cd", "xn--bcher-kva", "xn--zz", "a--b", "Xn--9"]),
)
_tlds = st.one_of(
    st.text(st.sampled_from("abzAZ09-"), min_size=1, max_size=5),
    st.sampled_from(["test", "LOCAL", "invalid", "arpa", "onion", "localhost", "com", "de"]),
)
_emails = st.builds(
    lambda local, labels, tld: f"{local}@{'.'.join([*labels, tld])}",
    _local_parts,
    st.lists(_labels, min_size=0, max_size=4),
    _tlds,
)


@hsettings(max_examples=1500, deadline=None)
@given(_emails)
def test_plain_email_shortcut_agrees_with_the_validator(text: str) -> None:
    """The shortcut for plain addresses takes only what ``validate_email`` accepts, and
    reads it the same way; the rest goes through the library."""
    plain = _plain_email(text)
    if plain is None:
        return
    result = validate_email(text, check_deliverability=False)
    assert plain == (result.local_part.lower(), result.ascii_domain.lower())


def test_plain_email_shortcut_takes_plain_addresses() -> None:
    assert _plain_email("Ana.Silva+news@Example.COM") == ("ana.silva+news", "example.com")
    for odd in ("a@ex.test", "a@xn--bcher-kva.de", "a..b@x.com", "a@x.123", "\u00e9@x.com"):
        assert _plain_email(odd) is None
