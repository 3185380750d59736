"""A generated dataset: the items, and the real customer behind each."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Dataset", "write_jsonl"]


@dataclass
class Dataset:
    """Items in the input contract and the real customer behind each one."""

    #: Records and events, input-contract dicts, in arrival order.
    items: list[dict[str, Any]]
    #: Item key (``service.identity.contract.item_key``) -> real customer id.
    truth: dict[str, str]
    #: Seeded conflicts (``Shape.conflicts``): which real customers were glued on
    #: purpose (``devtools.generate.conflicts.Conflict``).
    conflicts: list[Any] = field(default_factory=list)

    @property
    def customers(self) -> int:
        """Real customers in the ground truth."""
        return len(set(self.truth.values()))

    def counts(self) -> dict[str, int]:
        """Items, records, events and real customers."""
        records = sum(1 for i in self.items if i["kind"] == "record")
        return {
            "items": len(self.items),
            "records": records,
            "events": len(self.items) - records,
            "customers": self.customers,
        }


def write_jsonl(dataset: Dataset, items_path: Path, truth_path: Path | None = None) -> None:
    """Write the items as JSON Lines; the truth as JSON Lines ``{"item", "customer"}``."""
    with Path(items_path).open("w", encoding="utf-8") as out:
        for item in dataset.items:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    if truth_path is not None:
        with Path(truth_path).open("w", encoding="utf-8") as out:
            for key, customer in dataset.truth.items():
                out.write(json.dumps({"item": key, "customer": customer}) + "\n")
