// The review list's tests (tests/steward/).

// name: testing-delete-item!(key)
// Delete a record behind resolution's back: nothing reviews the person again.
MATCH (n:Item {key: $key})
DETACH DELETE n;

// name: testing-review-of$(id)
// The stored review of a person or alias (null when none).
MATCH (p {id: $id}) WHERE p:Person OR p:PersonAlias
RETURN p.reviewSignature AS signature;
