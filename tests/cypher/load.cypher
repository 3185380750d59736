// The initial load's tests (tests/test_initial_load.py): the whole graph, to compare an
// initial load with the online path.

// name: load-test-nodes
// Every identifier and item with its labels and properties; datetimes as text.
MATCH (n) WHERE n:Identifier OR n:Item
RETURN n.key AS key, labels(n) AS labels,
       [k IN keys(n) | [k, CASE WHEN k = 'at' THEN toString(n[k]) ELSE n[k] END]] AS properties;

// name: load-test-has
// HAS relationships; `at` of an event's (its own time), not a record's (arrival time).
MATCH (a:Item)-[h:HAS]->(i:Identifier)
RETURN a.key AS item, i.key AS identifier, h.source AS source, keys(h) AS keys,
       CASE WHEN a:Event THEN toString(h.at) END AS at;

// name: load-test-persons
// Persons as their members, with what a new person holds.
MATCH (p:Person)
RETURN p.id AS id, [(n)-[:OF]->(p) | n.key] AS members, p.mergedFrom AS mergedFrom,
       p.version AS version, p.createdAt IS NOT NULL AS created, keys(p) AS keys;
