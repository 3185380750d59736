"""Rules -> the parameters of one fixed statement, and back to a verdict.

No Cypher is generated: ``segment-evaluate`` (cypher/segments.cypher) is one fixed
statement that evaluates a list of *atoms* (the leaves of every rule: an event count, an
identifier type, a record match) for a list of persons. A rule compiles to its atoms,
which travel as parameters, so no value of a rule is ever formatted into a statement;
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
    EventCondition,
    IdentifierCondition,
    Not,
    RecordCondition,
)

__all__ = ["Plan", "compile_rule", "verdict"]


@dataclass(frozen=True, slots=True)
class Plan:
    """A compiled rule: its atoms (statement parameters) and the tree over them."""

    segment: str
    rule: Condition
    atoms: tuple[dict[str, Any], ...]
    #: Item properties the atoms compare ("attr.country"): projected from the stored
    #: attributes before evaluation (service/segments/membership.py).
    attributes: frozenset[str]


def compile_rule(segment: str, rule: Condition) -> Plan:
    atoms: list[dict[str, Any]] = []
    _collect(segment, rule, atoms)
    attributes = frozenset(
        c["prop"] for a in atoms for c in a["where"] if str(c["prop"]).startswith("attr.")
    )
    return Plan(segment, rule, tuple(atoms), attributes)


def _collect(segment: str, rule: Condition, atoms: list[dict[str, Any]]) -> None:
    if isinstance(rule, All | Any_):
        for part in rule.parts:
            _collect(segment, part, atoms)
    elif isinstance(rule, Not):
        _collect(segment, rule.part, atoms)
    else:
        atoms.append(_atom(segment, len(atoms), rule))


def _atom(
    segment: str, index: int, leaf: EventCondition | IdentifierCondition | RecordCondition
) -> dict[str, Any]:
    # Every atom has every key, so the statement reads them without existence checks.
    atom: dict[str, Any] = {
        "segment": segment,
        "index": index,
        "kind": "",
        "type": None,
        "types": None,
        "channels": None,
        "sources": None,
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
