"""Seeded conflicts: real customers glued into one person on purpose, with the truth of
which ones, to measure the review list of suspicious persons (bench/quality.py).

Two kinds, alternating, ``Shape.conflicts`` in all:

* ``family-email``: two members of a household give one family email (``garcia.family
  @…``) on a record each, beside an email of their own: their persons merge through it.
* ``recycled-phone``: a customer's phone number passes to someone else in the same
  country (a carrier recycles it), who gives it on a CRM record and calls from it.

A separate random stream picks them, so a dataset with conflicts is the same dataset
plus these items: everything else is unchanged.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from devtools.generate.builder import Builder, ascii_name, identifier, key_of
from devtools.generate.population import Customer

__all__ = ["Conflict", "add_conflicts"]


@dataclass(frozen=True, slots=True)
class Conflict:
    """One seeded conflict: its kind and the real customers it glues together."""

    kind: str
    customers: tuple[str, str]


def add_conflicts(b: Builder, people: list[Customer], count: int, seed: int) -> list[Conflict]:
    rng = random.Random(seed * 7919 + 17)
    households: dict[int, list[Customer]] = {}
    for c in people:
        households.setdefault(id(c.address), []).append(c)
    families = [h for h in households.values() if len(h) >= 2 and not any(c.tablet for c in h)]
    rng.shuffle(families)
    owners = _phones_given(b, people)
    rng.shuffle(owners)
    out: list[Conflict] = []
    used: set[str] = set()
    for n in range(count):
        if n % 2 == 0 and families:
            a, c = families.pop()[:2]
            _family_email(b, a, c, n)
            out.append(Conflict("family-email", (a.id, c.id)))
        else:
            old = next((o for o in owners if o.id not in used), None)
            if old is None:
                break
            new = _new_owner(rng, people, old, used)
            used |= {old.id, new.id}
            _recycled_phone(b, old, new, n)
            out.append(Conflict("recycled-phone", (old.id, new.id)))
    return out


def _phones_given(b: Builder, people: list[Customer]) -> list[Customer]:
    """Customers whose own phone is on one of their items: recycling it glues."""
    given: set[tuple[str, str | None]] = set()
    for t in b.out:
        for ident in t.item["identifiers"]:
            if ident["type"] == "PHONE":
                given.add((t.customer, key_of("PHONE", ident["value"], t.item["country"])))
    return [
        c for c in people
        if c.phone and (c.id, key_of("PHONE", c.phone, c.country)) in given
    ]  # fmt: skip


def _family_email(b: Builder, a: Customer, c: Customer, n: int) -> None:
    email = f"{ascii_name(a.last) or 'home'}.family{n}@{a.emails[0].split('@')[1]}"
    b.claim("EMAIL", email)
    for k, member in enumerate((a, c)):
        at = _day(b, member.day0 + 20 + k)
        ids = [identifier("EMAIL", email), identifier("EMAIL", member.emails[0])]
        b.emit(member.id, "record", "crm", f"CRM-F{n:04d}{k}", at, ids,
               {"name": member.name}, country=member.country,
               arrival=at + timedelta(minutes=1))  # fmt: skip


def _day(b: Builder, day: float) -> datetime:
    """Noon of a day of the period (not ``Builder.at``: that draws from the main stream)."""
    return b.start + timedelta(days=int(day), hours=12)


def _new_owner(
    rng: random.Random, people: list[Customer], old: Customer, used: set[str]
) -> Customer:
    same = [
        p for p in people
        if p.country == old.country and p.id not in used and p.address is not old.address
    ]  # fmt: skip
    without = [p for p in same if p.phone is None]
    return rng.choice(without or same)


def _recycled_phone(b: Builder, old: Customer, new: Customer, n: int) -> None:
    assert old.phone is not None
    at = _day(b, min(new.day0 + 30, 170))
    ids = [identifier("EMAIL", new.emails[0]), identifier("PHONE", old.phone)]
    b.emit(new.id, "record", "crm", f"CRM-R{n:04d}", at, ids, {"name": new.name},
           country=new.country, arrival=at + timedelta(minutes=1))  # fmt: skip
    call = at + timedelta(days=2)
    b.emit(new.id, "event", "callcenter", f"CALL-R{n:04d}", call, [identifier("PHONE", old.phone)],
           {"reason": "new contract", "duration_s": 300}, country=new.country,
           channel="CALL_CENTER", type="call", arrival=call + timedelta(minutes=1))  # fmt: skip
