// Shared and blocked identifiers: the values that would glue strangers into one person
// (the store's phone typed at the till, a family tablet, noemail@example.com). They do
// not link: they carry no OF relationship, so their persons are reached through the
// records and events that carry them.

// name: shared-identifiers(limit)
// Every shared or blocked identifier with its reason and what it touches: how many
// records and events carry it and how many distinct persons those belong to. The key
// column feeds shared-identifier-graph.
//   :param limit => 25
MATCH (x:Identifier)
WHERE x.shared OR x.blocked IS NOT NULL
CALL (x) {
  MATCH (x)<-[:HAS]-(n:Item)
  OPTIONAL MATCH (n)-[:OF]->(p:Person)
  RETURN count(DISTINCT n) AS items,
         count(DISTINCT p) AS persons,
         collect(DISTINCT n.source) AS sources
}
RETURN x.key AS key,
       x.type AS type,
       x.value AS value,
       CASE WHEN x.shared THEN 'shared' ELSE 'blocked' END AS status,
       coalesce(x.sharedReason, x.blocked) AS reason,
       items,
       persons,
       sources
ORDER BY persons DESC, items DESC, key
LIMIT $limit;

// name: shared-identifier-graph(sharedKey, limit)
// What one shared (or blocked) identifier touches, as a graph: the records and events
// that carry it and the persons they resolved to. Many persons around one value is
// the rule doing its job: without it they would be one.
//   :param sharedKey => 'PHONE:+34915234187'
//   :param limit => 200
MATCH path = (x:Identifier {key: $sharedKey})<-[:HAS]-(:Item)-[:OF]->(:Person)
RETURN path
LIMIT $limit;

// name: shared-by-reason
// How many identifiers each rule caught, per type: the shared-identifier rules (e.g.
// "PHONE seen with more than 4 EMAIL") and the blocklist reasons.
MATCH (x:Identifier)
WHERE x.shared OR x.blocked IS NOT NULL
RETURN x.type AS type,
       CASE WHEN x.shared THEN 'shared' ELSE 'blocked' END AS status,
       coalesce(x.sharedReason, x.blocked) AS reason,
       count(*) AS identifiers
ORDER BY identifiers DESC, type, reason;
