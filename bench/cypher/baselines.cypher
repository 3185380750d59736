// Baselines for the benchmarks in bench/ (bench/ingest.py, bench/api.py): the same
// writes as omnid's ingest path, as plain UNWIND MERGE with no identity resolution, and
// small counts the benchmarks print. Not used by the service.

// name: baseline-node-count$
// How many nodes the database holds: a benchmark refuses to wipe a non-empty one.
MATCH (n)
RETURN count(n) AS nodes;

// name: server-memory(names)
// The server's heap and page cache, printed with the figures: on 1,000,000 items (a
// store of about 2 GB) a 1g heap and a page cache smaller than the store both cost the
// server CPU on every phase.
SHOW SETTINGS YIELD name, value
WHERE name IN $names
RETURN name, value;

// name: baseline-summary^
// What a load left in the graph, by label (count store lookups, cheap on any size).
CALL () { MATCH (n:Identifier) RETURN count(n) AS identifiers }
CALL () { MATCH (n:Record) RETURN count(n) AS records }
CALL () { MATCH (n:Event) RETURN count(n) AS events }
CALL () { MATCH (n:Person) RETURN count(n) AS persons }
CALL () { MATCH (n:PersonAlias) RETURN count(n) AS aliases }
CALL () { MATCH ()-[r:HAS]->() RETURN count(r) AS has }
RETURN identifiers, records, events, persons, aliases, has;

// name: baseline-merge-identifiers!(rows, now)
// Baseline (a), and the first step of (b): the identifier nodes alone, with their type
// label, one MERGE per distinct key of the batch (rows sorted by key).
UNWIND $rows AS row
MERGE (i:Identifier {key: row.key})
  ON CREATE SET
    i:$(row.label),
    i.type = row.type,
    i.value = row.value,
    i.firstSeen = $now
SET i.lastSeen = $now;

// name: baseline-merge-records!(rows, now)
// Baseline (b): records and their HAS relationships, without resolution or unlinking.
UNWIND $rows AS row
MERGE (r:Item {key: row.key})
  ON CREATE SET r:Record, r.source = row.source, r.sourceId = row.id, r.firstSeen = $now
SET r.attributes = row.attributes, r.country = row.country, r.updatedAt = $now
WITH r, row
UNWIND row.keys AS k
MATCH (i:Identifier {key: k})
MERGE (r)-[h:HAS]->(i)
  ON CREATE SET h.at = $now, h.source = row.source;

// name: baseline-merge-events!(rows, now)
// Baseline (b): events and their HAS relationships, without resolution. `at` arrives as
// an ISO 8601 string, as in omnid's create-events: the same transport for both.
UNWIND $rows AS row
MERGE (e:Item {key: row.key})
  ON CREATE SET
    e:Event,
    e.source = row.source,
    e.sourceId = row.id,
    e.channel = row.channel,
    e.type = row.type,
    e.at = datetime(row.at),
    e.attributes = row.attributes,
    e.country = row.country,
    e.receivedAt = $now
WITH e, row
UNWIND row.keys AS k
MATCH (i:Identifier {key: k})
MERGE (e)-[h:HAS]->(i)
  ON CREATE SET h.at = e.at, h.source = row.source;

// name: bench-identifier-flags
// Every identifier with the flags resolution decides (linking, shared, blocked): after
// the same items, however they were cut into transactions, they must be the same
// (bench/ingest.py compares (c) with (cN)).
MATCH (i:Identifier)
RETURN i.key AS key, i.linking AS linking, coalesce(i.shared, false) AS shared,
       i.blocked IS NOT NULL AS blocked;

// name: bench-persons-with-keys(n)
// Up to n persons with one linking identifier each (how bench/privacy.py finds the same
// customers again in a second load of the same items, where person ids differ).
MATCH (p:Person)<-[:OF]-(i:Identifier)
WITH p, min(i.key) AS key
RETURN p.id AS id, key
ORDER BY key
LIMIT $n;

// name: baseline-detach-delete-person$(key)
// bench/privacy.py's baseline: the nodes an erasure removes, deleted plainly by the
// person an identifier belongs to (its items, linking identifiers and aliases; no
// re-evaluation, no suppression, no receipt). Returns how many nodes went.
MATCH (:Identifier {key: $key})-[:OF]->(p:Person)
CALL (p) {
  MATCH (p)<-[:OF]-(n)
  RETURN collect(n) AS members
}
CALL (p) {
  MATCH (a:PersonAlias)-[:MERGED_INTO]->(p)
  RETURN collect(a) AS aliases
}
WITH p, members + aliases AS nodes
CALL (nodes) {
  UNWIND nodes AS n
  DETACH DELETE n
}
DETACH DELETE p
RETURN size(nodes) + 1 AS deleted;

// name: bench-suppress!(hashes, now)
// Seed the suppression list with hashes (bench/privacy.py's ingest comparison), as an
// erasure records them (cypher/erasure.cypher, erasure-record).
UNWIND $hashes AS h
MERGE (s:Suppressed {hash: h})
  ON CREATE SET s.at = $now;
