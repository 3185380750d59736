// Statements the test suite uses to check the graph's invariants and to read
// the partition of records, events and identifiers into persons. Not for the service.

// name: testing-persons
// Every person with its members (records, events and linking identifiers, by key).
MATCH (p:Person)
RETURN p.id AS id, p.splitFrom AS splitFrom, p.mergedFrom AS mergedFrom,
       [(p)<-[:OF]-(n) | n.key] AS members;

// name: testing-identifiers
// Every identifier with its status and how many OF relationships leave it; not those
// only consents hold (no item carries them: they belong to no person).
MATCH (x:Identifier)
WHERE EXISTS { (x)<-[:HAS]-() } OR NOT EXISTS { (x)<-[:THROUGH]-() }
RETURN x.key AS key, x.type AS type, x.linking AS linking, x.shared AS shared,
       x.sharedReason AS reason, x.blocked AS blocked,
       COUNT { (x)-[:OF]->() } AS ofs,
       [(x)-[:OF]->(p:Person) | p.id] AS persons,
       labels(x) AS labels;

// name: testing-items
// Every record and event with the identifiers it carries and its OF relationships.
MATCH (n:Item)
RETURN n.key AS key, n:Record AS record, n:Event AS event,
       [(n)-[:HAS]->(x) | x.key] AS identifiers,
       COUNT { (n)-[:OF]->() } AS ofs,
       [(n)-[:OF]->(p:Person) | p.id] AS persons;

// name: testing-duplicate-keys
// Keys or ids held by more than one node (identifiers, items, persons, aliases).
CALL () {
  MATCH (n:Identifier) RETURN 'Identifier' AS label, n.key AS key
  UNION ALL
  MATCH (n:Item) RETURN 'Item' AS label, n.key AS key
  UNION ALL
  MATCH (n:Person) RETURN 'Person' AS label, n.id AS key
  UNION ALL
  MATCH (n:PersonAlias) RETURN 'PersonAlias' AS label, n.id AS key
}
WITH label, key, count(*) AS n
WHERE n > 1 OR key IS NULL
RETURN label, key, n;

// name: testing-duplicate-relationships
// The same relationship type twice between the same two nodes.
MATCH (a)-[r]->(b)
WITH a, type(r) AS type, b, count(r) AS n
WHERE n > 1
RETURN coalesce(a.key, a.id) AS from, type, coalesce(b.key, b.id) AS to, n;

// name: testing-stray-nodes
// Nodes that should not exist: persons without members, OF relationships that do not
// go from an item or identifier to a person, nodes with none of omnid's labels.
CALL () {
  MATCH (p:Person) WHERE NOT EXISTS { (p)<-[:OF]-() }
  RETURN 'empty person' AS problem, p.id AS key
  UNION ALL
  MATCH (a)-[:OF]->(b) WHERE NOT b:Person OR NOT (a:Item OR a:Identifier)
  RETURN 'stray OF' AS problem, coalesce(a.key, a.id) AS key
  UNION ALL
  MATCH (n)
  WHERE NOT (n:Item OR n:Identifier OR n:Person OR n:PersonAlias OR n:Consent
             OR n:Suppressed OR n:SuppressionList OR n:ErasureReceipt
             OR n:Separation OR n:MatchKey OR n:MatchRejection OR n:MatchCursor
             OR n:PersonChange OR n:ChangeCursor
             OR n:Segment OR n:Membership OR n:SegmentChange OR n:WebhookDelivery)
  RETURN 'unknown node' AS problem, toString(elementId(n)) AS key
  UNION ALL
  MATCH (n:Person&PersonAlias)
  RETURN 'person and alias' AS problem, n.id AS key
}
RETURN problem, key;

// name: testing-aliases
// Every alias, with the persons its MERGED_INTO relationships point at, and when.
MATCH (a:PersonAlias)
RETURN a.id AS id, a.mergedInto AS mergedInto,
       [(a)-[:MERGED_INTO]->(p:Person) | p.id] AS into,
       [(a)-[m:MERGED_INTO]->() | m.at IS NOT NULL] AS dated;

// name: testing-person-identifiers(id)
// Every identifier carried by the records and events of one person, linking or not.
MATCH (:Person {id: $id})<-[:OF]-(:Item)-[:HAS]->(x:Identifier)
RETURN DISTINCT x.key AS key, x.type AS type, x.linking AS linking, x.shared AS shared;

// name: testing-mark-as-older-omnid!(with_ingest)
// Make the graph look as earlier omnid versions wrote it (a graph upgraded in place):
// identifiers without `ingest` (the first versions), or with `ingest` and `shared =
// false` on every identifier and `ingest` on every event (later ones). Writes: tests only.
MATCH (n)
WHERE n:Identifier OR n:Event
SET n.ingest = CASE WHEN $with_ingest THEN 'older-omnid' END
SET n.shared = CASE WHEN n:Identifier THEN coalesce(n.shared, false) END;

// name: count-consents$
MATCH (c:Consent)
RETURN count(c) AS consents;

// name: testing-identity-counts^
// Nodes and relationships of the identity graph: not receipts or the suppression list,
// nor the aliases merges leave (history: persons an erasure re-merges leave some).
CALL () {
  MATCH (n)
  WHERE n:Item OR n:Identifier OR n:Person OR n:Consent
  RETURN count(n) AS nodes
}
CALL () {
  MATCH (a)-[r]->()
  WHERE a:Item OR a:Identifier OR a:Consent
  RETURN count(r) AS relationships
}
RETURN nodes, relationships;

// name: testing-all-properties
// Every node's and relationship's properties, with its labels or type (the erasure
// proof scans them for personal values).
CALL () {
  MATCH (n)
  RETURN labels(n) AS what, properties(n) AS properties
  UNION ALL
  MATCH ()-[r]->()
  RETURN [type(r)] AS what, properties(r) AS properties
}
RETURN what, properties;

// name: testing-digest
// One line per identifier, item and HAS relationship with the properties two writes of
// the same input must agree on; left out: times of writing, person ids (random UUIDs;
// compare partitions instead), raw display forms and the count quoted in a shared
// reason (both depend on arrival order).
CALL () {
  MATCH (x:Identifier)
  RETURN 'identifier|' + x.key + '|' + x.type + '|' + x.value + '|'
         + toString(x.linking) + '|' + toString(coalesce(x.shared, false)) + '|'
         + coalesce(x.blocked, '') AS line
  UNION ALL
  MATCH (n:Item)
  RETURN 'item|' + n.key + '|' + n.source + '|' + n.sourceId + '|'
         + coalesce(n.channel, '') + '|' + coalesce(n.type, '') + '|'
         + coalesce(toString(n.at), '') + '|' + coalesce(n.attributes, '') + '|'
         + coalesce(n.country, '') AS line
  UNION ALL
  MATCH (n:Item)-[h:HAS]->(x:Identifier)
  RETURN 'has|' + n.key + '|' + x.key + '|' + coalesce(h.source, '') AS line
}
RETURN line
ORDER BY line;

// name: testing-traces
// Every identifier, item and consent by key, and every HAS and THROUGH relationship by
// the keys it joins, with all their properties: two graphs that must be the same apart
// from their persons (compared as partitions) compare equal on these rows.
CALL () {
  MATCH (n)
  WHERE n:Identifier OR n:Item OR n:Consent
  RETURN 'node' AS what, labels(n) AS labels, n.key AS key, properties(n) AS properties
  UNION ALL
  MATCH (a)-[r:HAS|THROUGH]->(b)
  RETURN type(r) AS what, [] AS labels, a.key + ' -> ' + b.key AS key,
         properties(r) AS properties
}
RETURN what, labels, key, properties
ORDER BY what, key;

// name: testing-blocked-writers$(work)
// How many of omnid's transactions of one kind (their metadata's `work`, e.g.
// 'resolve_batch_tx') are waiting for a lock another transaction holds: the tests that
// interleave two writers wait for it before letting the first one commit.
SHOW TRANSACTIONS YIELD status, metaData
WHERE status STARTS WITH 'Blocked' AND metaData.work = $work
RETURN count(*) AS blocked;

// name: testing-segment-traces^(persons)
// What segments hold of these persons: membership states, entries and exits, webhook
// deliveries (the erasure proof expects none).
RETURN COUNT { MATCH (m:Membership) WHERE m.person IN $persons } AS memberships,
       COUNT { MATCH (c:SegmentChange) WHERE c.person IN $persons } AS changes,
       COUNT { MATCH (d:WebhookDelivery) WHERE d.person IN $persons } AS deliveries;
