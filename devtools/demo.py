"""The demo dataset: the seeds' stories plus synthetic customers, seeded.

``generate(customers=300, seed=7)`` is :func:`devtools.generate.generate` with the
demo's shape (the default :class:`~devtools.generate.Shape`): records and events in the
input contract, in arrival order, and the ground truth (which real customer each item
belongs to). ``omnid serve`` loads :func:`demo_items` into an empty graph through the
``omnid.demo`` entry point, and ``omnid demo`` loads any size of it; both need Faker
(the ``demo`` extra): without it, importing this module raises ImportError.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from devtools.generate import (
    DEFAULT_SEED,
    DEFAULT_START,
    LOCALES,
    STORY_CUSTOMERS,
    Dataset,
    Shape,
    story_items,
    write_jsonl,
)
from devtools.generate import generate as generate_shape

__all__ = [
    "DEFAULT_SEED",
    "DEFAULT_START",
    "LOCALES",
    "STORY_CUSTOMERS",
    "Dataset",
    "demo_items",
    "generate",
    "story_items",
    "write_jsonl",
]


def demo_items() -> list[dict[str, Any]]:
    """The default demo dataset's items: what ``omnid serve`` loads into an empty graph
    (the ``omnid.demo`` entry point)."""
    return generate().items


def generate(
    customers: int = 300, *, seed: int = DEFAULT_SEED, start: datetime | None = None
) -> Dataset:
    """The seeds' stories plus ``customers`` synthetic customers, deterministic per seed.

    ``start`` is the first day of the simulated period (default :data:`DEFAULT_START`);
    events run for about six months after it, legacy records go back years before it.
    """
    return generate_shape(Shape(customers=customers, seed=seed, start=start))


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m devtools.demo --customers 300 items.jsonl truth.jsonl``"""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("items", type=Path)
    parser.add_argument("truth", type=Path, nargs="?")
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    dataset = generate(args.customers, seed=args.seed)
    write_jsonl(dataset, args.items, args.truth)
    print(json.dumps(dataset.counts()))


if __name__ == "__main__":
    main()
