"""Quality of a resolution against ground truth: pairwise precision, recall and F1.

A partition maps every item key (``"record/<source>/<id>"``, ``"event/<source>/<id>"``) to
a cluster id: the person omnid resolved it to, or the real customer of the ground truth.
Pairwise scores count *pairs of items*: a pair is predicted when both items are in the
same person, true when both belong to the same real customer. Counts come from cluster
sizes (``n * (n - 1) / 2`` per cluster and per cell of the contingency table), never from
pair lists, so a million items cost a few dictionary passes::

    >>> truth = {"a": "ana", "b": "ana", "c": "bob"}
    >>> s = pairwise_scores({"a": "p1", "b": "p1", "c": "p1"}, truth)
    >>> (s.true_positive_pairs, s.predicted_pairs, s.true_pairs)
    (1, 3, 1)
    >>> round(s.precision, 3), s.recall
    (0.333, 1.0)

Two reference partitions give the figures context:

* :func:`email_only_partition`, the naive approach: items sharing a normalized, unblocked
  EMAIL are one customer, everything else stays alone.
* :func:`reference_partition`, omnid's documented rules computed in memory (connected
  components over linking identifiers, with the shared-identifier rules evaluated on all
  items at once). The graph must give exactly this partition; a difference is a bug in
  write-time resolution, not a data-quality question.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from service.identity.contract import Item, parse_item
from service.identity.identifiers import DEFAULT_RULES, IdentifierRules
from service.identity.partition import UnionFind
from service.identity.resolution import ResolutionPolicy

__all__ = [
    "PairScores",
    "ReviewScores",
    "email_only_partition",
    "false_merges",
    "pairwise_scores",
    "partition_diff",
    "reference_partition",
    "review_scores",
]


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


@dataclass(frozen=True, slots=True)
class PairScores:
    """Pairwise scores of a predicted partition against the truth."""

    items: int
    predicted_clusters: int
    true_clusters: int
    true_positive_pairs: int
    predicted_pairs: int
    true_pairs: int
    #: Items of the truth the prediction did not place (scored as singletons).
    unplaced: int = 0

    @property
    def precision(self) -> float:
        """Predicted pairs that are true; 1.0 when nothing was merged."""
        return self.true_positive_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        """True pairs that were predicted; 1.0 when the truth has no pairs."""
        return self.true_positive_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def false_pairs(self) -> int:
        """Predicted pairs of items from two different real customers."""
        return self.predicted_pairs - self.true_positive_pairs


def pairwise_scores(predicted: Mapping[str, str], truth: Mapping[str, str]) -> PairScores:
    """Score ``predicted`` (item key -> cluster) against ``truth`` (item key -> customer).

    Only the items of ``truth`` are scored. An item ``predicted`` does not place counts
    as a cluster of its own (it merged with nothing).
    """
    cells: Counter[tuple[str, str]] = Counter()
    predicted_sizes: Counter[str] = Counter()
    true_sizes: Counter[str] = Counter()
    unplaced = 0
    for key, customer in truth.items():
        cluster = predicted.get(key)
        if cluster is None:
            unplaced += 1
            cluster = f"\x00unplaced:{key}"
        cells[(cluster, customer)] += 1
        predicted_sizes[cluster] += 1
        true_sizes[customer] += 1
    return PairScores(
        items=len(truth),
        predicted_clusters=len(predicted_sizes),
        true_clusters=len(true_sizes),
        true_positive_pairs=sum(_pairs(n) for n in cells.values()),
        predicted_pairs=sum(_pairs(n) for n in predicted_sizes.values()),
        true_pairs=sum(_pairs(n) for n in true_sizes.values()),
        unplaced=unplaced,
    )


def false_merges(
    predicted: Mapping[str, str], truth: Mapping[str, str]
) -> list[tuple[str, dict[str, int]]]:
    """Predicted clusters holding items of several real customers, worst first.

    Each entry is ``(cluster, {customer: items of that customer in the cluster})``,
    ordered by the number of false pairs the cluster contributes.
    """
    members: dict[str, Counter[str]] = defaultdict(Counter)
    for key, customer in truth.items():
        cluster = predicted.get(key)
        if cluster is not None:
            members[cluster][customer] += 1
    out = [(c, dict(m)) for c, m in members.items() if len(m) > 1]

    def false_pairs(entry: tuple[str, dict[str, int]]) -> int:
        sizes = entry[1].values()
        return _pairs(sum(sizes)) - sum(_pairs(n) for n in sizes)

    return sorted(out, key=lambda e: (-false_pairs(e), e[0]))


def partition_diff(a: Mapping[str, str], b: Mapping[str, str]) -> int:
    """How many items sit in a cluster of ``a`` whose members differ from those in ``b``.

    0 when the two partitions are identical (cluster ids themselves do not matter).
    """
    signature: dict[str, frozenset[str]] = {}
    groups_b: dict[str, set[str]] = defaultdict(set)
    for key, cluster in b.items():
        groups_b[cluster].add(key)
    for members in groups_b.values():
        frozen = frozenset(members)
        for key in members:
            signature[key] = frozen
    groups_a: dict[str, set[str]] = defaultdict(set)
    for key, cluster in a.items():
        groups_a[cluster].add(key)
    differ = 0
    for members in groups_a.values():
        frozen = frozenset(members)
        differ += sum(1 for key in members if signature.get(key) != frozen)
    return differ + sum(1 for key in b if key not in a)


def _parsed(items: Iterable[Mapping[str, object]], rules: IdentifierRules) -> list[Item]:
    """Parse items as ingest does: bad items are skipped, the last version of a record
    wins, the first of an event."""
    unique: dict[str, Item] = {}
    for raw in items:
        try:
            item = parse_item(raw, rules=rules)
        except Exception:  # a bad item is the ingest report's business, not the score's
            continue
        if item.kind == "record" or item.key not in unique:
            unique[item.key] = item
    return list(unique.values())


def email_only_partition(
    items: Iterable[Mapping[str, object]], *, rules: IdentifierRules = DEFAULT_RULES
) -> dict[str, str]:
    """The naive baseline: items sharing a normalized, unblocked EMAIL are one cluster."""
    uf = UnionFind[str]()
    keys: list[str] = []
    for item in _parsed(items, rules):
        keys.append(item.key)
        uf.find(item.key)
        for ident in item.identifiers:
            if ident.type == "EMAIL" and ident.blocked is None:
                uf.union(item.key, ident.key)
    return {key: uf.find(key) for key in keys}


def reference_partition(
    items: Iterable[Mapping[str, object]],
    *,
    policy: ResolutionPolicy | None = None,
    rules: IdentifierRules = DEFAULT_RULES,
) -> dict[str, str]:
    """omnid's rules computed in memory: what the graph's persons must be for ``items``.

    An identifier links when its type links, it is not blocked and no shared rule fires
    on the distinct unblocked identifiers it appears with on any item (all items at
    once, so arrival order cannot matter). Clusters are the connected components of
    items over linking identifiers; each item gets the smallest item key of its cluster.
    """
    policy = policy or ResolutionPolicy()
    parsed = _parsed(items, rules)
    seen_with: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for item in parsed:
        countable = [i for i in item.identifiers if i.blocked is None]
        for x in countable:
            for y in countable:
                if y.key != x.key:
                    seen_with[x.key][y.type].add(y.key)
    links: dict[str, bool] = {}
    for item in parsed:
        for ident in item.identifiers:
            if ident.key in links:
                continue
            ok = policy.type_links(ident)
            if ok and ident.type in policy.shared_rules:
                counts = {t: len(v) for t, v in seen_with.get(ident.key, {}).items()}
                ok = policy.shared_reason(ident.type, counts) is None
            links[ident.key] = ok
    uf = UnionFind[str]()
    for item in parsed:
        uf.find(item.key)
        for ident in item.identifiers:
            if links[ident.key]:
                uf.union(item.key, "\x00" + ident.key)  # identifier keys never clash with items
    roots: dict[str, str] = {}
    for item in parsed:
        root = uf.find(item.key)
        if root not in roots or item.key < roots[root]:
            roots[root] = item.key
    return {item.key: roots[uf.find(item.key)] for item in parsed}


@dataclass(frozen=True, slots=True)
class ReviewScores:
    """How the review list of suspicious persons finds seeded conflicts."""

    seeded: int  # conflicts seeded in the data
    glued: int  # of those, whose customers ended up in one person
    found: int  # of those, whose person is listed
    persons: int
    listed: int
    false_merges: int  # persons holding items of more than one real customer
    listed_false_merges: int  # of those, listed

    @property
    def recall(self) -> float:
        """Seeded conflicts found, of those that glued; 1.0 when none did."""
        return self.found / self.glued if self.glued else 1.0

    @property
    def flagged(self) -> float:
        """The share of persons listed."""
        return self.listed / self.persons if self.persons else 0.0


def review_scores(
    resolved: Mapping[str, str],
    truth: Mapping[str, str],
    conflicts: Iterable[tuple[str, str]],
    listed: set[str],
) -> ReviewScores:
    """Score a review list (``listed`` person ids) against seeded conflicts (pairs of
    real customers glued on purpose) and the graph's persons (``resolved``)."""
    customers: dict[str, set[str]] = defaultdict(set)
    for key, person in resolved.items():
        customers[person].add(truth[key])
    seeded = glued = found = 0
    for pair in conflicts:
        seeded += 1
        holding = [p for p, held in customers.items() if set(pair) <= held]
        glued += bool(holding)
        found += any(p in listed for p in holding)
    merged = {p for p, held in customers.items() if len(held) > 1}
    return ReviewScores(
        seeded=seeded,
        glued=glued,
        found=found,
        persons=len(customers),
        listed=len(listed & set(customers)),
        false_merges=len(merged),
        listed_false_merges=len(merged & listed),
    )
