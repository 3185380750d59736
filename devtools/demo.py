"""Demo data with ground truth: the seeds' stories plus synthetic customers, seeded.

``generate(customers=300, seed=7)`` returns a :class:`Dataset`: records and events in the
input contract (``service.identity.contract``), in a realistic arrival order, and the ground truth
(which real customer each item belongs to). The same arguments always give the same
dataset, so quality figures (``bench/quality.py``) are comparable between runs.

What is in it
    * The seeds' stories as named customers with stable ids (:data:`STORY_CUSTOMERS`):
      the sofa buyer (three emails, one phone, a home and an office address, a POS
      record years old), the phone-contract customer (online order, then the store
      consultant types the phone number), the hotel booking (a card payment abroad on the
      PAYMENT channel), Mr Dupond (eshop and in-store purchases with a loyalty card) and
      the loyalty card (email on the card, purchases everywhere, calls to the call
      centre).
    * ``customers`` synthetic customers (Faker: es_ES, fr_FR, de_DE, en_GB, en_US) with
      one record per source system they use (eshop, app, pos, crm, newsletter, loyalty)
      and 3-15 events on WEB, APP, STORE, CALL_CENTER, EMAIL and a few SMS, SOCIAL, CHAT
      and PAYMENT.

The noise is the one identity resolution meets in retail, and the truth stays honest
about it:
    * Spelling variants that normalize to one identifier: email case and spaces, Gmail
      dots and ``googlemail.com``; phones in E.164, international, national and ``00``
      forms (``country`` is set on every item so national numbers parse); loyalty cards
      with spaces or dashes; addresses as a mapping or one line. Each variant is checked
      against :func:`service.identity.identifiers.normalize` when it is generated.
    * One to three emails per person; an old POS record with an old email for a few.
    * Households sharing an address (ADDRESS never links) and some sharing a family
      tablet (DEVICE). A tablet used by three or more members who log in with their own
      emails is usually seen with four or more emails and caught by the DEVICE shared
      rule; one shared by a couple with few emails is not, and glues two real customers:
      a genuine false merge that shows in the precision figure.
    * The store's own phone typed at the till for customers who gave none (one per
      store, each used by enough customers that the PHONE rule marks it shared).
    * Junk values that the identifier layer blocks: placeholder emails
      (``test@test.com``, ``noemail@…``), repeated-digit phones, the zero advertising id.

Items are in arrival order: mostly by time, a few events late (POS uploads, call
centre batches) and the legacy POS records loaded during the period.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import phonenumbers
from faker import Faker

from service.errors import InvalidIdentifier
from service.identity.contract import item_key
from service.identity.identifiers import normalize

__all__ = [
    "DEFAULT_SEED",
    "DEFAULT_START",
    "LOCALES",
    "STORY_CUSTOMERS",
    "Dataset",
    "demo_items",
    "generate",
    "story_items",
    "write_jsonl",
]

#: The first day of the simulated period (events run for about six months after it).
DEFAULT_START = datetime(2026, 1, 5, tzinfo=UTC)

DEFAULT_SEED = 7

#: Faker locale, ISO country and share of the synthetic customers.
LOCALES: tuple[tuple[str, str, float], ...] = (
    ("es_ES", "ES", 0.30),
    ("fr_FR", "FR", 0.22),
    ("de_DE", "DE", 0.20),
    ("en_GB", "GB", 0.14),
    ("en_US", "US", 0.14),
)

#: The seeds' stories: ground-truth customer ids, stable across seeds and sizes.
STORY_CUSTOMERS: tuple[str, ...] = (
    "sofa-buyer",
    "phone-contract",
    "hotel-booking",
    "mr-dupond",
    "loyalty-card",
)

_PERIOD_DAYS = 180

_FREE_DOMAINS: dict[str, tuple[str, ...]] = {
    "ES": ("gmail.com", "hotmail.es", "yahoo.es", "outlook.es", "telefonica.net"),
    "FR": ("gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr", "sfr.fr"),
    "DE": ("gmail.com", "web.de", "gmx.de", "t-online.de", "outlook.de"),
    "GB": ("gmail.com", "hotmail.co.uk", "btinternet.com", "yahoo.co.uk", "outlook.com"),
    "US": ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "aol.com"),
}
_WORK_TLD = {"ES": "es", "FR": "fr", "DE": "de", "GB": "co.uk", "US": "com"}
_COUNTRY_NAME = {
    "ES": "España",
    "FR": "France",
    "DE": "Deutschland",
    "GB": "United Kingdom",
    "US": "USA",
}

#: Stores per country: name and the store's own landline (typed at the till).
_STORES: dict[str, tuple[tuple[str, str], ...]] = {
    "ES": (
        ("Madrid Centro", "+34 915 23 41 87"),
        ("Barcelona Diagonal", "+34 934 16 72 05"),
        ("Valencia Ruzafa", "+34 963 51 28 44"),
        ("Sevilla Nervión", "+34 954 27 63 19"),
    ),
    "FR": (
        ("Paris Opéra", "+33 1 42 68 35 17"),
        ("Lyon Part-Dieu", "+33 4 78 62 19 40"),
        ("Lille Centre", "+33 3 20 57 81 26"),
    ),
    "DE": (
        ("Berlin Mitte", "+49 30 28097415"),
        ("München Marienplatz", "+49 89 23517764"),
        ("Hamburg Jungfernstieg", "+49 40 35718260"),
    ),
    "GB": (
        ("London Oxford Street", "+44 20 7946 1183"),
        ("Manchester Arndale", "+44 161 496 0732"),
    ),
    "US": (
        ("New York SoHo", "+1 212-736-3100"),
        ("Chicago Loop", "+1 312-782-4416"),
    ),
}

#: Placeholder values cashiers and web forms let through; all blocked by the identifier
#: layer (checked at import), so they never link.
_JUNK_EMAILS = (
    "test@test.com",
    "noemail@example.com",
    "noemail@tienda.es",
    "no-reply@boutique.fr",
    "none@none.com",
    "na@kunde.de",
)
_JUNK_PHONES: dict[str, str] = {
    "ES": "666 666 666",
    "FR": "06 66 66 66 66",
    "DE": "0777 7777777",
    "GB": "07777 777777",
    "US": "(888) 888-8888",
}
#: Family tablets on which every member logs in to the app with their own account and
#: emails. Half of the households of four or more have one (seen with four or more
#: emails, the DEVICE rule catches them); small households get them by quota, one per
#: so many customers, spread over the population: a couple's tablet is seen with too few
#: emails to be caught and glues two real customers, so their number is what the
#: precision figure measures and it must not depend on the luck of a seed.
_TABLET_SHARE = 0.5
_SMALL_TABLET_EVERY = {2: 700, 3: 1500}
#: Fewest customers for whom a store's phone is typed at the till.
_TILL_MIN = 5
_ZERO_ADID = "00000000-0000-0000-0000-000000000000"
_MOBILE_PREFIXES: dict[str, tuple[str, ...]] = {
    "ES": ("+346", "+3461", "+3462", "+3465", "+3467", "+3468", "+3469", "+3471"),
    "FR": ("+336", "+337"),
    "DE": ("+49151", "+49152", "+49157", "+49160", "+49170", "+49171", "+49176"),
    "GB": ("+4474", "+4475", "+4477", "+4478", "+4479"),
    "US": ("+1212", "+1415", "+1312", "+1617", "+1206", "+1303", "+1512", "+1404"),
}
_MOBILE_DIGITS = {"ES": 9, "FR": 9, "DE": 11, "GB": 10, "US": 10}

_PRODUCTS = (
    ("Sofa Nap 3-seater", 1299.0),
    ("Armchair Lounge", 449.0),
    ("Dinnerware set 18 pieces", 89.9),
    ("Table lamp Arc", 59.0),
    ("Bed linen set", 49.9),
    ("Rug Berber 160x230", 219.0),
    ("Bookshelf Oak", 179.0),
    ("Cushion cover", 12.5),
    ("Coffee table Round", 149.0),
    ("Desk chair Ergo", 229.0),
    ("Wardrobe Slide", 599.0),
    ("Scented candle", 9.9),
    ("Glasses set x6", 24.9),
    ("Mattress Cloud 160", 699.0),
)
_PAGES = ("/", "/sofas", "/lighting", "/bedroom", "/kitchen", "/sale", "/new-in", "/search")
_CALL_REASONS = ("order status", "delivery date", "return", "invoice", "product question")
_CAMPAIGNS = ("spring-sale", "new-collection", "loyalty-points", "black-friday", "summer-home")


def _check_junk() -> None:
    """Every junk value is blocked by the identifier layer (else it would link)."""
    for email in _JUNK_EMAILS:
        assert normalize("EMAIL", email).blocked, email
    for country, phone in _JUNK_PHONES.items():
        assert normalize("PHONE", phone, region=country).blocked, phone
    assert normalize("DEVICE", _ZERO_ADID).blocked


@dataclass
class Dataset:
    """Demo items in the input contract and the real customer behind each one."""

    #: Records and events, input-contract dicts, in arrival order.
    items: list[dict[str, Any]]
    #: Item key (``service.identity.contract.item_key``) -> real customer id.
    truth: dict[str, str]

    @property
    def customers(self) -> int:
        """Real customers in the ground truth."""
        return len(set(self.truth.values()))

    def counts(self) -> dict[str, int]:
        """Items, records, events and real customers."""
        records = sum(1 for i in self.items if i["kind"] == "record")
        return {
            "items": len(self.items),
            "records": records,
            "events": len(self.items) - records,
            "customers": self.customers,
        }


@dataclass
class _Store:
    name: str
    phone: str  # as printed on the receipt
    country: str
    code: str


@dataclass
class _Customer:
    id: str
    country: str
    first: str
    last: str
    emails: list[str]
    phone: str | None  # E.164
    address: dict[str, str]
    store: _Store
    loyalty: str | None = None
    cookie: str | None = None
    adid: str | None = None
    tablet: str | None = None
    eshop: str | None = None
    app: str | None = None
    token: str | None = None
    uses_store: bool = False
    till: bool = False  # gives no phone at the till: the store's phone is typed instead
    newsletter: bool = False
    calls: bool = False
    sms: bool = False
    social: bool = False
    chat: bool = False
    legacy_email: str | None = None
    day0: float = 0.0

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass(order=True)
class _Timed:
    arrival: datetime
    key: str
    item: dict[str, Any] = field(compare=False)
    customer: str = field(compare=False)


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in folded if c.isascii() and (c.isalnum() or c in " -'"))
    return kept.lower().replace(" ", "").replace("'", "").replace("-", "")


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Builder:
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
        self.out: list[_Timed] = []
        self.stores = {
            country: [
                _Store(name, phone, country, f"{country}{n + 1:02d}")
                for n, (name, phone) in enumerate(stores)
            ]
            for country, stores in _STORES.items()
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
        self.out.append(_Timed(arrival, key, item, customer))
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
        text = f"{line}, {_COUNTRY_NAME[country]}"
        return dict(address) if _key("ADDRESS", text, country) is None else text

    # ----------------------------------------------------------- new values

    def new_phone(self, country: str) -> str:
        while True:
            prefix = self.rng.choice(_MOBILE_PREFIXES[country])
            digits = _MOBILE_DIGITS[country] - (len(prefix) - 1 - len(_cc(country)))
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
        f, la = _ascii(first) or "x", _ascii(last) or "y"
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
                domain = f"{work}.{_WORK_TLD[country]}"
            else:
                domain = self.rng.choice(_FREE_DOMAINS[country])
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
def _key(type: str, value: str, country: str | None) -> str | None:
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
    expected = _key(type, canonical, country)
    return (
        variant if expected is not None and _key(type, variant, country) == expected else canonical
    )


def _id(type: str, value: Any) -> dict[str, Any]:
    return {"type": type, "value": value}


# ----------------------------------------------------------------------------- stories


def _stories(b: _Builder) -> None:
    # The stories draw from a random stream of their own (arrival delays only), so they
    # are the same items in the same order whatever the seed.
    seeded, b.rng = b.rng, random.Random(0)
    try:
        _story_items(b)
    finally:
        b.rng = seeded


def _story_items(b: _Builder) -> None:
    start = b.start

    def day(d: float, hour: float = 12.0) -> datetime:
        return start + timedelta(days=d, hours=hour)

    # The sofa buyer (seeds/002): newsletter, store visit, eshop purchase weeks later with
    # another email and the home address, and a POS record from years before with a
    # third email and the office address. Always the same phone.
    c = "sofa-buyer"
    phone = "+34 600 12 34 56"
    home = {"line1": "Calle Mayor 5", "postcode": "28013", "city": "Madrid", "country": "ES"}
    office = "Paseo de la Castellana 120, 28046 Madrid, España"
    cookie = "GA1.2.1187345102.1767600000"
    for t, v in (
        ("EMAIL", "ana.silva@example.com"),
        ("EMAIL", "anasilva.casa@gmail.com"),
        ("EMAIL", "asilva@bufete-mayor.es"),
        ("PHONE", phone),
        ("DEVICE", cookie),
    ):
        b.claim(t, v, "ES")
    b.emit(c, "record", "newsletter", "NL-200001", day(3, 21.5),
           [_id("EMAIL", "  Ana.Silva@Example.COM "), _id("PHONE", "600 12 34 56")],
           {"name": "Ana", "lists": ["promotions", "living-room"]}, country="ES")  # fmt: skip
    b.emit(c, "event", "newsletter", "open-sofa-0001", day(4, 8.2),
           [_id("EMAIL", "ana.silva@example.com")], {"campaign": "new-collection"},
           country="ES", channel="EMAIL", type="email_open")  # fmt: skip
    b.emit(c, "event", "eshop", "pv-sofa-0001", day(4, 8.3),
           [_id("DEVICE", cookie)], {"page": "/sofas/nap-3-seater"},
           country="ES", channel="WEB", type="page_view")  # fmt: skip
    b.emit(c, "event", "pos", "visit-MAD-0001", day(10, 17.25),
           [_id("PHONE", "600123456")],
           {"store": "Madrid Centro", "note": "tried the Nap sofa, asked for delivery times"},
           country="ES", channel="STORE", type="visit")  # fmt: skip
    b.emit(c, "record", "eshop", "C1000417", day(38, 22.0),
           [_id("EMAIL", "anasilva.casa@gmail.com"), _id("PHONE", phone),
            _id("ADDRESS", home), _id("CUSTOMER_ID", "eshop:C1000417")],
           {"name": "Ana Silva"}, country="ES")  # fmt: skip
    b.emit(c, "event", "eshop", "pv-sofa-0002", day(38, 22.01),
           [_id("DEVICE", cookie), _id("CUSTOMER_ID", "eshop:C1000417")],
           {"page": "/checkout"}, country="ES", channel="WEB", type="page_view")  # fmt: skip
    b.emit(c, "event", "eshop", "ORD-50001417", day(38, 22.05),
           [_id("EMAIL", "AnaSilva.Casa@gmail.com"), _id("PHONE", "0034600123456"),
            _id("ADDRESS", home), _id("CUSTOMER_ID", "eshop:C1000417")],
           {"products": ["Sofa Nap 3-seater"], "total": 1299.0, "currency": "EUR"},
           country="ES", channel="WEB", type="order")  # fmt: skip
    years_ago = day(-3 * 365 + 40, 13.5)
    legacy_load = day(45, 2.0)  # the legacy POS export is loaded during the period
    b.emit(c, "record", "pos", "P-0030418", years_ago,
           [_id("EMAIL", "asilva@bufete-mayor.es"), _id("PHONE", "600-12-34-56"),
            _id("ADDRESS", office)],
           {"name": "A. Silva", "store": "Madrid Centro"}, country="ES",
           arrival=legacy_load)  # fmt: skip
    b.emit(c, "event", "pos", "R-MAD-2023-118734", years_ago,
           [_id("PHONE", "600 123 456"), _id("EMAIL", "ASilva@bufete-mayor.es")],
           {"store": "Madrid Centro", "products": ["Dinnerware set 18 pieces"], "total": 89.9},
           country="ES", channel="STORE", type="purchase",
           arrival=legacy_load + timedelta(seconds=1))  # fmt: skip

    # The phone contract (seeds/000, 001): phone and tariff ordered online, then a store
    # visit where the consultant types the phone number and must see the order.
    c = "phone-contract"
    for t, v in (
        ("EMAIL", "camille.roux@orange.fr"),
        ("PHONE", "+33 6 71 28 45 93"),
        ("DEVICE", "GA1.2.2094417723.1768900000"),
    ):
        b.claim(t, v, "FR")
    lyon = {"line1": "12 rue Garibaldi", "postcode": "69006", "city": "Lyon", "country": "FR"}
    b.emit(c, "record", "eshop", "C1000952", day(20, 19.5),
           [_id("EMAIL", "camille.roux@orange.fr"), _id("PHONE", "+33 6 71 28 45 93"),
            _id("ADDRESS", lyon), _id("CUSTOMER_ID", "eshop:C1000952")],
           {"name": "Camille Roux"}, country="FR")  # fmt: skip
    b.emit(c, "event", "eshop", "pv-phone-0001", day(20, 19.6),
           [_id("DEVICE", "GA1.2.2094417723.1768900000"), _id("CUSTOMER_ID", "eshop:C1000952")],
           {"page": "/phones/nova-12"}, country="FR", channel="WEB",
           type="page_view")  # fmt: skip
    b.emit(c, "event", "eshop", "ORD-50002952", day(20, 19.7),
           [_id("EMAIL", "Camille.Roux@orange.fr"), _id("PHONE", "+33671284593"),
            _id("CUSTOMER_ID", "eshop:C1000952"), _id("ADDRESS", lyon)],
           {"products": ["Smartphone Nova 12", "Forfait Illimité 100 Go"], "total": 249.0,
            "monthly": 19.99, "currency": "EUR"},
           country="FR", channel="WEB", type="order")  # fmt: skip
    b.emit(c, "event", "pos", "visit-LYO-0001", day(23, 11.1),
           [_id("PHONE", "06 71 28 45 93")],
           {"store": "Lyon Part-Dieu", "reason": "change tariff", "typed_by": "consultant"},
           country="FR", channel="STORE", type="consultation")  # fmt: skip

    # The hotel booking (seeds/000): a card payment at a hotel abroad arrives as an event
    # and must reach marketing automation with the person (phone for an SMS, consents).
    c = "hotel-booking"
    token = "tok_4f9a1c2e7b3d"
    for t, v in (("EMAIL", "jonas.becker@web.de"), ("PHONE", "+49 151 23456789")):
        b.claim(t, v, "DE")
    b.claim("PAYMENT_TOKEN", token)
    berlin = {"line1": "Kastanienallee 12", "postcode": "10435", "city": "Berlin", "country": "DE"}
    b.emit(c, "record", "crm", "CRM-400017", day(2, 10.0),
           [_id("EMAIL", "jonas.becker@web.de"), _id("PHONE", "+49 151 23456789"),
            _id("ADDRESS", berlin), _id("PAYMENT_TOKEN", token)],
           {"name": "Jonas Becker", "consents": {"sms_marketing": True, "email": True}},
           country="DE")  # fmt: skip
    b.emit(c, "event", "newsletter", "open-hotel-0001", day(30, 7.5),
           [_id("EMAIL", "Jonas.Becker@web.de")], {"campaign": "summer-home"},
           country="DE", channel="EMAIL", type="email_open")  # fmt: skip
    b.emit(c, "event", "cards", "TX-9900398112", day(41, 18.4),
           [_id("PAYMENT_TOKEN", token)],
           {"merchant": "Edeka Kastanienallee", "merchant_country": "DE", "amount": 63.2,
            "currency": "EUR", "mcc": "5411"},
           country="DE", channel="PAYMENT", type="card_payment")  # fmt: skip
    b.emit(c, "event", "cards", "TX-9900417311", day(60, 15.2),
           [_id("PAYMENT_TOKEN", token), _id("PHONE", "+4915123456789")],
           {"merchant": "Hotel Baixa Lisboa", "merchant_country": "PT", "amount": 412.0,
            "currency": "EUR", "mcc": "7011"},
           country="DE", channel="PAYMENT", type="card_payment")  # fmt: skip

    # Mr Dupond (seeds/003): online purchases and in-store purchases with a loyalty card,
    # the same email on the loyalty record: one profile.
    c = "mr-dupond"
    card = "700100421337"
    for t, v in (("EMAIL", "jean.dupond@free.fr"), ("LOYALTY_CARD", card)):
        b.claim(t, v, "FR")
    paris = {"line1": "8 rue de Rivoli", "postcode": "75004", "city": "Paris", "country": "FR"}
    b.emit(c, "record", "eshop", "C1000233", day(5, 9.0),
           [_id("EMAIL", "jean.dupond@free.fr"), _id("CUSTOMER_ID", "eshop:C1000233"),
            _id("ADDRESS", paris)], {"name": "Jean Dupond"}, country="FR")  # fmt: skip
    for n, (d, product, total) in enumerate(
        ((5, "Table lamp Arc", 59.0), (30, "Bed linen set", 49.9), (80, "Rug Berber", 219.0))
    ):
        b.emit(c, "event", "eshop", f"ORD-5000323{n}", day(d, 9.2),
               [_id("EMAIL", " Jean.Dupond@free.fr" if n else "jean.dupond@free.fr"),
                _id("CUSTOMER_ID", "eshop:C1000233")],
               {"products": [product], "total": total, "currency": "EUR"},
               country="FR", channel="WEB", type="order")  # fmt: skip
    b.emit(c, "record", "loyalty", "LY-700100", day(12, 16.0),
           [_id("LOYALTY_CARD", "7001 0042 1337"), _id("EMAIL", "Jean.Dupond@FREE.fr")],
           {"name": "Jean Dupond", "tier": "silver"}, country="FR")  # fmt: skip
    for n, (d, product, total) in enumerate(
        ((12, "Scented candle", 9.9), (50, "Armchair Lounge", 449.0), (95, "Cushion cover", 25.0))
    ):
        b.emit(c, "event", "pos", f"R-PAR-2026-00{n}417", day(d, 16.1),
               [_id("LOYALTY_CARD", ("7001 0042 1337", "700100421337", "7001-0042-1337")[n])],
               {"store": "Paris Opéra", "products": [product], "total": total},
               country="FR", channel="STORE", type="purchase")  # fmt: skip

    # The loyalty card (seeds/004): the card asks for an email; from then on every
    # purchase, online or in store, and every call is one customer.
    c = "loyalty-card"
    card = "700100992024"
    for t, v in (("EMAIL", "marta.lopez.bcn@gmail.com"), ("PHONE", "+34 622 48 17 90")):
        b.claim(t, v, "ES")
    b.claim("LOYALTY_CARD", card)
    b.emit(c, "record", "loyalty", "LY-700200", day(15, 11.0),
           [_id("LOYALTY_CARD", "7001 0099 2024"), _id("EMAIL", "marta.lopez.bcn@gmail.com")],
           {"name": "Marta López", "tier": "gold"}, country="ES")  # fmt: skip
    b.emit(c, "record", "crm", "CRM-400233", day(15, 11.5),
           [_id("EMAIL", "Marta.Lopez.Bcn@gmail.com"), _id("PHONE", "+34 622 48 17 90")],
           {"name": "Marta López"}, country="ES")  # fmt: skip
    b.emit(c, "event", "pos", "R-BCN-2026-004711", day(15, 11.2),
           [_id("LOYALTY_CARD", "700100992024")],
           {"store": "Barcelona Diagonal", "products": ["Glasses set x6"], "total": 24.9},
           country="ES", channel="STORE", type="purchase")  # fmt: skip
    b.emit(c, "event", "eshop", "ORD-50004711", day(33, 22.4),
           [_id("EMAIL", "martalopezbcn@googlemail.com"), _id("LOYALTY_CARD", "7001-0099-2024")],
           {"products": ["Mattress Cloud 160"], "total": 699.0, "currency": "EUR"},
           country="ES", channel="WEB", type="order")  # fmt: skip
    b.emit(c, "event", "callcenter", "CALL-80004711", day(36, 10.3),
           [_id("PHONE", "622 48 17 90"), _id("LOYALTY_CARD", "7001 0099 2024")],
           {"reason": "delivery date", "duration_s": 312}, country="ES",
           channel="CALL_CENTER", type="call")  # fmt: skip
    b.emit(c, "event", "callcenter", "CALL-80004712", day(41, 17.8),
           [_id("PHONE", "+34622481790")], {"reason": "return", "duration_s": 198},
           country="ES", channel="CALL_CENTER", type="call")  # fmt: skip
    b.emit(c, "event", "pos", "R-BCN-2026-005013", day(44, 12.6),
           [_id("LOYALTY_CARD", "7001 0099 2024")],
           {"store": "Barcelona Diagonal", "products": ["Bookshelf Oak"], "total": 179.0},
           country="ES", channel="STORE", type="purchase")  # fmt: skip


# -------------------------------------------------------------------------- synthetic


def _customers(b: _Builder, n: int) -> list[_Customer]:
    rng = b.rng
    width = max(5, len(str(n)))
    locales = [loc for loc, _, _ in LOCALES]
    weights = [w for _, _, w in LOCALES]
    country_of = {loc: cc for loc, cc, _ in LOCALES}
    out: list[_Customer] = []
    small_tablets = dict.fromkeys(_SMALL_TABLET_EVERY, 0)

    def due(size: int) -> int:  # small tablets owed so far, spread over the population
        return (len(out) + size) // _SMALL_TABLET_EVERY[size]

    while len(out) < n:
        locale = rng.choices(locales, weights)[0]
        country = country_of[locale]
        fake = b.fakers[locale]
        size = min(rng.choices((1, 2, 3, 4, 5), (0.62, 0.2, 0.1, 0.06, 0.02))[0], n - len(out))
        address = b.new_address(locale, country)
        family = str(fake.last_name())
        # A family tablet: the household's app users log in on it with their own emails.
        tablet = None
        if size >= 4 and rng.random() < _TABLET_SHARE:
            tablet = b.uuid()
        elif size in small_tablets and small_tablets[size] < due(size):
            small_tablets[size] += 1
            tablet = b.uuid()
        company = _ascii(str(fake.company()).split()[0])[:14] or "acme"
        for _ in range(size):
            first = str(fake.first_name())
            last = family if size > 1 and rng.random() < 0.8 else str(fake.last_name())
            cid = f"c{len(out) + 1:0{width}d}"
            count = rng.choices((1, 2, 3), (0.55, 0.33, 0.12))[0]
            emails = [
                b.new_email(first, last, country, work=company if k == 2 else None)
                for k in range(count)
            ]
            phone = b.new_phone(country) if rng.random() < 0.9 else None
            cust = _Customer(
                cid, country, first, last, emails, phone, address,
                rng.choice(b.stores[country]),
            )  # fmt: skip
            cust.day0 = rng.uniform(0, _PERIOD_DAYS - 40)
            if rng.random() < 0.66:
                cust.eshop = b.new_id("C", 7)
                cust.cookie = (
                    f"GA1.2.{rng.randrange(10**8, 10**10)}.{rng.randrange(1700000000, 1770000000)}"
                    if rng.random() < 0.85
                    else None
                )
            if tablet or rng.random() < 0.33:
                cust.app = b.hex_id("U", 10)
                cust.adid = _ZERO_ADID if rng.random() < 0.08 else b.uuid()
                cust.tablet = tablet
            cust.uses_store = rng.random() < 0.6 or (cust.eshop is None and cust.app is None)
            if cust.uses_store and rng.random() < 0.55:
                cust.loyalty = b.new_card()
            cust.till = cust.uses_store and (phone is None or rng.random() < 0.12)
            cust.newsletter = rng.random() < 0.45
            cust.calls = phone is not None and rng.random() < 0.3
            cust.sms = phone is not None and rng.random() < 0.12
            cust.social = rng.random() < 0.04
            cust.chat = cust.eshop is not None and rng.random() < 0.08
            if cust.eshop and rng.random() < 0.06:
                cust.token = b.hex_id("tok_", 12)
            if len(emails) >= 2 and cust.uses_store and phone and rng.random() < 0.12:
                cust.legacy_email = emails[-1]
            out.append(cust)
    _assign_till_stores(b, out)
    return out


def _assign_till_stores(b: _Builder, customers: list[_Customer]) -> None:
    """Spread the customers whose till gets the store's phone over a few stores per
    country, at least :data:`_TILL_MIN` per store: a store's phone is typed for many
    customers (the PHONE rule sees it with five or more emails). In a small dataset a
    country with a few such customers gets more store customers who "refused to give
    a phone" up to that minimum, or none at all when it has too few store customers."""
    by_country: dict[str, list[_Customer]] = {}
    for c in customers:
        if c.uses_store:
            by_country.setdefault(c.country, []).append(c)
    for country, shoppers in by_country.items():
        group = [c for c in shoppers if c.till]
        if 0 < len(group) < _TILL_MIN:
            if len(shoppers) >= _TILL_MIN:
                group += [c for c in shoppers if not c.till][: _TILL_MIN - len(group)]
            for c in group:
                c.till = len(group) >= _TILL_MIN
            group = [c for c in group if c.till]
        stores = b.stores[country]
        used = min(len(stores), len(group) // _TILL_MIN)
        for index, c in enumerate(group):
            c.store = stores[index % used]


def _synthetic(b: _Builder, c: _Customer) -> None:
    rng = b.rng
    cc = c.country
    primary = c.emails[0]

    def day(offset: float = 0.0) -> float:
        return min(c.day0 + offset, _PERIOD_DAYS - 0.5)

    def email_any() -> str:
        return b.spell_email(rng.choice(c.emails))

    # Records: one per source system the customer uses.
    if c.eshop:
        ids = [_id("EMAIL", b.spell_email(primary))]
        if c.phone and rng.random() < 0.85:
            ids.append(_id("PHONE", b.spell_phone(c.phone, cc)))
        if rng.random() < 0.9:
            ids.append(_id("ADDRESS", b.spell_address(c.address)))
        ids.append(_id("CUSTOMER_ID", f"eshop:{c.eshop}"))
        b.emit(c.id, "record", "eshop", c.eshop, b.at(day()), ids,
               {"name": c.name}, country=cc)  # fmt: skip
    if c.app:
        ids = [_id("EMAIL", b.spell_email(primary if rng.random() < 0.8 else c.emails[-1]))]
        if c.adid:
            ids.append(_id("DEVICE", c.adid.upper() if rng.random() < 0.5 else c.adid))
        if c.tablet:
            ids.append(_id("DEVICE", c.tablet))
        ids.append(_id("CUSTOMER_ID", f"app:{c.app}"))
        platform = rng.choice(("ios", "android"))
        b.emit(c.id, "record", "app", c.app, b.at(day(rng.uniform(0, 10))), ids,
               {"name": c.first, "platform": platform}, country=cc)  # fmt: skip
    if c.uses_store:
        ids = []
        if c.till:
            ids.append(_id("PHONE", c.store.phone))
            ids.append(_id("EMAIL", email_any()))  # gave an email instead of a phone
        else:
            if c.phone:
                ids.append(_id("PHONE", b.spell_phone(c.phone, cc, typed=True)))
            if rng.random() < 0.6:
                junk = rng.random() < 0.06
                ids.append(_id("EMAIL", rng.choice(_JUNK_EMAILS) if junk else email_any()))
        if c.loyalty:
            ids.append(_id("LOYALTY_CARD", b.spell_card(c.loyalty)))
        if rng.random() < 0.35:
            ids.append(_id("ADDRESS", b.spell_address(c.address)))
        if rng.random() < 0.04:
            ids.append(_id("PHONE", _JUNK_PHONES[cc]))
        b.emit(c.id, "record", "pos", b.new_id("P", 7), b.at(day(rng.uniform(0, 20))), ids,
               {"name": c.name, "store": c.store.name}, country=cc)  # fmt: skip
    if c.legacy_email and c.phone:
        # A POS customer created years ago with an old email, loaded during the period.
        years = b.start - timedelta(days=rng.uniform(500, 1500))
        arrival = b.start + timedelta(days=rng.uniform(10, 60), hours=2)
        ids = [
            _id("EMAIL", b.spell_email(c.legacy_email)),
            _id("PHONE", b.spell_phone(c.phone, cc, typed=True)),
        ]
        b.emit(c.id, "record", "pos", b.new_id("P0", 6), years, ids,
               {"name": f"{c.first[0]}. {c.last}", "store": c.store.name}, country=cc,
               arrival=arrival)  # fmt: skip
    if c.calls or c.sms or (c.phone and rng.random() < 0.2):
        ids = [_id("EMAIL", b.spell_email(primary))]
        if c.phone:
            ids.append(_id("PHONE", b.spell_phone(c.phone, cc)))
        if rng.random() < 0.6:
            ids.append(_id("ADDRESS", b.spell_address(c.address)))
        consents = {"email": rng.random() < 0.7, "sms_marketing": c.sms}
        b.emit(c.id, "record", "crm", b.new_id("CRM-", 6), b.at(day(rng.uniform(0, 30))),
               ids, {"name": c.name, "consents": consents}, country=cc)  # fmt: skip
    newsletter_email = c.emails[-1] if len(c.emails) > 1 and rng.random() < 0.5 else primary
    if c.newsletter:
        ids = [_id("EMAIL", b.spell_email(newsletter_email))]
        if c.phone and rng.random() < 0.25:
            ids.append(_id("PHONE", b.spell_phone(c.phone, cc)))
        lists = rng.sample(("promotions", "new-in", "living-room", "kitchen"), rng.randint(1, 2))
        b.emit(c.id, "record", "newsletter", b.hex_id("NL-", 8), b.at(day(rng.uniform(0, 40))),
               ids, {"name": c.first, "lists": lists}, country=cc)  # fmt: skip
    if c.loyalty:
        ids = [_id("LOYALTY_CARD", b.spell_card(c.loyalty)), _id("EMAIL", b.spell_email(primary))]
        if c.phone and rng.random() < 0.5:
            ids.append(_id("PHONE", b.spell_phone(c.phone, cc)))
        tier = rng.choice(("bronze", "silver", "gold"))
        b.emit(c.id, "record", "loyalty", b.new_id("LY-", 6), b.at(day(rng.uniform(0, 5))),
               ids, {"name": c.name, "tier": tier}, country=cc)  # fmt: skip

    # Events: 3-15 across the channels this customer uses.
    channels: list[tuple[str, float]] = []
    if c.eshop:
        channels.append(("WEB", 0.4))
    if c.app:
        channels.append(("APP", 0.3))
    if c.uses_store:
        channels.append(("STORE", 0.3))
    if c.calls:
        channels.append(("CALL_CENTER", 0.1))
    if c.newsletter:
        channels.append(("EMAIL", 0.12))
    if c.sms:
        channels.append(("SMS", 0.04))
    if c.social:
        channels.append(("SOCIAL", 0.03))
    if c.chat:
        channels.append(("CHAT", 0.04))
    if c.token:
        channels.append(("PAYMENT", 0.05))
    names = [ch for ch, _ in channels]
    weights = [w for _, w in channels]
    count = rng.randint(3, 15)
    if c.tablet:
        # Over the period each member logs in on the family tablet with each of their
        # emails: the tablet is seen with all of them.
        for email in c.emails[:count]:
            ids = [
                _id("DEVICE", c.tablet),
                _id("CUSTOMER_ID", f"app:{c.app}"),
                _id("EMAIL", b.spell_email(email)),
            ]
            b.emit(c.id, "event", "app", b.hex_id("app-"), b.at(day(rng.expovariate(1 / 25))),
                   ids, {"screen": "login"}, country=cc, channel="APP",
                   type="login")  # fmt: skip
        count -= min(count, len(c.emails))
    for _ in range(count):
        channel = rng.choices(names, weights)[0]
        at = b.at(day(rng.expovariate(1 / 25)))
        _event(b, c, channel, at, newsletter_email)


def _event(b: _Builder, c: _Customer, channel: str, at: datetime, newsletter_email: str) -> None:
    rng = b.rng
    cc = c.country
    ids: list[dict[str, Any]] = []
    attrs: dict[str, Any] = {}
    product, price = rng.choice(_PRODUCTS)
    currency = {"GB": "GBP", "US": "USD"}.get(cc, "EUR")
    if channel == "WEB":
        source = "eshop"
        kind = rng.choices(("page_view", "add_to_cart", "order", "search"), (55, 18, 15, 12))[0]
        customer_id = _id("CUSTOMER_ID", f"eshop:{c.eshop}")
        if kind in ("page_view", "search"):
            if c.cookie:
                ids.append(_id("DEVICE", c.cookie))
            if not c.cookie or rng.random() < 0.55:
                ids.append(customer_id)
            attrs = {"page": rng.choice(_PAGES)}
            if kind == "search":
                attrs["query"] = product.split()[0].lower()
            ident = b.hex_id("web-")
        elif kind == "add_to_cart":
            if c.cookie:
                ids.append(_id("DEVICE", c.cookie))
            ids.append(customer_id)
            attrs = {"product": product, "price": price}
            ident = b.hex_id("web-")
        else:
            ids.append(_id("EMAIL", b.spell_email(c.emails[0])))
            ids.append(customer_id)
            if c.phone and rng.random() < 0.6:
                ids.append(_id("PHONE", b.spell_phone(c.phone, cc)))
            ids.append(_id("ADDRESS", b.spell_address(c.address)))
            if c.token:
                ids.append(_id("PAYMENT_TOKEN", c.token))
            attrs = {"products": [product], "total": price, "currency": currency}
            ident = b.new_id("ORD-", 8)
    elif channel == "APP":
        source = "app"
        kind = rng.choices(("app_open", "page_view", "login", "order"), (35, 30, 15, 20))[0]
        on_tablet = c.tablet is not None and (c.adid is None or rng.random() < 0.6)
        device = c.tablet if on_tablet else c.adid
        if device:
            ids.append(_id("DEVICE", device))
        ids.append(_id("CUSTOMER_ID", f"app:{c.app}"))
        if kind == "login" or (on_tablet and kind != "page_view"):
            # Logging in on the family tablet: with one of the member's emails.
            ids.append(_id("EMAIL", b.spell_email(rng.choice(c.emails))))
        if kind == "order":
            attrs = {"products": [product], "total": price, "currency": currency}
            ident = b.new_id("ORD-", 8)
        else:
            attrs = {"screen": rng.choice(("home", "catalog", "cart", "account"))}
            ident = b.hex_id("app-")
    elif channel == "STORE":
        source = "pos"
        kind = rng.choices(("purchase", "visit", "return"), (80, 14, 6))[0]
        if c.loyalty and rng.random() < 0.85:
            ids.append(_id("LOYALTY_CARD", b.spell_card(c.loyalty)))
        if c.till:
            ids.append(_id("PHONE", c.store.phone))
            if not ids[:-1] or rng.random() < 0.3:
                ids.append(_id("EMAIL", b.spell_email(rng.choice(c.emails))))  # e-receipt
        elif c.phone and (not ids or rng.random() < 0.3):
            ids.append(_id("PHONE", b.spell_phone(c.phone, cc, typed=True)))
        elif not ids or rng.random() < 0.25:
            ids.append(_id("EMAIL", b.spell_email(rng.choice(c.emails))))  # e-receipt
        attrs = {"store": c.store.name}
        if kind != "visit":
            attrs.update(products=[product], total=price if kind == "purchase" else -price)
        ident = f"R-{c.store.code}-{b.new_id('', 7)}"
    elif channel == "CALL_CENTER":
        source = "callcenter"
        kind = "call"
        assert c.phone is not None
        ids.append(_id("PHONE", b.spell_phone(c.phone, cc)))
        if c.loyalty and rng.random() < 0.3:
            ids.append(_id("LOYALTY_CARD", b.spell_card(c.loyalty)))
        attrs = {"reason": rng.choice(_CALL_REASONS), "duration_s": rng.randint(40, 900)}
        ident = b.new_id("CALL-", 8)
    elif channel == "EMAIL":
        source = "newsletter"
        kind = rng.choices(("email_open", "email_click"), (75, 25))[0]
        ids.append(_id("EMAIL", b.spell_email(newsletter_email)))
        attrs = {"campaign": rng.choice(_CAMPAIGNS)}
        ident = b.hex_id("nl-")
    elif channel == "SMS":
        source = "crm"
        kind = "sms_click"
        assert c.phone is not None
        ids.append(_id("PHONE", b.spell_phone(c.phone, cc)))
        attrs = {"campaign": rng.choice(_CAMPAIGNS)}
        ident = b.hex_id("sms-")
    elif channel == "SOCIAL":
        source = "social"
        kind = "message"
        ids.append(_id("EMAIL", b.spell_email(rng.choice(c.emails))))
        attrs = {"network": rng.choice(("instagram", "facebook", "x")), "topic": "order"}
        ident = b.hex_id("dm-")
    elif channel == "CHAT":
        source = "eshop"
        kind = "chat"
        ids.append(_id("CUSTOMER_ID", f"eshop:{c.eshop}"))
        if rng.random() < 0.5:
            ids.append(_id("EMAIL", b.spell_email(c.emails[0])))
        attrs = {"topic": rng.choice(_CALL_REASONS)}
        ident = b.hex_id("chat-")
    else:  # PAYMENT
        source = "cards"
        kind = "card_payment"
        assert c.token is not None
        ids.append(_id("PAYMENT_TOKEN", c.token))
        if c.phone:
            ids.append(_id("PHONE", b.spell_phone(c.phone, cc)))
        attrs = {"merchant": f"{c.store.name} café", "amount": round(price / 10, 2)}
        ident = b.new_id("TX-", 10)
    b.emit(c.id, "event", source, ident, at, ids, attrs, country=cc, channel=channel, type=kind)


# ------------------------------------------------------------------------------- API


def demo_items() -> list[dict[str, Any]]:
    """The default demo dataset's items: what ``omnid serve`` loads into an empty graph
    (the ``omnid.demo`` entry point)."""
    return generate().items


def generate(
    customers: int = 300, *, seed: int = DEFAULT_SEED, start: datetime | None = None
) -> Dataset:
    """The seeds' stories plus ``customers`` synthetic customers, deterministic per seed.

    ``start`` is the first day of the simulated period (default :data:`DEFAULT_START`);
    events run for about six months after it, legacy records go back years before it.
    """
    if customers < 0:
        raise ValueError("customers must be >= 0")
    _check_junk()  # the junk must stay junk for the identifier layer, or the truth lies
    b = _Builder(seed, _utc(start))
    _stories(b)
    for customer in _customers(b, customers):
        _synthetic(b, customer)
    return _dataset(b)


def story_items() -> list[dict[str, Any]]:
    """Only the seeds' named stories, in arrival order (the period of ``generate()``)."""
    b = _Builder(DEFAULT_SEED, DEFAULT_START)
    _stories(b)
    return _dataset(b).items


def write_jsonl(dataset: Dataset, items_path: Path, truth_path: Path | None = None) -> None:
    """Write the items as JSON Lines; the truth as JSON Lines ``{"item", "customer"}``."""
    with Path(items_path).open("w", encoding="utf-8") as out:
        for item in dataset.items:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    if truth_path is not None:
        with Path(truth_path).open("w", encoding="utf-8") as out:
            for key, customer in dataset.truth.items():
                out.write(json.dumps({"item": key, "customer": customer}) + "\n")


def _utc(start: datetime | None) -> datetime:
    if start is None:
        return DEFAULT_START
    if start.tzinfo is None:
        return start.replace(tzinfo=UTC)
    return start.astimezone(UTC)


def _dataset(b: _Builder) -> Dataset:
    ordered = sorted(b.out)
    return Dataset(
        items=[t.item for t in ordered],
        truth={t.key: t.customer for t in ordered},
    )


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m devtools.demo --customers 300 items.jsonl truth.jsonl``"""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("items", type=Path)
    parser.add_argument("truth", type=Path, nargs="?")
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    dataset = generate(args.customers, seed=args.seed)
    write_jsonl(dataset, args.items, args.truth)
    print(json.dumps(dataset.counts()))


if __name__ == "__main__":
    main()
