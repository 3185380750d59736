"""Operator corrections (``steward`` scope): value overrides, operator links (assertSame,
acceptMatch, withdrawAssertion) and separations, merged into Query and Mutation. Thin
shells over :mod:`service.steward.corrections`."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from functools import partial

import strawberry

from service.api.context import Context
from service.api.types.batch import Result, check_size, results
from service.api.types.common import IdentifierInput, IdentifierType, to_identifier
from service.api.types.ingest import RecordRef
from service.errors import InvalidInput, OmnidError
from service.identity.identifiers import IdentifierRules
from service.steward import corrections as steward
from service.steward.batch import attempt
from service.steward.corrections import Pair, Subject

__all__ = [
    "ClearedOverride",
    "CorrectionsMutation",
    "CorrectionsQuery",
    "OperatorLink",
    "OverrideInput",
    "OverrideMode",
    "PairInput",
    "Separation",
    "SeparationCandidates",
    "SeparationConflict",
    "SubjectInput",
    "Value",
    "ValueOverride",
    "Withdrawal",
]

Info = strawberry.Info[Context, None]


@strawberry.enum(description="An operator's decision on a value.")
class OverrideMode(Enum):
    SHARED = "shared"
    LINKING = "linking"


@strawberry.input(
    description=(
        "What a correction names: one of an identifier, a record (by source and id) or "
        "a person id (assertSame and acceptMatch only)."
    )
)
class SubjectInput:
    identifier: IdentifierInput | None = None
    record: RecordRef | None = None
    person: strawberry.ID | None = None


@strawberry.input(description="One item of `assertSame`, `acceptMatch` or `separate`.")
class PairInput:
    a: SubjectInput
    b: SubjectInput
    reason: str | None = strawberry.field(
        default=None,
        description=(
            "Why (a ticket reference; no personal data). Required by assertSame and "
            "separate; acceptMatch records the suggestion's score without one."
        ),
    )


@strawberry.input(description="One item of `overrideValue`.")
class OverrideInput:
    identifier: IdentifierInput
    mode: OverrideMode
    reason: str


@strawberry.type(description="What `clearOverride` did to one value.")
class ClearedOverride:
    cleared: bool = strawberry.field(description="Whether the value had an override.")


@strawberry.type(description="What `withdrawAssertion` did to one operator link.")
class Withdrawal:
    person_ids: list[strawberry.ID] = strawberry.field(
        description="The persons the link's values belong to now."
    )


@strawberry.type(description="An identifier value, by type and normalized value.")
class Value:
    type: IdentifierType
    value: str

    @classmethod
    def of_key(cls, key: str) -> Value:
        type_, value = key.split(":", 1)
        return cls(type=IdentifierType(type_), value=value)


@strawberry.type(description="A value an operator forced shared or linking: who, why, when.")
class ValueOverride:
    type: IdentifierType
    value: str
    mode: OverrideMode
    by: str | None = strawberry.field(description="The API key's name (a fingerprint).")
    reason: str | None
    separation: strawberry.ID | None = strawberry.field(
        description="The separation that cut this value, if one did."
    )
    at: datetime | None
    linking: bool

    @classmethod
    def of(cls, view: steward.OverrideView) -> ValueOverride:
        return cls(
            type=IdentifierType(view.type),
            value=view.value,
            mode=OverrideMode(view.mode),
            by=view.by,
            reason=view.reason,
            separation=strawberry.ID(view.separation) if view.separation else None,
            at=view.at,
            linking=view.linking,
        )


@strawberry.type(
    description=(
        "An operator link: a record of source `operator` carrying one linking value of "
        "each side; it shows in `explain` and in the person's records."
    )
)
class OperatorLink:
    id: strawberry.ID
    key: str = strawberry.field(description="The record's key: record/operator/<id>.")
    values: list[Value]
    person_id: strawberry.ID | None
    reason: str
    by: str
    score: float | None

    @classmethod
    def of(cls, view: steward.OperatorLink) -> OperatorLink:
        return cls(
            id=strawberry.ID(view.id),
            key=view.key,
            values=[Value.of_key(k) for k in view.identifiers],
            person_id=strawberry.ID(view.person) if view.person else None,
            reason=view.reason,
            by=view.by,
            score=view.score,
        )


@strawberry.type(description="The values `separate` would cut: the fewest that bridge a and b.")
class SeparationCandidates:
    person_id: strawberry.ID | None = strawberry.field(
        description="Their person; null when a and b are already apart."
    )
    bridges: list[Value]


@strawberry.type(description="An operator's separation: the values cut, and who asked why.")
class Separation:
    id: strawberry.ID
    a: str = strawberry.field(description="Key of side a (TYPE:value or record/<source>/<id>).")
    b: str
    values: list[Value]
    person_a: strawberry.ID | None
    person_b: strawberry.ID | None
    reason: str
    by: str

    @classmethod
    def of(cls, view: steward.Separation) -> Separation:
        return cls(
            id=strawberry.ID(view.id),
            a=view.a,
            b=view.b,
            values=[Value.of_key(k) for k in view.values],
            person_a=strawberry.ID(view.person_a) if view.person_a else None,
            person_b=strawberry.ID(view.person_b) if view.person_b else None,
            reason=view.reason,
            by=view.by,
        )


@strawberry.type(description="A separation whose sides new evidence joined again.")
class SeparationConflict:
    separation: Separation
    person_id: strawberry.ID
    bridges: list[Value] = strawberry.field(description="The values joining them now.")


def _subject(info: Info, given: SubjectInput, field: str, person: bool = True) -> Subject:
    chosen = [x for x in (given.identifier, given.record, given.person) if x is not None]
    if len(chosen) != 1:
        raise InvalidInput("give exactly one of identifier, record, person", field=field)
    if given.identifier is not None:
        rules = info.context.ingestor.rules
        return Subject.identifier(
            field, to_identifier(given.identifier, rules, f"{field}.identifier")
        )
    if given.record is not None:
        return Subject.record(field, given.record.source, given.record.id)
    if not person:
        raise InvalidInput("give an identifier or a record, not a person", field=field)
    return Subject.of_person(field, str(given.person))


def _pairs(info: Info, items: list[PairInput], person: bool = True) -> list[Pair | OmnidError]:
    """Each item read into a ``Pair``, or the typed error that kept it from being read."""
    check_size(info, items)

    def read(item: PairInput) -> Pair:
        a, b = _subject(info, item.a, "a", person), _subject(info, item.b, "b", person)
        return Pair(a, b, item.reason or "")

    return [attempt(partial(read, i)) for i in items]


def _override(item: OverrideInput, rules: IdentifierRules) -> steward.OverrideRequest:
    value = to_identifier(item.identifier, rules, "identifier")
    return steward.OverrideRequest(value, item.mode.value, item.reason)


@strawberry.type
class CorrectionsQuery:
    @strawberry.field(description="Every value an operator forced shared or linking, oldest first.")
    async def overrides(self, info: Info) -> list[ValueOverride]:
        info.context.require("steward")
        return [ValueOverride.of(v) for v in await steward.overrides(info.context.graph)]

    @strawberry.field(
        description=(
            "The values `separate` would cut between a and b (identifiers or records of "
            "one person): the fewest that bridge them. Changes nothing."
        )
    )
    async def explain_separation(
        self, info: Info, a: SubjectInput, b: SubjectInput
    ) -> SeparationCandidates:
        info.context.require("steward")
        plan = await steward.explain_separation(
            info.context.graph, _subject(info, a, "a", False), _subject(info, b, "b", False)
        )
        return SeparationCandidates(
            person_id=strawberry.ID(plan.person) if plan.person else None,
            bridges=[Value.of_key(k) for k in plan.bridges],
        )

    @strawberry.field(
        description=(
            "Separations whose sides new evidence joined again (they are one person "
            "again), with the values that bridge them now: for review."
        )
    )
    async def separation_conflicts(self, info: Info) -> list[SeparationConflict]:
        info.context.require("steward")
        return [
            SeparationConflict(
                separation=Separation.of(c.separation),
                person_id=strawberry.ID(c.person),
                bridges=[Value.of_key(k) for k in c.bridges],
            )
            for c in await steward.separation_conflicts(info.context.graph)
        ]


@strawberry.type
class CorrectionsMutation:
    @strawberry.mutation(
        description=(
            "Force values shared (never linking: a person splits where one was a bridge) "
            "or linking (despite the shared rules), each for a reason; kept across "
            "re-imports. One result per item, in order; a refused item writes nothing."
        )
    )
    async def override_value(
        self, info: Info, items: list[OverrideInput]
    ) -> list[Result[ValueOverride]]:
        info.context.require("steward")
        check_size(info, items)
        rules = info.context.ingestor.rules
        requests = [attempt(partial(_override, i, rules)) for i in items]
        done = await steward.set_override_each(
            info.context.ingestor, requests, by=info.context.access.name
        )
        return results(done, ValueOverride.of)

    @strawberry.mutation(
        description=(
            "Drop values' overrides (the rules decide again): per item, whether it had one."
        )
    )
    async def clear_override(
        self, info: Info, items: list[IdentifierInput]
    ) -> list[Result[ClearedOverride]]:
        info.context.require("steward")
        check_size(info, items)
        rules = info.context.ingestor.rules
        values = [attempt(partial(to_identifier, i, rules)) for i in items]
        done = await steward.clear_override_each(info.context.ingestor, values)
        return results(
            done,
            lambda had: ClearedOverride(cleared=had),
        )

    @strawberry.mutation(
        description=(
            "These pairs are one customer each: an operator link per item (a record of "
            "source `operator`) with who and why (`reason` required). Withdraw one with "
            "`withdrawAssertion`. One result per item, in order."
        )
    )
    async def assert_same(self, info: Info, items: list[PairInput]) -> list[Result[OperatorLink]]:
        info.context.require("steward")
        pairs = _pairs(info, items)
        done = await steward.assert_same_each(
            info.context.ingestor, pairs, by=info.context.access.name
        )
        return results(done, OperatorLink.of)

    @strawberry.mutation(
        description=(
            "Accept suggested matches: an operator link per item, recording the "
            "suggestion's score. Only a current suggestion (see `possibleMatches`; not "
            "rejected) is accepted, else NOT_FOUND naming `b`; `assertSame` links any two."
        )
    )
    async def accept_match(self, info: Info, items: list[PairInput]) -> list[Result[OperatorLink]]:
        info.context.require("steward")
        pairs = _pairs(info, items)
        done = await steward.accept_match_each(
            info.context.ingestor, pairs, by=info.context.access.name
        )
        return results(done, OperatorLink.of)

    @strawberry.mutation(
        description=(
            "Withdraw operator links by id: persons regroup as if each had never been made. "
            "Per item, the persons its values belong to now."
        )
    )
    async def withdraw_assertion(
        self, info: Info, items: list[strawberry.ID]
    ) -> list[Result[Withdrawal]]:
        info.context.require("steward")
        check_size(info, items)
        done = await steward.withdraw_assertion_each(info.context.ingestor, [str(i) for i in items])
        return results(
            done, lambda persons: Withdrawal(person_ids=[strawberry.ID(p) for p in persons])
        )

    @strawberry.mutation(
        description=(
            "These pairs (identifiers or records of one person) are not one customer: the "
            "values bridging each pair (see `explainSeparation`) stop linking for its "
            "reason, and the person splits. Kept across re-imports. In order: a later "
            "item sees what an earlier one split. One result per item."
        )
    )
    async def separate(self, info: Info, items: list[PairInput]) -> list[Result[Separation]]:
        info.context.require("steward")
        pairs = _pairs(info, items, person=False)
        done = await steward.separate_each(
            info.context.ingestor, pairs, by=info.context.access.name
        )
        return results(done, Separation.of)
