// Resolution, phase 2: the shared-identifier evidence, and identifiers' status. Run by
// service/identity/resolution/shared.py in the same transaction as the writes in
// resolution-items.cypher.
// Key lookups inside patterns carry `USING INDEX SEEK`: plans are cached, and one made
// while a label is nearly empty (a new database's first batches) can scan an index and
// filter it for every row; a plain `USING INDEX` allows that scan (tests/test_cypher.py
// checks the hints).

// name: cooccurrence$(ids, keys)
// For each identifier, how many distinct identifiers of each type appear on the same
// records and events (blocked values excluded). The shared-identifier rules read this;
// an operator's `override` ('shared', 'linking') decides over them.
// One list of rows. The identifiers this transaction merged come by element id (`ids`),
// the others (values a record dropped) by key: 2,500 identifiers of a 200,000-item
// graph took 70 ms instead of 83 ms (median of five) without the key index's seeks.
// Each co-occurring identifier is made distinct before its properties are read: a
// customer's phone on fifty of the email's events is read once, not fifty times (1,250
// identifiers of a 300,000-item graph: 34 ms instead of 40, median of five; 42,569
// database hits instead of 53,705). HAS relationships only go from items to
// identifiers, so neither end needs a label check.
CALL () {
  UNWIND $ids AS id
  MATCH (x:Identifier) WHERE elementId(x) = id
  RETURN x
  UNION ALL
  UNWIND $keys AS k
  MATCH (x:Identifier {key: k})
  USING INDEX SEEK x:Identifier(key)
  RETURN x
}
CALL (x) {
  MATCH (x)<-[:HAS]-()-[:HAS]->(y)
  WHERE y <> x
  WITH DISTINCT y
  WHERE y.blocked IS NULL
  WITH y.type AS type, count(*) AS n
  RETURN collect({type: type, n: n}) AS counts
}
RETURN collect({key: x.key, type: x.type, linking: x.linking, shared: x.shared,
                reason: x.sharedReason, blocked: x.blocked, override: x.override,
                counts: counts}) AS rows;

// name: set-identifier-status!(rows, now)
// Mark identifiers shared (no longer linking) or linking again, with the reason.
UNWIND $rows AS row
MATCH (x:Identifier {key: row.key})
USING INDEX SEEK x:Identifier(key)
SET x.shared = CASE WHEN row.shared THEN true END,
    x.sharedReason = row.reason,
    x.linking = row.linking,
    x.statusChangedAt = $now;

// name: override-identifiers(rows, now)
// An operator's decision on values (service/identity/resolution/restatus.py): rows
// {key, override: 'shared' | 'linking' | null (cleared), by, reason, separation}. Locks
// each identifier (rows sorted by key) and returns what it was before: its linking
// status, its person, its type and blocked mark, for the shared rules and the regrouping,
// and its element id.
UNWIND $rows AS row
MATCH (x:Identifier {key: row.key})
USING INDEX SEEK x:Identifier(key)
WITH x, row, x.linking AS was
OPTIONAL MATCH (x)-[:OF]->(p:Person)
SET x.override = row.override,
    x.overrideBy = row.by,
    x.overrideReason = row.reason,
    x.overrideSeparation = row.separation,
    x.overrideAt = CASE WHEN row.override IS NULL THEN null ELSE $now END
RETURN x.key AS key, coalesce(was, false) AS linking, p.id AS person, x.type AS type,
       x.blocked AS blocked, EXISTS { (x)<-[:HAS]-(:Item) } AS carried,
       elementId(x) AS id;
