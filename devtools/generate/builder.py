"""The generator's state and its small tools: the random stream, the values already
handed out, the items made so far, new values (ids, phones, emails, cards, addresses)
and their spellings.

Every spelling is checked against :func:`service.identity.identifiers.normalize` when it
is made: a variant that would not normalize to the same identifier is replaced by the
canonical value, so the ground truth never lies.
"""

from __future__ import annotations

import functools
import random
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import phonenumbers
from faker import Faker

from devtools.generate.catalog import (
    COUNTRY_NAME,
    FREE_DOMAINS,
    LOCALES,
    MOBILE_DIGITS,
    MOBILE_PREFIXES,
    STORES,
    WORK_TLD,
)
from service.errors import InvalidIdentifier
from service.identity.contract import item_key
from service.identity.identifiers import normalize

__all__ = ["Builder", "Store", "Timed", "ascii_name", "identifier", "key_of"]


@dataclass
class Store:
    name: str
    phone: str  # as printed on the receipt
    country: str
    code: str


@dataclass(order=True)
class Timed:
    arrival: datetime
    key: str
    item: dict[str, Any] = field(compare=False)
    customer: str = field(compare=False)


def ascii_name(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in folded if c.isascii() and (c.isalnum() or c in " -'"))
    return kept.lower().replace(" ", "").replace("'", "").replace("-", "")


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Builder:
    """Holds the random state, the values already handed out and the items made."""

    def __init__(self, seed: int, start: datetime) -> None:
        self.rng = random.Random(seed)
        self.start = start
        self.fakers: dict[str, Faker] = {}
        for index, (locale, _, _) in enumerate(LOCALES):
            fake = Faker(locale)
            fake.seed_instance(seed * 100 + index)
            self.fakers[locale] = fake
        self.used: set[str] = set()  # identifier keys and item keys handed out
        self.out: list[Timed] = []
        self.stores = {
            country: [
                Store(name, phone, country, f"{country}{n + 1:02d}")
                for n, (name, phone) in enumerate(stores)
            ]
            for country, stores in STORES.items()
        }

    # ------------------------------------------------------------------ items

    def emit(
        self,
        customer: str,
        kind: str,
        source: str,
        ident: str,
        at: datetime,
        identifiers: list[dict[str, Any]],
        attributes: dict[str, Any],
        *,
        country: str,
        channel: str | None = None,
        type: str | None = None,
        arrival: datetime | None = None,
    ) -> str:
        key = item_key(kind, source, ident)
        assert key not in self.used, key
        self.used.add(key)
        item: dict[str, Any] = {"kind": kind, "source": source, "id": ident}
        if kind == "event":
            item.update(channel=channel, type=type, at=_iso(at))
        item["country"] = country
        item["identifiers"] = identifiers
        item["attributes"] = attributes
        if arrival is None:
            arrival = at + self.delay(kind)
        self.out.append(Timed(arrival, key, item, customer))
        return key

    def delay(self, kind: str) -> timedelta:
        r = self.rng.random()
        if kind == "record" or r < 0.93:
            return timedelta(seconds=self.rng.uniform(0.2, 120))
        if r < 0.98:
            return timedelta(hours=self.rng.uniform(1, 48))  # nightly POS/call-centre batches
        return timedelta(days=self.rng.uniform(3, 15))  # a store offline for days

    def new_id(self, prefix: str, digits: int) -> str:
        while True:
            value = f"{prefix}{self.rng.randrange(10 ** (digits - 1), 10**digits)}"
            if f"id:{value}" not in self.used:
                self.used.add(f"id:{value}")
                return value

    def hex_id(self, prefix: str, size: int = 12) -> str:
        while True:
            value = f"{prefix}{self.rng.getrandbits(size * 4):0{size}x}"
            if f"id:{value}" not in self.used:
                self.used.add(f"id:{value}")
                return value

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def claim(self, type: str, value: str, country: str | None = None) -> bool:
        """Reserve an identifier's normalized key; False when someone already has it."""
        key = normalize(type, value, region=country).key
        if key in self.used:
            return False
        self.used.add(key)
        return True

    # --------------------------------------------------------------- spellings

    def spell_email(self, email: str) -> str:
        """The email as typed this time: mostly as given, sometimes with noise."""
        r = self.rng.random()
        local, _, domain = email.partition("@")
        if r < 0.72:
            variant = email
        elif r < 0.82:
            parts = [p.capitalize() for p in local.split(".")]
            variant = f"{'.'.join(parts)}@{domain.capitalize()}"
        elif r < 0.88:
            variant = f"  {email} "
        elif r < 0.92:
            variant = email.upper()
        elif r < 0.97 and domain == "gmail.com":
            variant = f"{local.replace('.', '')}@googlemail.com"
        else:
            variant = f"{local}@{domain.upper()}"
        return _same_or(variant, email, "EMAIL")

    def spell_phone(self, e164: str, country: str, *, typed: bool = False) -> str:
        """A phone as a system stores it; ``typed``: keyed in by a person (national)."""
        region, international, national = _phone_formats(e164)
        home = region == country
        r = self.rng.random()
        if typed and home and r < 0.7:
            variant = national.replace(" ", "") if r < 0.25 else national
        elif r < 0.4:
            variant = e164
        elif r < 0.75:
            variant = international
        elif r < 0.88 or not home:
            variant = "00" + e164[1:]
        else:
            variant = national
        return _same_or(variant, e164, "PHONE", country)

    def spell_card(self, card: str) -> str:
        r = self.rng.random()
        if r < 0.5:
            return f"{card[:4]} {card[4:8]} {card[8:]}"
        if r < 0.8:
            return card
        return f"{card[:4]}-{card[4:8]}-{card[8:]}"

    def spell_address(self, address: dict[str, str]) -> dict[str, str] | str:
        if self.rng.random() < 0.7:
            return dict(address)
        country = address["country"]
        line = f"{address['line1']}, {address['postcode']} {address['city']}"
        if country == "US":
            line = f"{address['line1']}, {address['city']}, {address['postcode']}"
        text = f"{line}, {COUNTRY_NAME[country]}"
        return dict(address) if key_of("ADDRESS", text, country) is None else text

    # ----------------------------------------------------------- new values

    def new_phone(self, country: str) -> str:
        while True:
            prefix = self.rng.choice(MOBILE_PREFIXES[country])
            digits = MOBILE_DIGITS[country] - (len(prefix) - 1 - len(_cc(country)))
            candidate = prefix + "".join(str(self.rng.randrange(10)) for _ in range(digits))
            try:
                parsed = phonenumbers.parse(candidate)
            except phonenumbers.NumberParseException:
                continue
            if not phonenumbers.is_valid_number(parsed):
                continue
            ident = normalize("PHONE", candidate)
            if ident.blocked or ident.key in self.used:
                continue
            self.used.add(ident.key)
            return ident.value

    def new_email(self, first: str, last: str, country: str, *, work: str | None = None) -> str:
        f, la = ascii_name(first) or "x", ascii_name(last) or "y"
        for attempt in range(50):
            pattern = self.rng.randrange(8)
            local = (
                f"{f}.{la}",
                f"{f}{la}",
                f"{f[0]}.{la}",
                f"{f}_{la}",
                f"{la}.{f}",
                f"{f}.{la}{self.rng.randrange(1, 99)}",
                f"{f}{self.rng.randrange(60, 99)}",
                f"{f[0]}{la}{self.rng.randrange(1, 999)}",
            )[pattern]
            if attempt > 10:
                local = f"{local}{self.rng.randrange(1000, 9999)}"
            if work:
                domain = f"{work}.{WORK_TLD[country]}"
            else:
                domain = self.rng.choice(FREE_DOMAINS[country])
            email = f"{local}@{domain}"
            try:
                ident = normalize("EMAIL", email)
            except InvalidIdentifier:
                continue
            if ident.blocked or ident.key in self.used:
                continue
            self.used.add(ident.key)
            return email
        raise AssertionError("no free email")  # pragma: no cover

    def new_card(self) -> str:
        while True:
            card = "7001" + "".join(str(self.rng.randrange(10)) for _ in range(8))
            if self.claim("LOYALTY_CARD", card):
                return card

    def new_address(self, locale: str, country: str) -> dict[str, str]:
        fake = self.fakers[locale]
        line1 = " ".join(str(fake.street_address()).split())
        address = {
            "line1": line1,
            "postcode": str(fake.postcode()),
            "city": str(fake.city()),
            "country": country,
        }
        if country == "US":
            address["region"] = str(fake.state_abbr())
        return address

    def at(self, day: float, *, open_hours: bool = True) -> datetime:
        base = self.start + timedelta(days=int(day))
        hour = self.rng.uniform(9, 21) if open_hours else self.rng.uniform(7, 24)
        return base + timedelta(hours=hour)


def _cc(country: str) -> str:
    return str(phonenumbers.country_code_for_region(country))


@functools.lru_cache(maxsize=65536)
def key_of(type: str, value: str, country: str | None) -> str | None:
    try:
        return normalize(type, value, region=country).key
    except InvalidIdentifier:
        return None


@functools.lru_cache(maxsize=65536)
def _phone_formats(e164: str) -> tuple[str, str, str]:
    """Region, international and national forms of a phone number."""
    number = phonenumbers.parse(e164)
    return (
        str(phonenumbers.region_code_for_number(number)),
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL),
    )


def _same_or(variant: str, canonical: str, type: str, country: str | None = None) -> str:
    """``variant`` if it normalizes like ``canonical`` (the truth stays honest), else that."""
    expected = key_of(type, canonical, country)
    return (
        variant
        if expected is not None and key_of(type, variant, country) == expected
        else canonical
    )


def identifier(type: str, value: Any) -> dict[str, Any]:
    return {"type": type, "value": value}
