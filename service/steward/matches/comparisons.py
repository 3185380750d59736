"""Field-by-field comparisons of two profiles, each ending at one level.

A level is what the score weighs (``scoring.py``) and what a steward reads as the
reason: ``given_name exact``, ``email typo`` (same local part, the domain one or two
edits away), ``phone typo`` (two digits swapped), ``birth_date swapped`` (day and
month). A field either record lacks is not compared (no level, no weight). String
similarity is rapidfuzz's (Jaro-Winkler for names, token sort ratio for streets,
Damerau-Levenshtein for digits and typos)::

    compare(Profile(given="jon", surname="smith"), Profile(given="john", surname="smith"))
    -> [Comparison("given_name", "close", 0.93), Comparison("surname", "exact", 1.0)]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from service.steward.matches.profile import Profile, email_local

__all__ = ["FIELDS", "Comparison", "compare"]


@dataclass(frozen=True, slots=True)
class Comparison:
    field: str
    level: str
    similarity: float  # 0..1, how alike the two values are (1.0: equal)


def _name(a: str, b: str) -> tuple[str, float]:
    if a == b:
        return "exact", 1.0
    sim = JaroWinkler.similarity(a, b)
    if sim >= 0.92:
        return "close", sim
    # an initial ("a") against a name starting with it ("ana")
    if sim >= 0.8 or (min(len(a), len(b)) == 1 and a[0] == b[0]):
        return "similar", sim
    return "different", sim


def _typo(a: str, b: str, edits: int = 1) -> tuple[str, float]:
    if a == b:
        return "exact", 1.0
    distance = DamerauLevenshtein.distance(a, b)
    sim = 1.0 - distance / max(len(a), len(b))
    return ("typo" if distance <= edits else "different"), sim


def _birth(a: str, b: str) -> tuple[str, float]:
    level, sim = _typo(a, b)
    swapped = len(a) == len(b) == 8 and a[:4] == b[:4] and (a[4:6], a[6:8]) == (b[6:8], b[4:6])
    if level == "different" and swapped:
        return "swapped", sim  # day and month swapped
    return level, sim


def _equal(a: str, b: str) -> tuple[str, float]:
    return ("exact", 1.0) if a == b else ("different", 0.0)


def _street(a: str, b: str) -> tuple[str, float]:
    if a == b:
        return "exact", 1.0
    sim = fuzz.token_sort_ratio(a, b) / 100
    return ("close" if sim >= 0.85 else "different"), sim


def _locality(a: str, b: str) -> tuple[str, float]:
    if a == b:
        return "exact", 1.0
    sim = JaroWinkler.similarity(a, b)
    return ("close" if sim >= 0.9 else "different"), sim


def _best(
    left: tuple[str, ...], right: tuple[str, ...], one: Callable[[str, str], tuple[str, float]]
) -> tuple[str, float]:
    """The best level over every pair of values (a person may carry several)."""
    order = ("exact", "typo", "close", "different")
    return min(
        (one(a, b) for a in left for b in right),
        key=lambda r: (order.index(r[0]) if r[0] in order else len(order), -r[1]),
    )


def _email(a: str, b: str) -> tuple[str, float]:
    if a == b:
        return "exact", 1.0
    la, lb = email_local(a), email_local(b)
    da, db = a.partition("@")[2], b.partition("@")[2]
    distance = DamerauLevenshtein.distance(a, b)
    sim = 1.0 - distance / max(len(a), len(b))
    if la == lb and DamerauLevenshtein.distance(da, db) <= 2:
        return "typo", sim
    if da == db and DamerauLevenshtein.distance(la, lb) <= 1 and len(la) >= 4:
        return "typo", sim
    return "different", sim


def _address(a: str, b: str) -> tuple[str, float]:
    if a == b:
        return "exact", 1.0
    sim = fuzz.token_set_ratio(a, b) / 100
    return ("close" if sim >= 0.9 else "different"), sim


_SCALARS: tuple[tuple[str, str, Callable[[str, str], tuple[str, float]]], ...] = (
    ("given_name", "given", _name),
    ("surname", "surname", _name),
    ("birth_date", "birth", _birth),
    ("national_id", "national_id", _typo),
    ("street_number", "street_number", _equal),
    ("street", "street", _street),
    ("locality", "locality", _locality),
    ("postcode", "postcode", _typo),
    ("state", "state", _equal),
)
_SETS: tuple[tuple[str, str, Callable[[str, str], tuple[str, float]]], ...] = (
    ("email", "emails", _email),
    ("phone", "phones", _typo),
    ("address", "addresses", _address),
)
#: Every field compared, in the order reasons list them.
FIELDS = tuple(f for f, _, _ in _SCALARS) + tuple(f for f, _, _ in _SETS)


def compare(a: Profile, b: Profile) -> list[Comparison]:
    """The comparisons of every field both profiles know."""
    if a.given and b.given and a.given != b.given and (a.given, a.surname) == (b.surname, b.given):
        b = replace(b, given=a.given, surname=a.surname)  # given name and surname swapped
    out: list[Comparison] = []
    for field, attr, one in _SCALARS:
        x, y = getattr(a, attr), getattr(b, attr)
        if x and y:
            out.append(Comparison(field, *one(x, y)))
    for field, attr, one in _SETS:
        xs, ys = getattr(a, attr), getattr(b, attr)
        if xs and ys:
            out.append(Comparison(field, *_best(xs, ys, one)))
    return out
