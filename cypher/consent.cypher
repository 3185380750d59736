// Consents: what a customer said about a purpose on a channel, and when, attached to
// the identifiers it was given through. Run by service/privacy/consents.py. A consent
// is immutable (sending the same source and id again changes nothing); it rides on its
// identifiers, so merges and splits of persons carry it without a write.

// name: merge-consent-identifiers^(rows, now)
// The identifiers consents were given through (rows sorted by key, the order every
// writer locks in). One no record or event carries yet is created as merge-identifiers
// creates it, so that a record carrying it later finds it as new (no HAS, no person);
// one that exists is left as it is, but locked (a SET of a property to its own value),
// so that a record dropping it cannot delete it as an orphan before create-consents
// links it: a node deleted while this waited for its lock gives no row, and the caller
// merges the keys it is missing again (resolution/items.py, merge_identifier_nodes).
// Parallel lists of keys and element ids.
UNWIND $rows AS row
MERGE (i:Identifier {key: row.key})
  ON MATCH SET i.lastSeen = i.lastSeen
  ON CREATE SET
    i:$(row.label),
    i.type = row.type,
    i.value = row.value,
    i.blocked = row.blocked,
    i.linking = row.linking,
    i.firstSeen = $now,
    i.lastSeen = $now,
    i.display = [row.display]
WITH i WHERE i.key IS NOT NULL  // a node deleted meanwhile reads as null: no row
RETURN collect(i.key) AS keys, collect(elementId(i)) AS ids;

// name: create-consents$(rows, now)
// New consents, each linked to its identifiers (element ids from
// merge-consent-identifiers, with the raw form the consent gave, which an erasure reads
// back); one already stored is left as it is. `at` (when the
// customer said it) arrives as an ISO 8601 string. Returns the keys this call created.
UNWIND $rows AS row
MERGE (c:Consent {key: row.key})
  ON CREATE SET
    c.source = row.source,
    c.sourceId = row.id,
    c.purpose = row.purpose,
    c.channel = row.channel,
    c.status = row.status,
    c.at = datetime(row.at),
    c.evidence = row.evidence,
    c.receivedAt = $now
WITH c, row
WHERE NOT EXISTS { (c)-[:THROUGH]->() }
CALL (c, row) {
  UNWIND row.links AS link
  MATCH (i:Identifier) WHERE elementId(i) = link.id
  CREATE (c)-[:THROUGH {display: link.display}]->(i)
}
RETURN collect(c.key) AS keys;

// name: consent-persons^(keys)
// The person each consent's identifiers belong to ('' when none yet), as parallel lists.
UNWIND $keys AS k
MATCH (c:Consent {key: k})
USING INDEX SEEK c:Consent(key)
CALL (c) {
  OPTIONAL MATCH (c)-[:THROUGH]->(:Identifier)-[:OF]->(p:Person)
  RETURN min(p.id) AS person
}
RETURN collect(k) AS keys, collect(coalesce(person, '')) AS persons;

// name: person-consents(ids)
// Each person's contact points with every consent given through them: one row per
// identifier. The identifiers are the person's linking ones and the non-linking ones
// its records and events carry (a postal address), less values shared by many
// customers or blocked (no one's contact point).
UNWIND $ids AS id
MATCH (p:Person {id: id})
USING INDEX SEEK p:Person(id)
CALL (p) {
  MATCH (p)<-[:OF]-(x:Identifier)
  RETURN x
  UNION
  MATCH (p)<-[:OF]-(:Item)-[:HAS]->(x:Identifier)
  WHERE NOT x.linking AND x.shared IS NULL AND x.blocked IS NULL
  RETURN x
}
RETURN id AS person, x.key AS key, x.type AS type, x.value AS value,
       [(x)<-[:THROUGH]-(c:Consent) | {
          key: c.key, source: c.source, id: c.sourceId, purpose: c.purpose,
          channel: c.channel, status: c.status, at: toString(c.at), evidence: c.evidence
       }] AS consents;
