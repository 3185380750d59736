"""Resolution quality: pairwise precision, recall and F1 of omnid's persons on demo data.

    python bench/quality.py [--customers 2000] [--seed 7] [--conflicts 16] [--wipe]
                            [--matching 1,2,3,4]

Generates the demo dataset (``devtools.demo.generate``: the seeds' stories plus
``--customers`` synthetic customers with realistic noise, and the ground truth of which
real customer each record and event belongs to), loads it through omnid's real write
path (``Ingestor.ingest``, default settings from the environment), reads back the person
of every item (``item-partition`` in ``cypher/bench.cypher``) and scores the partition
against the truth. Pairs of items are the unit: a pair is predicted when both items are
in one person, true when both belong to one real customer (``devtools.quality``).

For context, the same run scores two partitions computed in Python from the same items:

* exact email only: items sharing a normalized, unblocked EMAIL are one customer, the
  naive approach;
* omnid's rules in memory (``reference_partition``): what the graph must hold. The graph
  must equal it; any difference is a write-time resolution bug and is printed.

Then the review list of suspicious persons (``service/steward/review.py``): every person
is reviewed and the list read; with ``--conflicts N`` the data holds N seeded conflicts
(real customers glued on purpose: a family email, a recycled phone; ``devtools/generate/
conflicts.py``), and the run prints the recall of those and the share of persons listed.
With ``--matching``, the possible-match ranking on the FEBRL datasets follows, beside
Splink (``bench/matching.py``, which runs alone too; it wipes the graph per dataset).

Settings come from the environment (``NEO4J_URI``, ``NEO4J_PASSWORD``); a database that
holds data is wiped only with ``--wipe``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

import psutil
from benchlib import (
    STATEMENTS,
    CpuMeter,
    machine_note,
    neo4j_process,
    prepare_empty_graph,
    table,
)

from devtools.generate import Dataset, Shape, generate
from devtools.quality import (
    PairScores,
    email_only_partition,
    false_merges,
    pairwise_scores,
    partition_diff,
    reference_partition,
    review_scores,
)
from service.identity.identifiers import IdentifierRules
from service.identity.ingest import Ingestor
from service.identity.resolution import ResolutionPolicy
from service.settings import load_settings
from service.steward.review import refresh_all, suspicious_persons
from service.store.graph import Graph


def _row(name: str, s: PairScores) -> list[object]:
    return [
        name,
        f"{s.precision:.4f}",
        f"{s.recall:.4f}",
        f"{s.f1:.4f}",
        s.predicted_clusters,
        s.false_pairs,
        s.true_pairs - s.true_positive_pairs,
    ]


async def main(args: argparse.Namespace) -> int:
    settings = load_settings()
    graph = Graph.connect(settings, STATEMENTS)
    try:
        print(machine_note(settings))
        await prepare_empty_graph(graph, wipe=args.wipe)

        started = time.perf_counter()
        shape = Shape(customers=args.customers, seed=args.seed, conflicts=args.conflicts)
        dataset = generate(shape)
        generated = time.perf_counter() - started
        counts = dataset.counts()
        print(
            f"demo data (seed {args.seed}): {counts['items']:,} items "
            f"({counts['records']:,} records, {counts['events']:,} events) of "
            f"{counts['customers']:,} real customers ({args.customers:,} synthetic + "
            f"the seeds' stories), {len(dataset.conflicts)} seeded conflicts, "
            f"generated in {generated:.1f} s"
        )

        meter = CpuMeter({"neo4j": neo4j_process(settings.neo4j_uri), "bench": psutil.Process()})
        meter.start()
        started = time.perf_counter()
        report = await Ingestor(graph).ingest(dataset.items)
        seconds = time.perf_counter() - started
        cpu = meter.stop()
        print(
            f"ingest: {len(dataset.items):,} items in {seconds:.1f} s = "
            f"{len(dataset.items) / seconds:,.0f} items/s (batches of {settings.batch_size:,}, "
            f"{settings.ingest_writers} written at once); {len(report.errors)} errors, "
            f"{report.merged:,} merges, "
            f"{report.split:,} splits, {len(report.shared):,} identifiers became shared"
        )
        print(
            f"CPU during ingest (100% = one core): Neo4j {cpu['neo4j']:.0f}%, this process "
            f"{cpu['bench']:.0f}%, the rest of the machine {cpu['others']:.0f}% "
            f"({psutil.cpu_count()} cores)"
        )
        for failed in report.errors[:5]:
            print(f"  error at item {failed.index}: {failed.error}")

        rows = await graph.query("item-partition")
        resolved = {r["key"]: r["person"] for r in rows if r["person"] is not None}
        omnid = pairwise_scores(resolved, dataset.truth)
        email = pairwise_scores(email_only_partition(dataset.items), dataset.truth)
        reference = reference_partition(
            dataset.items,
            policy=ResolutionPolicy.from_settings(settings),
            rules=IdentifierRules.from_settings(settings),
        )
        rules = pairwise_scores(reference, dataset.truth)

        print()
        print(
            table(
                ["matcher", "precision", "recall", "F1", "persons", "false pairs", "missed pairs"],
                [
                    _row("omnid (Neo4j, default settings)", omnid),
                    _row("exact email only (Python)", email),
                    _row("omnid rules in memory (Python)", rules),
                ],
            )
        )
        print()
        print(
            f"items {omnid.items:,} · persons {omnid.predicted_clusters:,} · real customers "
            f"{omnid.true_clusters:,} · true pairs {omnid.true_pairs:,} · ingest "
            f"{len(dataset.items) / seconds:,.0f} items/s"
        )
        if omnid.unplaced:
            print(f"WARNING: {omnid.unplaced:,} items have no person in the graph")
        differ = partition_diff(resolved, reference)
        if differ:
            print(
                f"WARNING: the graph differs from the rules computed in memory on {differ:,} "
                "items: a write-time resolution bug"
            )
        else:
            print("check: the graph's persons equal the rules computed in memory")

        merges = false_merges(resolved, dataset.truth)
        print(f"false merges: {len(merges)} persons hold items of more than one real customer")
        for _, members in merges[: args.show]:
            parts = ", ".join(f"{c} ({n} items)" for c, n in sorted(members.items()))
            print(f"  {parts}")
        await _review(graph, dataset, resolved)
        if args.matching:
            from matching import run_matching

            print()
            await run_matching(graph, [int(n) for n in args.matching.split(",")])
        return 0
    finally:
        await graph.close()


async def _review(graph: Graph, dataset: Dataset, resolved: dict[str, str]) -> None:
    """The review list of suspicious persons against the seeded conflicts: every person
    reviewed (``refresh_all``, what ``omnid review --refresh`` runs), then the list."""
    started = time.perf_counter()
    reviewed, _ = await refresh_all(graph)
    seconds = time.perf_counter() - started
    listed: set[str] = set()
    after = None
    while True:
        page = await suspicious_persons(graph, first=500, after=after)
        listed |= {e.person for e in page.entries}
        if not page.has_next_page:
            break
        after = page.end_cursor
    conflicts = [c.customers for c in dataset.conflicts]
    s = review_scores(resolved, dataset.truth, conflicts, listed)
    print()
    print(
        f"review: {reviewed:,} persons reviewed in {seconds:.1f} s "
        f"({reviewed / seconds:,.0f} persons/s); {s.listed} listed = {s.flagged:.2%} of "
        f"{s.persons:,} persons (target < 1%)"
    )
    print(
        f"seeded conflicts: {s.seeded} ({s.glued} glued two customers into one person), "
        f"{s.found} listed: recall {s.recall:.3f} (target >= 0.9)"
    )
    print(
        f"listed persons that are false merges (hold items of more than one real "
        f"customer): {s.listed_false_merges} of {s.listed}; false merges in the graph: "
        f"{s.false_merges} ({s.false_merges - s.listed_false_merges} not listed)"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=2000, help="synthetic customers")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--wipe", action="store_true", help="delete what the database holds")
    parser.add_argument("--show", type=int, default=10, help="false merges to list")
    parser.add_argument(
        "--conflicts",
        type=int,
        default=0,
        help="seeded conflicts (a family email, a recycled phone) for the review list",
    )
    parser.add_argument(
        "--matching", default="", help="then FEBRL possible matches (e.g. 1,2,3,4; wipes)"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
