"""Phase 2 of the initial load: the whole input resolved at once, by the online rules.

The rules are those of ``service.identity.resolution`` (which resolves batch by batch),
applied to the full set of items, where they reach the same end state:

* the last version of a record wins, the first of an event (events are immutable);
* an identifier links when its type links, it is not blocked and it is not shared;
  *shared* is decided by the shared rules over the distinct values of each watched type
  seen on the same items (blocked values not counted): ``ResolutionPolicy.shared_reason``;
* a person is a connected component of items and linking identifiers
  (``scipy.sparse.csgraph.connected_components``); an item with no linking identifier is
  a person of its own.

Grouping and counting run in Polars over the staged chunks; memory is about 100 bytes
per carried identifier and per item (integer ids replace keys early).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from service.identity.resolution import ResolutionPolicy
from service.load.staging import CARRIES, ITEMS

__all__ = ["MAX_DISPLAY", "Resolved", "person_ids", "resolve"]

#: Raw forms kept per identifier, as ``merge-identifiers`` keeps them.
MAX_DISPLAY = 5


@dataclass(frozen=True, slots=True)
class Resolved:
    """The graph to write: one frame per node kind and per relationship."""

    #: seq, key, kind, source, sourceId, channel, type, at, attributes, country, node, person
    items: pl.DataFrame
    #: iid, ikey, itype, value, blocked, display (list), linking, shared, sharedReason, person
    identifiers: pl.DataFrame
    #: seq, iid, source, at, display (the HAS relationships; display: the raw form sent)
    carries: pl.DataFrame
    #: id
    persons: pl.DataFrame


def _winners(items: pl.LazyFrame) -> pl.LazyFrame:
    """The version of each item that is stored: last record, first event, by input order."""
    last = items.filter(pl.col("kind") == "record").group_by("key").agg(pl.col("seq").max())
    first = items.filter(pl.col("kind") == "event").group_by("key").agg(pl.col("seq").min())
    keep = pl.concat([last, first]).select("seq")
    return items.join(keep, on="seq", how="semi")


def _identifiers(all_carries: pl.LazyFrame, carries: pl.LazyFrame) -> pl.LazyFrame:
    """One row per identifier the stored items carry, with up to five raw forms in the
    order they arrived (any version of an item brought them, as online)."""
    kept = carries.select("ikey").unique()
    display = (
        all_carries.join(kept, on="ikey", how="semi")
        .sort("seq")
        .unique(subset=["ikey", "display"], keep="first", maintain_order=True)
        .group_by("ikey", maintain_order=True)
        .agg(pl.col("display").head(MAX_DISPLAY))
    )
    first = carries.sort("seq").unique(subset=["ikey"], keep="first", maintain_order=True)
    return (
        first.select("ikey", "itype", "value", "blocked")
        .sort("ikey")
        .with_row_index("iid")
        .join(display, on="ikey", how="left")
    )


def _shared(carries: pl.DataFrame, idents: pl.DataFrame, policy: ResolutionPolicy) -> pl.DataFrame:
    """iid, sharedReason for identifiers the shared rules make shared.

    Candidates are as online: a type with rules that links, not blocked. For each, the
    distinct unblocked values of each watched type on the same items.
    """
    watch = pl.DataFrame(
        [
            {"xtype": t, "ytype": o, "limit": n}
            for t, limits in policy.shared_rules.items()
            if t in policy.linking_types
            for o, n in limits.items()
        ],
        schema={"xtype": pl.String, "ytype": pl.String, "limit": pl.Int64},
    )
    if watch.is_empty():
        return pl.DataFrame(schema={"iid": pl.UInt32, "sharedReason": pl.String})
    pairs = carries.select("seq", "iid", "itype", "blocked")
    x = pairs.filter(pl.col("blocked").is_null()).rename({"iid": "x", "itype": "xtype"})
    y = pairs.filter(pl.col("blocked").is_null()).rename({"iid": "y", "itype": "ytype"})
    x = x.join(watch.select("xtype").unique(), on="xtype", how="semi")
    counts = (
        x.select("seq", "x", "xtype")
        .join(y.select("seq", "y", "ytype"), on="seq")
        .filter(pl.col("x") != pl.col("y"))
        .join(watch, on=["xtype", "ytype"])
        .select("x", "y", "ytype", "limit")
        .unique()
        .group_by("x", "ytype", "limit")
        .agg(pl.len().alias("n"))
        .filter(pl.col("n") > pl.col("limit"))
        # shared_reason names the first exceeded type in sorted order.
        .sort("x", "ytype")
        .unique(subset=["x"], keep="first", maintain_order=True)
    )
    reason = pl.format(
        "seen with {} distinct {} values (limit {})", pl.col("n"), pl.col("ytype"), pl.col("limit")
    )
    return counts.select(pl.col("x").alias("iid"), reason.alias("sharedReason"))


def resolve(directory: Path, policy: ResolutionPolicy, now: str) -> Resolved:
    """Resolve the chunks staged in ``directory``; ``now`` (ISO) stamps arrival times."""
    all_items = pl.scan_parquet(directory / f"{ITEMS}-*.parquet")
    all_carries = pl.scan_parquet(directory / f"{CARRIES}-*.parquet")
    items = _winners(all_items).sort("seq").collect()
    items = items.with_row_index("node")
    carries_lazy = all_carries.join(items.lazy().select("seq"), on="seq", how="semi")
    idents = _identifiers(all_carries, carries_lazy).collect()
    carries = (
        carries_lazy.join(idents.lazy().select("ikey", "iid"), on="ikey")
        .join(items.lazy().select("seq", "node", "kind", "source", "at"), on="seq")
        .select("seq", "node", "iid", "itype", "blocked", "source", "kind", "at", "display")
        .collect()
    )
    shared = _shared(carries, idents, policy)
    idents = (
        idents.join(shared, on="iid", how="left")
        .with_columns(
            pl.col("sharedReason").is_not_null().alias("shared"),
        )
        .with_columns(
            (
                pl.col("itype").is_in(sorted(policy.linking_types))
                & pl.col("blocked").is_null()
                & ~pl.col("shared")
            ).alias("linking")
        )
        .sort("iid")
    )
    persons, item_person, ident_person = _components(items, idents, carries)
    items = items.with_columns(pl.Series("person", item_person))
    idents = idents.with_columns(
        pl.when(pl.col("linking")).then(pl.Series("person", ident_person)).alias("person")
    )
    # HAS carries the record's write time (`now`), or the event's own time, and the raw
    # form the stored version sent (online, a link keeps every form its item sent).
    has = carries.select(
        "seq",
        "iid",
        "source",
        pl.when(pl.col("kind") == "record").then(pl.lit(now)).otherwise(pl.col("at")).alias("at"),
        "display",
    )
    return Resolved(items, idents, has, pl.DataFrame({"id": persons}))


def _components(
    items: pl.DataFrame, idents: pl.DataFrame, carries: pl.DataFrame
) -> tuple[list[str], list[str], list[str | None]]:
    """Person ids, the person of each item (by ``node``) and of each identifier (by
    ``iid``; meaningful for linking ones): components of items + linking identifiers."""
    n_items, n_idents = items.height, idents.height
    linking = idents["linking"].to_numpy()
    edges = carries.select("node", "iid")
    node = edges["node"].to_numpy().astype(np.int64)
    iid = edges["iid"].to_numpy().astype(np.int64)
    mask = linking[iid]
    size = n_items + n_idents
    graph = coo_matrix(
        (np.ones(int(mask.sum()), dtype=np.int8), (node[mask], iid[mask] + n_items)),
        shape=(size, size),
    ).tocsr()
    _, labels = connected_components(graph, directed=False)
    return person_ids(labels[:n_items], labels[n_items:], linking)


def person_ids(
    item_labels: np.ndarray, ident_labels: np.ndarray, linking: np.ndarray
) -> tuple[list[str], list[str], list[str | None]]:
    """Person ids from component labels, whichever engine found the components: one
    new id per component holding an item; the person of each item, and of each linking
    identifier (a linking identifier is always in a component with an item)."""
    components, person_of_item = np.unique(item_labels, return_inverse=True)
    persons = [str(uuid.uuid4()) for _ in range(len(components))]
    ids = np.array(persons, dtype=object)
    item_person = ids[person_of_item].tolist() if len(item_labels) else []
    if not len(components):
        return persons, item_person, [None] * len(ident_labels)
    where = np.minimum(np.searchsorted(components, ident_labels), len(components) - 1)
    found = linking & (components[where] == ident_labels)
    ident_person = [
        ids[w] if f else None for w, f in zip(where.tolist(), found.tolist(), strict=True)
    ]
    return persons, item_person, ident_person
