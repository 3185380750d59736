"""A synthetic customer's records and events: one record per source system they use
(eshop, app, pos, crm, newsletter, loyalty), then events across the channels they use
(WEB, APP, STORE, CALL_CENTER, EMAIL and a few SMS, SOCIAL, CHAT and PAYMENT), each
identifier spelled as that system would store it, with junk values the identifier layer
blocks (placeholder emails, repeated-digit phones) on some store records."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from devtools.generate.builder import Builder, identifier
from devtools.generate.catalog import (
    CALL_REASONS,
    CAMPAIGNS,
    JUNK_EMAILS,
    JUNK_PHONES,
    PAGES,
    PERIOD_DAYS,
    PRODUCTS,
)
from devtools.generate.population import Customer
from devtools.generate.shape import Shape

__all__ = ["add_customer_items"]


def add_customer_items(b: Builder, c: Customer, shape: Shape) -> None:
    """The customer's records, then their events."""
    rng = b.rng
    cc = c.country
    primary = c.emails[0]

    def day(offset: float = 0.0) -> float:
        return min(c.day0 + offset, PERIOD_DAYS - 0.5)

    def email_any() -> str:
        return b.spell_email(rng.choice(c.emails))

    # Records: one per source system the customer uses.
    if c.eshop:
        ids = [identifier("EMAIL", b.spell_email(primary))]
        if c.phone and rng.random() < 0.85:
            ids.append(identifier("PHONE", b.spell_phone(c.phone, cc)))
        if rng.random() < 0.9:
            ids.append(identifier("ADDRESS", b.spell_address(c.address)))
        ids.append(identifier("CUSTOMER_ID", f"eshop:{c.eshop}"))
        b.emit(c.id, "record", "eshop", c.eshop, b.at(day()), ids,
               {"name": c.name}, country=cc)  # fmt: skip
    if c.app:
        ids = [identifier("EMAIL", b.spell_email(primary if rng.random() < 0.8 else c.emails[-1]))]
        if c.adid:
            ids.append(identifier("DEVICE", c.adid.upper() if rng.random() < 0.5 else c.adid))
        if c.tablet:
            ids.append(identifier("DEVICE", c.tablet))
        ids.append(identifier("CUSTOMER_ID", f"app:{c.app}"))
        platform = rng.choice(("ios", "android"))
        b.emit(c.id, "record", "app", c.app, b.at(day(rng.uniform(0, 10))), ids,
               {"name": c.first, "platform": platform}, country=cc)  # fmt: skip
    if c.uses_store:
        ids = []
        if c.till:
            ids.append(identifier("PHONE", c.store.phone))
            ids.append(identifier("EMAIL", email_any()))  # gave an email instead of a phone
        else:
            if c.phone:
                ids.append(identifier("PHONE", b.spell_phone(c.phone, cc, typed=True)))
            if rng.random() < 0.6:
                junk = rng.random() < shape.junk_emails
                ids.append(identifier("EMAIL", rng.choice(JUNK_EMAILS) if junk else email_any()))
        if c.loyalty:
            ids.append(identifier("LOYALTY_CARD", b.spell_card(c.loyalty)))
        if rng.random() < 0.35:
            ids.append(identifier("ADDRESS", b.spell_address(c.address)))
        if rng.random() < shape.junk_phones:
            ids.append(identifier("PHONE", JUNK_PHONES[cc]))
        b.emit(c.id, "record", "pos", b.new_id("P", 7), b.at(day(rng.uniform(0, 20))), ids,
               {"name": c.name, "store": c.store.name}, country=cc)  # fmt: skip
    if c.legacy_email and c.phone:
        # A POS customer created years ago with an old email, loaded during the period.
        years = b.start - timedelta(days=rng.uniform(500, 1500))
        arrival = b.start + timedelta(days=rng.uniform(10, 60), hours=2)
        ids = [
            identifier("EMAIL", b.spell_email(c.legacy_email)),
            identifier("PHONE", b.spell_phone(c.phone, cc, typed=True)),
        ]
        b.emit(c.id, "record", "pos", b.new_id("P0", 6), years, ids,
               {"name": f"{c.first[0]}. {c.last}", "store": c.store.name}, country=cc,
               arrival=arrival)  # fmt: skip
    if c.calls or c.sms or (c.phone and rng.random() < 0.2):
        ids = [identifier("EMAIL", b.spell_email(primary))]
        if c.phone:
            ids.append(identifier("PHONE", b.spell_phone(c.phone, cc)))
        if rng.random() < 0.6:
            ids.append(identifier("ADDRESS", b.spell_address(c.address)))
        consents = {"email": rng.random() < 0.7, "sms_marketing": c.sms}
        b.emit(c.id, "record", "crm", b.new_id("CRM-", 6), b.at(day(rng.uniform(0, 30))),
               ids, {"name": c.name, "consents": consents}, country=cc)  # fmt: skip
    newsletter_email = c.emails[-1] if len(c.emails) > 1 and rng.random() < 0.5 else primary
    if c.newsletter:
        ids = [identifier("EMAIL", b.spell_email(newsletter_email))]
        if c.phone and rng.random() < 0.25:
            ids.append(identifier("PHONE", b.spell_phone(c.phone, cc)))
        lists = rng.sample(("promotions", "new-in", "living-room", "kitchen"), rng.randint(1, 2))
        b.emit(c.id, "record", "newsletter", b.hex_id("NL-", 8), b.at(day(rng.uniform(0, 40))),
               ids, {"name": c.first, "lists": lists}, country=cc)  # fmt: skip
    if c.loyalty:
        ids = [
            identifier("LOYALTY_CARD", b.spell_card(c.loyalty)),
            identifier("EMAIL", b.spell_email(primary)),
        ]
        if c.phone and rng.random() < 0.5:
            ids.append(identifier("PHONE", b.spell_phone(c.phone, cc)))
        tier = rng.choice(("bronze", "silver", "gold"))
        b.emit(c.id, "record", "loyalty", b.new_id("LY-", 6), b.at(day(rng.uniform(0, 5))),
               ids, {"name": c.name, "tier": tier}, country=cc)  # fmt: skip

    # Events: ``shape.events`` across the channels this customer uses.
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
    count = _event_count(b, shape)
    if c.tablet:
        # Over the period each member logs in on the family tablet with each of their
        # emails: the tablet is seen with all of them.
        for email in c.emails[:count]:
            ids = [
                identifier("DEVICE", c.tablet),
                identifier("CUSTOMER_ID", f"app:{c.app}"),
                identifier("EMAIL", b.spell_email(email)),
            ]
            b.emit(c.id, "event", "app", b.hex_id("app-"), b.at(day(rng.expovariate(1 / 25))),
                   ids, {"screen": "login"}, country=cc, channel="APP",
                   type="login")  # fmt: skip
        count -= min(count, len(c.emails))
    for _ in range(count):
        channel = rng.choices(names, weights)[0]
        at = b.at(day(rng.expovariate(1 / 25)))
        _event(b, c, channel, at, newsletter_email)


def _event_count(b: Builder, shape: Shape) -> int:
    """Uniform in ``shape.events``; with ``shape.activity``, times a lognormal factor of
    mean 1 (drawn only then, so the demo's stream is unchanged)."""
    count = b.rng.randint(*shape.events)
    if shape.activity:
        sigma = shape.activity
        count = round(count * b.rng.lognormvariate(-sigma * sigma / 2, sigma))
    return count


def _event(b: Builder, c: Customer, channel: str, at: datetime, newsletter_email: str) -> None:
    rng = b.rng
    cc = c.country
    ids: list[dict[str, Any]] = []
    attrs: dict[str, Any] = {}
    product, price = rng.choice(PRODUCTS)
    currency = {"GB": "GBP", "US": "USD"}.get(cc, "EUR")
    if channel == "WEB":
        source = "eshop"
        kind = rng.choices(("page_view", "add_to_cart", "order", "search"), (55, 18, 15, 12))[0]
        customer_id = identifier("CUSTOMER_ID", f"eshop:{c.eshop}")
        if kind in ("page_view", "search"):
            if c.cookie:
                ids.append(identifier("DEVICE", c.cookie))
            if not c.cookie or rng.random() < 0.55:
                ids.append(customer_id)
            attrs = {"page": rng.choice(PAGES)}
            if kind == "search":
                attrs["query"] = product.split()[0].lower()
            ident = b.hex_id("web-")
        elif kind == "add_to_cart":
            if c.cookie:
                ids.append(identifier("DEVICE", c.cookie))
            ids.append(customer_id)
            attrs = {"product": product, "price": price}
            ident = b.hex_id("web-")
        else:
            ids.append(identifier("EMAIL", b.spell_email(c.emails[0])))
            ids.append(customer_id)
            if c.phone and rng.random() < 0.6:
                ids.append(identifier("PHONE", b.spell_phone(c.phone, cc)))
            ids.append(identifier("ADDRESS", b.spell_address(c.address)))
            if c.token:
                ids.append(identifier("PAYMENT_TOKEN", c.token))
            attrs = {"products": [product], "total": price, "currency": currency}
            ident = b.new_id("ORD-", 8)
    elif channel == "APP":
        source = "app"
        kind = rng.choices(("app_open", "page_view", "login", "order"), (35, 30, 15, 20))[0]
        on_tablet = c.tablet is not None and (c.adid is None or rng.random() < 0.6)
        device = c.tablet if on_tablet else c.adid
        if device:
            ids.append(identifier("DEVICE", device))
        ids.append(identifier("CUSTOMER_ID", f"app:{c.app}"))
        if kind == "login" or (on_tablet and kind != "page_view"):
            # Logging in on the family tablet: with one of the member's emails.
            ids.append(identifier("EMAIL", b.spell_email(rng.choice(c.emails))))
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
            ids.append(identifier("LOYALTY_CARD", b.spell_card(c.loyalty)))
        if c.till:
            ids.append(identifier("PHONE", c.store.phone))
            if not ids[:-1] or rng.random() < 0.3:
                ids.append(identifier("EMAIL", b.spell_email(rng.choice(c.emails))))  # e-receipt
        elif c.phone and (not ids or rng.random() < 0.3):
            ids.append(identifier("PHONE", b.spell_phone(c.phone, cc, typed=True)))
        elif not ids or rng.random() < 0.25:
            ids.append(identifier("EMAIL", b.spell_email(rng.choice(c.emails))))  # e-receipt
        attrs = {"store": c.store.name}
        if kind != "visit":
            attrs.update(products=[product], total=price if kind == "purchase" else -price)
        ident = f"R-{c.store.code}-{b.new_id('', 7)}"
    elif channel == "CALL_CENTER":
        source = "callcenter"
        kind = "call"
        assert c.phone is not None
        ids.append(identifier("PHONE", b.spell_phone(c.phone, cc)))
        if c.loyalty and rng.random() < 0.3:
            ids.append(identifier("LOYALTY_CARD", b.spell_card(c.loyalty)))
        attrs = {"reason": rng.choice(CALL_REASONS), "duration_s": rng.randint(40, 900)}
        ident = b.new_id("CALL-", 8)
    elif channel == "EMAIL":
        source = "newsletter"
        kind = rng.choices(("email_open", "email_click"), (75, 25))[0]
        ids.append(identifier("EMAIL", b.spell_email(newsletter_email)))
        attrs = {"campaign": rng.choice(CAMPAIGNS)}
        ident = b.hex_id("nl-")
    elif channel == "SMS":
        source = "crm"
        kind = "sms_click"
        assert c.phone is not None
        ids.append(identifier("PHONE", b.spell_phone(c.phone, cc)))
        attrs = {"campaign": rng.choice(CAMPAIGNS)}
        ident = b.hex_id("sms-")
    elif channel == "SOCIAL":
        source = "social"
        kind = "message"
        ids.append(identifier("EMAIL", b.spell_email(rng.choice(c.emails))))
        attrs = {"network": rng.choice(("instagram", "facebook", "x")), "topic": "order"}
        ident = b.hex_id("dm-")
    elif channel == "CHAT":
        source = "eshop"
        kind = "chat"
        ids.append(identifier("CUSTOMER_ID", f"eshop:{c.eshop}"))
        if rng.random() < 0.5:
            ids.append(identifier("EMAIL", b.spell_email(c.emails[0])))
        attrs = {"topic": rng.choice(CALL_REASONS)}
        ident = b.hex_id("chat-")
    else:  # PAYMENT
        source = "cards"
        kind = "card_payment"
        assert c.token is not None
        ids.append(identifier("PAYMENT_TOKEN", c.token))
        if c.phone:
            ids.append(identifier("PHONE", b.spell_phone(c.phone, cc)))
        attrs = {"merchant": f"{c.store.name} café", "amount": round(price / 10, 2)}
        ident = b.new_id("TX-", 10)
    b.emit(c.id, "event", source, ident, at, ids, attrs, country=cc, channel=channel, type=kind)
