// The graph's constraints and indexes. `omnid schema apply` and the service start run
// every `schema-*` statement below; each is idempotent (IF NOT EXISTS).

// name: schema-identifier-key!
// One node per real-world value: the key is TYPE:normalized-value.
CREATE CONSTRAINT identifier_key IF NOT EXISTS
FOR (i:Identifier) REQUIRE i.key IS UNIQUE;

// name: schema-item-key!
// One record or event per source and id: key = record/<source>/<id> or event/<source>/<id>.
CREATE CONSTRAINT item_key IF NOT EXISTS
FOR (n:Item) REQUIRE n.key IS UNIQUE;

// name: schema-person-id!
CREATE CONSTRAINT person_id IF NOT EXISTS
FOR (p:Person) REQUIRE p.id IS UNIQUE;

// name: schema-person-alias-id!
// Ids of persons merged into another; a client holding one still finds the person.
CREATE CONSTRAINT person_alias_id IF NOT EXISTS
FOR (a:PersonAlias) REQUIRE a.id IS UNIQUE;

// name: schema-event-at!
// Time-ordered journeys and "recent events" queries.
CREATE RANGE INDEX event_at IF NOT EXISTS
FOR (e:Event) ON (e.at);

// name: schema-event-channel-at!
CREATE RANGE INDEX event_channel_at IF NOT EXISTS
FOR (e:Event) ON (e.channel, e.at);

// name: schema-event-received-at!
// The live subscription polls events committed by other processes.
CREATE RANGE INDEX event_received_at IF NOT EXISTS
FOR (e:Event) ON (e.receivedAt);

// name: schema-item-source!
CREATE RANGE INDEX item_source IF NOT EXISTS
FOR (n:Item) ON (n.source);

// name: schema-identifier-type!
CREATE RANGE INDEX identifier_type IF NOT EXISTS
FOR (i:Identifier) ON (i.type);

// name: schema-identifier-shared!
// Analysts list shared identifiers ("what glues strangers?").
CREATE RANGE INDEX identifier_shared IF NOT EXISTS
FOR (i:Identifier) ON (i.shared);

// name: schema-consent-key!
// One consent per source and id: key = consent/<source>/<id>.
CREATE CONSTRAINT consent_key IF NOT EXISTS
FOR (c:Consent) REQUIRE c.key IS UNIQUE;

// name: schema-suppressed-hash!
// Erased identifiers, as keyed hashes (service/privacy/suppression.py).
CREATE CONSTRAINT suppressed_hash IF NOT EXISTS
FOR (s:Suppressed) REQUIRE s.hash IS UNIQUE;

// name: schema-erasure-receipt-id!
CREATE CONSTRAINT erasure_receipt_id IF NOT EXISTS
FOR (r:ErasureReceipt) REQUIRE r.id IS UNIQUE;

// name: schema-erasure-receipt-at!
// `erasures(since:)` lists receipts by time.
CREATE RANGE INDEX erasure_receipt_at IF NOT EXISTS
FOR (r:ErasureReceipt) ON (r.at);

// name: schema-identifier-override!
// `overrides` lists the values an operator forced shared or linking (corrections.cypher).
CREATE RANGE INDEX identifier_override IF NOT EXISTS
FOR (i:Identifier) ON (i.override);

// name: schema-separation-id!
// An operator's separation of two records or identifiers (corrections.cypher).
CREATE CONSTRAINT separation_id IF NOT EXISTS
FOR (s:Separation) REQUIRE s.id IS UNIQUE;
// name: schema-suppressed-at!
// Processes notice a change to the suppression list by its latest hash's time.
CREATE RANGE INDEX suppressed_at IF NOT EXISTS
FOR (s:Suppressed) ON (s.at);

// name: schema-await!
// Wait until every index is online before anything relies on it.
CALL db.awaitIndexes(300);

// name: schema-names$
// The names of omnid's constraints and indexes that are online; readiness compares them.
SHOW INDEXES YIELD name, state
WHERE state = 'ONLINE'
RETURN collect(name) AS names;
