"""Blocking keys: which stored records a new one is compared with.

Each record gets a few keys, each built from one or two fields so that a duplicate
with typos in some fields still shares at least one key with its original. A key is
stored in the graph as ``kind:`` and 16 hex digits of a SHA-256 (the graph keeps no
name or date in clear for matching's sake)::

    kind  built from                                  catches
    nm    metaphones of given name and surname,       typos that sound alike,
          in sorted order                             given and surname swapped
    b     birth date                                  any name typo
    sb    soundex of surname + birth year             a day/month typo
    id    national id digits                          everything else changed
    ps    postcode + street number                    names and date changed
    sl    soundex of surname + locality
    el    email local part                            a typo in the domain
    pd    phone digits, sorted                        two digits swapped
    ad    address identifier                          (only with another field)

A record's candidates are the records sharing one of its keys, at most
``MatchLimits.per_key`` per key; a key carried by more than ``MatchLimits.common``
records (a junk value, a placeholder date) is ignored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import jellyfish

from service.steward.matches.profile import Profile, email_local

__all__ = ["MatchLimits", "block_keys"]


@dataclass(frozen=True, slots=True)
class MatchLimits:
    """Bounds on the work per record."""

    #: Candidates read per key (the work per new record is at most keys x per_key).
    per_key: int = 50
    #: A key carried by more records than this is ignored: it tells nothing.
    common: int = 1000


def _phonetic(word: str) -> str:
    return jellyfish.metaphone(word) if word else ""


def _soundex(word: str) -> str:
    return jellyfish.soundex(word) if word else ""


def _raw_keys(p: Profile) -> set[str]:
    keys: set[str] = set()
    if p.given and p.surname:
        keys.add("nm:" + "|".join(sorted((_phonetic(p.given), _phonetic(p.surname)))))
    if len(p.birth) >= 6:
        keys.add("b:" + p.birth)
    if p.surname and len(p.birth) >= 4:
        keys.add(f"sb:{_soundex(p.surname)}|{p.birth[:4]}")
    if len(p.national_id) >= 5:
        keys.add("id:" + p.national_id)
    if p.postcode and p.street_number:
        keys.add(f"ps:{p.postcode}|{p.street_number}")
    if p.surname and p.locality:
        keys.add(f"sl:{_soundex(p.surname)}|{p.locality}")
    for email in p.emails:
        local = email_local(email)
        if len(local) >= 3:
            keys.add("el:" + local)
    for phone in p.phones:
        keys.add("pd:" + "".join(sorted(phone.lstrip("+"))))
    if p.surname or p.given:
        keys.update("ad:" + a for a in p.addresses)
    return keys


def block_keys(profile: Profile) -> list[str]:
    """The stored keys of a profile, sorted (``kind:`` + 16 hex digits)."""
    return sorted(
        key.partition(":")[0] + ":" + hashlib.sha256(key.encode()).hexdigest()[:16]
        for key in _raw_keys(profile)
    )
