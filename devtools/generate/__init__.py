"""One data generator for the demo, the benchmarks and the tests: customers with ground
truth, in the input contract (``service.identity.contract``), in arrival order.

    dataset = generate(Shape(customers=300))          # the demo dataset (the default)
    dataset = generate(Shape(customers=20_000, events=(1, 13), activity=1.0, resend=0.3))
    dataset = generate_items(1_000_000, Shape(stories=False))  # sized by items

:class:`Shape` holds the size and shape (customers, events per customer and how unevenly
they spread, households, family tablets, store phones typed at the till, junk rates,
re-sent records, seed); the same shape always gives the same dataset, so figures are
comparable between runs. The modules, in the order a dataset is made:

    catalog      countries, stores, domains, products, junk values
    builder      random state, values handed out, new values and their spellings
    stories      the seeds' named customers (stable ids, whatever the seed)
    population   synthetic customers in households (Faker)
    activity     each customer's records and events
    conflicts    seeded conflicts (a shared family email, a recycled phone), optional
    dataset      the result, and JSON Lines output

Items arrive mostly by time, a few events late (POS uploads, call centre batches), the
legacy POS records loaded during the period and re-sent records later.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta
from typing import Any

from devtools.generate.activity import add_customer_items
from devtools.generate.builder import Builder, Timed
from devtools.generate.catalog import LOCALES, check_junk
from devtools.generate.conflicts import Conflict, add_conflicts
from devtools.generate.dataset import Dataset, write_jsonl
from devtools.generate.population import customers
from devtools.generate.shape import DEFAULT_SEED, DEFAULT_START, Shape
from devtools.generate.stories import STORY_CUSTOMERS, add_stories
from service.errors import InvalidInput
from service.identity.contract import item_key

__all__ = [
    "DEFAULT_SEED",
    "DEFAULT_START",
    "LOCALES",
    "STORY_CUSTOMERS",
    "Conflict",
    "Dataset",
    "Shape",
    "generate",
    "generate_items",
    "story_items",
    "write_jsonl",
]


def generate(shape: Shape | None = None) -> Dataset:
    """The dataset of ``shape`` (default: the demo's), deterministic per shape."""
    shape = shape or Shape()
    check_junk()  # the junk must stay junk for the identifier layer, or the truth lies
    b = Builder(shape.seed, shape.period_start)
    if shape.stories:
        add_stories(b)
    stories = len(b.out)
    people = customers(b, shape)
    for customer in people:
        add_customer_items(b, customer, shape)
    if shape.resend:
        _resend(b, shape, b.out[stories:])
    seeded = add_conflicts(b, people, shape.conflicts, shape.seed) if shape.conflicts else []
    return _dataset(b, seeded)


def generate_items(items: int, shape: Shape | None = None) -> Dataset:
    """About ``items`` items of ``shape``: as many customers as that takes (``shape.
    customers`` is ignored), the first ``items`` by arrival kept (the truth with them)."""
    if items < 1:
        raise InvalidInput("must be 1 or more", field="items")
    shape = shape or Shape()
    probe = generate(_with(shape, customers=200, stories=False))
    per_customer = len(probe.items) / 200
    count = max(1, math.ceil(items / per_customer * 1.03))
    while True:
        dataset = generate(_with(shape, customers=count))
        if len(dataset.items) >= items:
            break
        count = math.ceil(count * 1.1)
    kept = dataset.items[:items]
    return Dataset(kept, {key: dataset.truth[key] for key in _keys(kept)})


def story_items() -> list[dict[str, Any]]:
    """Only the seeds' named stories, in arrival order (the period of ``generate()``)."""
    return generate(Shape(customers=0)).items


def _with(shape: Shape, *, customers: int, stories: bool | None = None) -> Shape:
    return replace(
        shape, customers=customers, stories=shape.stories if stories is None else stories
    )


def _keys(items: list[dict[str, Any]]) -> list[str]:
    return [item_key(i["kind"], i["source"], str(i["id"])) for i in items]


def _resend(b: Builder, shape: Shape, made: list[Timed]) -> None:
    """Some records again, later, with the same identifiers and their next version."""
    for timed in [t for t in made if t.item["kind"] == "record"]:
        if b.rng.random() >= shape.resend:
            continue
        later = timed.arrival + timedelta(days=b.rng.uniform(1, 60))
        attributes = {**timed.item["attributes"], "version": 2}
        b.out.append(
            Timed(later, timed.key, {**timed.item, "attributes": attributes}, timed.customer)
        )


def _dataset(b: Builder, conflicts: list[Conflict] | None = None) -> Dataset:
    ordered = sorted(b.out)
    return Dataset(
        items=[t.item for t in ordered],
        truth={t.key: t.customer for t in ordered},
        conflicts=conflicts or [],
    )
