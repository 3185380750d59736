"""Operator corrections (``steward`` scope): value overrides, operator links (assertSame,
acceptMatch, withdrawAssertion) and separations, merged into Query and Mutation. Thin
shells over :mod:`service.steward.corrections`."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from service.api.context import Context
from service.api.types.common import IdentifierInput, IdentifierType, to_identifier
from service.api.types.ingest import RecordRef
from service.errors import InvalidInput
from service.steward import corrections as steward
from service.steward.corrections import Subject

__all__ = [
    "CorrectionsMutation",
    "CorrectionsQuery",
    "OperatorLink",
    "OverrideMode",
    "Separation",
    "SeparationCandidates",
    "SeparationConflict",
    "SubjectInput",
    "Value",
    "ValueOverride",
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
        return Subject.identifier(
            field, to_identifier(given.identifier, info.context.ingestor.rules)
        )
    if given.record is not None:
        return Subject.record(field, given.record.source, given.record.id)
    if not person:
        raise InvalidInput("give an identifier or a record, not a person", field=field)
    return Subject.of_person(field, str(given.person))


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
            "Force a value shared (it never links: its person splits if it was a bridge) "
            "or linking (despite the shared rules), for a reason. Kept across re-imports."
        )
    )
    async def override_value(
        self, info: Info, identifier: IdentifierInput, mode: OverrideMode, reason: str
    ) -> ValueOverride:
        info.context.require("steward")
        value = to_identifier(identifier, info.context.ingestor.rules)
        view = await steward.set_override(
            info.context.ingestor, value, mode.value, reason=reason, by=info.context.access.name
        )
        return ValueOverride.of(view)

    @strawberry.mutation(
        description="Drop a value's override (the rules decide again); whether it had one."
    )
    async def clear_override(self, info: Info, identifier: IdentifierInput) -> bool:
        info.context.require("steward")
        value = to_identifier(identifier, info.context.ingestor.rules)
        return await steward.clear_override(info.context.ingestor, value)

    @strawberry.mutation(
        description=(
            "These two are one customer: an operator link (a record of source `operator`) "
            "with who and why. Withdraw it with `withdrawAssertion`."
        )
    )
    async def assert_same(
        self, info: Info, a: SubjectInput, b: SubjectInput, reason: str
    ) -> OperatorLink:
        info.context.require("steward")
        link = await steward.assert_same(
            info.context.ingestor,
            _subject(info, a, "a"),
            _subject(info, b, "b"),
            reason=reason,
            by=info.context.access.name,
        )
        return OperatorLink.of(link)

    @strawberry.mutation(
        description="Accept a suggested match: an operator link recording the score."
    )
    async def accept_match(
        self, info: Info, a: SubjectInput, b: SubjectInput, score: float
    ) -> OperatorLink:
        info.context.require("steward")
        link = await steward.accept_match(
            info.context.ingestor,
            _subject(info, a, "a"),
            _subject(info, b, "b"),
            score=score,
            by=info.context.access.name,
        )
        return OperatorLink.of(link)

    @strawberry.mutation(
        description=(
            "Withdraw an operator link: persons regroup as if it had never been made. "
            "The persons its values belong to now."
        )
    )
    async def withdraw_assertion(self, info: Info, id: strawberry.ID) -> list[strawberry.ID]:
        info.context.require("steward")
        persons = await steward.withdraw_assertion(info.context.ingestor, str(id))
        return [strawberry.ID(p) for p in persons]

    @strawberry.mutation(
        description=(
            "These two (identifiers or records of one person) are not one customer: the "
            "values bridging them (see `explainSeparation`) stop linking for this reason, "
            "and the person splits. Kept across re-imports."
        )
    )
    async def separate(
        self, info: Info, a: SubjectInput, b: SubjectInput, reason: str
    ) -> Separation:
        info.context.require("steward")
        done = await steward.separate(
            info.context.ingestor,
            _subject(info, a, "a", False),
            _subject(info, b, "b", False),
            reason=reason,
            by=info.context.access.name,
        )
        return Separation.of(done)
