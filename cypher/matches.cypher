// Possible matches (service/steward/matches/): blocking keys stored beside records,
// suggestions between records, rejections by stewards, and the catch-up cursor.
//
//   (:Item:Record)-[:KEYED]->(:MatchKey {key})             blocking keys (hashed)
//   (:Item:Record)-[:MAY_MATCH {score, weight, reasons, at}]->(:Item:Record)
//                                                          a scored pair, lower key first
//   (:MatchRejection {id, reason, by, at})-[:REJECTS {side: 'a'|'b'}]->(:Item:Record)
//                                                          a steward's "not the same"
//   (:MatchCursor {id: 'records', at, key})                how far the catch-up has read
//
// Suggestions and rejections hang on records, not persons: records keep their keys
// across re-imports, merges and splits, while person ids change.

// name: schema-match-key!
CREATE CONSTRAINT match_key IF NOT EXISTS
FOR (k:MatchKey) REQUIRE k.key IS UNIQUE;

// name: schema-match-rejection-id!
CREATE CONSTRAINT match_rejection_id IF NOT EXISTS
FOR (x:MatchRejection) REQUIRE x.id IS UNIQUE;

// name: schema-match-cursor-id!
CREATE CONSTRAINT match_cursor_id IF NOT EXISTS
FOR (c:MatchCursor) REQUIRE c.id IS UNIQUE;

// name: schema-record-updated-at!
// The catch-up of possible matches reads records written since its cursor.
CREATE RANGE INDEX record_updated_at IF NOT EXISTS
FOR (r:Record) ON (r.updatedAt);

// name: match-records(keys)
// Records as matching reads them: attributes (JSON text) and the contact points that
// may tell one customer from another (blocked and shared values tell nothing).
UNWIND $keys AS k
MATCH (r:Item {key: k})
USING INDEX SEEK r:Item(key)
WHERE r:Record
RETURN r.key AS key, r.attributes AS attributes,
       [(r)-[:HAS]->(i:Identifier)
          WHERE i.type IN ['EMAIL', 'PHONE', 'ADDRESS'] AND i.blocked IS NULL
            AND i.shared IS NULL | [i.type, i.value]] AS identifiers;

// name: match-index!(rows)
// Replace each record's blocking keys: rows {record, keys}.
UNWIND $rows AS row
MATCH (r:Item {key: row.record})
USING INDEX SEEK r:Item(key)
CALL (r, row) {
  MATCH (r)-[old:KEYED]->(k:MatchKey)
  WITH old, k.key AS stale
  WHERE NOT stale IN row.keys
  DELETE old
}
CALL (r, row) {
  UNWIND row.keys AS key
  MERGE (k:MatchKey {key: key})
  MERGE (r)-[:KEYED]->(k)
}
RETURN count(*) AS rows;

// name: match-candidates(rows, perKey, common)
// Each record's candidates: the records sharing one of its keys, at most $perKey per
// key, keys carried by more than $common records skipped (a junk value, a placeholder
// date); with what matching compares and their person. rows {record, keys}.
UNWIND $rows AS row
CALL (row) {
  UNWIND row.keys AS key
  MATCH (k:MatchKey {key: key})
  USING INDEX SEEK k:MatchKey(key)
  WITH k WHERE COUNT { (k)<-[:KEYED]-() } <= $common
  CALL (k, row) {
    MATCH (k)<-[:KEYED]-(c:Record)
    WHERE c.key <> row.record
    RETURN c LIMIT $perKey
  }
  RETURN DISTINCT c
}
OPTIONAL MATCH (c)-[:OF]->(p:Person)
RETURN row.record AS record, c.key AS candidate, c.attributes AS attributes,
       p.id AS person,
       [(c)-[:HAS]->(i:Identifier)
          WHERE i.type IN ['EMAIL', 'PHONE', 'ADDRESS'] AND i.blocked IS NULL
            AND i.shared IS NULL | [i.type, i.value]] AS identifiers;

// name: match-suggest!(records, pairs, now)
// Replace the scored pairs of these records: pairs {a, b (a < b), score, weight,
// reasons (JSON text)}.
CALL () {
  UNWIND $records AS key
  MATCH (r:Item {key: key})
  USING INDEX SEEK r:Item(key)
  MATCH (r)-[m:MAY_MATCH]-()
  DELETE m
}
UNWIND $pairs AS pair
MATCH (a:Item {key: pair.a})
USING INDEX SEEK a:Item(key)
MATCH (b:Item {key: pair.b})
USING INDEX SEEK b:Item(key)
MERGE (a)-[m:MAY_MATCH]->(b)
SET m.score = pair.score, m.weight = pair.weight, m.reasons = pair.reasons, m.at = $now
RETURN count(*) AS pairs;

// name: match-person^(id)
// A person by id or by the id of a person merged into it, with its records' count.
OPTIONAL MATCH (p:Person {id: $id})
OPTIONAL MATCH (a:PersonAlias {id: $id})-[:MERGED_INTO]->(q:Person)
USING INDEX SEEK a:PersonAlias(id)
WITH coalesce(p, q) AS p
WHERE p IS NOT NULL
RETURN p.id AS id, COUNT { (p)<-[:OF]-(:Record) } AS records;

// name: possible-matches(person, minScore, first)
// The persons a person may be, best first: over the scored pairs of its records with
// other persons' records, each other person's best pair, unless a steward rejected a
// pair of these two persons (a rejection between any record of one and any of the other).
MATCH (p:Person {id: $person})
USING INDEX SEEK p:Person(id)
MATCH (p)<-[:OF]-(:Record)-[m:MAY_MATCH]-(:Record)-[:OF]->(q:Person)
WHERE q <> p AND m.score >= $minScore
WITH p, q, m ORDER BY m.score DESC, m.weight DESC
WITH p, q, collect(m)[0] AS best
WHERE NOT EXISTS {
  MATCH (p)<-[:OF]-(:Record)<-[s:REJECTS]-(:MatchRejection)-[t:REJECTS]->(:Record)-[:OF]->(q)
  WHERE s.side <> t.side
}
RETURN q.id AS person, best.score AS score, best.weight AS weight, best.reasons AS reasons
ORDER BY score DESC, weight DESC, person
LIMIT $first;

// name: reject-match^(a, b, id, reason, by, now)
// A steward's "these two persons are not the same": one rejection tied to every record
// of each side, so that it holds whatever either side later merges with.
MATCH (p:Person {id: $a})
USING INDEX SEEK p:Person(id)
MATCH (q:Person {id: $b})
USING INDEX SEEK q:Person(id)
CREATE (x:MatchRejection {id: $id, reason: $reason, by: $by, at: $now})
WITH p, q, x
CALL (p, x) {
  MATCH (p)<-[:OF]-(r:Record)
  CREATE (x)-[:REJECTS {side: 'a'}]->(r)
  RETURN count(r) AS left
}
CALL (q, x) {
  MATCH (q)<-[:OF]-(r:Record)
  CREATE (x)-[:REJECTS {side: 'b'}]->(r)
  RETURN count(r) AS right
}
RETURN x.id AS id, left, right;

// name: match-cursor^
// How far the catch-up has read (records written up to at, then key).
OPTIONAL MATCH (c:MatchCursor {id: 'records'})
RETURN c.at AS at, c.key AS key;

// name: match-cursor-set!(at, key)
MERGE (c:MatchCursor {id: 'records'})
SET c.at = $at, c.key = $key;

// name: match-pending(at, key, limit)
// Records written at or after the cursor, in (updatedAt, key) order.
MATCH (r:Record)
WHERE r.updatedAt >= $at AND (r.updatedAt > $at OR r.key > $key)
RETURN r.key AS key, r.updatedAt AS at
ORDER BY r.updatedAt, r.key
LIMIT $limit;

// name: match-suggestion^(a, b)
// Whether persons $a and $b are a current possible match (acceptMatch checks it): the
// best score of the pairs between their records (null when none), and whether a
// steward rejected them (as in possible-matches). No row when either person is gone.
MATCH (p:Person {id: $a})
USING INDEX SEEK p:Person(id)
MATCH (q:Person {id: $b})
USING INDEX SEEK q:Person(id)
RETURN COLLECT {
         MATCH (p)<-[:OF]-(:Record)-[m:MAY_MATCH]-(:Record)-[:OF]->(q)
         RETURN m.score ORDER BY m.score DESC LIMIT 1
       }[0] AS score,
       EXISTS {
         MATCH (p)<-[:OF]-(:Record)<-[s:REJECTS]-(:MatchRejection)-[t:REJECTS]->(:Record)-[:OF]->(q)
         WHERE s.side <> t.side
       } AS rejected;
