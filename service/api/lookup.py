"""The person lookup's planner: one place that decides, for a selection on ``person``,
what the one-statement lookup reads (``readmodels.PageRequest``: the person by key or
id, their identifiers, one journey page, and whether identifiers' sources and events'
``seenWith`` are needed), and how a journey page and an identifier filter are asked for.

Strawberry's resolvers (``Query.person``, ``Person.journey``, ``Person.identifiers``)
and the compiled counter lookups (``compiled.py``) both call these functions, so the two
ways of answering a lookup cannot decide differently.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from strawberry.types.nodes import convert_arguments

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLResolveInfo,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
)
from service.api.types.common import IdentifierInput, to_identifier
from service.errors import InvalidInput, LimitExceeded
from service.identity.identifiers import IdentifierRules
from service.read import models as readmodels

__all__ = [
    "SEEN_WITH",
    "SOURCES",
    "Fragments",
    "filter_identifiers",
    "journey_request",
    "page_request",
    "planned_journey",
    "prefetch_plan",
    "selects",
    "subfields",
]


def prefetch_plan(info: GraphQLResolveInfo[Any], max_page_size: int) -> readmodels.PageRequest:
    """What ``Query.person`` can fetch with the person, from the fields selected on it.

    A ``PageRequest`` without its key or id: whether ``identifiers`` is selected, and
    the ``journey`` page selected (its ``person`` left empty), built exactly as
    ``Person.journey`` builds it so that the primed DataLoader entry is the one the
    field asks for. An argument this cannot read the way strawberry will (a DateTime
    literal, a bad cursor or page size) gives no page: then the field loads its page
    itself, and reports its own error if any. Only the first ``journey`` selection is
    planned; other aliases go through the loader. Identifiers' ``sources`` and events'
    ``seenWith`` are read only when some selection asks for them (the fields reload
    what they need when another part of the document, say a second person root,
    asks for more than was read).

    ``info`` is graphql-core's: only the person's own selections are read, through
    fragments, and only ``journey``'s arguments converted (``info.selected_fields``
    converted the whole tree below, every event field included, on each lookup).
    """
    fields = list(subfields(info.fragments, info.field_nodes))
    identifiers = [f for f in fields if f.name.value == "identifiers"]
    journeys = [f for f in fields if f.name.value == "journey"]
    journey = None
    if journeys:
        arguments = convert_arguments(info, journeys[0].arguments)
        journey = planned_journey(arguments, max_page_size)
    return readmodels.PageRequest(
        identifiers=bool(identifiers),
        journey=journey,
        sources=selects(info.fragments, identifiers, SOURCES),
        seen_with=selects(info.fragments, journeys, SEEN_WITH),
    )


#: Paths below ``identifiers`` and ``journey`` that cost Neo4j extra reads.
SOURCES = ("sources",)
SEEN_WITH = ("edges", "node", "seenWith")

#: A document's fragment definitions by name.
Fragments = Mapping[str, FragmentDefinitionNode]


def subfields(
    fragments: Fragments, parents: Sequence[FieldNode | OperationDefinitionNode]
) -> Iterator[FieldNode]:
    """The fields selected on ``parents``, through inline fragments and fragment spreads."""
    pending: list[SelectionNode] = []
    for parent in parents:
        if parent.selection_set is not None:
            pending.extend(parent.selection_set.selections)
    while pending:
        node = pending.pop(0)
        if isinstance(node, FieldNode):
            yield node
        elif isinstance(node, InlineFragmentNode):
            pending[:0] = node.selection_set.selections
        elif isinstance(node, FragmentSpreadNode):
            fragment = fragments.get(node.name.value)
            if fragment is not None:
                pending[:0] = fragment.selection_set.selections


def selects(fragments: Fragments, fields: Sequence[FieldNode], path: Sequence[str]) -> bool:
    """Whether any of ``fields`` selects ``path`` below it (aliases and fragments too)."""
    level = list(fields)
    for name in path:
        level = [f for f in subfields(fragments, level) if f.name.value == name]
        if not level:
            return False
    return True


def journey_request(
    person: str,
    *,
    first: int = 20,
    after: str | None = None,
    channels: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    max_page_size: int,
) -> readmodels.JourneyRequest:
    """The page ``Person.journey`` reads; ``LimitExceeded`` for a page size out of
    bounds, ``InvalidInput`` for a cursor that does not decode."""
    if not 1 <= first <= max_page_size:
        raise LimitExceeded(f"must be between 1 and {max_page_size}", field="first")
    if after is not None:
        readmodels.decode_cursor(after)
    return readmodels.JourneyRequest(
        person=person,
        first=first,
        after=after,
        channels=tuple(channels) if channels is not None else None,
        types=tuple(types) if types is not None else None,
        since=since,
        until=until,
    )


def planned_journey(
    arguments: dict[str, Any], max_page_size: int
) -> readmodels.JourneyRequest | None:
    """The page ``Person.journey`` reads for these arguments (its ``person`` left
    empty), or None when the field would refuse them (it then reports the error)."""
    # Literals may arrive as the document spells them (strings), variables coerced.
    try:
        after = arguments.get("after")
        since, until = arguments.get("since"), arguments.get("until")
        if not (isinstance(after, str | None) and isinstance(since, datetime | None)):
            return None
        if not isinstance(until, datetime | None):
            return None
        return journey_request(
            "",
            first=int(arguments.get("first", 20)),
            after=after,
            channels=_strings(arguments.get("channels")),
            types=_strings(arguments.get("types")),
            since=since,
            until=until,
            max_page_size=max_page_size,
        )
    except (TypeError, ValueError, InvalidInput):
        return None


def filter_identifiers(
    views: Sequence[readmodels.IdentifierView], types: Iterable[str] | None
) -> list[readmodels.IdentifierView]:
    """``Person.identifiers(types:)``: the person's identifiers of those types (all
    when None), in the read model's order."""
    if types is None:
        return list(views)
    wanted = set(types)
    return [v for v in views if v.type in wanted]


def page_request(
    plan: readmodels.PageRequest,
    identifier: IdentifierInput | None,
    id: str | None,
    rules: IdentifierRules,
) -> readmodels.PageRequest:
    """``plan`` for the person ``Query.person(identifier:|id:)`` asks for: by the
    identifier's key (normalized first) or by id. Raises the typed error of a bad
    identifier or of neither/both given."""
    if (identifier is None) == (id is None):
        raise InvalidInput("give exactly one of `identifier` or `id`", field="person")
    if id is not None:
        return dataclasses.replace(plan, id=str(id))
    assert identifier is not None
    return dataclasses.replace(plan, key=to_identifier(identifier, rules).key)


def _strings(value: object) -> tuple[str, ...] | None:
    """A list argument as the resolver sees it: enum values by value, one value as a list."""
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    return tuple(str(getattr(v, "value", v)) for v in items)
