// Operator corrections (service/steward/corrections.py): value overrides, operator
// links (records of source `operator`) and separations. Paste into Neo4j Browser with
// the parameters set (:param keys => ['EMAIL:…', 'record/eshop/1']).

// name: correction-subjects(keys)
// What a correction names, by key: an identifier (TYPE:value) or a record or event
// (record/<source>/<id>). Per key: whether it exists, whether it is an item, its person
// and, for an item, the linking identifiers it carries (an identifier: itself, if it
// links).
UNWIND $keys AS k
OPTIONAL MATCH (i:Identifier {key: k})
OPTIONAL MATCH (n:Item {key: k})
WITH k, coalesce(i, n) AS x
OPTIONAL MATCH (x)-[:OF]->(p:Person)
RETURN k AS key, x IS NOT NULL AS found, coalesce(x:Item, false) AS item, p.id AS person,
       CASE
         WHEN x:Item THEN [(x)-[:HAS]->(y:Identifier WHERE y.linking) | y.key]
         WHEN x.linking THEN [x.key]
         ELSE []
       END AS links;

// name: identifier-displays(keys)
// A raw form each value was seen in: an operator link carries values as stored, so
// that writing it adds no new form to their `display` lists.
UNWIND $keys AS k
MATCH (i:Identifier {key: k})
RETURN i.key AS key, i.type AS type, i.value AS value, coalesce(i.display[0], i.value) AS display;

// name: correction-person^(id)
// A person by id (following merge aliases) with its linking identifiers; no row if none.
OPTIONAL MATCH (p:Person {id: $id})
OPTIONAL MATCH (a:PersonAlias {id: $id})-[:MERGED_INTO]->(q:Person)
USING INDEX SEEK a:PersonAlias(id)
WITH coalesce(p, q) AS p
WHERE p IS NOT NULL
RETURN p.id AS person, [(p)<-[:OF]-(i:Identifier WHERE i.linking) | i.key] AS links;

// name: overrides
// Every value an operator overrode, oldest first, with who, why and when.
MATCH (i:Identifier)
WHERE i.override IS NOT NULL
RETURN i.key AS key, i.type AS type, i.value AS value, i.override AS mode,
       i.overrideBy AS by, i.overrideReason AS reason, i.overrideSeparation AS separation,
       toString(i.overrideAt) AS at, i.linking AS linking
ORDER BY i.overrideAt, i.key;

// name: overrides-of(keys)
// The overrides of these values (none: no row), for Person.identifiers' `override`.
UNWIND $keys AS k
MATCH (i:Identifier {key: k})
WHERE i.override IS NOT NULL
RETURN i.key AS key, i.type AS type, i.value AS value, i.override AS mode,
       i.overrideBy AS by, i.overrideReason AS reason, i.overrideSeparation AS separation,
       toString(i.overrideAt) AS at, i.linking AS linking;

// name: operator-link^(key)
// An operator link (a record of source `operator`), locked, with the values it carries.
MATCH (r:Record {key: $key})
WHERE r.source = 'operator'
SET r.version = coalesce(r.version, 0) + 1
RETURN r.key AS key, r.attributes AS attributes,
       [(r)-[:HAS]->(i:Identifier) | i.key] AS identifiers;

// name: operator-links
// Every operator link, oldest first: its attributes say who, why and between what.
MATCH (r:Record)
WHERE r.source = 'operator'
OPTIONAL MATCH (r)-[:OF]->(p:Person)
RETURN r.sourceId AS id, r.attributes AS attributes, toString(r.firstSeen) AS at, p.id AS person,
       [(r)-[:HAS]->(i:Identifier) | i.key] AS identifiers
ORDER BY r.firstSeen, r.sourceId;

// name: create-separation!(separation, now)
// An operator's decision that two records or identifiers are not one customer, and the
// values cut to part them.
CREATE (:Separation {
  id: $separation.id,
  a: $separation.a,
  b: $separation.b,
  reason: $separation.reason,
  by: $separation.by,
  values: $separation.values,
  at: $now
});

// name: separations
// Every separation, oldest first (their sides' persons now: correction-subjects).
MATCH (s:Separation)
RETURN s.id AS id, s.a AS a, s.b AS b, s.reason AS reason, s.by AS by, s.values AS values,
       toString(s.at) AS at
ORDER BY s.at, s.id;

// name: operator-link-delete$(keys)
// A withdrawn operator link, already emptied of its identifiers through the write path,
// and the person it was left in (alone). Returns how many links were deleted.
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
