"""Field execution with a short path for plain scalar and enum fields.

graphql-core executes every field the same way: a resolve-info tuple of 16 members,
the field's resolver (for a strawberry field without a resolver, a wrapper around
``getattr``), an awaitable check, then ``complete_value`` walking the type (non-null,
list, leaf) before the scalar or enum serializes the value. A counter lookup selects
about 60 fields and most are plain attributes (``at``, ``channel``, ``type`` of each
event), so that machinery was a fifth of the service's CPU per lookup.

For a field whose value is a plain attribute of a scalar or enum type, ``Executor``
reads the attribute and serializes it directly: the same answer graphql-core gives.
Anything else (a field with a resolver or arguments, an object or list type, a null or
an error, middleware) goes through graphql-core's own path, which also produces every
error exactly as before: the short path never reports an error itself, it steps aside.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast
from weakref import WeakKeyDictionary

from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField

from graphql import (
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    is_leaf_type,
)

__all__ = ["Executor"]

#: The key strawberry stores its own definition under in a GraphQL field's extensions.
_DEFINITION = "strawberry-definition"


@dataclass(frozen=True, slots=True)
class _Leaf:
    """How to read one plain scalar or enum field."""

    attribute: str
    leaf: GraphQLLeafType
    non_null: bool


#: Plans per schema, then per (parent type, field name); None: not a plain leaf.
_PLANS: WeakKeyDictionary[GraphQLSchema, dict[tuple[GraphQLObjectType, str], _Leaf | None]] = (
    WeakKeyDictionary()
)


def _plan(parent_type: GraphQLObjectType, field_name: str) -> _Leaf | None:
    """The short path for ``parent_type.field_name``, or None when it must not be taken."""
    field_def = parent_type.fields.get(field_name)
    if field_def is None or field_def.args:
        return None
    field = (field_def.extensions or {}).get(_DEFINITION)
    # Only a field strawberry itself resolves with getattr: no resolver, no field
    # extensions (permissions), the default resolver, and strawberry's plain wrapper
    # (it installs another one when exception handlers apply to the field).
    if not isinstance(field, StrawberryField) or not field.is_basic_field:
        return None
    if field.default_resolver is not getattr or field.python_name is None:
        return None
    if getattr(field_def.resolve, "__name__", None) != "_get_basic_result":
        return None
    type_ = field_def.type
    non_null = isinstance(type_, GraphQLNonNull)
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if not is_leaf_type(inner):
        return None
    return _Leaf(attribute=field.python_name, leaf=inner, non_null=non_null)


class Executor(StrawberryGraphQLCoreExecutionContext):
    """strawberry's executor, with plain scalar and enum fields read directly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plans = _PLANS.get(self.schema)
        if plans is None:
            plans = _PLANS[self.schema] = {}
        self._leaf_plans = plans
        middleware = self.middleware_manager
        self._short_path = middleware is None or not middleware.middlewares

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        if self._short_path:
            plans = self._leaf_plans
            field_name = field_details_list[0].node.name.value
            key = (parent_type, field_name)
            try:
                plan = plans[key]
            except KeyError:
                plan = plans[key] = _plan(parent_type, field_name)
            if plan is not None:
                value = getattr(source, plan.attribute, Undefined)
                if value is None:
                    if not plan.non_null:
                        return None
                elif value is not Undefined and not isinstance(value, Exception):
                    try:
                        coerced = plan.leaf.coerce_output_value(value)
                    except Exception:  # graphql-core reports it, with its location
                        coerced = None
                    if coerced is not None and coerced is not Undefined:
                        return coerced
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def build_per_event_executor(self, payload: Any) -> Executor:
        # graphql-core (3.3.2) copies the subscription's executor for each event, and the
        # copy shared the memo of collected subfields, keyed by the identity of field
        # lists that each event collects anew: every event of a subscription that lasts
        # for hours added entries that were never read again (the soak's service grew
        # ~7 MiB a minute with one subscriber). Each event is an execution of its own.
        executor = cast(Executor, super().build_per_event_executor(payload))
        executor._relevant_sub_fields = {}
        return executor
