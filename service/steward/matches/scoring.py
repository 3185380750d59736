"""Fellegi-Sunter scoring: each comparison level adds log2(m/u) to a match weight.

``m`` is how often a level is seen when two records are the same customer, ``u`` when
they are not. The table below is set by hand, not learnt at run time: ``u`` from how
common values are (one birth date in about 10,000 pairs of strangers, a postcode in
500), ``m`` from how often a source corrupts a field (about one field in six or seven
of a duplicate, as FEBRL's generator and typical CRM data do). It was written before
the first FEBRL run (bench/matching.py) and not tuned on it. ``estimate_m``
re-estimates ``m`` from pairs known to be one customer (records the graph linked
through a shared identifier) for data cleaner or dirtier than that.

The weight starts at the prior (log2 of the odds that two candidates that share a
blocking key are one customer) and the score is the probability ``2^W / (1 + 2^W)``::

    score([Comparison("surname", "exact", 1.0), Comparison("birth_date", "exact", 1.0)])
    -> Score(probability=0.98..., weight=5.9..., reasons=[...])
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from service.steward.matches.comparisons import Comparison

__all__ = ["DEFAULT_THRESHOLD", "MU", "Reason", "Score", "estimate_m", "score"]

#: The score from which a pair is suggested (GraphQL possibleMatches' default minScore).
DEFAULT_THRESHOLD = 0.9
#: log2 odds, before any comparison, that two records sharing a blocking key match.
PRIOR = -10.0

#: field -> level -> (m, u)
MU: dict[str, dict[str, tuple[float, float]]] = {
    "given_name": {
        "exact": (0.85, 0.004),
        "close": (0.07, 0.002),
        "similar": (0.04, 0.015),
        "different": (0.04, 0.979),
    },
    "surname": {
        "exact": (0.85, 0.002),
        "close": (0.08, 0.001),
        "similar": (0.03, 0.01),
        "different": (0.04, 0.987),
    },
    "birth_date": {
        "exact": (0.85, 0.0001),
        "typo": (0.1, 0.002),
        "swapped": (0.02, 0.0001),
        "different": (0.03, 0.9978),
    },
    "national_id": {"exact": (0.85, 0.00001), "typo": (0.1, 0.0001), "different": (0.05, 0.9999)},
    "street_number": {"exact": (0.85, 0.02), "different": (0.15, 0.98)},
    "street": {"exact": (0.8, 0.0005), "close": (0.12, 0.002), "different": (0.08, 0.9975)},
    "locality": {"exact": (0.85, 0.002), "close": (0.1, 0.002), "different": (0.05, 0.996)},
    "postcode": {"exact": (0.85, 0.002), "typo": (0.1, 0.01), "different": (0.05, 0.988)},
    "state": {"exact": (0.9, 0.25), "different": (0.1, 0.75)},
    # people change emails and phones: a different one is weak evidence against
    "email": {"exact": (0.5, 0.00001), "typo": (0.1, 0.00002), "different": (0.4, 0.99997)},
    "phone": {"exact": (0.5, 0.00001), "typo": (0.1, 0.0001), "different": (0.4, 0.9999)},
    "address": {"exact": (0.5, 0.002), "close": (0.1, 0.004), "different": (0.4, 0.994)},
}


@dataclass(frozen=True, slots=True)
class Reason:
    """One field's comparison and what it added to the match weight."""

    field: str
    level: str
    similarity: float
    weight: float


@dataclass(frozen=True, slots=True)
class Score:
    probability: float
    weight: float
    reasons: tuple[Reason, ...]


def _weight(
    field: str, level: str, table: Mapping[str, Mapping[str, tuple[float, float]]]
) -> float:
    m, u = table[field][level]
    return math.log2(m / u)


def score(
    comparisons: Iterable[Comparison],
    table: Mapping[str, Mapping[str, tuple[float, float]]] = MU,
) -> Score:
    reasons = tuple(
        Reason(c.field, c.level, round(c.similarity, 3), round(_weight(c.field, c.level, table), 2))
        for c in comparisons
    )
    total = PRIOR + sum(r.weight for r in reasons)
    # 2^W / (1 + 2^W), written so that a large |W| cannot overflow
    probability = 1.0 / (1.0 + 2.0 ** min(-total, 1000.0))
    return Score(round(probability, 6), round(total, 2), reasons)


def estimate_m(
    known_same: Sequence[Sequence[Comparison]],
    table: Mapping[str, Mapping[str, tuple[float, float]]] = MU,
) -> dict[str, dict[str, tuple[float, float]]]:
    """``table`` with ``m`` re-estimated from pairs known to be one customer: each
    level's share of that field's comparisons (add-one smoothed), ``u`` kept."""
    counts: dict[str, Counter[str]] = {f: Counter() for f in table}
    for pair in known_same:
        for c in pair:
            counts[c.field][c.level] += 1
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for field, levels in table.items():
        total = sum(counts[field].values()) + len(levels)
        out[field] = {
            level: ((counts[field][level] + 1) / total, u) for level, (_, u) in levels.items()
        }
    return out
