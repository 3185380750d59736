// Statements of the fault tests (tests/faults/): what a crash must never leave behind.

// name: faults-leftovers
// What a half-written batch would leave: a person with no member, an event that carries
// no identifier (the contract requires one), a record that carries none yet shares a
// person (a record may carry none, a correction can remove its last one: it is then a
// person of its own), an identifier that no item and no consent holds (the orphan
// rule), an item or linking identifier in no person.
CALL () {
  MATCH (p:Person)
  WHERE NOT EXISTS { (p)<-[:OF]-() }
  RETURN 'person without members' AS problem, p.id AS key
  UNION ALL
  MATCH (n:Event) WHERE NOT EXISTS { (n)-[:HAS]->(:Identifier) }
  RETURN 'event without identifiers' AS problem, n.key AS key
  UNION ALL
  MATCH (n:Record)-[:OF]->(p:Person)
  WHERE NOT EXISTS { (n)-[:HAS]->(:Identifier) } AND COUNT { (p)<-[:OF]-() } > 1
  RETURN 'record without identifiers in a shared person' AS problem, n.key AS key
  UNION ALL
  MATCH (x:Identifier)
  WHERE NOT EXISTS { (x)<-[:HAS]-(:Item) } AND NOT EXISTS { (x)<-[:THROUGH]-(:Consent) }
  RETURN 'orphan identifier' AS problem, x.key AS key
  UNION ALL
  MATCH (n:Item) WHERE NOT EXISTS { (n)-[:OF]->(:Person) }
  RETURN 'item in no person' AS problem, n.key AS key
  UNION ALL
  MATCH (x:Identifier {linking: true}) WHERE NOT EXISTS { (x)-[:OF]->(:Person) }
  RETURN 'linking identifier in no person' AS problem, x.key AS key
}
RETURN problem, key;


// name: faults-item-count$
// How many records and events the graph holds (polled while an import runs).
MATCH (n:Item)
RETURN count(n) AS items;
