// Persons for analysts: paste a statement into Neo4j Browser as it is, after setting its
// parameters with `:param`. Identifier keys are TYPE:normalized-value, the form
// `omnid resolve` prints (EMAIL:ana.silva@example.com, PHONE:+34600123456,
// LOYALTY_CARD:AB123456789, ADDRESS:calle mayor 5||28013|madrid|ES).
// Load cypher/analyst/omnid.grass with `:style` first so the drawing is readable.

// name: person-graph(key)
// A person's whole graph from one identifier: the person, their linking identifiers,
// every record and event, and every identifier those carry (addresses, shared and
// blocked values included). Returns paths, so Browser draws the graph. From an address
// or a shared value, every person it touches is drawn (a household, a store's phone).
//   :param key => 'EMAIL:ana.silva@example.com'
MATCH (start:Identifier {key: $key})
CALL (start) {
  MATCH (start)-[:OF]->(p:Person)
  RETURN p
  UNION
  MATCH (start)<-[:HAS]-(:Item)-[:OF]->(p:Person)
  WHERE NOT start.linking
  RETURN p
}
CALL (p) {
  MATCH path = (p)<-[:OF]-(:Identifier)
  RETURN path
  UNION ALL
  MATCH path = (p)<-[:OF]-(:Item)-[:HAS]->(:Identifier)
  RETURN path
}
RETURN p.id AS person, path;

// name: person-timeline(key)
// The same person as a table: every record and event in time order, with the channel,
// the source and the identifiers it carried. Events by when they happened, records by
// when they were last received.
//   :param key => 'PHONE:+34600123456'
MATCH (start:Identifier {key: $key})
CALL (start) {
  MATCH (start)-[:OF]->(p:Person)
  RETURN p
  UNION
  MATCH (start)<-[:HAS]-(:Item)-[:OF]->(p:Person)
  WHERE NOT start.linking
  RETURN p
}
MATCH (p)<-[:OF]-(n:Item)
RETURN p.id AS person,
       toString(coalesce(n.at, n.updatedAt)) AS at,
       CASE WHEN n:Event THEN 'event' ELSE 'record' END AS kind,
       n.channel AS channel,
       n.type AS type,
       n.source AS source,
       n.sourceId AS sourceId,
       [(n)-[:HAS]->(i:Identifier) | i.type + ' ' + i.value] AS identifiers
ORDER BY person, coalesce(n.at, n.updatedAt), n.key;

// name: largest-persons(limit)
// The largest persons by records plus events, with their sources and a few of their
// identifiers. A person far larger than the rest is where a false merge hides: open it
// with person-graph and one of the keys listed here.
//   :param limit => 20
MATCH (p:Person)
WITH p,
     COUNT { (p)<-[:OF]-(:Record) } AS records,
     COUNT { (p)<-[:OF]-(:Event) } AS events
ORDER BY records + events DESC, p.id
LIMIT $limit
RETURN p.id AS person,
       records,
       events,
       COUNT { (p)<-[:OF]-(:Identifier) } AS linkingIdentifiers,
       COLLECT { MATCH (p)<-[:OF]-(n:Item) RETURN DISTINCT n.source ORDER BY n.source } AS sources,
       COLLECT {
         MATCH (p)<-[:OF]-(i:Identifier) RETURN i.key ORDER BY i.type, i.key LIMIT 5
       } AS keys,
       toString(p.createdAt) AS createdAt,
       p.mergedFrom AS mergedFrom;
