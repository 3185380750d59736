"""Phase 3 of the initial load: the resolved graph as neo4j-admin's bulk-import CSV files.

Nodes and relationships carry exactly the properties the online path writes
(``cypher/README.md``): arrival times (``firstSeen``, ``lastSeen``, ``updatedAt``,
``receivedAt``, ``createdAt``, a record's ``HAS.at``) are the load's time. Properties the
online path leaves unset (a null ``blocked``, ``shared`` while false) are empty fields,
which the import tool leaves out. Arrays (``display``, the labels) are joined with
U+001F, a character no value the contract accepts contains.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from service.errors import InvalidInput
from service.identity.resolution import label_for
from service.load.resolve import Resolved

__all__ = ["ARRAY_DELIMITER", "ImportFiles", "write_csv_files"]

ARRAY_DELIMITER = "\x1f"


@dataclass(slots=True)
class ImportFiles:
    """The CSV files for ``neo4j-admin database import full``, and its flags."""

    nodes: list[Path] = field(default_factory=list)
    relationships: list[Path] = field(default_factory=list)
    #: Some value holds a line break: the import must read quoted multi-line fields.
    multiline: bool = False
    counts: dict[str, int] = field(default_factory=dict)


def _has_breaks(frame: pl.DataFrame, *columns: str) -> bool:
    return any(bool(frame.select(pl.col(c).str.contains("[\r\n]").any()).item()) for c in columns)


def _labels(*names: str) -> pl.Expr:
    return pl.lit(ARRAY_DELIMITER.join(names))


def write_csv_files(graph: Resolved, directory: Path, now: str) -> ImportFiles:
    """Write one CSV per node kind and relationship kind (header row included)."""
    directory.mkdir(parents=True, exist_ok=True)
    out = ImportFiles()
    idents = graph.identifiers
    if bool(
        idents.select(pl.col("display").list.join("").str.contains(ARRAY_DELIMITER).any()).item()
    ):
        raise InvalidInput("an identifier's raw form contains U+001F", field="identifiers")
    labels = {
        t: ARRAY_DELIMITER.join(["Identifier", label_for(t)]) for t in idents["itype"].unique()
    }
    nodes = idents.select(
        pl.col("ikey").alias("key:ID(Identifier)"),
        pl.col("itype").alias("type"),
        "value",
        pl.col("display").list.join(ARRAY_DELIMITER).alias("display:string[]"),
        pl.col("linking").alias("linking:boolean"),
        pl.when(pl.col("shared")).then(True).alias("shared:boolean"),
        "sharedReason",
        "blocked",
        pl.lit(now).alias("firstSeen:datetime"),
        pl.lit(now).alias("lastSeen:datetime"),
        pl.when(pl.col("shared")).then(pl.lit(now)).alias("statusChangedAt:datetime"),
        pl.col("itype").replace_strict(labels).alias(":LABEL"),
    )
    out.nodes.append(_write(nodes, directory / "identifiers.csv"))
    items = graph.items
    records = items.filter(pl.col("kind") == "record").select(
        pl.col("key").alias("key:ID(Item)"),
        "source",
        "sourceId",
        "attributes",
        "country",
        pl.lit(now).alias("firstSeen:datetime"),
        pl.lit(now).alias("updatedAt:datetime"),
        _labels("Item", "Record").alias(":LABEL"),
    )
    out.nodes.append(_write(records, directory / "records.csv"))
    events = items.filter(pl.col("kind") == "event").select(
        pl.col("key").alias("key:ID(Item)"),
        "source",
        "sourceId",
        "channel",
        "type",
        pl.col("at").alias("at:datetime"),
        "attributes",
        "country",
        pl.lit(now).alias("receivedAt:datetime"),
        _labels("Item", "Event").alias(":LABEL"),
    )
    out.nodes.append(_write(events, directory / "events.csv"))
    persons = graph.persons.select(
        pl.col("id").alias("id:ID(Person)"),
        pl.lit(now).alias("createdAt:datetime"),
        pl.lit(0).alias("version:long"),
        _labels("Person").alias(":LABEL"),
    )
    out.nodes.append(_write(persons, directory / "persons.csv"))

    has = graph.carries.join(items.select("seq", "key"), on="seq").join(
        idents.select("iid", "ikey"), on="iid"
    )
    out.relationships.append(
        _write(
            has.select(
                pl.col("key").alias(":START_ID(Item)"),
                pl.col("ikey").alias(":END_ID(Identifier)"),
                "source",
                pl.col("at").alias("at:datetime"),
                pl.col("display").alias("display:string[]"),
                pl.lit("HAS").alias(":TYPE"),
            ),
            directory / "has.csv",
        )
    )
    out.relationships.append(
        _write(
            items.select(
                pl.col("key").alias(":START_ID(Item)"),
                pl.col("person").alias(":END_ID(Person)"),
                pl.lit("OF").alias(":TYPE"),
            ),
            directory / "items-of.csv",
        )
    )
    out.relationships.append(
        _write(
            idents.filter(pl.col("linking")).select(
                pl.col("ikey").alias(":START_ID(Identifier)"),
                pl.col("person").alias(":END_ID(Person)"),
                pl.lit("OF").alias(":TYPE"),
            ),
            directory / "identifiers-of.csv",
        )
    )
    out.multiline = (
        _has_breaks(nodes, "value", "display:string[]")
        or _has_breaks(items, "sourceId", "attributes")
        or _has_breaks(has, "display")
    )
    out.counts = {
        "identifiers": idents.height,
        "records": records.height,
        "events": events.height,
        "persons": persons.height,
        "has": has.height,
    }
    return out


def _write(frame: pl.DataFrame, path: Path) -> Path:
    frame.write_csv(path, include_header=True, null_value="", quote_style="necessary")
    return path
