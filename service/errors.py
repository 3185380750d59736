"""Every error omnid raises on purpose, under one root.

    OmnidError                  code
    ├── InvalidInput            INVALID_INPUT         an item or argument breaks the contract
    │   ├── InvalidIdentifier   INVALID_IDENTIFIER    a value cannot be normalized
    │   ├── LimitExceeded       LIMIT_EXCEEDED        a batch, page or value is too large
    │   ├── InvalidRule         INVALID_RULE          a segment rule does not parse (names the path)
    │   ├── SegmentExists       SEGMENT_EXISTS        a segment of that name is already defined
    │   ├── InvalidWebhook      INVALID_WEBHOOK       a webhook target's URL or host is refused
    │   ├── NotAvailable        NOT_AVAILABLE         a feature this version cannot serve yet
    │   ├── AlreadySeparate     ALREADY_SEPARATE      a separation's two sides are not one person
    │   └── NotSeparable        NOT_SEPARABLE         no cut of identifiers parts the two sides
    ├── NotFound                NOT_FOUND             no person, record or identifier answers
    ├── Suppressed              SUPPRESSED            every identifier of an item was erased
    ├── AmbiguousIdentifier     AMBIGUOUS_IDENTIFIER  a non-linking identifier has many persons
    ├── AccessDenied
    │   ├── Unauthenticated     UNAUTHENTICATED       no or unknown API key
    │   └── Forbidden           FORBIDDEN             the key lacks the scope
    ├── GraphError
    │   ├── GraphUnavailable    GRAPH_UNAVAILABLE     Neo4j cannot be reached
    │   └── ResolutionConflict  RESOLUTION_CONFLICT   writers kept colliding past the retries
    └── CypherError
        ├── UnknownStatement    UNKNOWN_STATEMENT     a named statement is not in cypher/
        └── CypherFileError     CYPHER_FILE           a .cypher file is malformed (file:line)

Each error carries a class-level ``code`` (stable, machine-readable: it is what GraphQL
clients see in ``extensions.code`` and what the CLI prints) and keyword ``details``.
Messages never contain personal data: identifier values are masked with ``mask``.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AccessDenied",
    "AlreadySeparate",
    "AmbiguousIdentifier",
    "CypherError",
    "CypherFileError",
    "Forbidden",
    "GraphError",
    "GraphUnavailable",
    "InvalidIdentifier",
    "InvalidInput",
    "InvalidRule",
    "InvalidWebhook",
    "LimitExceeded",
    "NotAvailable",
    "NotFound",
    "NotSeparable",
    "OmnidError",
    "ResolutionConflict",
    "SegmentExists",
    "Suppressed",
    "Unauthenticated",
    "UnknownStatement",
    "mask",
]


def mask(value: object, keep: int = 2) -> str:
    """Hide a personal value for messages and logs, keeping its shape.

    >>> mask("ana.silva@example.com")
    'an***(21)'
    """
    text = str(value)
    if len(text) <= keep:
        return "***"
    return f"{text[:keep]}***({len(text)})"


class OmnidError(Exception):
    """Raised for any failure omnid anticipates; never for programming errors."""

    code: ClassVar[str] = "OMNID_ERROR"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.details}


class InvalidInput(OmnidError):
    """Raised when an item or argument breaks the input contract; names the field."""

    code = "INVALID_INPUT"

    def __init__(self, message: str, *, field: str, **details: Any) -> None:
        super().__init__(f"{field}: {message}", field=field, **details)
        self.field = field


class InvalidIdentifier(InvalidInput):
    """Raised when a value cannot be normalized for its identifier type."""

    code = "INVALID_IDENTIFIER"

    def __init__(
        self, reason: str, *, type: str, value: object, field: str = "value", **details: Any
    ) -> None:
        super().__init__(
            f"{type} {mask(value)} {reason}", field=field, type=type, reason=reason, **details
        )
        self.type = type
        self.reason = reason


class LimitExceeded(InvalidInput):
    """Raised when a batch, page or value is larger than the configured limit."""

    code = "LIMIT_EXCEEDED"


class InvalidRule(InvalidInput):
    """Raised when a segment definition breaks the rule language; ``field`` is the path
    in the definition (``rule.all[1].within``)."""

    code = "INVALID_RULE"


class SegmentExists(InvalidInput):
    """Raised when a segment is defined under a name already taken (without replace)."""

    code = "SEGMENT_EXISTS"


class InvalidWebhook(InvalidInput):
    """Raised when a webhook target is not http(s) or its host is not allowed."""

    code = "INVALID_WEBHOOK"


class NotAvailable(InvalidInput):
    """Raised when input asks for something this version cannot serve yet."""

    code = "NOT_AVAILABLE"


class AlreadySeparate(InvalidInput):
    """Raised when an operator separates two records or identifiers that are not one
    person (nothing to cut)."""

    code = "ALREADY_SEPARATE"


class NotSeparable(InvalidInput):
    """Raised when no set of identifiers parts two members of a person: one carries the
    other (a record and its own email), or they are the same member."""

    code = "NOT_SEPARABLE"


class NotFound(OmnidError):
    """Raised when no person, record or identifier answers a lookup; ``field`` names the
    argument that named it, when there are several (a correction's ``a`` and ``b``)."""

    code = "NOT_FOUND"

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        if field is not None:
            details["field"] = field
        super().__init__(message, **details)
        self.field = field


class Suppressed(OmnidError):
    """Raised for an item whose identifiers were all erased on request (suppressed)."""

    code = "SUPPRESSED"


class AmbiguousIdentifier(OmnidError):
    """Raised when an identifier that does not link is attached to several persons."""

    code = "AMBIGUOUS_IDENTIFIER"


class AccessDenied(OmnidError):
    """Root of authentication and authorization failures."""

    code = "ACCESS_DENIED"


class Unauthenticated(AccessDenied):
    """Raised when a request carries no API key, or one omnid does not know."""

    code = "UNAUTHENTICATED"


class Forbidden(AccessDenied):
    """Raised when the API key lacks the scope the operation needs."""

    code = "FORBIDDEN"


class GraphError(OmnidError):
    """Root of failures talking to Neo4j."""

    code = "GRAPH_ERROR"


class GraphUnavailable(GraphError):
    """Raised when Neo4j cannot be reached."""

    code = "GRAPH_UNAVAILABLE"


class ResolutionConflict(GraphError):
    """Raised when concurrent writes kept colliding beyond the retry budget."""

    code = "RESOLUTION_CONFLICT"


class CypherError(OmnidError):
    """Root of problems with the named statements in cypher/."""

    code = "CYPHER_ERROR"


class UnknownStatement(CypherError):
    """Raised when code asks for a statement name that no .cypher file defines."""

    code = "UNKNOWN_STATEMENT"


class CypherFileError(CypherError):
    """Raised when a .cypher file is malformed; the message gives file:line."""

    code = "CYPHER_FILE"
