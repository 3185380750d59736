"""Request bodies bounded before anything parses them (``OMNID_MAX_BODY_BYTES``).

``BodyLimit`` wraps ``/graphql`` whichever path answers it (compiled lookups or
strawberry): a POST body is counted as it arrives and nothing past the limit is kept; a
body over it is answered 413 with ``LIMIT_EXCEEDED`` (field ``body``); a body within it
is replayed to the wrapped app as one message.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import LimitExceeded, OmnidError

__all__ = ["BodyLimit", "bounded_body", "error_response", "replaying"]

#: How far past ``max_body_bytes`` a refused body is still read (and dropped).
_DRAIN_FACTOR = 4


class BodyLimit:
    """An ASGI wrapper refusing HTTP request bodies over ``limit()`` bytes."""

    def __init__(self, app: ASGIApp, limit: Callable[[], int]) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        limit = self.limit()
        body = await bounded_body(Request(scope, receive), limit)
        if body is None:
            too_large = LimitExceeded(f"is larger than {limit} bytes", field="body")
            await error_response(too_large, 413)(scope, receive, send)
            return
        await self.app(scope, replaying(body, receive), send)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` as one message, then the real ones (a
    disconnect): for an app that reads a body someone already read."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def bounded_body(request: Request, limit: int) -> bytes | None:
    """The request body, or ``None`` once it is known to exceed ``limit`` bytes.

    The body is counted as it arrives (a ``Content-Length`` is not trusted) and nothing
    past the limit is kept, so a huge body never sits in memory. The rest of a body a
    little over the limit is read and dropped before the 413 goes out: a client still
    sending when the connection closes sees a reset instead of the answer. A body that
    declares far more than that is refused at once.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > _DRAIN_FACTOR * limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _DRAIN_FACTOR * limit:
            return None
        if size <= limit:
            chunks.append(chunk)
    return b"".join(chunks) if size <= limit else None


def error_response(error: OmnidError, status: int) -> Response:
    """An error refused before GraphQL runs, in the GraphQL-over-HTTP error shape."""
    extensions: dict[str, object] = {"code": error.code}
    field = getattr(error, "field", None)
    if field:
        extensions["field"] = field
    body = {"errors": [{"message": error.message, "extensions": extensions}]}
    return JSONResponse(body, status_code=status, headers={"connection": "close"})
