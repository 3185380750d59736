"""API keys and scopes.

A key travels in ``Authorization: Bearer <key>`` or ``X-API-Key: <key>`` (HTTP), or in
the ``connection_init`` payload ``{"apiKey": "<key>"}`` (subscriptions). Keys and their
scopes come from settings (``OMNID_API_KEYS``). ``admin`` implies ``write``, which implies
``read``. Keys are compared in constant time and never logged.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence

from service.errors import Forbidden, Unauthenticated

__all__ = ["SCOPES", "Access", "authenticate", "key_from_headers"]

SCOPES = ("read", "write", "admin")
_IMPLIED = {"admin": {"admin", "write", "read"}, "write": {"write", "read"}, "read": {"read"}}


class Access:
    """The scopes the caller holds; ``require`` raises the typed error clients see."""

    def __init__(self, scopes: frozenset[str] | None) -> None:
        self.scopes = scopes  # None: no valid key was presented

    @property
    def authenticated(self) -> bool:
        return self.scopes is not None

    def require(self, scope: str) -> None:
        if self.scopes is None:
            raise Unauthenticated("an API key is required (Authorization: Bearer <key>)")
        if scope not in self.scopes:
            raise Forbidden(f"this API key lacks the '{scope}' scope", scope=scope)


def key_from_headers(headers: Mapping[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return headers.get("x-api-key") or None


def authenticate(key: str | None, keys: Mapping[str, Sequence[str]]) -> Access:
    """Match ``key`` against the configured keys; unknown or missing keys hold no scope."""
    if not key:
        return Access(None)
    # Every known key is compared, match or not, so the time taken does not tell which
    # configured key (or how many) came before the one presented.
    matched: Sequence[str] | None = None
    presented = key.encode()
    for known, scopes in keys.items():
        if hmac.compare_digest(known.encode(), presented):
            matched = scopes
    if matched is None:
        return Access(None)
    granted: set[str] = set()
    for scope in matched:
        granted |= _IMPLIED.get(scope, set())
    return Access(frozenset(granted))
