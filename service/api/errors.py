"""How errors reach GraphQL clients.

An ``OmnidError`` keeps its message (already free of personal data) and gets its code in
``extensions.code``; GraphQL's own validation errors get ``GRAPHQL_VALIDATION_FAILED``;
anything else is a bug: its message and stack are replaced by "Internal error" with
code ``INTERNAL``, and logged server-side without the request's variables.
"""

from __future__ import annotations

import logging

from graphql.error import GraphQLError
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.extensions import MaskErrors

from service.errors import OmnidError

__all__ = ["ClientErrors", "log_unexpected"]

log = logging.getLogger("omnid")


def _origin(error: GraphQLError) -> BaseException | None:
    original = error.original_error
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error
    return original


class ClientErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(error_message="Internal error")

    def _process_result(self, result: object) -> None:
        # strawberry checks ``isinstance(result, <runtime Protocol>)`` first, which
        # inspects the protocol's members on every request, errors or not
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        out = []
        for error in errors:
            origin = _origin(error)
            if isinstance(origin, OmnidError):
                extensions = {"code": origin.code}
                field = getattr(origin, "field", None)
                if field:
                    extensions["field"] = field
                out.append(
                    GraphQLError(
                        origin.message,
                        nodes=error.nodes,
                        source=error.source,
                        positions=error.positions,
                        path=error.path,
                        extensions=extensions,
                    )
                )
            elif isinstance(origin, StrawberryInputCoercionError):
                # a variable that is not a valid scalar (a DateTime that is not one):
                # graphql-core's message quotes the value, which may be personal
                out.append(
                    GraphQLError(
                        "a variable or argument has an invalid value (not shown)",
                        nodes=error.nodes,
                        source=error.source,
                        positions=error.positions,
                        path=error.path,
                        extensions={"code": "INVALID_INPUT"},
                    )
                )
            elif origin is None:
                code = (error.extensions or {}).get("code", "GRAPHQL_VALIDATION_FAILED")
                error.extensions = {**(error.extensions or {}), "code": code}
                out.append(error)
            else:
                log.error(
                    "unexpected %s in a resolver at %s",
                    type(origin).__name__,
                    error.path,
                    exc_info=(type(origin), origin, origin.__traceback__),
                )
                masked = self.anonymise_error(error)
                masked.extensions = {"code": "INTERNAL"}
                out.append(masked)
        return out


def log_unexpected(errors: list[GraphQLError]) -> None:
    """Log only errors that are bugs; clients' mistakes and ``OmnidError`` are not."""
    for error in errors:
        origin = _origin(error)
        if origin is None or isinstance(origin, OmnidError):
            continue
        if (error.extensions or {}).get("code") == "INTERNAL":
            continue  # ClientErrors logged it already, with its traceback
        log.error(
            "unexpected %s at %s",
            type(origin).__name__,
            error.path,
            exc_info=(type(origin), origin, origin.__traceback__),
        )
