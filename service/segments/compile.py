"""Rules -> the parameters of one fixed statement, and back to a verdict.

No Cypher is generated: ``segment-evaluate`` (cypher/segments.cypher) is one fixed
statement that evaluates a list of *atoms* (the leaves of every rule: an event count, an
identifier type, a record match, an effective consent) for a list of persons. A rule
compiles to its atoms, which travel as parameters, so no value of a rule is ever
formatted into a statement;
``all``/``any``/``not`` are then combined here from the atoms' answers::

    >>> plan = compile_rule("r", parse_definition(
    ...     {"name": "r", "rule": {"identifier": {"type": "PHONE"}}}).rule)
    >>> plan.atoms[0]["kind"], plan.atoms[0]["type"]
    ('identifier', 'PHONE')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from service.segments.rules import (
    All,
    Any_,
    Comparison,
    Condition,
    ConsentCondition,
    EventCondition,
    IdentifierCondition,
    Not,
    RecordCondition,
)

__all__ = ["KNOWN_KINDS", "Plan", "compile_rule", "verdict"]

#: Kinds of changed-persons marks (service/identity/changes.py) a plan can tell apart;
#: any other kind (a merge, a split, an erasure, a closing window) concerns every plan.
KNOWN_KINDS = frozenset({"record", "identifier", "consent"})


@dataclass(frozen=True, slots=True)
class Plan:
    """A compiled rule: its atoms (statement parameters) and the tree over them."""

    segment: str
    rule: Condition
    atoms: tuple[dict[str, Any], ...]
    #: Item properties the atoms compare ("attr.country"): projected from the stored
    #: attributes before evaluation (service/segments/membership.py).
    attributes: frozenset[str]
    #: The kinds of change that can alter the verdict ("event:*": any event).
    depends: frozenset[str]

    @property
    def consents(self) -> list[tuple[str, tuple[str, ...]]]:
        """The (purpose, channels) the rule's consent conditions weigh: what a delivery
        may use to contact the person (service/segments/membership.py)."""
        found = {(a["purpose"], tuple(a["channels"])) for a in self.atoms if a["kind"] == "consent"}
        return sorted(found)

    def concerns(self, kinds: frozenset[str] | set[str]) -> bool:
        """Whether a change of these kinds can alter this rule's verdict."""
        for kind in kinds:
            if kind.startswith("event:"):
                if kind in self.depends or "event:*" in self.depends:
                    return True
            elif kind not in KNOWN_KINDS or kind in self.depends:
                return True
        return False


def compile_rule(segment: str, rule: Condition) -> Plan:
    atoms: list[dict[str, Any]] = []
    _collect(segment, rule, atoms)
    attributes = frozenset(
        c["prop"] for a in atoms for c in a["where"] if str(c["prop"]).startswith("attr.")
    )
    return Plan(segment, rule, tuple(atoms), attributes, _depends(atoms))


def _depends(atoms: list[dict[str, Any]]) -> frozenset[str]:
    """What each atom reads: events of its types (and records for the home country),
    records, identifiers (new ones, or ones joining or leaving the person), consents
    (and identifiers, which bring the consents given through them)."""
    kinds: set[str] = set()
    for atom in atoms:
        if atom["kind"] == "event":
            kinds |= {f"event:{t}" for t in atom["types"] or ["*"]}
            if any(c["home"] for c in atom["where"]):
                kinds.add("record")
        elif atom["kind"] == "record":
            kinds.add("record")
        elif atom["kind"] == "identifier":
            kinds |= {"record", "identifier"}
        else:
            kinds |= {"consent", "identifier"}
    return frozenset(kinds)


def _collect(segment: str, rule: Condition, atoms: list[dict[str, Any]]) -> None:
    if isinstance(rule, All | Any_):
        for part in rule.parts:
            _collect(segment, part, atoms)
    elif isinstance(rule, Not):
        _collect(segment, rule.part, atoms)
    else:
        atoms.append(_atom(segment, len(atoms), rule))


Leaf = EventCondition | IdentifierCondition | RecordCondition | ConsentCondition


def _atom(segment: str, index: int, leaf: Leaf) -> dict[str, Any]:
    # Every atom has every key, so the statement reads them without existence checks.
    atom: dict[str, Any] = {
        "segment": segment,
        "index": index,
        "kind": "",
        "type": None,
        "types": None,
        "channels": None,
        "sources": None,
        "purpose": None,
        "window": None,
        "atLeast": 1,
        "where": [],
    }
    if isinstance(leaf, IdentifierCondition):
        atom.update(kind="identifier", type=leaf.type)
    elif isinstance(leaf, EventCondition):
        atom.update(
            kind="event",
            types=_list(leaf.types),
            channels=_list(leaf.channels),
            window=leaf.window_seconds,
            atLeast=leaf.at_least,
            where=[_comparison(c) for c in leaf.where],
        )
    elif isinstance(leaf, ConsentCondition):
        # The consent on the channel and the ALL consent compete: the latest of them
        # decides (service/segments/rules.py).
        channels = ["ALL"] if leaf.channel is None else sorted({leaf.channel, "ALL"})
        atom.update(kind="consent", purpose=leaf.purpose, channels=channels)
    else:
        atom.update(
            kind="record", sources=_list(leaf.sources), where=[_comparison(c) for c in leaf.where]
        )
    return atom


def _list(values: tuple[str, ...] | None) -> list[str] | None:
    return list(values) if values is not None else None


def _comparison(c: Comparison) -> dict[str, Any]:
    value = list(c.value) if isinstance(c.value, tuple) else c.value
    return {"prop": c.prop, "op": c.op, "value": value, "home": c.home}


def verdict(rule: Condition, answers: Mapping[int, bool]) -> bool:
    """Combine the atoms' answers (by atom index, in ``compile_rule`` order)."""
    value, _ = _verdict(rule, answers, 0)
    return value


def _verdict(rule: Condition, answers: Mapping[int, bool], next_index: int) -> tuple[bool, int]:
    if isinstance(rule, All | Any_):
        results: list[bool] = []
        for part in rule.parts:
            result, next_index = _verdict(part, answers, next_index)
            results.append(result)
        return (all(results) if isinstance(rule, All) else any(results)), next_index
    if isinstance(rule, Not):
        result, next_index = _verdict(rule.part, answers, next_index)
        return not result, next_index
    return answers.get(next_index, False), next_index + 1
