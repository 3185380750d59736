"""The Spark engine of the initial load: the same resolution as ``resolve``, on Apache Spark.

For inputs whose resolution does not fit one machine's memory: the joins, the
shared-identifier counts and the connected components run on Spark executors
(``local[*]`` here, a cluster through its master URL), over the Parquet chunks the
staging phase wrote. The resolved tables come back as Parquet files, then as the same
``Resolved`` frames the in-process engine returns, so writing the import files is shared.

The rules, step for step as ``resolve``: the last version of a record and the first of an
event (by sequence number); up to ``MAX_DISPLAY`` raw forms per identifier in order of
arrival; shared by ``ResolutionPolicy.shared_rules`` over distinct unblocked co-occurring
values; linking = a linking type, not blocked, not shared; persons = connected components
of items and linking identifiers.

Connected components: alternating large-star and small-star rounds on DataFrames
(Kiveris et al., "Connected Components in MapReduce and Beyond", 2014, the algorithm
GraphFrames runs by default), each round written to Parquet to cut Spark's lineage. The
GraphFrames jar itself is not used: it is not served by the registries this project's
machines reach, and the algorithm is a few joins.

With a cluster, ``work_dir`` must be a path every executor reads and writes (a shared
mount); the driver is this process.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from service.identity.resolution import ResolutionPolicy
from service.load.resolve import MAX_DISPLAY, Resolved, person_ids
from service.load.staging import CARRIES, ITEMS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["Spark"]

#: Shuffle partitions on a local master: Spark's default (200) is for clusters.
LOCAL_PARTITIONS = 8


@dataclass(frozen=True, slots=True)
class Spark:
    """Resolution on Spark: ``master`` is ``local[*]`` or a cluster's URL
    (``spark://host:7077``, ``yarn``, ``k8s://…``); ``conf`` any further Spark settings."""

    master: str = "local[*]"
    driver_memory: str = "1g"
    conf: tuple[tuple[str, str], ...] = ()
    name: str = "spark"

    def session(self) -> SparkSession:
        from pyspark.sql import SparkSession

        builder = (
            SparkSession.builder.master(self.master)
            .appName("omnid-load")
            .config("spark.driver.memory", self.driver_memory)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
        )
        if self.master.startswith("local"):
            builder = builder.config("spark.sql.shuffle.partitions", str(LOCAL_PARTITIONS))
        for key, value in self.conf:
            builder = builder.config(key, value)
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("WARN")
        return spark

    def resolve(self, staged: Path, policy: ResolutionPolicy, now: str) -> Resolved:
        out = staged.parent / "spark"
        shutil.rmtree(out, ignore_errors=True)
        spark = self.session()
        try:
            _resolve_on(spark, staged, policy, now, out)
        finally:
            spark.stop()
        resolved = _collect(out)
        shutil.rmtree(out, ignore_errors=True)
        return resolved


def _resolve_on(
    spark: SparkSession, staged: Path, policy: ResolutionPolicy, now: str, out: Path
) -> None:
    """Write the resolved items, identifiers and HAS rows under ``out``, with component
    labels in place of person ids."""
    from pyspark.sql import functions as F

    def chunks(name: str) -> DataFrame:
        return spark.read.option("pathGlobFilter", f"{name}-*.parquet").parquet(str(staged))

    all_items, all_carries = chunks(ITEMS), chunks(CARRIES)
    last = all_items.where(F.col("kind") == "record").groupBy("key").agg(F.max("seq").alias("seq"))
    first = all_items.where(F.col("kind") == "event").groupBy("key").agg(F.min("seq").alias("seq"))
    items = all_items.join(last.select("seq").unionByName(first.select("seq")), "seq", "left_semi")
    carries = all_carries.join(items.select("seq"), "seq", "left_semi")
    idents = _identifiers(all_carries, carries, policy)
    # Materialized: the vertex ids below must not change between two reads.
    idents.withColumn("vid", -1 - F.monotonically_increasing_id()).write.parquet(
        str(out / "identifiers-staged")
    )
    idents = spark.read.parquet(str(out / "identifiers-staged"))
    edges = carries.join(idents.where("linking").select("ikey", "vid"), "ikey").select(
        F.col("seq").alias("src"), F.col("vid").alias("dst")
    )
    labels = _components(spark, edges, out / "components")
    items.join(labels, items["seq"] == labels["id"], "left").select(
        *all_items.columns, F.coalesce("component", "seq").alias("component")
    ).write.parquet(str(out / "items"))
    idents.join(labels, idents["vid"] == labels["id"], "left").drop("vid", "id").write.parquet(
        str(out / "identifiers")
    )
    # HAS carries the record's write time (`now`), or the event's own time, and the raw
    # form the stored version sent.
    at = F.when(F.col("kind") == "record", F.lit(now)).otherwise(F.col("at"))
    carries.join(items.select("seq", "kind", "source", "at"), "seq").select(
        "seq", "ikey", "source", at.alias("at"), "display"
    ).write.parquet(str(out / "carries"))


def _identifiers(all_carries: DataFrame, carries: DataFrame, policy: ResolutionPolicy) -> DataFrame:
    """One row per identifier the stored items carry: type, value, blocked, up to five
    raw forms in order of arrival (any version of an item brought them), the shared
    reason and the linking flag."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    firsts = (
        all_carries.join(carries.select("ikey").distinct(), "ikey", "left_semi")
        .groupBy("ikey", "display")
        .agg(F.min("seq").alias("seq"))
    )
    rank = F.row_number().over(Window.partitionBy("ikey").orderBy("seq"))
    display = (
        firsts.withColumn("rank", rank)
        .where(F.col("rank") <= MAX_DISPLAY)
        .groupBy("ikey")
        .agg(F.sort_array(F.collect_list(F.struct("seq", "display"))).alias("forms"))
        .select("ikey", F.col("forms.display").alias("display"))
    )
    base = carries.groupBy("ikey").agg(
        F.min_by(F.struct("itype", "value", "blocked"), "seq").alias("first")
    )
    linking_types = sorted(policy.linking_types)
    return (
        base.select("ikey", "first.itype", "first.value", "first.blocked")
        .join(display, "ikey", "left")
        .join(_shared(carries, policy), "ikey", "left")
        .withColumn("shared", F.col("sharedReason").isNotNull())
        .withColumn(
            "linking",
            F.col("itype").isin(linking_types) & F.col("blocked").isNull() & ~F.col("shared"),
        )
    )


def _shared(carries: DataFrame, policy: ResolutionPolicy) -> DataFrame:
    """ikey, sharedReason for the identifiers the shared rules make shared: for each
    candidate (a linking type with rules, not blocked), the distinct unblocked values of
    each watched type on the same items; the reason names the first exceeded type."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    spark = carries.sparkSession
    watch = spark.createDataFrame(
        [
            (t, o, n)
            for t, limits in policy.shared_rules.items()
            if t in policy.linking_types
            for o, n in limits.items()
        ],
        "xtype string, ytype string, limit long",
    )
    unblocked = carries.where(F.col("blocked").isNull())
    x = unblocked.select("seq", F.col("ikey").alias("x"), F.col("itype").alias("xtype"))
    y = unblocked.select("seq", F.col("ikey").alias("y"), F.col("itype").alias("ytype"))
    counts = (
        x.join(watch, "xtype")
        .join(y, ["seq", "ytype"])
        .where(F.col("x") != F.col("y"))
        .select("x", "y", "ytype", "limit")
        .distinct()
        .groupBy("x", "ytype", "limit")
        .agg(F.count("*").alias("n"))
        .where(F.col("n") > F.col("limit"))
    )
    first = F.row_number().over(Window.partitionBy("x").orderBy("ytype"))
    reason = F.format_string(
        "seen with %d distinct %s values (limit %d)", F.col("n"), F.col("ytype"), F.col("limit")
    )
    return (
        counts.withColumn("rank", first)
        .where(F.col("rank") == 1)
        .select(F.col("x").alias("ikey"), reason.alias("sharedReason"))
    )


def _components(spark: SparkSession, edges: DataFrame, scratch: Path) -> DataFrame:
    """(id, component) for every vertex on an edge: the smallest vertex id of its
    component. Large-star then small-star until a round changes nothing; the edges end
    as stars around each component's smallest vertex."""
    from pyspark.sql import functions as F

    def ordered(frame: DataFrame, a: str, b: str) -> DataFrame:
        return (
            frame.select(F.least(a, b).alias("src"), F.greatest(a, b).alias("dst"))
            .where(F.col("src") != F.col("dst"))
            .distinct()
        )

    def large_star(e: DataFrame) -> DataFrame:
        both = e.unionByName(e.select(F.col("dst").alias("src"), F.col("src").alias("dst")))
        low = both.groupBy("src").agg(F.least(F.min("dst"), F.col("src")).alias("m"))
        return ordered(both.join(low, "src").where(F.col("dst") > F.col("src")), "dst", "m")

    def small_star(e: DataFrame) -> DataFrame:
        low = e.groupBy("dst").agg(F.min("src").alias("m"))
        leaves = e.join(low, "dst").select(F.col("src").alias("v"), "m")
        centre = low.select(F.col("dst").alias("v"), "m")
        return ordered(leaves.unionByName(centre), "v", "m")

    current = ordered(edges, "src", "dst")
    size = current.count()
    for round_ in range(1, 10_000):
        path = str(scratch / f"round-{round_}")
        small_star(large_star(current)).write.parquet(path)
        following = spark.read.parquet(path)
        # Two sets of distinct edges, one inside the other, of the same size: equal.
        before, size = size, following.count()
        unchanged = size == before and following.exceptAll(current).isEmpty()
        current = following
        if unchanged:
            break
    return (
        current.select(F.col("dst").alias("id"), F.col("src").alias("component"))
        .unionByName(current.select(F.col("src").alias("id"), F.col("src").alias("component")))
        .groupBy("id")
        .agg(F.min("component").alias("component"))
    )


def _collect(out: Path) -> Resolved:
    """The Parquet tables Spark wrote, as the in-process engine's frames: node and iid
    numbered in the same order (by sequence number, by key), person ids from labels."""
    items = pl.read_parquet(out / "items" / "*.parquet").sort("seq").with_row_index("node")
    idents = pl.read_parquet(out / "identifiers" / "*.parquet").sort("ikey").with_row_index("iid")
    persons, item_person, ident_person = person_ids(
        items["component"].to_numpy(),
        idents["component"].fill_null(0).to_numpy(),
        idents["linking"].to_numpy(),
    )
    items = items.drop("component").with_columns(pl.Series("person", item_person))
    idents = idents.drop("component").with_columns(
        pl.Series("person", ident_person, dtype=pl.String)
    )
    carries = (
        pl.read_parquet(out / "carries" / "*.parquet")
        .join(idents.select("ikey", "iid"), on="ikey")
        .select("seq", "iid", "source", "at", "display")
    )
    return Resolved(items, idents, carries, pl.DataFrame({"id": persons}, schema={"id": pl.String}))
