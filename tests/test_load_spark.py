"""``omnid load --initial --engine spark`` writes the import files the in-process engine
writes (issue 28).

The same input goes through the initial load twice, up to the CSV files for neo4j-admin
(``csv_only``): once resolved in this process (Polars, SciPy), once on a local Spark
(``service.load.spark``). The resolved frames must be equal but for the person ids
(generated), and so must every CSV file once each person id is replaced by its members:
identifier flags (blocked, shared with its reason, linking), raw forms, items,
relationships, the partition. The input is ``test_initial_load``'s (shared phones, a
store number, a blocked email, versions of a record and of an event) plus a long chain
of records, which the connected-components rounds need several passes to close.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

import polars as pl

from service.load.engine import Engine, InProcess
from service.load.export import ARRAY_DELIMITER
from service.load.initial import initial_load
from service.load.resolve import Resolved
from service.load.spark import Spark
from service.settings import load_settings
from tests.test_initial_load import _items, _lines, _partition
from tests.test_resolution_properties import event, record

#: Little memory and few partitions: the machine is shared, the input is small. Many
#: small jobs: the JVM's quick compiler only, and no generated code per query.
SPARK = Spark(
    master="local[2]",
    driver_memory="512m",
    conf=(
        ("spark.sql.shuffle.partitions", "2"),
        ("spark.default.parallelism", "2"),
        ("spark.sql.codegen.wholeStage", "false"),
        ("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1"),
    ),
)


def _input() -> list[dict[str, Any]]:
    items = _items()
    # A chain: c_i carries phones i and i+1, so all twelve are one person; a blocked phone
    # (all zeros) and an event bring a sixth raw form of an email, which is not kept.
    for n in range(12):
        phones = [("PHONE", f"+34 611 000 {n:03d}"), ("PHONE", f"+34 611 000 {n + 1:03d}")]
        items.append(record("chain", f"k{n}", phones))
    for n, form in enumerate(["a@x.org", "A@x.org", "a@X.org", "A@X.org", "a@x.ORG", "A@X.ORG"]):
        items.append(event("web", f"w{n}", [("EMAIL", form)]))
    return items


async def _load(engine: Engine, items: list[dict[str, Any]], work: Path) -> tuple[Resolved, str]:
    """The initial load up to the CSV files; the resolved frames, caught on their way,
    and the load's time (arrival times, which differ between two loads)."""
    caught: list[tuple[Resolved, str]] = []

    class Catching:
        name = engine.name

        def resolve(self, staged: Path, policy: Any, now: str) -> Resolved:
            caught.append((engine.resolve(staged, policy, now), now))
            return caught[0][0]

    rejected: list[int] = []
    report = await initial_load(
        load_settings({k: v for k, v in os.environ.items() if k.startswith(("NEO4J_", "OMNID_"))}),
        [("items.jsonl", _lines(items))],
        work_dir=work,
        control=None,
        on_reject=lambda name, line, error: rejected.append(line.number),
        csv_only=True,
        workers=0,
        engine=Catching(),
    )
    assert rejected == [] and report.counts["records"] > 0
    return caught[0]


def _csv(directory: Path, name: str, resolved: Resolved, now: str) -> list[tuple[str, ...]]:
    """A CSV file's rows, sorted, each person id replaced by its component's members and
    the load's time by NOW."""
    values = {**_members(resolved), now: "NOW"}
    with (directory / name).open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return [tuple(rows[0]), *sorted(tuple(values.get(v, v) for v in row) for row in rows[1:])]


def _members(resolved: Resolved) -> dict[str, str]:
    """person id -> its members' keys, sorted and joined: the same for both engines."""
    found: dict[str, set[str]] = {}
    for key, person in resolved.items.select("key", "person").iter_rows():
        found.setdefault(person, set()).add(key)
    return {p: ARRAY_DELIMITER.join(sorted(keys)) for p, keys in found.items()}


async def test_spark_engine_writes_the_in_process_import_files(tmp_path: Path) -> None:
    items = _input()
    local, local_now = await _load(InProcess(), items, tmp_path / "in-process")
    spark, spark_now = await _load(SPARK, items, tmp_path / "spark")

    assert _partition(spark) == _partition(local)
    chain = local.items.filter(pl.col("source") == "chain")["person"].unique()
    assert chain.len() == 1  # the chain closed: twelve items, one person
    # Flags and raw forms, identifier by identifier.
    idents = local.identifiers.drop("person")
    assert spark.identifiers.drop("person").equals(idents)
    assert idents.filter(pl.col("shared")).height > 0
    assert idents.filter(pl.col("blocked").is_not_null()).height > 0
    assert idents["display"].list.len().max() == 5  # six forms seen, five kept
    assert spark.items.drop("person").equals(local.items.drop("person"))
    at = pl.col("at").replace({local_now: "NOW", spark_now: "NOW"})
    assert (
        spark.carries.with_columns(at)
        .sort("seq", "iid")
        .equals(local.carries.with_columns(at).sort("seq", "iid"))
    )

    names = sorted(p.name for p in (tmp_path / "in-process" / "csv").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "spark" / "csv").iterdir())
    assert "identifiers.csv" in names and "has.csv" in names
    for name in names:
        assert _csv(tmp_path / "spark" / "csv", name, spark, spark_now) == _csv(
            tmp_path / "in-process" / "csv", name, local, local_now
        ), name
