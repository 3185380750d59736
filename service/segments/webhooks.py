"""Webhook targets (from the settings) and how a delivery is signed.

A target is ``{"name", "url", "segments": [...], "secret"}`` in ``OMNID_WEBHOOKS``;
its URL must be http(s) and its host listed in ``OMNID_WEBHOOK_ALLOWED_HOSTS``, or the
service does not start (``InvalidWebhook`` naming the target).

Each request carries::

    X-Omnid-Timestamp: 1767225600
    X-Omnid-Idempotency-Key: <the delivery id: the same on every retry>
    X-Omnid-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>

so a receiver checks the signature, refuses old timestamps (replays) and drops a
delivery it has already seen (at-least-once: a retry after a lost answer repeats it).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from service.errors import InvalidWebhook
from service.settings import Settings

__all__ = ["WebhookTarget", "sign", "signature_headers", "targets_from_settings", "verify"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    name: str
    url: str
    #: Segment names it receives; empty: every segment.
    segments: frozenset[str]
    secret: str = field(repr=False)

    def wants(self, segment: str) -> bool:
        return not self.segments or segment in self.segments


def targets_from_settings(settings: Settings) -> list[WebhookTarget]:
    return parse_targets(settings.webhooks, settings.webhook_allowed_hosts)


def parse_targets(raw: Sequence[object], allowed_hosts: Sequence[str]) -> list[WebhookTarget]:
    targets: list[WebhookTarget] = []
    allowed = {h.lower() for h in allowed_hosts}
    for index, entry in enumerate(raw):
        path = f"OMNID_WEBHOOKS[{index}]"
        if not isinstance(entry, Mapping):
            raise InvalidWebhook("must be an object with name, url, segments, secret", field=path)
        targets.append(_target(entry, path, allowed))
    names = [t.name for t in targets]
    for name in names:
        if names.count(name) > 1:
            raise InvalidWebhook("names two targets", field=f"OMNID_WEBHOOKS.{name}")
    return targets


def _target(entry: Mapping[str, Any], path: str, allowed: set[str]) -> WebhookTarget:
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidWebhook("must be a short lowercase name", field=f"{path}.name")
    url = entry.get("url")
    check_url(url, f"{path}.url", allowed)
    assert isinstance(url, str)
    segments = entry.get("segments", [])
    if not isinstance(segments, list) or not all(isinstance(s, str) for s in segments):
        raise InvalidWebhook("must be a list of segment names", field=f"{path}.segments")
    secret = entry.get("secret")
    if not isinstance(secret, str) or len(secret) < 16:
        raise InvalidWebhook("must be a string of at least 16 characters", field=f"{path}.secret")
    return WebhookTarget(name, url, frozenset(segments), secret)


def check_url(url: object, field: str, allowed: set[str]) -> None:
    """Raise ``InvalidWebhook`` unless ``url`` is http(s) to an allowed host."""
    if not isinstance(url, str):
        raise InvalidWebhook("must be a URL", field=field)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise InvalidWebhook("must be an http or https URL", field=field)
    host = (parts.hostname or "").lower()
    if not host:
        raise InvalidWebhook("has no host", field=field)
    if parts.username or parts.password:
        raise InvalidWebhook("must not carry credentials (use the secret)", field=field)
    if host not in allowed:
        raise InvalidWebhook(
            "its host is not in OMNID_WEBHOOK_ALLOWED_HOSTS", field=field, host=host
        )


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does (tests use it): recompute and compare in constant time."""
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


def signature_headers(
    target: WebhookTarget, delivery_id: str, body: bytes, timestamp: int
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Omnid-Timestamp": str(timestamp),
        "X-Omnid-Idempotency-Key": delivery_id,
        "X-Omnid-Signature": sign(target.secret, timestamp, body),
    }
