// The soak benchmark's end-of-run check (bench/soak.py): runnable in Neo4j Browser.

// name: soak-invariants^
// Broken invariants after mixed traffic: linking identifiers in no person or in more
// than one, persons with no member, records and events in no person or in several.
CALL () {
  MATCH (x:Identifier {linking: true})
  WITH x, COUNT { (x)-[:OF]->(:Person) } AS persons
  RETURN count(x) AS linking, sum(CASE WHEN persons <> 1 THEN 1 ELSE 0 END) AS linkingNotInOne
}
CALL () {
  MATCH (p:Person)
  RETURN count(p) AS persons,
         sum(CASE WHEN EXISTS { (p)<-[:OF]-() } THEN 0 ELSE 1 END) AS emptyPersons
}
CALL () {
  MATCH (n:Item)
  WITH n, COUNT { (n)-[:OF]->(:Person) } AS persons
  RETURN count(n) AS items, sum(CASE WHEN persons <> 1 THEN 1 ELSE 0 END) AS itemsNotInOne
}
RETURN linking, linkingNotInOne, persons, emptyPersons, items, itemsNotInOne;
