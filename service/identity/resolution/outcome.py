"""What one resolved batch did, as its callers (ingest reports, live events) read it."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.errors import OmnidError
from service.identity.changes import Mark

__all__ = ["BatchOutcome"]


@dataclass(slots=True)
class BatchOutcome:
    """What one batch did: the person of each item and the resolution events."""

    persons: dict[str, str] = field(default_factory=dict)  # item key -> person id
    unchanged: set[str] = field(default_factory=set)  # events already stored
    created: int = 0
    merged: int = 0
    split: int = 0
    shared: list[str] = field(default_factory=list)  # identifier keys newly shared
    unshared: list[str] = field(default_factory=list)
    absorbed: dict[str, str] = field(default_factory=dict)  # merged person id -> its new id
    #: The changed-persons mark the transaction wrote (None: it changed no person).
    mark: Mark | None = None
    #: Items of the batch refused when their transaction ran, by key (an erasure that
    #: committed after they were validated left them nothing to store): their results
    #: are these errors. Carried here, not beside the ingestor, because concurrent
    #: batches share one ingestor.
    refused: dict[str, OmnidError] = field(default_factory=dict)
