// The initial load (service/load/): what it reads and completes around neo4j-admin's
// bulk import. See README.md, "Large loads and scaling out".

// name: load-is-empty$
// An initial load replaces the database: it runs only on one holding nothing at all.
RETURN NOT EXISTS { MATCH (n) } AS empty;

// name: load-person-merged-from!
// The import tool cannot write an empty list (an empty field is no property), and
// absorb-persons appends to `mergedFrom`: every person starts with [] as online.
// Auto-commit only (CALL IN TRANSACTIONS).
MATCH (p:Person) WHERE p.mergedFrom IS NULL
CALL (p) { SET p.mergedFrom = [] } IN TRANSACTIONS OF 20000 ROWS;

// name: load-counts^
// What the load wrote, to check against what it meant to write.
CALL () { MATCH (i:Identifier) RETURN count(i) AS identifiers }
CALL () { MATCH (r:Record) RETURN count(r) AS records }
CALL () { MATCH (e:Event) RETURN count(e) AS events }
CALL () { MATCH (p:Person) RETURN count(p) AS persons }
RETURN identifiers, records, events, persons;
