"""Suppression: an erased customer's identifiers, kept only as keyed hashes.

After an erasure the identifiers it deleted are remembered as
``HMAC-SHA256(OMNID_SUPPRESSION_SECRET, "TYPE:normalized value")`` (hex), never as
values: the hash lets a later item be recognized without the graph holding anything
that reads back as the customer. Items that carry a suppressed identifier lose it before
resolution, so a nightly import does not bring the customer back::

    record {EMAIL ana@… (suppressed), ADDRESS …}  ->  SUPPRESSED (no linking identifier left)
    record {EMAIL ana@… (suppressed), PHONE …}    ->  the record with the PHONE only

An item left without any identifier that links on its own is refused whole with a
``SUPPRESSED`` result: a record holding only a household address and the erased
customer's name would bring their data back without their identifiers.
"""

from __future__ import annotations

import dataclasses
import hmac
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from service.errors import OmnidError, Suppressed
from service.identity.contract import Consent, Item
from service.identity.identifiers import Identifier
from service.settings import Settings
from service.store.graph import Graph

__all__ = ["Suppression"]

#: Identifier keys whose hashes are remembered (a window of a bulk import, and more).
_CACHE_SIZE = 200_000


class Suppression:
    """The suppressed hashes, and the filter every ingest path applies.

    ``hashes`` is the set in force in this process: ``refresh`` brings it up to date
    with the graph for the price of one cheap read when nothing changed (the count of
    hashes and the latest one's time), reading only the hashes added since when
    erasures added some, and the whole list otherwise. ``generation`` moves whenever
    ``hashes`` changes, so that a bulk import can tell items filtered by an older list.
    """

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()
        self.hashes: frozenset[str] = frozenset()
        self.generation = 0
        self._count: int | None = None
        self._latest: Any = None
        self._cache: dict[str, str] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> Suppression:
        return cls(settings.suppression_secret.get_secret_value())

    def hash(self, key: str) -> str:
        """The keyed hash of an identifier key (``TYPE:normalized value``). Remembered
        for a while: a bulk import checks each item again as it writes it."""
        hashed = self._cache.get(key)
        if hashed is None:
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            hashed = self._cache[key] = hmac.digest(self._secret, key.encode(), "sha256").hex()
        return hashed

    async def refresh(self, graph: Graph) -> None:
        """Bring the hashes up to date with the graph."""
        seen = await graph.query("suppression-version")
        count, latest = int(seen["count"]), (seen["latest"] or [None])[0]
        if (count, latest) == (self._count, self._latest):
            return
        hashes: frozenset[str] | None = None
        if self._count is not None and self._latest is not None and count > self._count:
            added = await graph.query("suppressed-since", at=self._latest) or []
            if len(added) == count - self._count:
                hashes = self.hashes | frozenset(added)
        if hashes is None:
            hashes = frozenset(await graph.query("suppressed-hashes") or [])
        self._set(hashes)
        self._count, self._latest = count, latest

    def changed(self, *, added: Iterable[str] = (), removed: Iterable[str] = ()) -> None:
        """This process changed the list: apply the change at once (the next
        ``refresh`` reads the graph's count and time again, and reloads what it must)."""
        self._set((self.hashes | frozenset(added)) - frozenset(removed))
        # What was remembered of the graph no longer describes these hashes: were the
        # graph to come back to it (the hashes deleted beside us), refresh must not
        # take it for "nothing changed".
        self._count = self._latest = None

    def _set(self, hashes: frozenset[str]) -> None:
        if hashes != self.hashes:
            self.hashes = hashes
            self.generation += 1

    def suppressed(self, identifier: Identifier) -> bool:
        return bool(self.hashes) and self.hash(identifier.key) in self.hashes

    def filter_items(
        self, parsed: Sequence[Item | OmnidError], links: Callable[[Identifier], bool]
    ) -> list[Item | OmnidError]:
        """``parsed`` with suppressed identifiers dropped; an item left with no identifier
        that ``links`` becomes a ``Suppressed`` error."""
        if not self.hashes:
            return list(parsed)
        return [self.filter_item(p, links) if isinstance(p, Item) else p for p in parsed]

    def filter_item(self, item: Item, links: Callable[[Identifier], bool]) -> Item | OmnidError:
        """``item`` without its suppressed identifiers, or ``Suppressed`` when none that
        ``links`` is left."""
        kept = self._kept(item.identifiers)
        if len(kept) == len(item.identifiers):
            return item
        if not any(links(i) for i in kept):
            return _suppressed(item.kind)
        return dataclasses.replace(item, identifiers=kept)

    def filter_consent(self, consent: Consent) -> Consent | OmnidError:
        """A consent loses suppressed identifiers; with none left it is ``Suppressed``."""
        kept = self._kept(consent.identifiers)
        if len(kept) == len(consent.identifiers):
            return consent
        if not kept:
            return _suppressed("consent")
        return dataclasses.replace(consent, identifiers=kept)

    def _kept(self, identifiers: Iterable[Identifier]) -> tuple[Identifier, ...]:
        return tuple(i for i in identifiers if not self.suppressed(i))


def _suppressed(kind: str) -> Suppressed:
    return Suppressed(
        f"this {kind} carries only identifiers erased on request; it was not stored",
        field="identifiers",
    )
