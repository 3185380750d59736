"""Synthetic customers (Faker: es_ES, fr_FR, de_DE, en_GB, en_US) in households: who
they are, which identifiers they own and which channels they use.

The noise lives here as much as in the items: one to three emails per person, an old
email on a legacy POS record for a few; households sharing an address, some sharing a
family tablet (a tablet used by three or more members who log in with their own emails
is usually seen with four or more and caught by the DEVICE shared rule; one shared by a
couple is not, and glues two real customers: a genuine false merge); the store's own
phone typed at the till for customers who gave none (each store's phone typed for
enough customers that the PHONE rule marks it shared); the zero advertising id.
"""

from __future__ import annotations

from dataclasses import dataclass

from devtools.generate.builder import Builder, Store, ascii_name
from devtools.generate.catalog import LOCALES, PERIOD_DAYS, SMALL_TABLET_EVERY, TILL_MIN, ZERO_ADID
from devtools.generate.shape import Shape

__all__ = ["Customer", "customers"]


@dataclass
class Customer:
    """A real customer: the ground truth's unit."""

    id: str
    country: str
    first: str
    last: str
    emails: list[str]
    phone: str | None  # E.164
    address: dict[str, str]
    store: Store
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


def customers(b: Builder, shape: Shape) -> list[Customer]:
    """``shape.customers`` customers, household by household."""
    rng = b.rng
    n = shape.customers
    sizes = tuple(range(1, len(shape.households) + 1))
    width = max(5, len(str(n)))
    locales = [loc for loc, _, _ in LOCALES]
    weights = [w for _, _, w in LOCALES]
    country_of = {loc: cc for loc, cc, _ in LOCALES}
    out: list[Customer] = []
    small_tablets = dict.fromkeys(SMALL_TABLET_EVERY, 0)

    def due(size: int) -> int:  # small tablets owed so far, spread over the population
        return (len(out) + size) // SMALL_TABLET_EVERY[size]

    while len(out) < n:
        locale = rng.choices(locales, weights)[0]
        country = country_of[locale]
        fake = b.fakers[locale]
        size = min(rng.choices(sizes, shape.households)[0], n - len(out))
        address = b.new_address(locale, country)
        family = str(fake.last_name())
        # A family tablet: the household's app users log in on it with their own emails.
        tablet = None
        if size >= 4 and rng.random() < shape.tablets:
            tablet = b.uuid()
        elif size in small_tablets and small_tablets[size] < due(size):
            small_tablets[size] += 1
            tablet = b.uuid()
        company = ascii_name(str(fake.company()).split()[0])[:14] or "acme"
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
            cust = Customer(
                cid, country, first, last, emails, phone, address,
                rng.choice(b.stores[country]),
            )  # fmt: skip
            cust.day0 = rng.uniform(0, PERIOD_DAYS - 40)
            if rng.random() < 0.66:
                cust.eshop = b.new_id("C", 7)
                cust.cookie = (
                    f"GA1.2.{rng.randrange(10**8, 10**10)}.{rng.randrange(1700000000, 1770000000)}"
                    if rng.random() < 0.85
                    else None
                )
            if tablet or rng.random() < 0.33:
                cust.app = b.hex_id("U", 10)
                cust.adid = ZERO_ADID if rng.random() < shape.zero_adid else b.uuid()
                cust.tablet = tablet
            cust.uses_store = rng.random() < 0.6 or (cust.eshop is None and cust.app is None)
            if cust.uses_store and rng.random() < 0.55:
                cust.loyalty = b.new_card()
            cust.till = cust.uses_store and (phone is None or rng.random() < shape.till)
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


def _assign_till_stores(b: Builder, customers: list[Customer]) -> None:
    """Spread the customers whose till gets the store's phone over a few stores per
    country, at least :data:`TILL_MIN` per store: a store's phone is typed for many
    customers (the PHONE rule sees it with five or more emails). In a small dataset a
    country with a few such customers gets more store customers who "refused to give
    a phone" up to that minimum, or none at all when it has too few store customers."""
    by_country: dict[str, list[Customer]] = {}
    for c in customers:
        if c.uses_store:
            by_country.setdefault(c.country, []).append(c)
    for country, shoppers in by_country.items():
        group = [c for c in shoppers if c.till]
        if 0 < len(group) < TILL_MIN:
            if len(shoppers) >= TILL_MIN:
                group += [c for c in shoppers if not c.till][: TILL_MIN - len(group)]
            for c in group:
                c.till = len(group) >= TILL_MIN
            group = [c for c in group if c.till]
        stores = b.stores[country]
        used = min(len(stores), len(group) // TILL_MIN)
        for index, c in enumerate(group):
            c.store = stores[index % used]
