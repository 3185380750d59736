// Statements of the fault tests (tests/faults/): what a crash must never leave behind.

// name: faults-leftovers
// What a half-written batch would leave: a person none of whose members carries an
// identifier, an item that carries none, an identifier that no item and no consent
// holds (the orphan rule), an item or linking identifier in no person.
CALL () {
  MATCH (p:Person)
  WHERE NOT EXISTS { (p)<-[:OF]-(:Item)-[:HAS]->(:Identifier) }
  RETURN 'person without identifiers' AS problem, p.id AS key
  UNION ALL
  MATCH (n:Item) WHERE NOT EXISTS { (n)-[:HAS]->(:Identifier) }
  RETURN 'item without identifiers' AS problem, n.key AS key
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
