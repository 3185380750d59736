"""Why a person may be wrong: the pure assessment behind the review list (no graph here).

A person's *facts* (its records with their attributes and linking identifiers, its
events' links, how many identifiers of each type it holds) give reasons and a score::

    facts = Facts(records=[Rec("record/eshop/1", {"name": "Ana Silva"}, "ES", ("EMAIL:a",)),
                           Rec("record/pos/9", {"name": "Pedro Gil"}, "ES", ("EMAIL:a",))])
    assess(facts, Limits())  # -> NAMES_DIFFER (Ana Silva / Pedro Gil), score 0.5

Reasons, each with a weight; the score is their noisy-or, ``1 - prod(1 - w)``, so it
stays within 0..1 and grows with every independent reason:

* ``NAMES_DIFFER`` (0.5): two records' names cannot be one person. Names are compared
  token by token, accents and case folded, an initial matching its word, a shorter name
  fitting inside a longer one: "Ana", "A. Silva" and "Ana Silva" agree; "Ana Silva" and
  "Pedro Gil" do not.
* ``BIRTH_DATES_DIFFER`` (0.6): records carry two birth dates (``birthDate``,
  ``birth_date``, ``dateOfBirth``, ``date_of_birth``, ``dob``).
* ``COUNTRIES_DIFFER`` (0.3): records come from two home countries (the item's
  ``country``; events are left out: a payment abroad says nothing about home).
* ``TOO_MANY_IDENTIFIERS`` (0.5): more identifiers of a type, or in all, than the size
  guards allow (``Limits``).
* ``BRIDGE`` (0.2, 0.5 when the records on its two sides disagree): one identifier holds
  the person together: without it the person falls apart into two parts that each have
  records of their own (at least ``Limits.bridge_records``), not just one record or a
  few events hanging on it, which is how most persons hold together.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Assessment", "Facts", "Limits", "Reason", "Rec", "assess", "names_agree"]

WEIGHTS = {
    "NAMES_DIFFER": 0.5,
    "BIRTH_DATES_DIFFER": 0.6,
    "COUNTRIES_DIFFER": 0.3,
    "TOO_MANY_IDENTIFIERS": 0.5,
    "BRIDGE": 0.2,
}
#: A bridge across which the records disagree: the likeliest false merge of all.
BRIDGE_ACROSS = 0.5
_BIRTH_KEYS = ("birthDate", "birth_date", "dateOfBirth", "date_of_birth", "dob", "birthdate")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_WORD = re.compile(r"[^\w]+")
#: Bridges are looked for only in persons up to this many linking identifiers: one
#: larger is already flagged by the size guard, and the search is quadratic.
MAX_BRIDGE_SEARCH = 400


@dataclass(frozen=True, slots=True)
class Limits:
    """Size guards and the bridge rule (settings ``OMNID_REVIEW_*``)."""

    per_type: Mapping[str, int] = field(default_factory=lambda: {"EMAIL": 10, "PHONE": 10})
    identifiers: int = 200
    bridge_records: int = 2


@dataclass(frozen=True, slots=True)
class Rec:
    """A record of the person: its key, attributes, country and linking identifiers."""

    key: str
    attributes: Mapping[str, Any]
    country: str | None
    links: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Facts:
    records: Sequence[Rec] = ()
    #: The linking identifiers of each event carrying two or more (those that hold
    #: parts together; an event with one link hangs on it).
    event_links: Sequence[tuple[str, ...]] = ()
    #: Identifiers of the person per type (linking ones, through ``OF``).
    counts: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Assessment:
    reasons: tuple[Reason, ...]
    bridges: tuple[str, ...]  # identifier keys
    score: float

    @property
    def signature(self) -> str:
        """What a dismissal holds for: the same reasons and bridges, unchanged."""
        text = json.dumps([[r.code, r.detail] for r in self.reasons] + [list(self.bridges)])
        return hashlib.sha256(text.encode()).hexdigest()[:24]


def assess(facts: Facts, limits: Limits) -> Assessment:
    """The reasons to review a person, its bridge identifiers and its score."""
    reasons = [*_disagreements(facts.records), *_sizes(facts.counts, limits)]
    bridges: list[str] = []
    across = False
    if sum(facts.counts.values()) <= MAX_BRIDGE_SEARCH:
        for key, sides in _bridges(facts, limits.bridge_records):
            bridges.append(key)
            across = across or any(
                _disagreements([*a, *b]) and not _disagreements(a) and not _disagreements(b)
                for n, a in enumerate(sides)
                for b in sides[n + 1 :]
            )
    weights = [WEIGHTS[r.code] for r in reasons]
    if bridges:
        detail = f"{len(bridges)} identifier(s) hold the person together alone"
        if across:
            detail += "; the records on their two sides disagree"
        reasons.append(Reason("BRIDGE", detail))
        weights.append(BRIDGE_ACROSS if across else WEIGHTS["BRIDGE"])
    remaining = 1.0
    for w in weights:
        remaining *= 1.0 - w
    return Assessment(tuple(reasons), tuple(sorted(bridges)), round(1.0 - remaining, 4))


# -- records that disagree ------------------------------------------------------------


def _disagreements(records: Sequence[Rec]) -> list[Reason]:
    out = []
    names = _distinct(_name(r.attributes) for r in records)
    if not _all_agree(names):
        out.append(Reason("NAMES_DIFFER", f"{len(names)} names: " + " / ".join(names[:5])))
    births = _distinct(_birth(r.attributes) for r in records)
    if len(births) > 1:
        out.append(Reason("BIRTH_DATES_DIFFER", f"{len(births)} birth dates"))
    countries = sorted({r.country for r in records if r.country})
    if len(countries) > 1:
        out.append(Reason("COUNTRIES_DIFFER", "records from " + ", ".join(countries)))
    return out


def _distinct(values: Iterable[str | None]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        if value:
            seen.setdefault(" ".join(_words(value)), value)
    return sorted(seen.values())


def _name(attributes: Mapping[str, Any]) -> str | None:
    for key in ("name", "fullName", "full_name"):
        if isinstance(attributes.get(key), str):
            return str(attributes[key])
    parts = [attributes.get(k) for k in ("firstName", "first_name", "lastName", "last_name")]
    joined = " ".join(p for p in parts if isinstance(p, str))
    return joined or None


def _birth(attributes: Mapping[str, Any]) -> str | None:
    for key in _BIRTH_KEYS:
        value = attributes.get(key)
        if isinstance(value, str) and _DATE.match(value.strip()):
            return value.strip()[:10]
    return None


def _words(name: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return [w for w in _WORD.split(plain) if w]


def names_agree(a: str, b: str) -> bool:
    """Whether two names can be one person's: every word of the shorter one matches a
    word of the longer one, an initial matching a word it begins.

    >>> names_agree("A. Silva", "Ana Silva"), names_agree("Ana", "Ana Silva")
    (True, True)
    >>> names_agree("Ana Silva", "Pedro Silva")
    False
    """
    short, long = sorted((_words(a), _words(b)), key=len)
    return _fits(short, long)


def _fits(short: Sequence[str], long: Sequence[str]) -> bool:
    """Every word of ``short`` matches a distinct word of ``long``."""
    unused = list(long)
    for word in short:
        match = next((w for w in unused if _same_word(word, w)), None)
        if match is None:
            return False
        unused.remove(match)
    return True


def _same_word(a: str, b: str) -> bool:
    if len(a) == 1 or len(b) == 1:
        return a[0] == b[0]
    return a == b


def _all_agree(names: Sequence[str]) -> bool:
    """One of the names holds all the others ("H. Ehlert" and "Hans Jörg" both fit in
    "Hans Jörg Ehlert"), or there is only one."""
    words = [_words(n) for n in names]
    return not words or any(all(_fits(o, w) for o in words) for w in words)


def _sizes(counts: Mapping[str, int], limits: Limits) -> list[Reason]:
    over = [f"{n} {t}" for t, n in sorted(counts.items()) if n > limits.per_type.get(t, n)]
    total = sum(counts.values())
    if total > limits.identifiers:
        over.append(f"{total} identifiers in all")
    if not over:
        return []
    return [Reason("TOO_MANY_IDENTIFIERS", ", ".join(over) + " (over the size guards)")]


# -- bridges --------------------------------------------------------------------------


def _bridges(facts: Facts, min_records: int) -> list[tuple[str, list[list[Rec]]]]:
    """Identifiers whose removal leaves two or more parts with ``min_records`` records
    each, with the records of every part.

    The graph is the person's items and linking identifiers. Items carrying a single
    identifier hang on it: they are left out of the search (they cannot hold anything
    together) and their records count with that identifier's part.
    """
    hanging: dict[str, list[Rec]] = defaultdict(list)
    adjacency: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    records_of: dict[tuple[str, str], Rec] = {}
    items: list[tuple[tuple[str, str], tuple[str, ...], Rec | None]]
    items = [(("r", r.key), r.links, r) for r in facts.records]
    items += [(("e", str(n)), links, None) for n, links in enumerate(set(facts.event_links))]
    for node, links, rec in items:
        if len(links) == 1:
            if rec is not None:
                hanging[links[0]].append(rec)
            continue
        if rec is not None:
            records_of[node] = rec
        for key in links:
            adjacency[node].add(("i", key))
            adjacency[("i", key)].add(node)
    found = []
    for node in sorted(n for n in adjacency if n[0] == "i" and len(adjacency[n]) > 1):
        sides = [
            side
            for side in _parts_without(adjacency, node, records_of, hanging)
            if len(side) >= min_records
        ]
        if len(sides) >= 2:
            found.append((node[1], sides))
    return found


def _parts_without(
    adjacency: Mapping[tuple[str, str], set[tuple[str, str]]],
    removed: tuple[str, str],
    records_of: Mapping[tuple[str, str], Rec],
    hanging: Mapping[str, list[Rec]],
) -> list[list[Rec]]:
    """The records of each connected part of the graph without ``removed``."""
    seen = {removed}
    parts = []
    for start in adjacency[removed]:
        if start in seen:
            continue
        seen.add(start)
        stack, records = [start], []
        while stack:
            node = stack.pop()
            if node in records_of:
                records.append(records_of[node])
            elif node[0] == "i":
                records.extend(hanging.get(node[1], ()))
            for nxt in adjacency[node]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        parts.append(records)
    return parts
