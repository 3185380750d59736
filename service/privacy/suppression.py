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

from service.errors import OmnidError, Suppressed
from service.identity.contract import Consent, Item
from service.identity.identifiers import Identifier
from service.settings import Settings
from service.store.graph import Graph

__all__ = ["Suppression"]


class Suppression:
    """The suppressed hashes, and the filter every ingest path applies.

    ``hashes`` is the set in force in this process: ``refresh`` reloads it when another
    process (or this one) changed the list, which a version counter in the graph tells
    with one cheap read.
    """

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()
        self.hashes: frozenset[str] = frozenset()
        self._version: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Suppression:
        return cls(settings.suppression_secret.get_secret_value())

    def hash(self, key: str) -> str:
        """The keyed hash of an identifier key (``TYPE:normalized value``)."""
        return hmac.digest(self._secret, key.encode(), "sha256").hex()

    async def refresh(self, graph: Graph) -> None:
        """Reload the hashes if the list changed since the last load."""
        version = int(await graph.query("suppression-version") or 0)
        if version != self._version:
            hashes = await graph.query("suppressed-hashes") or []
            self.hashes = frozenset(hashes)
            self._version = version

    def changed(
        self, version: int, *, added: Iterable[str] = (), removed: Iterable[str] = ()
    ) -> None:
        """This process moved the list to ``version``: apply the change in place when the
        list it holds is the one just before (else the next ``refresh`` reloads it all;
        reloading after every erasure made each one read the whole list)."""
        if self._version is not None and version == self._version + 1:
            self.hashes = (self.hashes | frozenset(added)) - frozenset(removed)
            self._version = version

    def suppressed(self, identifier: Identifier) -> bool:
        return bool(self.hashes) and self.hash(identifier.key) in self.hashes

    def filter_items(
        self, parsed: Sequence[Item | OmnidError], links: Callable[[Identifier], bool]
    ) -> list[Item | OmnidError]:
        """``parsed`` with suppressed identifiers dropped; an item left with no identifier
        that ``links`` becomes a ``Suppressed`` error."""
        if not self.hashes:
            return list(parsed)
        return [self._filter_item(p, links) if isinstance(p, Item) else p for p in parsed]

    def _filter_item(self, item: Item, links: Callable[[Identifier], bool]) -> Item | OmnidError:
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
