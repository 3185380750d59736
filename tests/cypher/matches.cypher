// The possible-match tests' own statements (tests/steward/test_matches.py).

// name: testing-record-person$(key)
// The person of one record.
MATCH (r:Item {key: $key})-[:OF]->(p:Person)
RETURN p.id AS person;
