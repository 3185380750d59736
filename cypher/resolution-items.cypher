// Resolution, phase 1: writing records, events and the identifiers they carry, and
// deleting identifiers nothing carries any more. Run by
// service/identity/resolution/items.py inside one transaction per batch; every statement
// takes a list of rows (UNWIND).
// Key lookups inside patterns carry `USING INDEX SEEK`: plans are cached, and one made
// while a label is nearly empty (a new database's first batches) can scan an index and
// filter it for every row; a plain `USING INDEX` allows that scan (tests/test_cypher.py
// checks the hints).

// name: merge-identifiers^(rows, now)
// Upsert identifier nodes (rows sorted by key, so concurrent writers lock in one order)
// and return each one's linking status, current person ('' when none), whether it is
// new to the graph and its element id, as one row of parallel lists: the Python driver
// pays per row, far less per list element. "New" is read from the graph, not marked:
// every stored identifier is carried by at least one record or event (orphans are
// deleted in the transaction that orphans them), so one without HAS relationships was
// created by this statement. The later statements of the batch find these nodes by
// element id (valid for this transaction, which holds their locks), cheaper than a
// second index seek. `display` keeps up to five raw forms; it is only rewritten when a
// new one arrives. `shared` is stored only while true (absent reads as false): the
// index on it then holds the few shared values, not every identifier. `override` is an
// operator's decision on the value ('shared' or 'linking', service/steward/corrections.py),
// '' when none: the shared rules never undo it.
// MERGE finds an existing node before it waits for its lock (SET lastSeen): a node that
// the lock's holder deleted meanwhile (an orphan, delete-orphan-identifiers) yields no
// row (its properties read as null), and the caller merges the keys it is missing
// again (resolution/items.py).
UNWIND $rows AS row
MERGE (i:Identifier {key: row.key})
  ON CREATE SET
    i:$(row.label),
    i.type = row.type,
    i.value = row.value,
    i.blocked = row.blocked,
    i.linking = row.linking,
    i.firstSeen = $now,
    i.display = [row.display]
SET i.lastSeen = $now
FOREACH (_ IN CASE WHEN row.display IN i.display OR size(i.display) >= 5 THEN [] ELSE [1] END |
  SET i.display = i.display + row.display
)
WITH i WHERE i.key IS NOT NULL  // a node deleted meanwhile reads as null: no row
OPTIONAL MATCH (i)-[:OF]->(p:Person)
RETURN collect(i.key) AS keys, collect(coalesce(i.linking, false)) AS linking,
       collect(coalesce(i.shared, false)) AS shared,
       collect(coalesce(p.id, '')) AS persons,
       collect(NOT EXISTS { (i)<-[:HAS]-() }) AS created,
       collect(elementId(i)) AS ids, collect(coalesce(i.override, '')) AS overrides;

// name: lock-records^(rows, now)
// A record replaces what its source knew before. Upsert the record nodes (sorted by key)
// with their attributes, which write-locks each one until commit, then read what they
// carried before: their person ('' when new), their identifiers as [key, linking,
// blocked, the raw forms this record sent of it] and their element ids. `blocked` too: a blocked value a record drops must not be re-evaluated as if
// it could link. Python then computes what each record gains and loses
// (relink-records). Reading and writing in separate statements keeps both plans
// simple: one statement that read, deleted and merged HAS relationships needed Eager
// operators and slowed down sharply on batches of more than about 1,000 records.
UNWIND $rows AS row
MERGE (r:Item {key: row.key})
  ON CREATE SET r:Record, r.source = row.source, r.sourceId = row.id, r.firstSeen = $now
SET r.attributes = row.attributes, r.country = row.country, r.updatedAt = $now
WITH r
OPTIONAL MATCH (r)-[:OF]->(p:Person)
WITH r, p, COLLECT {
  MATCH (r)-[h:HAS]->(x:Identifier) RETURN [x.key, x.linking, x.blocked, h.display]
} AS old
RETURN collect(r.key) AS keys, collect(coalesce(p.id, '')) AS persons, collect(old) AS old,
       collect(elementId(r)) AS ids;

// name: relink-records!(rows, now)
// Apply what lock-records found: rows {id: the record's element id, source, remove:
// [identifier keys], add: [{id: identifier element id, display: raw form}], respell:
// [{key: identifier key, display: a raw form this record had not sent of it}]}. Each
// HAS keeps the raw forms its item sent (`display`, up to five), so that an erasure
// can tell the spellings others sent of a shared value from hers. The records are locked by
// lock-records, so the relationships to add cannot have appeared meanwhile. The removed
// identifiers are sought by key with a hint: left to the statistics, the plan cached for
// this statement was sometimes a scan of the whole Identifier(key) index for every row,
// 6-7 s a call instead of milliseconds (bench/README.md, "Ninth session").
UNWIND $rows AS row
MATCH (r:Item) WHERE elementId(r) = row.id
CALL (r, row) {
  WITH r, row WHERE row.remove <> []
  MATCH (r)-[h:HAS]->(i:Identifier)
  USING INDEX SEEK i:Identifier(key)
  WHERE i.key IN row.remove
  DELETE h
}
CALL (r, row) {
  UNWIND row.add AS add
  MATCH (i:Identifier) WHERE elementId(i) = add.id
  CREATE (r)-[:HAS {at: $now, source: row.source, display: [add.display]}]->(i)
}
CALL (r, row) {
  UNWIND row.respell AS respell
  MATCH (r)-[h:HAS]->(i:Identifier {key: respell.key})
  USING INDEX SEEK i:Identifier(key)
  WHERE size(h.display) < 5
  SET h.display = h.display + respell.display
};

// name: create-events^(rows, now)
// Events are immutable: an event already stored is left as it is. `at` arrives as an
// ISO 8601 string (cheaper to send than a driver DateTime); `links` are the element ids
// of the event's identifiers (merge-identifiers) with the raw form it sent of each. Returns the keys and element ids of the
// events this call created, as two lists. An event carries at least one identifier (the
// contract requires it), so a stored one has HAS relationships and one without was
// created here; the planner reads them all before creating any (Eager).
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
WHERE NOT EXISTS { (e)-[:HAS]->() }
// New in this statement, so none of its relationships exist yet: CREATE, not MERGE.
CALL (e, row) {
  UNWIND row.links AS link
  MATCH (i:Identifier) WHERE elementId(i) = link.id
  CREATE (e)-[:HAS {at: e.at, source: row.source, display: [link.display]}]->(i)
}
RETURN collect(e.key) AS keys, collect(elementId(e)) AS ids;

// name: delete-orphan-identifiers$(keys)
// An identifier no record or event carries any more is evidence of nothing: remove it,
// exactly as if it had never been sent. Returns the keys deleted. One a consent was
// given through (cypher/consent.cypher) stays for the consent, as it is before any
// record carries it: out of its person, not shared (resolution treats it as deleted).
// One an operator overrode stays too, with its override (an operator's decision must
// outlive the data: a file re-sent later carries the value again, and must find it).
UNWIND $keys AS k
MATCH (i:Identifier {key: k})
USING INDEX SEEK i:Identifier(key)
WHERE NOT EXISTS { (i)<-[:HAS]-(:Item) }
CALL (i) {
  WITH i
  WHERE EXISTS { (i)<-[:THROUGH]-(:Consent) } OR i.override IS NOT NULL
  OPTIONAL MATCH (i)-[o:OF]->(:Person)
  DELETE o
  SET i.linking = CASE
    WHEN i.override IS NOT NULL THEN i.override = 'linking'
    WHEN i.shared AND i.blocked IS NULL THEN true
    ELSE i.linking END
  REMOVE i.shared, i.sharedReason
}
CALL (i) {
  WITH i
  WHERE NOT EXISTS { (i)<-[:THROUGH]-(:Consent) } AND i.override IS NULL
  DETACH DELETE i
}
RETURN collect(k) AS keys;

