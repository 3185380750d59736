// Resolution, phase 3: maintaining persons, connected components of records, events and
// linking identifiers (lock, merge, split). Run by service/identity/resolution/regroup.py
// in the same transaction as the statements of resolution-items.cypher and
// resolution-shared.cypher.
// Key lookups inside patterns carry `USING INDEX SEEK`: plans are cached, and one made
// while a label is nearly empty (a new database's first batches) can scan an index and
// filter it for every row; a plain `USING INDEX` allows that scan (tests/test_cypher.py
// checks the hints).

// name: lock-persons^(ids, members)
// Take the write lock on each person (ids sorted, so writers lock in one order) and
// return its size (records, events and linking identifiers) and age, as parallel lists;
// the age as a string, which the Python driver reads far faster than a DateTime. Then,
// with every lock held, count the `members` ({id: element id, person}) that no longer
// belong to the person the batch read for them: a batch reads a member's person before
// it holds that person's lock, and Neo4j moves a member of a dense node (50 or more
// relationships) without taking the member's lock, so only this second look can tell.
CALL () {
  UNWIND $ids AS id
  MATCH (p:Person {id: id})
  USING INDEX SEEK p:Person(id)
  SET p.version = p.version + 1
  WITH p, COUNT { (p)<-[:OF]-() } AS size
  RETURN collect(p.id) AS ids, collect(size) AS sizes,
         collect(coalesce(toString(p.createdAt), '')) AS createdAt
}
CALL () {
  UNWIND $members AS m
  MATCH (n) WHERE elementId(n) = m.id
  OPTIONAL MATCH (n)-[:OF]->(q:Person)
  WITH m, q WHERE q IS NULL OR q.id <> m.person
  RETURN count(*) AS moved
}
RETURN ids, sizes, createdAt, moved;

// name: person-members(ids)
// Every member of the persons that may split, with the linking identifiers each
// record or event carries.
UNWIND $ids AS id
MATCH (q:Person {id: id})<-[:OF]-(n)
USING INDEX SEEK q:Person(id)
RETURN id AS person, n.key AS key, n:Item AS item,
       CASE WHEN n:Item THEN [(n)-[:HAS]->(x:Identifier WHERE x.linking) | x.key] ELSE [] END AS links;

// name: items-of-identifiers(keys)
// Records and events carrying identifiers that start linking again, with their person
// and element id; each item is locked so its person cannot change under us.
UNWIND $keys AS k
MATCH (i:Identifier {key: k})<-[:HAS]-(it:Item)
USING INDEX SEEK i:Identifier(key)
SET it.version = coalesce(it.version, 0) + 1
WITH k, it
OPTIONAL MATCH (it)-[:OF]->(p:Person)
RETURN k AS identifier, it.key AS item, p.id AS person, elementId(it) AS id;

// name: create-persons!(rows, now)
// New persons (their members join them through attach-to-persons and assign-to-persons).
UNWIND $rows AS row
CREATE (:Person {
  id: row.id,
  createdAt: $now,
  version: 0,
  mergedFrom: [],
  splitFrom: row.splitFrom,
  splitAt: CASE WHEN row.splitFrom IS NULL THEN null ELSE $now END
});

// name: detach-identifiers!(keys)
// Identifiers that stopped linking leave their person.
UNWIND $keys AS k
MATCH (i:Identifier {key: k})-[o:OF]->(:Person)
USING INDEX SEEK i:Identifier(key)
DELETE o;

// name: attach-to-persons!(groups)
// Records, events and identifiers that belong to no person yet join theirs (new or not):
// groups {person, items: [element ids], identifiers: [element ids]}, the ids read by
// this transaction's earlier statements. They were read without a person under their
// write lock, so no OF relationship can exist: CREATE, not MERGE.
UNWIND $groups AS g
MATCH (p:Person {id: g.person})
USING INDEX SEEK p:Person(id)
CALL (p, g) {
  UNWIND g.items AS id
  MATCH (n:Item) WHERE elementId(n) = id
  CREATE (n)-[:OF]->(p)
}
CALL (p, g) {
  UNWIND g.identifiers AS id
  MATCH (n:Identifier) WHERE elementId(n) = id
  CREATE (n)-[:OF]->(p)
};

// name: assign-to-persons!(rows)
// Records, events and identifiers that change person: point them at the new one.
UNWIND $rows AS row
CALL (row) {
  WITH row WHERE row.item
  MATCH (n:Item {key: row.key})
  USING INDEX SEEK n:Item(key)
  RETURN n
  UNION
  WITH row WHERE NOT row.item
  MATCH (n:Identifier {key: row.key})
  USING INDEX SEEK n:Identifier(key)
  RETURN n
}
MATCH (p:Person {id: row.person})
USING INDEX SEEK p:Person(id)
CALL (n, p) {
  MATCH (n)-[o:OF]->(old:Person)
  WHERE old <> p
  DELETE o
}
MERGE (n)-[:OF]->(p);

// name: absorb-persons!(rows, now)
// Merge: every member of `from` moves to `into`; `from` becomes an alias that still
// answers lookups by its id.
UNWIND $rows AS row
MATCH (a:Person {id: row.from}), (s:Person {id: row.into})
USING INDEX SEEK a:Person(id)
USING INDEX SEEK s:Person(id)
CALL (a, s) {
  MATCH (n)-[o:OF]->(a)
  CREATE (n)-[:OF]->(s)
  DELETE o
}
CALL (a, s) {
  // Older aliases of `a` now answer with `s`: re-point them, keeping when they were
  // merged, and keep their `mergedInto` in step with the relationship (it used to go
  // on naming `a`, itself only an alias from now on).
  MATCH (x:PersonAlias)-[m:MERGED_INTO]->(a)
  CREATE (x)-[:MERGED_INTO {at: m.at}]->(s)
  SET x.mergedInto = s.id
  DELETE m
}
SET s.mergedFrom = s.mergedFrom + [a.id] + coalesce(a.mergedFrom, [])
REMOVE a:Person
SET a:PersonAlias, a.mergedInto = s.id, a.mergedAt = $now
CREATE (a)-[:MERGED_INTO {at: $now}]->(s);

// name: delete-empty-persons!(ids)
UNWIND $ids AS id
MATCH (p:Person {id: id})
USING INDEX SEEK p:Person(id)
WHERE NOT EXISTS { (p)<-[:OF]-() }
DETACH DELETE p;

// name: item-persons^(keys)
// The person each item belongs to, as parallel lists.
UNWIND $keys AS k
MATCH (n:Item {key: k})-[:OF]->(p:Person)
USING INDEX SEEK n:Item(key)
RETURN collect(k) AS keys, collect(p.id) AS persons;
