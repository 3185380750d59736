"""Read-your-writes across service instances: bookmarks over HTTP.

Behind a load balancer, a client's mutation may go to one instance and its next query
to another, which on a Neo4j cluster may read from a follower that has not applied the
write yet. Every ``/graphql`` answer carries the ``Omnid-Bookmark`` header (and a
mutation's result ``extensions.bookmark``): a token naming what the answering instance
had committed when it answered. A client that sends the token back in the same header
gets an answer that includes those writes, whichever instance serves it
(``Graph.after``). Clients that do not care send nothing and wait for nothing.

The token is opaque to clients: the driver's bookmark strings, as a JSON list in
URL-safe base64. One that does not decode, or that the database rejects, is refused
with ``INVALID_INPUT`` (field ``bookmark``) before the operation runs.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.limits import error_response
from service.errors import InvalidInput, OmnidError
from service.store.graph import Graph

__all__ = ["HEADER", "CausalConsistency", "decode", "encode"]

HEADER = "omnid-bookmark"
#: A token longer than this is not one omnid wrote (a handful of bookmarks).
_MAX_TOKEN = 4096


def encode(bookmarks: list[str]) -> str:
    """The token for ``bookmarks`` (empty: nothing to wait for)."""
    if not bookmarks:
        return ""
    return base64.urlsafe_b64encode(json.dumps(bookmarks).encode()).decode()


def decode(token: str) -> list[str]:
    """The bookmarks in a client's token; ``InvalidInput`` if it is not one."""
    token = token.strip()
    if not token:
        return []
    if len(token) > _MAX_TOKEN:
        raise InvalidInput(f"is longer than {_MAX_TOKEN} characters", field="bookmark")
    try:
        value = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError):
        raise InvalidInput("is not a bookmark token omnid gave", field="bookmark") from None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InvalidInput("is not a bookmark token omnid gave", field="bookmark")
    return value


class CausalConsistency:
    """An ASGI wrapper of ``/graphql`` (HTTP): waits for the client's bookmark before
    the operation, and adds this instance's bookmark to the answer's headers."""

    def __init__(self, app: ASGIApp, graph: Callable[[], Graph]) -> None:
        self.app = app
        self.graph = graph

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        graph = self.graph()
        token = next((v for k, v in scope["headers"] if k == HEADER.encode()), b"")
        try:
            await graph.after(decode(token.decode("latin-1")))
        except OmnidError as exc:
            await error_response(exc, 400)(scope, receive, send)
            return

        async def with_bookmark(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Sent after the operation ran: its writes are in the manager.
                mine = encode(await graph.bookmarks())
                if mine:
                    headers = [*message.get("headers", []), (HEADER.encode(), mine.encode())]
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_bookmark)
