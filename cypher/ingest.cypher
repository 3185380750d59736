// Writing records, events and the identifiers they carry. Run by service/resolution.py
// inside one transaction per batch; every statement takes a list of rows (UNWIND).

// name: merge-identifiers(rows, now)
// Upsert identifier nodes (rows sorted by key, so concurrent writers lock in one order)
// and return each one's linking status and current person.
UNWIND $rows AS row
MERGE (i:Identifier {key: row.key})
  ON CREATE SET
    i:$(row.label),
    i.type = row.type,
    i.value = row.value,
    i.blocked = row.blocked,
    i.shared = false,
    i.linking = row.linking,
    i.firstSeen = $now,
    i.display = []
SET i.lastSeen = $now,
    i.display = CASE
      WHEN row.display IN i.display OR size(i.display) >= 5 THEN i.display
      ELSE i.display + row.display
    END
WITH i
OPTIONAL MATCH (i)-[:OF]->(p:Person)
RETURN i.key AS key, i.linking AS linking, i.shared AS shared, p.id AS person;

// name: upsert-records(rows, now)
// A record replaces what its source knew before: attributes are overwritten, identifiers
// it no longer carries are unlinked. Returns the identifiers it carried before.
UNWIND $rows AS row
MERGE (r:Item {key: row.key})
  ON CREATE SET r:Record, r.source = row.source, r.sourceId = row.id, r.firstSeen = $now
SET r.attributes = row.attributes, r.country = row.country, r.updatedAt = $now
WITH r, row
OPTIONAL MATCH (r)-[:OF]->(p:Person)
// `blocked` too: a blocked value a record drops must not be re-evaluated as if it could
// link (it once came back linking, because its blocked reason was only known for the
// identifiers the batch itself carried).
WITH r, row, p,
     [(r)-[:HAS]->(x:Identifier) | {key: x.key, linking: x.linking, blocked: x.blocked}] AS old
CALL (r, row) {
  MATCH (r)-[h:HAS]->(x:Identifier)
  WHERE NOT x.key IN row.keys
  DELETE h
}
CALL (r, row) {
  UNWIND row.keys AS k
  MATCH (i:Identifier {key: k})
  MERGE (r)-[h:HAS]->(i)
    ON CREATE SET h.at = $now, h.source = row.source
}
RETURN r.key AS key, p.id AS person, old;

// name: create-events(rows, now, ingest)
// Events are immutable: an event already stored is left as it is. Returns the keys of
// the events this call created (marked with this batch's ingest id).
UNWIND $rows AS row
MERGE (e:Item {key: row.key})
  ON CREATE SET
    e:Event,
    e.source = row.source,
    e.sourceId = row.id,
    e.channel = row.channel,
    e.type = row.type,
    e.at = row.at,
    e.attributes = row.attributes,
    e.country = row.country,
    e.receivedAt = $now,
    e.ingest = $ingest
WITH e, row
WHERE e.ingest = $ingest
CALL (e, row) {
  UNWIND row.keys AS k
  MATCH (i:Identifier {key: k})
  MERGE (e)-[h:HAS]->(i)
    ON CREATE SET h.at = row.at, h.source = row.source
}
RETURN e.key AS key;

// name: delete-orphan-identifiers(keys)
// An identifier no record or event carries any more is evidence of nothing: remove it,
// exactly as if it had never been sent.
UNWIND $keys AS k
MATCH (i:Identifier {key: k})
WHERE NOT EXISTS { (i)<-[:HAS]-(:Item) }
DETACH DELETE i
RETURN k AS key;

// name: cooccurrence(keys)
// For each identifier, how many distinct identifiers of each type appear on the same
// records and events (blocked values excluded). The shared-identifier rules read this.
UNWIND $keys AS k
MATCH (x:Identifier {key: k})
CALL (x) {
  OPTIONAL MATCH (x)<-[:HAS]-(:Item)-[:HAS]->(y:Identifier)
  WHERE y <> x AND y.blocked IS NULL
  WITH y.type AS type, count(DISTINCT y) AS n
  RETURN collect({type: type, n: n}) AS counts
}
RETURN x.key AS key, x.type AS type, x.linking AS linking, x.shared AS shared,
       x.sharedReason AS reason, x.blocked AS blocked, counts;

// name: set-identifier-status!(rows, now)
// Mark identifiers shared (no longer linking) or linking again, with the reason.
UNWIND $rows AS row
MATCH (x:Identifier {key: row.key})
SET x.shared = row.shared,
    x.sharedReason = row.reason,
    x.linking = row.linking,
    x.statusChangedAt = $now;

// name: item-persons(keys)
// The person each item belongs to.
UNWIND $keys AS k
MATCH (n:Item {key: k})-[:OF]->(p:Person)
RETURN k AS key, p.id AS person;

// name: record-for-update^(key)
// A record as stored, to re-send it without one identifier (corrections).
MATCH (r:Record {key: $key})
RETURN r.attributes AS attributes, r.country AS country,
       [(r)-[:HAS]->(i:Identifier) |
          {type: i.type, value: i.value, display: i.display[0], blocked: i.blocked}] AS identifiers;
