// Read-only statements for devtools/quality.py and bench/quality.py (resolution quality against ground truth).

// name: item-partition
// Every record and event with the person it belongs to (null if it has none): the
// partition bench/quality.py scores against the ground truth of the demo data.
MATCH (n:Item)
OPTIONAL MATCH (n)-[:OF]->(p:Person)
RETURN n.key AS key, p.id AS person;
