// Maintenance statements for operators and the test suite. Not for analysts.

// name: delete-all!
// Empty the database, in batches so a large graph does not need one huge transaction.
// Auto-commit only (CALL IN TRANSACTIONS).
MATCH (n)
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS;

// name: graph-counts^
// Node, relationship and property totals: the idempotence tests compare them.
CALL () { MATCH (n) RETURN count(n) AS nodes, sum(size(keys(n))) AS nodeProperties }
CALL () {
  MATCH ()-[r]->()
  RETURN count(r) AS relationships, sum(size(keys(r))) AS relationshipProperties
}
RETURN nodes, relationships, nodeProperties + relationshipProperties AS properties;
