// Maintenance statements for operators and the test suite. Not for analysts.

// name: delete-all!
// Empty the database, in batches so a large graph does not need one huge transaction.
// Auto-commit only (CALL IN TRANSACTIONS).
MATCH (n)
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS;

// name: graph-counts^
// Node, relationship and property totals: the idempotence tests compare them. The
// changed-persons log (PersonChange, ChangeCursor: service/identity/changes.py) records
// that writes happened, even writes that change nothing, so it is left out.
CALL () {
  MATCH (n) WHERE NOT (n:PersonChange OR n:ChangeCursor)
  RETURN count(n) AS nodes, sum(size(keys(n))) AS nodeProperties
}
CALL () {
  MATCH ()-[r]->()
  RETURN count(r) AS relationships, sum(size(keys(r))) AS relationshipProperties
}
RETURN nodes, relationships, nodeProperties + relationshipProperties AS properties;

// name: bookmark-wait$
// Nothing but a round trip: run in a session opened with a client's bookmarks, it
// returns once the server has applied the writes they name (causal consistency).
RETURN true AS ready;
