"""Counter lookups answered without graphql-core's executor: operations compiled by text.

A store's screen, an e-shop page or a call-center desktop sends the same ``person``
operation over and over, and graphql-core spent more CPU on each one (building the
execution context, resolving some sixty fields one by one, completing every value
through its type) than Neo4j and the driver together (bench/README.md). An operation
that reads persons through ``person`` only, and on them only what the one-statement
lookup ``person-pages`` returns (``id``, ``mergedFrom``, ``splitFrom``, ``identifiers``,
``journey``), is compiled once, by its text, into a ``Plan``: its selections flattened
(fragments expanded, fields of one response key merged), each field turned into a
small writer. At run time the plan coerces the variables and arguments with
graphql-core, reads every root's page in one ``readmodels.person_pages`` call, builds
the same strawberry objects the resolvers build (``Person.of``, ``PersonIdentifier.of``,
``EventConnection.of``) and writes the response directly, serializing leaves with the
schema's own scalar and enum types: the answer graphql-core gives, for a fraction of
the CPU.

The plan never reports an error itself: it steps aside (``StepAside``) and the request
goes through strawberry as it always has, errors included. It steps aside for a document
it does not cover (compiled as None: a mutation, another root field, ``records`` or
``channels``, a directive, two ``journey`` selections on one person), variables that do
not coerce, a caller without the ``read`` scope, an identifier that does not normalize,
an ambiguous identifier, a journey argument out of bounds, or a null where the schema
promises a value.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from operator import attrgetter
from typing import TYPE_CHECKING, Any, cast

from graphql.error import GraphQLError
from graphql.execution.values import VariableValues, get_variable_values
from graphql.language.visitor import BREAK
from graphql.validation import ASTValidationRule, specified_rules
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.types.field import StrawberryField

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    Undefined,
    Visitor,
    get_argument_values,
    get_operation_ast,
    visit,
)
from service.api.auth import authenticate, key_from_headers
from service.api.documents import Documents
from service.api.limits import replaying
from service.api.lookup import (
    SEEN_WITH,
    SOURCES,
    Fragments,
    filter_identifiers,
    page_request,
    planned_journey,
    selects,
    subfields,
)
from service.api.types.common import AddressInput, IdentifierInput, IdentifierType
from service.api.types.person import EventConnection, Person, PersonIdentifier
from service.errors import AmbiguousIdentifier, OmnidError
from service.identity.identifiers import IdentifierRules
from service.read import models as readmodels

if TYPE_CHECKING:
    from service.api.schema import Schema

__all__ = ["Endpoint", "Lookup", "Plan", "Plans", "StepAside", "compile_operation"]

log = logging.getLogger("omnid")

#: The key strawberry stores its own definition under in a GraphQL field's extensions.
_DEFINITION = "strawberry-definition"

#: What the plan needs of the request besides its variables.
Variables = VariableValues


class StepAside(Exception):
    """The plan does not answer this request; strawberry does."""


class _Unsupported(Exception):
    """The document uses something the plan does not cover (compiled as None)."""


@dataclass(frozen=True, slots=True)
class _Field:
    """One response key: the field's name and every node of that key (their selections
    merge, as graphql-core merges them; the first one's arguments stand for all, which
    validation checked are the same)."""

    key: str
    name: str
    nodes: tuple[FieldNode, ...]

    @property
    def node(self) -> FieldNode:
        return self.nodes[0]


def _collect(
    fragments: Fragments, parents: Sequence[FieldNode | OperationDefinitionNode]
) -> list[_Field]:
    """The fields selected on ``parents`` by response key, in document order, through
    fragments (as graphql-core's ``collect_fields`` does for object types: validation
    already checked the type conditions and that fields of one key can merge)."""
    found: dict[str, list[FieldNode]] = {}
    for node in subfields(fragments, parents):
        found.setdefault(node.alias.value if node.alias else node.name.value, []).append(node)
    return [_Field(key, nodes[0].name.value, tuple(nodes)) for key, nodes in found.items()]


class _Directives(Visitor):
    """Finds whether a document uses a directive anywhere (plans take none)."""

    found = False

    def enter_directive(self, *_: object) -> object:
        self.found = True
        return BREAK


Writer = Callable[[Any], Any]


def _leaf(type_: GraphQLScalarType | GraphQLEnumType) -> Writer:
    serialize = type_.serialize

    def write(value: Any) -> Any:
        out = serialize(value)
        if out is None or out is Undefined:
            raise StepAside  # graphql-core reports it as an error
        return out

    return write


class _Compiler:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }

    def fields(self, parents: Sequence[FieldNode | OperationDefinitionNode]) -> list[_Field]:
        return _collect(self.fragments, parents)

    def value(self, type_: GraphQLOutputType, nodes: Sequence[FieldNode]) -> Writer:
        """A writer completing a value of ``type_`` selected by ``nodes`` as
        graphql-core's ``complete_value`` does."""
        if isinstance(type_, GraphQLNonNull):
            inner = self.value(type_.of_type, nodes)

            def non_null(value: Any) -> Any:
                if value is None:
                    raise StepAside  # a null in a non-null field: graphql-core's error
                return inner(value)

            return non_null
        if isinstance(type_, GraphQLList):
            item = self.value(type_.of_type, nodes)

            def list_(value: Any) -> Any:
                return None if value is None else [item(v) for v in value]

            return list_
        if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
            leaf = _leaf(type_)
            return lambda value: None if value is None else leaf(value)
        if isinstance(type_, GraphQLObjectType):
            obj = self.object(type_, self.fields(nodes))
            return lambda value: None if value is None else obj(value)
        raise _Unsupported(f"type {type_}")

    def field(self, type_: GraphQLObjectType, f: _Field) -> Writer:
        """A writer of one plain field (an attribute, or a resolver that takes nothing
        but the object) of a strawberry object of ``type_``."""
        if f.name == "__typename":
            name = type_.name
            return lambda _source: name
        field_def = type_.fields[f.name]
        read = _reader(field_def)
        complete = self.value(field_def.type, f.nodes)
        return lambda source: complete(read(source))

    def object(self, type_: GraphQLObjectType, fields: Sequence[_Field]) -> Writer:
        writers = [(f.key, self.field(type_, f)) for f in fields]

        def write(source: Any) -> dict[str, Any]:
            return {key: w(source) for key, w in writers}

        return write


def _reader(field_def: GraphQLField) -> Callable[[Any], Any]:
    """How strawberry reads a field without arguments from its object."""
    field = (field_def.extensions or {}).get(_DEFINITION)
    if field_def.args or not isinstance(field, StrawberryField) or field.extensions:
        raise _Unsupported("a field with arguments or extensions")
    if getattr(field, "permission_classes", None):
        raise _Unsupported("permissions")
    resolver = field.base_resolver
    if resolver is None:
        if field.python_name is None or field.default_resolver is not getattr:
            raise _Unsupported("a custom default resolver")
        return attrgetter(field.python_name)
    if resolver.is_async or resolver.arguments or resolver.info_parameter is not None:
        raise _Unsupported("a resolver taking arguments or info, or async")
    func = cast(Callable[[Any], Any], resolver.wrapped_func)
    return func


@dataclass(frozen=True, slots=True)
class _Root:
    """One ``person`` root field: how to build its page request and write its answer."""

    node: FieldNode
    field_def: GraphQLField
    base: readmodels.PageRequest  # what is selected (identifiers, sources, seenWith)
    journey_def: GraphQLField | None
    journey_node: FieldNode | None
    person: Callable[[readmodels.PersonPage, Variables], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Lookup:
    """What a plan needs of the service: how to read person pages (the service's
    shared ``Coalescer``, or ``readmodels.person_pages`` bound to a graph), how
    identifiers normalize, and the largest journey page."""

    pages: Callable[
        [Sequence[readmodels.PageRequest]],
        Awaitable[Sequence[readmodels.PersonPage | AmbiguousIdentifier | None]],
    ]
    rules: IdentifierRules
    max_page_size: int


class Plan:
    """A compiled ``person`` operation; ``run`` answers it or raises ``StepAside``."""

    def __init__(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        roots: list[tuple[str, _Root | None]],
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.roots = roots  # (response key, root); None: __typename

    async def run(self, lookup: Lookup, variables: dict[str, Any] | None) -> dict[str, Any]:
        """``{"data": ...}`` as strawberry would answer it; the caller holds ``read``."""
        coerced = get_variable_values(
            self.schema, self.operation.variable_definitions or (), variables or {}
        )
        if isinstance(coerced, list):
            raise StepAside  # graphql-core reports the variables' errors
        requests: list[readmodels.PageRequest] = []
        for _, root in self.roots:
            if root is not None:
                requests.append(self._request(root, coerced, lookup))
        unique = list(dict.fromkeys(requests))
        pages = await lookup.pages(unique) if unique else []
        by_request = dict(zip(unique, pages, strict=True))
        data: dict[str, Any] = {}
        index = 0
        for key, root in self.roots:
            if root is None:
                data[key] = "Query"
                continue
            page = by_request[requests[index]]
            index += 1
            if isinstance(page, OmnidError):
                raise StepAside  # the ambiguous identifier's error
            data[key] = None if page is None else root.person(page, coerced)
        return {"data": data}

    def _request(self, root: _Root, variables: Variables, lookup: Lookup) -> readmodels.PageRequest:
        args = get_argument_values(root.field_def, root.node, variables)
        identifier = _identifier_input(args.get("identifier"))
        journey = None
        if root.journey_def is not None and root.journey_node is not None:
            journey = planned_journey(
                get_argument_values(root.journey_def, root.journey_node, variables),
                lookup.max_page_size,
            )
            if journey is None:
                raise StepAside  # the field reports its own argument error
        plan = replace(root.base, journey=journey)
        try:
            return page_request(plan, identifier, args.get("id"), lookup.rules)
        except OmnidError:
            raise StepAside from None


def _identifier_input(value: dict[str, Any] | None) -> IdentifierInput | None:
    """graphql-core's coerced input as the object strawberry hands the resolver."""
    if value is None:
        return None
    address = value.get("address")
    return IdentifierInput(
        type=IdentifierType(value["type"]),
        value=value.get("value"),
        address=AddressInput(**address) if address is not None else None,
        country=value.get("country"),
    )


def _person_writer(
    compiler: _Compiler, person_type: GraphQLObjectType, fields: list[_Field]
) -> tuple[
    Callable[[readmodels.PersonPage, Variables], dict[str, Any]],
    readmodels.PageRequest,
    _Field | None,
]:
    """How to write a person from its page, what the page must read, and the journey."""
    writers: list[tuple[str, _PersonWriter]] = []
    journeys = [f for f in fields if f.name == "journey"]
    if len(journeys) > 1:
        raise _Unsupported("two journey pages on one person")
    identifiers = [f for f in fields if f.name == "identifiers"]
    sources = seen_with = False
    for f in fields:
        if f.name in ("identifiers", "journey"):
            field_def = person_type.fields[f.name]
            complete = compiler.value(field_def.type, f.nodes)
            if f.name == "identifiers":
                sources = sources or selects(compiler.fragments, f.nodes, SOURCES)
                writers.append((f.key, _identifiers_writer(field_def, f, complete)))
            else:
                seen_with = selects(compiler.fragments, f.nodes, SEEN_WITH)
                writers.append((f.key, _journey_writer(complete)))
        elif f.name in ("id", "mergedFrom", "splitFrom", "__typename"):
            writers.append((f.key, _plain_writer(compiler.field(person_type, f))))
        else:
            raise _Unsupported(f"Person.{f.name} is not in the one-statement lookup")

    def write(page: readmodels.PersonPage, variables: Variables) -> dict[str, Any]:
        person = Person.of(page.person)
        return {key: w(page, person, variables) for key, w in writers}

    base = readmodels.PageRequest(
        identifiers=bool(identifiers), sources=sources, seen_with=seen_with
    )
    return write, base, journeys[0] if journeys else None


_PersonWriter = Callable[[readmodels.PersonPage, Person, Variables], Any]


def _plain_writer(write: Writer) -> _PersonWriter:
    return lambda _page, person, _variables: write(person)


def _journey_writer(complete: Writer) -> _PersonWriter:
    def write(page: readmodels.PersonPage, _person: Person, _variables: Variables) -> Any:
        assert page.journey is not None  # the request planned it
        return complete(EventConnection.of(page.journey))

    return write


def _identifiers_writer(field_def: GraphQLField, f: _Field, complete: Writer) -> _PersonWriter:
    def write(page: readmodels.PersonPage, _person: Person, variables: Variables) -> Any:
        types = get_argument_values(field_def, f.node, variables).get("types")
        wanted = [IdentifierType(t).value for t in types] if types is not None else None
        views = filter_identifiers(page.identifiers or [], wanted)
        return complete([PersonIdentifier.of(v) for v in views])

    return write


def compile_operation(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> Plan | None:
    """The plan of a *valid* document's operation, or None when it is not covered."""
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation != OperationType.QUERY:
        return None
    directives = _Directives()
    visit(document, directives)
    if directives.found:
        return None
    query_type = schema.query_type
    person_type = schema.get_type("Person")
    if query_type is None or not isinstance(person_type, GraphQLObjectType):
        return None
    compiler = _Compiler(schema, document)
    roots: list[tuple[str, _Root | None]] = []
    try:
        for f in compiler.fields([operation]):
            if f.name == "__typename":
                roots.append((f.key, None))
                continue
            if f.name != "person":
                return None
            write, base, journey = _person_writer(compiler, person_type, compiler.fields(f.nodes))
            roots.append(
                (
                    f.key,
                    _Root(
                        node=f.node,
                        field_def=query_type.fields["person"],
                        base=base,
                        journey_def=person_type.fields["journey"] if journey else None,
                        journey_node=journey.node if journey else None,
                        person=write,
                    ),
                )
            )
    except _Unsupported:
        return None
    return Plan(schema, operation, roots)


class Plans:
    """Plans by (operation text, operation name), compiled on first sight (LRU, bounded).

    Parsing and validation go through the schema's own ``Documents`` with the rules the
    general path applies (so the limits on depth, tokens and aliases hold here too): an
    invalid document gets no plan, and strawberry reports its errors.
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        documents: Documents,
        rules: Sequence[type[ASTValidationRule]],
        maxsize: int = 512,
    ) -> None:
        self.schema = schema
        self.documents = documents
        self.rules = tuple(rules)
        #: The plan of (text, operation name), None when not covered.
        self.get = lru_cache(maxsize=maxsize)(self._compile)
        #: Requests answered by a plan (tests read it).
        self.answered = 0

    @classmethod
    def for_schema(cls, schema: Schema) -> Plans:
        """Plans with the schema's own document cache and validation rules."""
        documents = schema.documents
        return cls(schema._schema, documents, (*specified_rules, *documents.rules))

    def _compile(self, text: str, operation_name: str | None) -> Plan | None:
        try:
            document = self.documents.parse(text)
        except GraphQLError:
            return None
        if self.documents.validate(self.schema, text, document, self.rules):
            return None
        return compile_operation(self.schema, document, operation_name)


class Endpoint:
    """``/graphql``: a JSON POST whose operation has a compiled plan (a counter lookup,
    service/api/compiled.py) is answered here, without graphql-core's executor;
    everything else (GET, GraphiQL, websockets, mutations, other queries, and any
    request the plan steps aside from, errors included) goes to strawberry as it is."""

    def __init__(
        self,
        view: ASGIApp,
        plans: Plans,
        context: Callable[[], tuple[Lookup, Mapping[str, Sequence[str]]]],
    ) -> None:
        self.view = view
        self.plans = plans
        #: The service's lookup and API keys, read per request (set once it started).
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.view(scope, receive, send)
            return
        request = Request(scope, receive)
        body = await request.body()
        response = await self._answer(request, body, self.plans)
        if response is not None:
            await response(scope, receive, send)
            return
        await self.view(scope, replaying(body, receive), send)  # strawberry reads it again

    async def _answer(self, request: Request, body: bytes, plans: Plans) -> Response | None:
        headers = request.headers
        if headers.get("content-type", "").partition(";")[0].strip().lower() != (
            "application/json"
        ):
            return None
        accept = headers.get("accept", "")
        if "multipart/mixed" in accept or "text/event-stream" in accept:
            return None  # incremental delivery and streams are strawberry's
        try:
            payload = json.loads(body)
        except ValueError:
            return None
        if not isinstance(payload, dict) or not _PLAIN_REQUEST.issuperset(payload):
            return None
        query, variables = payload.get("query"), payload.get("variables")
        name = payload.get("operationName")
        if not isinstance(query, str) or not isinstance(name, str | None):
            return None
        if not isinstance(variables, dict | None):
            return None
        plan = plans.get(query, name)
        if plan is None:
            return None
        lookup, api_keys = self.context()
        try:
            authenticate(key_from_headers(headers), api_keys).require("read")
            result = await plan.run(lookup, variables)
        except (StepAside, OmnidError):
            return None
        except Exception as exc:
            # A bug of the plan must not become a 500: strawberry answers instead (and
            # masks its own errors). Only the type: a message may quote a value.
            log.error("compiled lookup failed (%s); answered by strawberry", type(exc).__name__)
            return None
        plans.answered += 1
        return Response(json.dumps(result, separators=(",", ":")), media_type="application/json")


#: The members of a GraphQL-over-HTTP request body a plan answers; any other
#: (``extensions``) goes to strawberry.
_PLAIN_REQUEST = frozenset({"query", "variables", "operationName"})
