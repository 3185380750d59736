"""The review list of suspicious persons over GraphQL (scope ``steward``).

Thin: the list is read as stored (service/steward/review.py keeps it as data changes),
and ``dismissReview`` records who (the key's fingerprint) and why.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from service.api.context import Context
from service.read.models import parse_time
from service.steward import review

__all__ = ["ReviewMutation", "ReviewQuery"]

Info = strawberry.Info[Context, None]
if TYPE_CHECKING:
    from service.api.types.person import Person

PersonRef = Annotated["Person", strawberry.lazy("service.api.types.person")]


@strawberry.enum(description="Why a person is on the review list.")
class ReviewReasonCode(Enum):
    NAMES_DIFFER = "NAMES_DIFFER"
    BIRTH_DATES_DIFFER = "BIRTH_DATES_DIFFER"
    COUNTRIES_DIFFER = "COUNTRIES_DIFFER"
    TOO_MANY_IDENTIFIERS = "TOO_MANY_IDENTIFIERS"
    BRIDGE = "BRIDGE"


@strawberry.type(description="One reason, with what was found (names, counts, countries).")
class ReviewReason:
    code: ReviewReasonCode
    detail: str


@strawberry.type(
    description="An identifier that alone holds the person together: without it, it splits."
)
class BridgeIdentifier:
    type: str
    value: str = strawberry.field(description="A display form of the value.")


@strawberry.type(description="A person whose records disagree, too large, or held by a bridge.")
class SuspiciousPerson:
    person_id: strawberry.ID
    score: float = strawberry.field(description="0 to 1: the reasons' weights, combined.")
    reasons: list[ReviewReason]
    bridges: list[BridgeIdentifier]
    reviewed_at: datetime | None = strawberry.field(description="When it was last computed.")

    @classmethod
    def of(cls, e: review.ReviewEntry) -> SuspiciousPerson:
        return cls(
            person_id=strawberry.ID(e.person),
            score=e.score,
            reasons=[
                ReviewReason(code=ReviewReasonCode(r.code), detail=r.detail) for r in e.reasons
            ],
            bridges=[BridgeIdentifier(type=b.type, value=b.value) for b in e.bridges],
            reviewed_at=parse_time(e.reviewed_at),
        )

    @strawberry.field
    async def person(self, info: Info) -> PersonRef | None:
        from service.api.types.person import Person

        view = await info.context.loaders.persons.load(str(self.person_id))
        return Person.of(view) if view is not None else None


@strawberry.type(description="One page of the review list, highest score first.")
class SuspiciousPersonPage:
    nodes: list[SuspiciousPerson]
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")
    has_next_page: bool


@strawberry.type
class ReviewQuery:
    @strawberry.field(
        description=(
            "Persons to review (records that disagree, size guards, bridge identifiers), "
            "highest score first, as stored: computed when the data changes. "
            "Scope `steward`."
        )
    )
    async def suspicious_persons(
        self, info: Info, first: int = 50, after: str | None = None
    ) -> SuspiciousPersonPage:
        info.context.require("steward")
        page = await review.suspicious_persons(info.context.graph, first=first, after=after)
        return SuspiciousPersonPage(
            nodes=[SuspiciousPerson.of(e) for e in page.entries],
            end_cursor=page.end_cursor,
            has_next_page=page.has_next_page,
        )


@strawberry.type(description="A dismissed entry: off the list until the person's review changes.")
class DismissedReview:
    person_id: strawberry.ID


@strawberry.type
class ReviewMutation:
    @strawberry.mutation(
        description=(
            "Take a person off the review list (it is not suspicious) until its review "
            "changes: new reasons, details or bridges. Scope `steward`."
        )
    )
    async def dismiss_review(
        self, info: Info, person: strawberry.ID, reason: str
    ) -> DismissedReview:
        info.context.require("steward")
        by = info.context.access.name
        done = await review.dismiss_review(info.context.graph, str(person), reason=reason, by=by)
        return DismissedReview(person_id=strawberry.ID(done))
