"""Subject access: everything omnid holds about a person, as one JSON document.

{"format": "omnid.export/1", "exportedAt": "...", "person": {"id": ..., ...},
 "identifiers": [{"type", "value", "display": [...], "sources": [...], ...}],
 "records": [...], "events": [...],
 "consents": {"effective": [...], "history": [...]},
 "merges": [{"id", "at"}], "split": {"from", "at"} | null}
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from service.errors import NotFound
from service.privacy.consents import ConsentView, consents_of
from service.read.models import persons_by_ids
from service.store.graph import Graph

__all__ = ["EXPORT_FORMAT", "export_person"]

EXPORT_FORMAT = "omnid.export/1"


async def export_person(graph: Graph, person_id: str) -> dict[str, Any]:
    """The export document of a person (an id or an alias of it); ``NotFound`` if none."""
    found = (await persons_by_ids(graph, [person_id]))[0]
    if found is None:
        raise NotFound("no person has this id")
    pid = found.id
    person = await graph.query("export-person", id=pid)
    if person is None:
        raise NotFound("no person has this id")
    identifiers = await graph.query("export-identifiers", id=pid)
    items = await graph.query("export-items", id=pid)
    consents = (await consents_of(graph, [pid]))[0]
    return {
        "format": EXPORT_FORMAT,
        "exportedAt": datetime.now(UTC).isoformat(),
        "person": {"id": pid, "createdAt": person["createdAt"]},
        "identifiers": [
            {
                "type": x["type"],
                "value": x["value"],
                "display": list(x["display"] or []),
                "sources": sorted(x["sources"]),
                "linking": bool(x["linking"]),
                "shared": bool(x["shared"]),
                "blocked": x["blocked"],
                "firstSeen": x["firstSeen"],
            }
            for x in identifiers
        ],
        "records": [_record(n) for n in items if not n["event"]],
        "events": [_event(n) for n in items if n["event"]],
        "consents": {
            "effective": [_consent(c) for c in consents.effective()],
            "history": [_consent(c) for c in consents.history],
        },
        "merges": sorted(person["merges"], key=lambda m: (m["at"] or "", m["id"])),
        "mergedFrom": list(person["mergedFrom"] or []),
        "split": (
            {"from": person["splitFrom"], "at": person["splitAt"]} if person["splitFrom"] else None
        ),
    }


def _record(n: dict[str, Any]) -> dict[str, Any]:
    return {
        "source": n["source"],
        "id": n["id"],
        "attributes": json.loads(n["attributes"] or "{}"),
        "country": n["country"],
        "identifiers": sorted(n["identifiers"]),
        "firstSeen": n["firstSeen"],
        "updatedAt": n["updatedAt"],
    }


def _event(n: dict[str, Any]) -> dict[str, Any]:
    return {
        "source": n["source"],
        "id": n["id"],
        "channel": n["channel"],
        "type": n["type"],
        "at": n["at"],
        "attributes": json.loads(n["attributes"] or "{}"),
        "country": n["country"],
        "identifiers": sorted(n["identifiers"]),
        "receivedAt": n["receivedAt"],
    }


def _consent(c: ConsentView) -> dict[str, Any]:
    return {
        "source": c.source,
        "id": c.id,
        "purpose": c.purpose,
        "channel": c.channel,
        "status": c.status,
        "at": c.at.isoformat(),
        "evidence": c.evidence,
        "through": list(c.through),
    }
