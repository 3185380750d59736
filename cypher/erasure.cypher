// The right to be forgotten: erasing a person, the suppression list that keeps an
// erased customer from coming back with the next import, erasure receipts, and the
// subject-access export. Run by service/privacy/. Suppressed values are HMAC-SHA256
// hashes of identifier keys (hex): never the values.

// name: erasure-scope^(id)
// The person to erase, by its id or an alias of it, write-locked (version bumped):
// its records and events, the identifiers they carry and its own (with their values
// and raw forms, to keep them out of the receipt), and its aliases. No row: unknown.
CALL () {
  MATCH (p:Person {id: $id})
  RETURN p
  UNION
  MATCH (a:PersonAlias {id: $id})-[:MERGED_INTO]->(p:Person)
  USING INDEX SEEK a:PersonAlias(id)
  RETURN p
}
SET p.version = p.version + 1
RETURN p.id AS id,
       [(p)<-[:OF]-(n:Item) | {key: n.key, source: n.source, id: n.sourceId, event: n:Event}]
         AS items,
       [(p)<-[:OF]-(:Item)-[:HAS]->(x:Identifier) | {key: x.key, value: x.value, display: x.display}]
         + [(p)<-[:OF]-(x:Identifier) | {key: x.key, value: x.value, display: x.display}]
         AS identifiers,
       [(a:PersonAlias)-[:MERGED_INTO]->(p) | a.id] AS aliases;

// name: erasure-events-as-records!(keys)
// The person's events become records for the rest of the erasure's transaction: the
// write path then removes every identifier they carry, as it removes a record's, and
// re-evaluates what those identifiers share with other customers.
UNWIND $keys AS k
MATCH (e:Item:Event {key: k})
USING INDEX SEEK e:Item(key)
REMOVE e:Event
SET e:Record;

// name: erasure-delete-aliases$(ids)
// The person's merge history: the aliases of persons merged into it. Returns how many.
UNWIND $ids AS id
MATCH (a:PersonAlias {id: id})
USING INDEX SEEK a:PersonAlias(id)
DETACH DELETE a
RETURN count(*) AS aliases;

// name: erasure-delete-items$(keys)
// The emptied records and events, and the persons they were left in (each alone).
// Returns how many items were deleted.
UNWIND $keys AS k
MATCH (n:Item {key: k})
USING INDEX SEEK n:Item(key)
OPTIONAL MATCH (n)-[:OF]->(q:Person)
WITH collect(n) AS items, collect(DISTINCT q) AS persons
CALL (items) {
  UNWIND items AS n
  DETACH DELETE n
}
CALL (persons) {
  UNWIND persons AS q
  WITH q
  WHERE NOT EXISTS { (q)<-[:OF]-() }
  DETACH DELETE q
}
RETURN size(items) AS deleted;

// name: erasure-delete-identifiers^(keys)
// Of the person's identifiers, those no record or event carries any more (the write
// path kept them only for the consents given through them), with every consent given
// through them. Values still carried by other customers' items stay. Returns the keys
// deleted and how many consents went with them.
UNWIND $keys AS k
MATCH (x:Identifier {key: k})
USING INDEX SEEK x:Identifier(key)
WHERE NOT EXISTS { (x)<-[:HAS]-(:Item) }
OPTIONAL MATCH (x)<-[:THROUGH]-(c:Consent)
WITH collect(DISTINCT x) AS xs, collect(DISTINCT c) AS cs
CALL (cs) {
  UNWIND cs AS c
  DETACH DELETE c
}
CALL (xs) {
  UNWIND xs AS x
  DETACH DELETE x
}
RETURN size(xs) AS identifiers, size(cs) AS consents;

// name: existing-identifiers$(keys)
// Which of these identifier keys are still in the graph.
UNWIND $keys AS k
MATCH (x:Identifier {key: k})
USING INDEX SEEK x:Identifier(key)
RETURN collect(k) AS keys;

// name: suppress!(hashes, now)
// Remember erased identifiers by their hashes (idempotent).
UNWIND $hashes AS h
MERGE (s:Suppressed {hash: h})
  ON CREATE SET s.at = $now;

// name: suppressed-among$(hashes)
// Which of these hashes are suppressed.
UNWIND $hashes AS h
MATCH (s:Suppressed {hash: h})
USING INDEX SEEK s:Suppressed(hash)
RETURN collect(h) AS hashes;

// name: suppressed-hashes$
// Every suppressed hash (a bulk import filters against all of them in memory).
MATCH (s:Suppressed)
RETURN collect(s.hash) AS hashes;

// name: unsuppress$(hash)
// Forget one suppressed hash (a customer who came back of their own will). Returns
// how many were removed (0 or 1).
OPTIONAL MATCH (s:Suppressed {hash: $hash})
WITH s, count(s) AS found
DETACH DELETE s
RETURN found;

// name: create-erasure-receipt!(receipt)
// What an erasure removed, by whom and why: counts only, no personal value.
CREATE (r:ErasureReceipt)
SET r = $receipt, r.at = datetime($receipt.at);

// name: erasure-receipts(since)
// Erasure receipts since a time (ISO 8601, or null for all), oldest first.
MATCH (r:ErasureReceipt)
WHERE $since IS NULL OR r.at >= datetime($since)
RETURN r.id AS id, toString(r.at) AS at, r.requestedBy AS requestedBy, r.reason AS reason,
       r.records AS records, r.events AS events, r.identifiers AS identifiers,
       r.consents AS consents, r.aliases AS aliases, r.suppressed AS suppressed
ORDER BY r.at, r.id;

// name: export-person^(id)
// Subject access: the person, its merge and split history.
MATCH (p:Person {id: $id})
RETURN p.id AS id, toString(p.createdAt) AS createdAt, p.mergedFrom AS mergedFrom,
       p.splitFrom AS splitFrom, toString(p.splitAt) AS splitAt,
       [(a:PersonAlias)-[m:MERGED_INTO]->(p) | {id: a.id, at: toString(m.at)}] AS merges;

// name: export-identifiers(id)
// Subject access: every identifier of the person (its own and those its items carry),
// with raw forms, flags and the sources that sent it.
MATCH (p:Person {id: $id})
CALL (p) {
  MATCH (p)<-[:OF]-(x:Identifier)
  RETURN x
  UNION
  MATCH (p)<-[:OF]-(:Item)-[:HAS]->(x:Identifier)
  RETURN x
}
RETURN x.key AS key, x.type AS type, x.value AS value, x.display AS display,
       x.linking AS linking, coalesce(x.shared, false) AS shared, x.blocked AS blocked,
       toString(x.firstSeen) AS firstSeen,
       COLLECT { MATCH (x)<-[h:HAS]-(:Item)-[:OF]->(p) RETURN DISTINCT h.source } AS sources
ORDER BY key;

// name: export-items(id)
// Subject access: every record and event of the person with its attributes.
MATCH (p:Person {id: $id})<-[:OF]-(n:Item)
RETURN n.key AS key, n:Event AS event, n.source AS source, n.sourceId AS id,
       n.attributes AS attributes, n.country AS country, n.channel AS channel, n.type AS type,
       toString(n.at) AS at, toString(n.firstSeen) AS firstSeen,
       toString(n.updatedAt) AS updatedAt, toString(n.receivedAt) AS receivedAt,
       [(n)-[:HAS]->(x:Identifier) | x.key] AS identifiers
ORDER BY event, at, key;

// name: suppression-version$
// Bumped by every change to the suppression list: processes reload it when it moves.
OPTIONAL MATCH (v:SuppressionList {id: 'suppressed'})
RETURN coalesce(v.version, 0) AS version;

// name: bump-suppression-version$
// Returns the new version.
MERGE (v:SuppressionList {id: 'suppressed'})
  ON CREATE SET v.version = 0
SET v.version = v.version + 1
RETURN v.version AS version;
