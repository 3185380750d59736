"""Possible matches (``steward`` scope): ``Person.possibleMatches`` and ``rejectMatch``,
thin shells over ``service.steward.matches``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from service.api.context import Context
from service.api.types.batch import Result, check_size, results
from service.errors import NotFound
from service.steward import matches

if TYPE_CHECKING:
    from service.api.types.person import Person

__all__ = [
    "MatchMutation",
    "MatchReason",
    "MatchRejection",
    "PossibleMatch",
    "RejectMatchInput",
    "possible_matches_of",
]

Info = strawberry.Info[Context, None]


@strawberry.type(description="One field compared between the two closest records.")
class MatchReason:
    field: str = strawberry.field(
        description="given_name, surname, birth_date, national_id, street_number, street, "
        "locality, postcode, state, email, phone or address."
    )
    level: str = strawberry.field(
        description="exact, close, similar, typo (one edit; an email's domain two), "
        "swapped (day and month), or different."
    )
    similarity: float = strawberry.field(description="How alike the values are, 0 to 1.")
    weight: float = strawberry.field(
        description="What it added to the match weight (log2 of m/u; negative: against)."
    )


@strawberry.type(description="A person that may be the same customer; never merged by itself.")
class PossibleMatch:
    person_id: strawberry.ID = strawberry.field(name="personId")
    score: float = strawberry.field(description="Probability that they are one customer.")
    weight: float = strawberry.field(description="The Fellegi-Sunter match weight (log2 odds).")
    reasons: list[MatchReason]

    @strawberry.field(description="The other person.")
    async def person(
        self, info: Info
    ) -> Annotated[Person, strawberry.lazy("service.api.types.person")]:
        from service.api.types.person import Person

        view = await info.context.loaders.persons.load(str(self.person_id))
        if view is None:
            raise NotFound("the person changed meanwhile", field="person")
        return Person.of(view)


@strawberry.type(description="A steward's decision that two persons are not one customer.")
class MatchRejection:
    id: strawberry.ID
    a: strawberry.ID
    b: strawberry.ID
    records: int = strawberry.field(description="Records of both sides it is tied to.")
    at: datetime


async def possible_matches_of(
    info: Info, person: str, first: int, min_score: float | None
) -> list[PossibleMatch]:
    info.context.require("steward")
    found = await matches.possible_matches(
        info.context.graph,
        person,
        first=first,
        min_score=matches.DEFAULT_THRESHOLD if min_score is None else min_score,
    )
    return [
        PossibleMatch(
            person_id=strawberry.ID(m.person),
            score=m.score,
            weight=m.weight,
            reasons=[
                MatchReason(field=r.field, level=r.level, similarity=r.similarity, weight=r.weight)
                for r in m.reasons
            ],
        )
        for m in found
    ]


@strawberry.input(description="One item of `rejectMatch`: persons a and b are not one customer.")
class RejectMatchInput:
    a: strawberry.ID
    b: strawberry.ID
    reason: str = strawberry.field(description="Why (kept with the decision). No personal data.")


def _rejection(done: matches.Rejection) -> MatchRejection:
    return MatchRejection(
        id=strawberry.ID(done.id),
        a=strawberry.ID(done.a),
        b=strawberry.ID(done.b),
        records=done.records,
        at=done.at,
    )


@strawberry.type
class MatchMutation:
    @strawberry.mutation(
        description=(
            "These pairs of persons are not one customer (steward): none of their records "
            "is suggested with the other's again, after re-imports and merges of either "
            "side. One result per item, in order."
        )
    )
    async def reject_match(
        self, info: Info, items: list[RejectMatchInput]
    ) -> list[Result[MatchRejection]]:
        info.context.require("steward")
        check_size(info, items)
        requests = [matches.RejectRequest(str(i.a), str(i.b), i.reason) for i in items]
        done = await matches.reject_match_each(
            info.context.graph, requests, by=info.context.access.name
        )
        return results(done, _rejection)
