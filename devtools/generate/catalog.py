"""What the generated customers are made of: countries, stores, email domains, products,
and the junk values cashiers and web forms let through."""

from __future__ import annotations

from service.identity.identifiers import normalize

#: Faker locale, ISO country and share of the synthetic customers.
LOCALES: tuple[tuple[str, str, float], ...] = (
    ("es_ES", "ES", 0.30),
    ("fr_FR", "FR", 0.22),
    ("de_DE", "DE", 0.20),
    ("en_GB", "GB", 0.14),
    ("en_US", "US", 0.14),
)

#: Days of the simulated period (legacy records go back years before it).
PERIOD_DAYS = 180

FREE_DOMAINS: dict[str, tuple[str, ...]] = {
    "ES": ("gmail.com", "hotmail.es", "yahoo.es", "outlook.es", "telefonica.net"),
    "FR": ("gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr", "sfr.fr"),
    "DE": ("gmail.com", "web.de", "gmx.de", "t-online.de", "outlook.de"),
    "GB": ("gmail.com", "hotmail.co.uk", "btinternet.com", "yahoo.co.uk", "outlook.com"),
    "US": ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "aol.com"),
}
WORK_TLD = {"ES": "es", "FR": "fr", "DE": "de", "GB": "co.uk", "US": "com"}
COUNTRY_NAME = {
    "ES": "España",
    "FR": "France",
    "DE": "Deutschland",
    "GB": "United Kingdom",
    "US": "USA",
}

#: Stores per country: name and the store's own landline (typed at the till).
STORES: dict[str, tuple[tuple[str, str], ...]] = {
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
JUNK_EMAILS = (
    "test@test.com",
    "noemail@example.com",
    "noemail@tienda.es",
    "no-reply@boutique.fr",
    "none@none.com",
    "na@kunde.de",
)
JUNK_PHONES: dict[str, str] = {
    "ES": "666 666 666",
    "FR": "06 66 66 66 66",
    "DE": "0777 7777777",
    "GB": "07777 777777",
    "US": "(888) 888-8888",
}
#: Family tablets (``Shape.tablets`` for households of four or more): small households
#: get them by quota, one per so many customers, spread over the population: a couple's
#: tablet is seen with too few emails to be caught by the DEVICE rule and glues two real
#: customers, so their number is what the precision figure measures and it must not
#: depend on the luck of a seed.
SMALL_TABLET_EVERY = {2: 700, 3: 1500}
#: Fewest customers for whom a store's phone is typed at the till.
TILL_MIN = 5
ZERO_ADID = "00000000-0000-0000-0000-000000000000"
MOBILE_PREFIXES: dict[str, tuple[str, ...]] = {
    "ES": ("+346", "+3461", "+3462", "+3465", "+3467", "+3468", "+3469", "+3471"),
    "FR": ("+336", "+337"),
    "DE": ("+49151", "+49152", "+49157", "+49160", "+49170", "+49171", "+49176"),
    "GB": ("+4474", "+4475", "+4477", "+4478", "+4479"),
    "US": ("+1212", "+1415", "+1312", "+1617", "+1206", "+1303", "+1512", "+1404"),
}
MOBILE_DIGITS = {"ES": 9, "FR": 9, "DE": 11, "GB": 10, "US": 10}

PRODUCTS = (
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
PAGES = ("/", "/sofas", "/lighting", "/bedroom", "/kitchen", "/sale", "/new-in", "/search")
CALL_REASONS = ("order status", "delivery date", "return", "invoice", "product question")
CAMPAIGNS = ("spring-sale", "new-collection", "loyalty-points", "black-friday", "summer-home")


def check_junk() -> None:
    """Every junk value is blocked by the identifier layer (else it would link)."""
    for email in JUNK_EMAILS:
        assert normalize("EMAIL", email).blocked, email
    for country, phone in JUNK_PHONES.items():
        assert normalize("PHONE", phone, region=country).blocked, phone
    assert normalize("DEVICE", ZERO_ADID).blocked
