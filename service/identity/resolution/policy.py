"""Which identifiers link: the resolution policy, and the Neo4j label of each type."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from service.identity.identifiers import Identifier
from service.settings import DEFAULT_SHARED_RULES, Settings

__all__ = ["ResolutionPolicy", "label_for"]


@functools.cache
def label_for(identifier_type: str) -> str:
    """The Neo4j label of an identifier type: ``LOYALTY_CARD`` -> ``LoyaltyCard``."""
    return "".join(part.capitalize() for part in identifier_type.split("_"))


@dataclass(frozen=True, slots=True)
class ResolutionPolicy:
    """Which identifier types link, and when a value counts as shared."""

    linking_types: frozenset[str] = frozenset(
        {"EMAIL", "PHONE", "LOYALTY_CARD", "DEVICE", "CUSTOMER_ID", "PAYMENT_TOKEN"}
    )
    #: type -> {co-occurring type: the most distinct values allowed before "shared"}
    shared_rules: Mapping[str, Mapping[str, int]] = field(
        default_factory=lambda: DEFAULT_SHARED_RULES
    )

    @classmethod
    def from_settings(cls, settings: Settings) -> ResolutionPolicy:
        return cls(
            linking_types=frozenset(t.upper() for t in settings.linking_types),
            shared_rules={
                t.upper(): {o.upper(): n for o, n in limits.items()}
                for t, limits in settings.shared_rules.items()
            },
        )

    def identifier_rows(self, identifiers: Mapping[str, Identifier]) -> list[dict[str, Any]]:
        """The rows ``merge-identifiers`` (and the consent writer's twin) upsert, sorted by
        key so that concurrent writers lock in one order."""
        return [
            {
                "key": key,
                "type": ident.type,
                "value": ident.value,
                "label": label_for(ident.type),
                "display": ident.display,
                "blocked": ident.blocked,
                "linking": self.type_links(ident),
            }
            for key, ident in sorted(identifiers.items())
        ]

    def type_links(self, identifier: Identifier) -> bool:
        """Whether the identifier links on its own, before the shared rules."""
        return identifier.type in self.linking_types and identifier.blocked is None

    def links(
        self,
        identifier_type: str,
        shared_reason: str | None,
        blocked: bool,
        override: str | None = None,
    ) -> bool:
        """Whether a value links, all rules applied: a blocked value never links; then an
        operator's override ('shared': never links, 'linking': links despite the type
        and the shared rules), then the type and the shared rules.

        >>> ResolutionPolicy().links("PHONE", "seen with 7 distinct EMAIL values", False)
        False
        >>> ResolutionPolicy().links("PHONE", "seen with 7 distinct EMAIL values", False, "linking")
        True
        """
        if blocked:
            return False
        if override:
            return override == "linking"
        return identifier_type in self.linking_types and shared_reason is None

    def shared_reason(self, identifier_type: str, counts: Mapping[str, int]) -> str | None:
        """Why a value with these co-occurrence counts is shared, or None.

        >>> ResolutionPolicy().shared_reason("PHONE", {"EMAIL": 7})
        'seen with 7 distinct EMAIL values (limit 4)'
        """
        for other, limit in sorted(self.shared_rules.get(identifier_type, {}).items()):
            seen = counts.get(other, 0)
            if seen > limit:
                return f"seen with {seen} distinct {other} values (limit {limit})"
        return None
