// bench/scale.py: a pass over the store before measuring a graph the server has just
// opened (an initial load ends with a restart: Neo4j's page cache starts empty).

// name: scale-warm-up^
// Reads every node's and relationship's properties and the key indexes' entries, so the
// pages lookups and writes touch are in the page cache (`count(n)` alone would read the
// count store, not the nodes).
CALL () { MATCH (n) RETURN count(n.key) + count(n.id) AS nodes }
CALL () { MATCH ()-[r]->() RETURN count(r.source) + count(r.at) AS relationships }
CALL () {
  MATCH (i:Identifier) USING INDEX i:Identifier(key) WHERE i.key STARTS WITH ''
  RETURN count(*) AS identifiers
}
CALL () {
  MATCH (n:Item) USING INDEX n:Item(key) WHERE n.key STARTS WITH ''
  RETURN count(*) AS items
}
CALL () {
  MATCH (p:Person) USING INDEX p:Person(id) WHERE p.id STARTS WITH ''
  RETURN count(*) AS persons
}
RETURN nodes, relationships, identifiers, items, persons;
