"""The GraphQL schema: queries, mutations and the live subscription, with abuse limits.

``schema`` is built with default settings, for ``strawberry export-schema``;
``build_schema(settings)`` applies the configured limits. The SDL does not depend on
settings, so the exported file is the same either way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator, Callable
from typing import Any

import strawberry
from graphql.error import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from service.api.context import Context
from service.api.documents import DocumentCache, Documents
from service.api.errors import ClientErrors, log_unexpected
from service.api.execution import Executor
from service.api.lookup import page_request, prefetch_plan
from service.api.types.common import Channel, IdentifierInput, to_identifier
from service.api.types.corrections import CorrectionsMutation, CorrectionsQuery
from service.api.types.ingest import (
    EventInput,
    ItemResult,
    RecordInput,
    RecordRef,
    event_to_contract,
    record_to_contract,
)
from service.api.types.matches import MatchMutation
from service.api.types.person import Event, Explanation, Person
from service.api.types.privacy import Consent, PrivacyMutation, PrivacyQuery, consents_for
from service.api.types.review import ReviewMutation, ReviewQuery
from service.api.types.segments import SegmentMutation, SegmentQuery, SegmentSubscription
from service.errors import LimitExceeded, NotFound
from service.read import models as readmodels
from service.settings import Settings, load_settings

__all__ = [
    "LiveEvent",
    "Mutation",
    "Query",
    "Schema",
    "Subscription",
    "build_schema",
    "schema",
]

Info = strawberry.Info[Context, None]


@strawberry.type
class Query(PrivacyQuery):
    @strawberry.field(
        description=(
            "The person an identifier (normalized first) or a person id points at; null "
            "if none. Ids of merged persons still answer. An identifier attached to "
            "several persons (a household address, a shared phone) is an "
            "AMBIGUOUS_IDENTIFIER error: use `persons`."
        )
    )
    async def person(
        self, info: Info, identifier: IdentifierInput | None = None, id: strawberry.ID | None = None
    ) -> Person | None:
        info.context.require("read")
        loaders = info.context.loaders
        # Look ahead: the person, their identifiers and the journey page selected come
        # in one statement, primed into the loaders the fields read from.
        # (graphql-core's info: strawberry's converts every selection below on access)
        plan = prefetch_plan(info._raw_info, info.context.settings.max_page_size)
        request = page_request(plan, identifier, id, info.context.ingestor.rules)
        journey = plan.journey
        page = await loaders.pages.load(request)
        if page is None:
            return None
        person = page.person.id
        if page.identifiers is not None:
            loaders.identifiers.prime(person, page.identifiers)
        if page.journey is not None and journey is not None:
            loaders.journeys.prime(dataclasses.replace(journey, person=person), page.journey)
        return Person.of(page.person)

    @strawberry.field(description="Every person an identifier is attached to.")
    async def persons(self, info: Info, identifier: IdentifierInput) -> list[Person]:
        info.context.require("read")
        value = to_identifier(identifier, info.context.ingestor.rules)
        views = await readmodels.persons_for_identifier(info.context.graph, value)
        return [Person.of(v) for v in views]

    @strawberry.field(
        description=(
            "Why two identifiers belong to one person: the shortest chain of identifiers "
            "and the records/events linking them; null when they are not one person."
        )
    )
    async def explain(
        self, info: Info, a: IdentifierInput, b: IdentifierInput
    ) -> Explanation | None:
        info.context.require("read")
        rules = info.context.ingestor.rules
        view = await readmodels.explain(
            info.context.graph, to_identifier(a, rules), to_identifier(b, rules)
        )
        if view is None:
            return None
        person = await info.context.loaders.persons.load(view.person)
        assert person is not None
        return Explanation.of(view, person)


async def _ingest(info: Info, items: list[dict[str, Any]]) -> list[ItemResult]:
    """The write path every mutation shares: scope, batch limit, per-item results."""
    info.context.require("write")
    limit = info.context.settings.max_batch_size
    if len(items) > limit:
        raise LimitExceeded(f"has {len(items)} items; the most per call is {limit}", field="items")
    report = await info.context.ingestor.ingest_batch(items)
    return [ItemResult.of(r) for r in report.results]


@strawberry.type
class Mutation(PrivacyMutation):
    @strawberry.mutation(
        description=(
            "Upsert records (each replaces what its source sent before). One result per "
            "item, in order; a bad item gets an error and the rest still go in."
        )
    )
    async def upsert_records(self, info: Info, items: list[RecordInput]) -> list[ItemResult]:
        return await _ingest(info, [record_to_contract(i) for i in items])

    @strawberry.mutation(
        description="Record events (immutable: re-sending one changes nothing). Per-item results."
    )
    async def record_events(self, info: Info, items: list[EventInput]) -> list[ItemResult]:
        return await _ingest(info, [event_to_contract(i) for i in items])

    @strawberry.mutation(
        description="Correct a record by removing one identifier from it; may split a person."
    )
    async def remove_identifier(
        self, info: Info, record: RecordRef, identifier: IdentifierInput
    ) -> ItemResult:
        info.context.require("write")
        value = to_identifier(identifier, info.context.ingestor.rules)
        result = await info.context.ingestor.remove_identifier(record.source, record.id, value)
        return ItemResult.of(result)


@strawberry.type(description="An event as it is committed, with the person it resolved to.")
class LiveEvent:
    event: Event
    person: Person

    @strawberry.field(
        description=(
            "The person's effective consents when the event was delivered (as "
            "`person.consents`): enough to decide on an SMS without a second call."
        )
    )
    async def consents(self, info: Info) -> list[Consent]:
        return await consents_for(info, str(self.person.id), False)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description=(
            "Every new event, with its resolved person, as soon as its write commits. "
            "Filter by event types and channels."
        )
    )
    async def journey_events(
        self,
        info: Info,
        types: list[str] | None = None,
        channels: list[Channel] | None = None,
    ) -> AsyncGenerator[LiveEvent, None]:
        info.context.require("read")
        wanted = [c.value for c in channels] if channels is not None else None
        async for live in info.context.broker.subscribe(types=types, channels=wanted):
            item = live.item
            assert item.at is not None and item.channel is not None and item.type is not None
            view = readmodels.JourneyEvent(
                key=item.key,
                source=item.source,
                source_id=item.id,
                channel=item.channel,
                type=item.type,
                at=item.at,
                attributes=item.attributes,
                identifiers=tuple((i.type, i.value) for i in item.identifiers),
            )
            person = await readmodels.persons_by_ids(info.context.graph, [live.person_id])
            if person[0] is None:
                raise NotFound("the event's person is gone")
            info.context.fresh_loaders()
            yield LiveEvent(event=Event.of(view), person=Person.of(person[0]))


class Schema(strawberry.Schema):
    """omnid's schema: strawberry's, with its compiled lookups and error logging."""

    #: The parsed and validated documents by text, with the validation rules (set by
    #: build_schema; compiled lookups share them).
    documents: Documents

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_unexpected(errors)


def build_schema(settings: Settings) -> Schema:
    # Validation rules are built once: the limiters would otherwise mint new rule
    # classes on every request.
    rules = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]
    if not settings.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    # Front ends send the same few operations over and over: parsing and validating
    # them again each time cost more than the lookup itself. One cache for the schema;
    # strawberry builds fresh extensions (from these factories) for every request.
    documents = Documents(rules, max_tokens=settings.max_query_tokens)
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        lambda: DocumentCache(documents),
        ClientErrors,
    ]
    built = Schema(
        query=merge_types("Query", (Query, SegmentQuery, CorrectionsQuery, ReviewQuery)),
        mutation=merge_types(
            "Mutation",
            (Mutation, SegmentMutation, CorrectionsMutation, ReviewMutation, MatchMutation),
        ),
        subscription=merge_types("Subscription", (Subscription, SegmentSubscription)),
        extensions=extensions,
        execution_context_class=Executor,
    )
    built.documents = documents
    return built


schema = build_schema(load_settings({}))
