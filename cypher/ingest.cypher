// Statements of the ingest pipeline outside resolution: the links a bulk window is cut
// along (service/identity/cutting.py) and the record a correction rewrites
// (service/identity/ingest.py).
// Key lookups inside patterns carry `USING INDEX SEEK`: plans are cached, and one made
// while a label is nearly empty (a new database's first batches) can scan an index and
// filter it for every row; a plain `USING INDEX` allows that scan (tests/test_cypher.py
// checks the hints).

// name: record-for-update^(key)
// A record as stored, to re-send it without one identifier (corrections).
MATCH (r:Item:Record {key: $key})
USING INDEX SEEK r:Item(key)
RETURN r.attributes AS attributes, r.country AS country,
       [(r)-[:HAS]->(i:Identifier) |
          {type: i.type, value: i.value, display: i.display[0], blocked: i.blocked}] AS identifiers;

// name: window-links^(identifiers, records)
// Before a bulk load writes a window of batches as several concurrent transactions
// (Ingestor.ingest_batches; read while the window before it writes, whose changes the
// caller adds from its outcomes): the persons the window's identifiers and stored
// records already belong to, and the identifiers the stored records carry, so that
// items reaching one person go to one transaction. Two transactions sharing a person
// wait on each other's locks and can deadlock (then the driver retries a whole batch
// after a second). Parallel lists; a person '' when none.
CALL () {
  UNWIND $identifiers AS k
  MATCH (i:Identifier {key: k})-[:OF]->(p:Person)
  USING INDEX SEEK i:Identifier(key)
  RETURN collect(k) AS identifiers, collect(p.id) AS persons
}
CALL () {
  UNWIND $records AS k
  MATCH (r:Item {key: k})
  USING INDEX SEEK r:Item(key)
  OPTIONAL MATCH (r)-[:OF]->(p:Person)
  RETURN collect(k) AS records, collect(coalesce(p.id, '')) AS recordPersons,
         collect([(r)-[:HAS]->(x:Identifier) | x.key]) AS carried
}
RETURN identifiers, persons, records, recordPersons, carried;
