// The right to be forgotten: erasing a person, the suppression list that keeps an
// erased customer from coming back with the next import, erasure receipts, and the
// subject-access export. Run by service/privacy/. Suppressed values are HMAC-SHA256
// hashes of identifier keys (hex): never the values.

// name: schema-webhook-delivery-person!
// An erasure finds the person's webhook deliveries (sent or waiting) by person id.
CREATE RANGE INDEX webhook_delivery_person IF NOT EXISTS
FOR (d:WebhookDelivery) ON (d.person);

// name: erasure-scope^(id)
// The person to erase, by its id or an alias of it, write-locked (version bumped):
// its records and events, the identifiers they carry, its own and those its consents
// were given through (with their values and raw forms, to keep them out of the
// receipt), its aliases, and per identifier what its links brought (`links`): the raw
// forms they sent, their earliest and latest arrival (a record's link: when it was
// made, the record's last write; an event, which alone has `receivedAt`: when it
// arrived; a consent: when it arrived, never a "last seen"). No row: unknown.
// Its events then become records for the rest of the erasure's transaction: the write
// path removes every identifier they carry, as it removes a record's, and re-evaluates
// what those identifiers share with other customers.
CALL () {
  MATCH (p:Person {id: $id})
  RETURN p
  UNION
  MATCH (a:PersonAlias {id: $id})-[:MERGED_INTO]->(p:Person)
  USING INDEX SEEK a:PersonAlias(id)
  RETURN p
}
SET p.version = p.version + 1
WITH p,
     [(p)<-[:OF]-(n:Item) | {key: n.key, source: n.source, id: n.sourceId, event: n:Event}]
       AS items
CALL (p) {
  MATCH (p)<-[:OF]-(e:Item:Event)
  REMOVE e:Event
  SET e:Record
}
RETURN p.id AS id, items,
       [(p)<-[:OF]-(:Item)-[:HAS]->(x:Identifier) | {key: x.key, value: x.value, display: x.display}]
         + [(p)<-[:OF]-(x:Identifier) | {key: x.key, value: x.value, display: x.display}]
         + [(p)<-[:OF]-(:Identifier)<-[:THROUGH]-(:Consent)-[:THROUGH]->(x:Identifier) |
            {key: x.key, value: x.value, display: x.display}]
         AS identifiers,
       COLLECT {
         CALL (p) {
           MATCH (p)<-[:OF]-(n:Item)-[h:HAS]->(x:Identifier)
           RETURN x, coalesce(n.receivedAt, h.at) AS first,
                  coalesce(n.updatedAt, n.receivedAt) AS last, h.display AS forms
           UNION ALL
           MATCH (p)<-[:OF]-(:Identifier)<-[:THROUGH]-(c:Consent)-[t:THROUGH]->(x:Identifier)
           RETURN x, c.receivedAt AS first, null AS last, [t.display] AS forms
         }
         WITH x, min(first) AS first, max(last) AS last, collect(forms) AS forms
         RETURN {key: x.key, first: first, last: last,
                 forms: reduce(all = [], f IN forms | all + f)}
       } AS links,
       [(a:PersonAlias)-[:MERGED_INTO]->(p) | a.id] AS aliases;

// name: erasure-orphan-scope^(key)
// An identifier no record or event carries, kept for the consents given through it
// (it belongs to no person yet): the same shape as erasure-scope, with no item and no
// alias. The identifiers are it and the others its consents were given through; the
// links are those consents'. No row: no such identifier, or one a record carries.
MATCH (o:Identifier {key: $key})
WHERE NOT EXISTS { (o)<-[:HAS]-(:Item) } AND EXISTS { (o)<-[:THROUGH]-(:Consent) }
RETURN null AS id, [] AS items,
       COLLECT {
         MATCH (o)<-[:THROUGH]-(c:Consent)
         MATCH (c)-[:THROUGH]->(x:Identifier)
         RETURN DISTINCT {key: x.key, value: x.value, display: x.display}
       } AS identifiers,
       COLLECT {
         MATCH (o)<-[:THROUGH]-(c:Consent)
         MATCH (c)-[t:THROUGH]->(x:Identifier)
         WITH x, min(c.receivedAt) AS first, collect(t.display) AS forms
         RETURN {key: x.key, first: first, last: null, forms: forms}
       } AS links,
       [] AS aliases;

// name: erasure-finish^(erasure)
// Everything an erasure does once the write path has emptied the person's items, in
// one statement (each round trip is latency every erasure pays). Its lists come in one
// map, `erasure` {keys, persons, aliases, absorbed, identifiers, links, hashes, now,
// receipt}: Neo4j keys its plan cache on the size of each list parameter (in buckets),
// so nine lists of sizes that vary with the person made most erasures of an unusual
// size plan this long statement again (0.3-0.6 s, the benchmark's p99); a map is one
// type whatever its lists hold, so the statement is planned once, and its index hints
// keep that plan right whatever the graph held when it was made.
// 1. the emptied records and events go, with the persons they were left in (each
//    alone), and the person's merge history (the aliases of persons merged into it).
//    Persons the write path merged for the erasure (`absorbed`: others' persons a value
//    she made shared had kept apart) keep their ids as aliases, not when they were made
//    (a split her items caused);
// 2. her identifiers (`identifiers`) no record or event carries any more go, with every
//    consent given through them (hers), and so do those then left with no item and no
//    consent (one only her consents were given through). Those others still carry (a
//    household address, a till's phone) lose what only her links brought (`links`,
//    from erasure-scope): the raw forms no remaining link sent leave `display` (links
//    written before links kept their forms count as having sent any form she did not),
//    and a first or last seen that was hers becomes the remaining links' (see
//    erasure-scope for what a link's arrival is);
// 3. each identifier gone from the graph is remembered by its hash (`hashes`: {key,
//    hash} for each of hers), each its own node: nothing every erasure writes (a
//    counter) makes concurrent erasures wait on each other;
// 4. what segments hold of the person (`persons`: its id and its aliases'): its
//    membership states, the history of its entries and exits (their payload carries its
//    contact points and the events that made it enter) and their webhook deliveries,
//    sent or waiting (a waiting one is never sent). The segment engine, told of the
//    erasure by its mark, then finds nothing of the person to leave;
// 5. the receipt: `receipt` (who, why, when, what the person held) completed with the
//    counts: no personal value.
// Returns the counts and the hashes suppressed. `replan=skip`: the counts this plan was
// made with (suppressed hashes, receipts: from none) move fast, and each time they move
// by most of themselves Neo4j would plan it again; its index hints keep it right.
CYPHER replan=skip
CALL () {
  UNWIND $erasure.absorbed AS id
  MATCH (a:PersonAlias {id: id})
  USING INDEX SEEK a:PersonAlias(id)
  REMOVE a.createdAt, a.splitAt
}
CALL () {
  UNWIND $erasure.aliases AS id
  MATCH (a:PersonAlias {id: id})
  USING INDEX SEEK a:PersonAlias(id)
  DETACH DELETE a
  RETURN count(*) AS aliases
}
CALL () {
  UNWIND $erasure.keys AS k
  MATCH (n:Item {key: k})
  USING INDEX SEEK n:Item(key)
  OPTIONAL MATCH (n)-[:OF]->(q:Person)
  WITH collect(n) AS items, collect(DISTINCT q) AS persons
  CALL (items) {
    UNWIND items AS n
    DETACH DELETE n
  }
  CALL (persons) {
    UNWIND persons AS q
    WITH q
    WHERE NOT EXISTS { (q)<-[:OF]-() }
    DETACH DELETE q
  }
  RETURN size(items) AS deletedItems
}
CALL () {
  UNWIND $erasure.identifiers AS k
  MATCH (x:Identifier {key: k})
  USING INDEX SEEK x:Identifier(key)
  WHERE NOT EXISTS { (x)<-[:HAS]-(:Item) }
  MATCH (x)<-[:THROUGH]-(c:Consent)
  WITH DISTINCT c
  DETACH DELETE c
  RETURN count(*) AS consents
}
CALL () {
  UNWIND $erasure.identifiers AS k
  MATCH (x:Identifier {key: k})
  USING INDEX SEEK x:Identifier(key)
  WHERE NOT EXISTS { (x)<-[:HAS]-(:Item) } AND NOT EXISTS { (x)<-[:THROUGH]-(:Consent) }
  DETACH DELETE x
  RETURN count(*) AS deleted
}
CALL () {
  UNWIND $erasure.links AS row
  MATCH (x:Identifier {key: row.key})
  USING INDEX SEEK x:Identifier(key)
  // Times come back from the driver with a zone id ("[UTC]"), which Cypher orders
  // after the same instant stored with an offset: compare them as offsets.
  WITH x, row,
       CASE WHEN row.first IS NOT NULL THEN datetime({datetime: row.first, timezone: 'Z'}) END
         AS herFirst,
       CASE WHEN row.last IS NOT NULL THEN datetime({datetime: row.last, timezone: 'Z'}) END
         AS herLast
  // Her forms shown that no remaining link sent (a link with no forms, written before
  // links kept them, may have sent any). A value many customers carry (a till's phone)
  // has thousands of links: each check stops at the first link that sent the form, and
  // the links are read in full only when something of hers must be replaced.
  WITH x, herFirst, herLast,
       [f IN x.display WHERE f IN coalesce(row.forms, [])
          AND NOT EXISTS { MATCH (x)<-[h:HAS]-() WHERE h.display IS NULL OR f IN h.display }
          AND NOT EXISTS { MATCH (x)<-[t:THROUGH]-() WHERE t.display = f }] AS lost
  WITH x, lost, herFirst <= x.firstSeen AS firstHers, herLast >= x.lastSeen AS lastHers
  WHERE lost <> [] OR firstHers OR lastHers
  CALL (x) {
    OPTIONAL MATCH (x)<-[h:HAS]-(n:Item)
    WITH h, n, coalesce(n.receivedAt, h.at) AS first
    ORDER BY first
    RETURN min(first) AS first, max(coalesce(n.updatedAt, n.receivedAt)) AS last,
           collect(h.display) AS forms
  }
  CALL (x) {
    OPTIONAL MATCH (x)<-[t:THROUGH]-(c:Consent)
    RETURN min(c.receivedAt) AS consentFirst, collect(t.display) AS consentForms
  }
  WITH x, lost, firstHers, lastHers, first, last, consentFirst,
       [f IN x.display WHERE NOT f IN lost] AS kept,
       reduce(all = [], f IN forms | all + f) + consentForms AS theirs
  // What her forms leave free is filled with others' forms, oldest link first.
  SET x.display = CASE WHEN lost = [] THEN x.display ELSE (kept + reduce(more = [], f IN theirs |
        CASE WHEN f IN kept OR f IN more THEN more ELSE more + f END))[..5] END,
      x.firstSeen = CASE
        WHEN NOT coalesce(firstHers, false) THEN x.firstSeen
        WHEN first IS NULL OR consentFirst < first THEN coalesce(consentFirst, x.firstSeen)
        ELSE first END,
      x.lastSeen = CASE
        WHEN NOT coalesce(lastHers, false) OR last IS NULL THEN x.lastSeen
        ELSE last END
  RETURN count(*) AS settled
}
CALL () {
  UNWIND $erasure.persons AS id
  CALL (id) {
    MATCH (m:Membership {person: id})
    USING INDEX m:Membership(person)
    DETACH DELETE m
  }
  CALL (id) {
    MATCH (c:SegmentChange {person: id})
    USING INDEX c:SegmentChange(person)
    DETACH DELETE c
  }
  CALL (id) {
    MATCH (d:WebhookDelivery {person: id})
    USING INDEX d:WebhookDelivery(person)
    DETACH DELETE d
  }
}
CALL () {
  UNWIND $erasure.identifiers AS k
  OPTIONAL MATCH (x:Identifier {key: k})
  WITH k, x
  WHERE x IS NULL
  RETURN collect(k) AS gone
}
WITH aliases, consents, [h IN $erasure.hashes WHERE h.key IN gone | h.hash] AS suppressed
CALL (suppressed) {
  UNWIND suppressed AS h
  MERGE (s:Suppressed {hash: h})
    ON CREATE SET s.at = $erasure.now
}
CREATE (r:ErasureReceipt)
SET r = $erasure.receipt, r.at = datetime($erasure.receipt.at), r.aliases = aliases,
    r.consents = consents, r.identifiers = size(suppressed), r.suppressed = size(suppressed)
RETURN aliases, consents, suppressed;

// name: suppressed-among$(hashes)
// Which of these hashes are suppressed.
UNWIND $hashes AS h
MATCH (s:Suppressed {hash: h})
USING INDEX SEEK s:Suppressed(hash)
RETURN collect(h) AS hashes;

// name: suppressed-hashes$
// Every suppressed hash (a bulk import filters against all of them in memory).
MATCH (s:Suppressed)
RETURN collect(s.hash) AS hashes;

// name: unsuppress$(hash)
// Forget one suppressed hash (a customer who came back of their own will). Returns
// how many were removed (0 or 1).
OPTIONAL MATCH (s:Suppressed {hash: $hash})
WITH s, count(s) AS found
DETACH DELETE s
RETURN found;

// name: erasure-receipts(since)
// Erasure receipts since a time (ISO 8601, or null for all), oldest first.
MATCH (r:ErasureReceipt)
WHERE $since IS NULL OR r.at >= datetime($since)
RETURN r.id AS id, toString(r.at) AS at, r.requestedBy AS requestedBy, r.reason AS reason,
       r.records AS records, r.events AS events, r.identifiers AS identifiers,
       r.consents AS consents, r.aliases AS aliases, r.suppressed AS suppressed
ORDER BY r.at, r.id;

// name: export-person^(id)
// Subject access: the person, its merge and split history.
MATCH (p:Person {id: $id})
RETURN p.id AS id, toString(p.createdAt) AS createdAt, p.mergedFrom AS mergedFrom,
       p.splitFrom AS splitFrom, toString(p.splitAt) AS splitAt,
       [(a:PersonAlias)-[m:MERGED_INTO]->(p) | {id: a.id, at: toString(m.at)}] AS merges;

// name: export-identifiers(id)
// Subject access: every identifier of the person (its own and those its items carry),
// with raw forms, flags and the sources that sent it.
MATCH (p:Person {id: $id})
CALL (p) {
  MATCH (p)<-[:OF]-(x:Identifier)
  RETURN x
  UNION
  MATCH (p)<-[:OF]-(:Item)-[:HAS]->(x:Identifier)
  RETURN x
}
RETURN x.key AS key, x.type AS type, x.value AS value, x.display AS display,
       x.linking AS linking, coalesce(x.shared, false) AS shared, x.blocked AS blocked,
       toString(x.firstSeen) AS firstSeen,
       COLLECT { MATCH (x)<-[h:HAS]-(:Item)-[:OF]->(p) RETURN DISTINCT h.source } AS sources
ORDER BY key;

// name: export-items(id)
// Subject access: every record and event of the person with its attributes.
MATCH (p:Person {id: $id})<-[:OF]-(n:Item)
RETURN n.key AS key, n:Event AS event, n.source AS source, n.sourceId AS id,
       n.attributes AS attributes, n.country AS country, n.channel AS channel, n.type AS type,
       toString(n.at) AS at, toString(n.firstSeen) AS firstSeen,
       toString(n.updatedAt) AS updatedAt, toString(n.receivedAt) AS receivedAt,
       [(n)-[:HAS]->(x:Identifier) | x.key] AS identifiers
ORDER BY event, at, key;

// name: suppression-version^
// What tells a process its copy of the list is stale, without a counter every erasure
// would lock: how many hashes there are (the count store) and the latest one's time
// (an index read). An erasure adds hashes at a later time, an unsuppress lowers the
// count; concurrent erasures committed out of time order change the count by more than
// suppressed-since finds, and the list is reloaded whole.
RETURN COUNT { (:Suppressed) } AS count,
       COLLECT {
         MATCH (s:Suppressed)
         WHERE s.at IS NOT NULL
         RETURN s.at ORDER BY s.at DESC LIMIT 1
       } AS latest;

// name: suppressed-since$(at)
// The hashes suppressed after a time (those an erasure added since the last read).
MATCH (s:Suppressed)
WHERE s.at > $at
RETURN collect(s.hash) AS hashes;
