"""The demo dataset: deterministic, valid, with the seeds' stories and honest ground truth,
and good enough resolution on it against the real Neo4j."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from devtools.demo import STORY_CUSTOMERS, Dataset, generate, story_items, write_jsonl
from devtools.quality import (
    email_only_partition,
    false_merges,
    pairwise_scores,
    partition_diff,
    reference_partition,
)
from service.identity.contract import item_key, parse_item
from service.identity.ingest import Ingestor
from service.store.graph import Graph


def _key(item: dict[str, object]) -> str:
    return item_key(str(item["kind"]), str(item["source"]), str(item["id"]))


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return generate(customers=60)


def test_same_seed_same_dataset(dataset: Dataset) -> None:
    again = generate(customers=60)
    assert again.items == dataset.items
    assert again.truth == dataset.truth
    other = generate(customers=60, seed=8)
    assert other.items != dataset.items


def test_start_moves_the_period() -> None:
    later = generate(customers=5, start=datetime(2027, 3, 1, tzinfo=UTC))
    times = [str(i["at"]) for i in later.items if i["kind"] == "event"]
    assert max(times) >= "2027-03"


def test_every_item_parses_and_keys_are_unique(dataset: Dataset) -> None:
    keys = [parse_item(item).key for item in dataset.items]
    assert len(keys) == len(set(keys))
    assert keys == [_key(item) for item in dataset.items]


def test_truth_covers_every_item(dataset: Dataset) -> None:
    assert set(dataset.truth) == {_key(item) for item in dataset.items}
    counts = dataset.counts()
    assert counts["customers"] == 60 + len(STORY_CUSTOMERS)
    assert counts["records"] + counts["events"] == counts["items"] == len(dataset.items)
    events: dict[str, int] = dict.fromkeys(dataset.truth.values(), 0)
    for item in dataset.items:
        if item["kind"] == "event":
            events[dataset.truth[_key(item)]] += 1
    assert min(events.values()) >= 3 and max(events.values()) <= 15


def test_arrival_is_mostly_by_time_with_some_late(dataset: Dataset) -> None:
    times = [str(i["at"]) for i in dataset.items if i["kind"] == "event"]
    late = sum(1 for a, b in itertools.pairwise(times) if b < a)
    assert 0 < late < len(times) * 0.2


def test_the_stories_are_present(dataset: Dataset) -> None:
    stories = story_items()
    assert {dataset.truth[_key(i)] for i in stories} == set(STORY_CUSTOMERS)
    default = generate(customers=0)
    assert default.items == stories  # generate() with no synthetic customers: the stories
    sofa = [parse_item(i) for i in stories if default.truth[_key(i)] == "sofa-buyer"]
    keys = {ident.key for item in sofa for ident in item.identifiers}
    assert sum(1 for k in keys if k.startswith("EMAIL:")) == 3
    assert [k for k in keys if k.startswith("PHONE:")] == ["PHONE:+34600123456"]
    assert sum(1 for k in keys if k.startswith("ADDRESS:")) == 2
    channels = {item.channel for item in sofa if item.kind == "event"}
    assert {"EMAIL", "STORE", "WEB"} <= channels
    abroad = [i for i in stories if i["attributes"].get("merchant_country") == "PT"]
    assert [i["channel"] for i in abroad] == ["PAYMENT"]
    assert {x["type"] for x in abroad[0]["identifiers"]} == {"PAYMENT_TOKEN", "PHONE"}
    # Every story is in the synthetic datasets too, with the same ids.
    assert {_key(i) for i in stories} <= set(dataset.truth)


def test_the_noise_is_there(dataset: Dataset) -> None:
    spellings: dict[str, set[str]] = {}
    blocked = 0
    for raw in dataset.items:
        item = parse_item(raw)
        for entry, ident in zip(raw["identifiers"], item.identifiers, strict=False):
            if isinstance(entry["value"], str):
                spellings.setdefault(ident.key, set()).add(entry["value"])
            blocked += ident.blocked is not None
    assert blocked > 0
    variants = [k for k, v in spellings.items() if len(v) > 1]
    assert any(k.startswith("EMAIL:") for k in variants)
    assert any(k.startswith("PHONE:") for k in variants)
    # The store's phone, typed at the till for many customers.
    owners: dict[str, set[str]] = {}
    for raw in dataset.items:
        for ident in parse_item(raw).identifiers:
            owners.setdefault(ident.key, set()).add(dataset.truth[_key(raw)])
    store_phones = {k for k, v in owners.items() if k.startswith("PHONE:") and len(v) >= 5}
    assert store_phones


def test_write_jsonl(tmp_path: Path) -> None:
    data = generate(customers=3)
    write_jsonl(data, tmp_path / "items.jsonl", tmp_path / "truth.jsonl")
    lines = (tmp_path / "items.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == data.items
    truth = [json.loads(line) for line in (tmp_path / "truth.jsonl").read_text().splitlines()]
    assert {t["item"]: t["customer"] for t in truth} == data.truth


def test_scores_count_pairs() -> None:
    truth = {"a": "ana", "b": "ana", "c": "ana", "d": "bob"}
    perfect = pairwise_scores({"a": "1", "b": "1", "c": "1", "d": "2"}, truth)
    assert (perfect.precision, perfect.recall, perfect.f1) == (1.0, 1.0, 1.0)
    glued = pairwise_scores({"a": "1", "b": "1", "c": "1", "d": "1"}, truth)
    assert (glued.true_positive_pairs, glued.predicted_pairs, glued.recall) == (3, 6, 1.0)
    assert glued.precision == 0.5
    split = pairwise_scores({"a": "1", "b": "1", "c": "2"}, truth)  # d unplaced
    assert (split.recall, split.precision, split.unplaced) == (1 / 3, 1.0, 1)
    assert false_merges({"a": "1", "d": "1", "b": "2"}, truth) == [("1", {"ana": 1, "bob": 1})]
    assert partition_diff({"a": "x", "b": "x"}, {"a": "1", "b": "1"}) == 0
    assert partition_diff({"a": "x", "b": "y"}, {"a": "1", "b": "1"}) == 2


def test_email_only_baseline_merges_on_email_alone() -> None:
    items = story_items()
    truth = generate(customers=0).truth
    email = email_only_partition(items)
    assert set(email) == set(truth)
    scores = pairwise_scores(email, truth)
    assert scores.precision == 1.0
    assert scores.recall < pairwise_scores(reference_partition(items), truth).recall


async def test_resolution_quality_on_demo_data(graph: Graph, dataset: Dataset) -> None:
    report = await Ingestor(graph).ingest(dataset.items)
    assert not report.errors
    rows = await graph.query("item-partition")
    # Only the demo's items: the test server may be shared with other sessions.
    resolved = {r["key"]: r["person"] for r in rows if r["key"] in dataset.truth}
    assert None not in resolved.values()
    assert set(resolved) == set(dataset.truth)
    scores = pairwise_scores(resolved, dataset.truth)
    assert scores.precision >= 0.99, false_merges(resolved, dataset.truth)
    assert scores.recall >= 0.9
    assert partition_diff(resolved, reference_partition(dataset.items)) == 0
    # Each story is one person.
    for story in STORY_CUSTOMERS:
        persons = {resolved[k] for k, c in dataset.truth.items() if c == story}
        assert len(persons) == 1, story
