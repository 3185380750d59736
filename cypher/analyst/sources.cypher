// Sources: which systems (eshop, pos, crm, newsletter, loyalty...) know the same
// customers, and which records stayed alone.

// name: single-source-records
// Per source: its records, and how many of them never merged with another source (the
// person they belong to has records and events from this source only: customers the
// other systems never saw, or never recognized).
MATCH (r:Record)
OPTIONAL MATCH (r)-[:OF]->(p:Person)
WITH r, COLLECT { MATCH (p)<-[:OF]-(n:Item) RETURN DISTINCT n.source } AS sources
WITH r.source AS source, count(r) AS records,
     count(CASE WHEN size(sources) <= 1 THEN 1 END) AS neverMerged
RETURN source,
       records,
       neverMerged,
       round(100.0 * neverMerged / records, 1) AS percent
ORDER BY neverMerged DESC, source;

// name: single-source-record-list(source, limit)
// The records of one source that never merged with another source, newest first, with
// the identifiers they carry: candidates for a data-quality check (a typo in an email,
// a missing phone).
//   :param source => 'newsletter'
//   :param limit => 50
MATCH (r:Record {source: $source})
OPTIONAL MATCH (r)-[:OF]->(p:Person)
WITH r, p, COLLECT { MATCH (p)<-[:OF]-(n:Item) RETURN DISTINCT n.source } AS sources
WHERE size(sources) <= 1
RETURN r.key AS key,
       r.sourceId AS sourceId,
       p.id AS person,
       toString(r.updatedAt) AS updatedAt,
       [(r)-[:HAS]->(i:Identifier) | i.type + ' ' + i.value] AS identifiers,
       r.attributes AS attributes
ORDER BY r.updatedAt DESC, r.key
LIMIT $limit;

// name: source-overlap
// For each pair of sources, how many persons have items from both: how far the systems
// see the same customers (eshop and pos overlapping is the omnichannel customer).
MATCH (p:Person)
WITH p, COLLECT { MATCH (p)<-[:OF]-(n:Item) RETURN DISTINCT n.source } AS sources
UNWIND sources AS a
UNWIND sources AS b
WITH a, b, p
WHERE a < b
RETURN a AS sourceA, b AS sourceB, count(p) AS persons
ORDER BY persons DESC, sourceA, sourceB;
