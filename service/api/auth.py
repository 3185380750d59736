"""API keys and scopes.

A key travels in ``Authorization: Bearer <key>`` or ``X-API-Key: <key>`` (HTTP), or in
the ``connection_init`` payload ``{"apiKey": "<key>"}`` (subscriptions). Keys and their
scopes come from settings (``OMNID_API_KEYS``). ``admin`` implies ``write``, which implies
``read``, and ``privacy`` (erasure, suppression, subject export), which implies nothing:
a privacy officer's key need not read or write the graph. ``steward`` (operator
corrections, overrides, the review lists, possible matches) implies ``read``: a data
steward must see the persons they correct; ``admin`` implies it too. Keys are compared in constant
time and never logged; a key is named by a fingerprint (``key-`` and the first 12 hex
digits of its SHA-256), what erasure receipts record as who asked.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence

from service.errors import Forbidden, Unauthenticated

__all__ = ["SCOPES", "Access", "authenticate", "key_from_headers", "key_name"]

SCOPES = ("read", "write", "privacy", "steward", "admin")
_IMPLIED = {
    "admin": {"admin", "write", "read", "privacy", "steward"},
    "write": {"write", "read"},
    "read": {"read"},
    "privacy": {"privacy"},
    "steward": {"steward", "read"},
}


class Access:
    """The scopes the caller holds; ``require`` raises the typed error clients see."""

    def __init__(self, scopes: frozenset[str] | None, name: str = "") -> None:
        self.scopes = scopes  # None: no valid key was presented
        self.name = name  # the key's fingerprint (key_name)

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
    name = ""
    presented = key.encode()
    for known, scopes in keys.items():
        if hmac.compare_digest(known.encode(), presented):
            matched, name = scopes, key_name(known)
    if matched is None:
        return Access(None)
    granted: set[str] = set()
    for scope in matched:
        granted |= _IMPLIED.get(scope, set())
    return Access(frozenset(granted), name)


def key_name(key: str) -> str:
    """A name for a key that does not reveal it: ``key-`` + 12 hex digits of its SHA-256."""
    return "key-" + hashlib.sha256(key.encode()).hexdigest()[:12]
