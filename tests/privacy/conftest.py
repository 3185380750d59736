"""Helpers for the privacy tests: an ingestor with consents and suppression."""

from __future__ import annotations

from typing import Any

import pytest

from service.privacy.ingest import PrivacyIngestor
from service.store.graph import Graph


@pytest.fixture
def ingestor(graph: Graph) -> PrivacyIngestor:
    return PrivacyIngestor(graph)


def record(
    source: str, id: str, *identifiers: tuple[str, Any], **attributes: Any
) -> dict[str, Any]:
    return {
        "kind": "record",
        "source": source,
        "id": id,
        "country": "ES",
        "identifiers": [{"type": t, "value": v} for t, v in identifiers],
        "attributes": attributes,
    }


def event(source: str, id: str, at: str, *identifiers: tuple[str, Any]) -> dict[str, Any]:
    return {
        "kind": "event",
        "source": source,
        "id": id,
        "channel": "STORE",
        "type": "purchase",
        "at": at,
        "country": "ES",
        "identifiers": [{"type": t, "value": v} for t, v in identifiers],
    }


def consent(
    id: str,
    at: str,
    *identifiers: tuple[str, Any],
    purpose: str = "marketing",
    channel: str = "EMAIL",
    status: str = "granted",
    source: str = "newsletter",
    **evidence: Any,
) -> dict[str, Any]:
    return {
        "kind": "consent",
        "source": source,
        "id": id,
        "purpose": purpose,
        "channel": channel,
        "status": status,
        "at": at,
        "country": "ES",
        "identifiers": [{"type": t, "value": v} for t, v in identifiers],
        "evidence": evidence,
    }
