"""The seeds' stories as named customers with stable ids (:data:`STORY_CUSTOMERS`): the
sofa buyer (three emails, one phone, a home and an office address, a POS record years
old), the phone-contract customer (online order, then the store consultant types the
phone number), the hotel booking (a card payment abroad on the PAYMENT channel), Mr
Dupond (eshop and in-store purchases with a loyalty card) and the loyalty card (email on
the card, purchases everywhere, calls to the call centre)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from devtools.generate.builder import Builder
from devtools.generate.builder import identifier as _id  # short: the stories use it a lot

__all__ = ["STORY_CUSTOMERS", "add_stories"]

#: The seeds' stories: ground-truth customer ids, stable across seeds and sizes.
STORY_CUSTOMERS: tuple[str, ...] = (
    "sofa-buyer",
    "phone-contract",
    "hotel-booking",
    "mr-dupond",
    "loyalty-card",
)


def add_stories(b: Builder) -> None:
    """The stories' items, the same whatever the seed."""
    # The stories draw from a random stream of their own (arrival delays only), so they
    # are the same items in the same order whatever the seed.
    seeded, b.rng = b.rng, random.Random(0)
    try:
        _story_items(b)
    finally:
        b.rng = seeded


def _story_items(b: Builder) -> None:
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
