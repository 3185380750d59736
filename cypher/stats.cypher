// Counts over the whole graph for `omnid stats` (service/read/stats.py). Each one is a
// single pass over a label; run together in one read transaction.

// name: stats-person-count$
// How many persons the graph holds (0 on an empty graph: `omnid serve` loads the demo).
MATCH (p:Person)
RETURN count(p) AS persons;

// name: stats-identifiers
// Per identifier type: how many values, how many link on their own, how many are shared
// (seen with too many other identifiers) and how many are blocked (junk values).
MATCH (i:Identifier)
RETURN i.type AS type,
       count(i) AS total,
       count(CASE WHEN i.linking THEN 1 END) AS linking,
       count(CASE WHEN i.shared THEN 1 END) AS shared,
       count(i.blocked) AS blocked
ORDER BY total DESC, type;

// name: stats-items
// Records and events per source, and per channel for events.
MATCH (n:Item)
RETURN CASE WHEN n:Event THEN 'event' ELSE 'record' END AS kind,
       n.source AS source,
       n.channel AS channel,
       count(n) AS total
ORDER BY kind DESC, source, channel;

// name: stats-person-sizes
// How many persons have each size, the size being their records plus events.
MATCH (p:Person)
WITH COUNT { (p)<-[:OF]-(:Item) } AS size
RETURN size, count(*) AS persons
ORDER BY size;

// name: stats-shared-identifiers(limit)
// The shared identifiers (no longer linking: the store's phone, a family tablet) with
// their reason and what they touch, the most connected first.
MATCH (x:Identifier)
WHERE x.shared
CALL (x) {
  MATCH (x)<-[:HAS]-(n:Item)
  OPTIONAL MATCH (n)-[:OF]->(p:Person)
  RETURN count(DISTINCT n) AS items, count(DISTINCT p) AS persons
}
RETURN x.key AS key, x.type AS type, x.value AS value, x.sharedReason AS reason,
       items, persons
ORDER BY persons DESC, items DESC, key
LIMIT $limit;
