// Reading persons: lookups by identifier or id, their identifiers, records, channels,
// and why two identifiers are one person. Run by service/read/models.py; analysts can
// paste any of them into Neo4j Browser with the parameters set (:param key => 'EMAIL:…').

// name: persons-by-identifier(key, limit)
// The persons an identifier points at: one for a linking identifier, possibly several
// for an address or a shared value (attached to every person it was seen with).
MATCH (i:Identifier {key: $key})
CALL (i) {
  MATCH (i)-[:OF]->(p:Person)
  RETURN p
  UNION
  MATCH (i)<-[:HAS]-(:Item)-[:OF]->(p:Person)
  WHERE NOT i.linking
  RETURN p
}
WITH p ORDER BY p.createdAt, p.id LIMIT $limit
RETURN p.id AS id, p.mergedFrom AS mergedFrom, p.splitFrom AS splitFrom,
       toString(p.createdAt) AS createdAt;

// name: persons-by-ids(ids)
// Persons by id, following merge aliases: a client holding an old id finds the person.
UNWIND $ids AS id
OPTIONAL MATCH (p:Person {id: id})
OPTIONAL MATCH (a:PersonAlias {id: id})-[:MERGED_INTO]->(q:Person)
USING INDEX SEEK a:PersonAlias(id)
WITH id, coalesce(p, q) AS p
WHERE p IS NOT NULL
RETURN id AS requested, p.id AS id, p.mergedFrom AS mergedFrom, p.splitFrom AS splitFrom,
       toString(p.createdAt) AS createdAt;

// name: person-pages$(requests, limit)
// A counter screen's lookup as one statement: per request {index, key, id, identifiers,
// journey, sources, seenWith}, the person of an identifier (key, as persons-by-identifier)
// or of an id (id, following merge aliases, as persons-by-ids), with, when asked, their
// identifiers (as identifiers-of-persons) and one page of their journey (journey: the map
// journeys takes, or null). Each identifier's sources and each event's identifiers are
// read only when sources / seenWith is true (null otherwise): they are most of the
// statement's work on Neo4j, and a counter screen rarely shows them. The driver costs
// milliseconds of CPU per statement whatever it returns, so this is one statement where
// the three would be three. persons lists up to $limit persons: more than one is
// ambiguous, and then nothing else is read. Answers one value, the list of pages (none
// for a request nothing answers): a single value reaches Python as it was decoded,
// where rows would each be copied by record.data().
UNWIND $requests AS req
CALL (req) {
  MATCH (i:Identifier {key: req.key})
  CALL (i) {
    MATCH (i)-[:OF]->(p:Person)
    RETURN p
    UNION
    MATCH (i)<-[:HAS]-(:Item)-[:OF]->(p:Person)
    WHERE NOT i.linking
    RETURN p
  }
  RETURN p
  UNION
  OPTIONAL MATCH (p:Person {id: req.id})
  OPTIONAL MATCH (a:PersonAlias {id: req.id})-[:MERGED_INTO]->(q:Person)
  USING INDEX SEEK a:PersonAlias(id)
  WITH coalesce(p, q) AS p
  WHERE p IS NOT NULL
  RETURN p
}
WITH req, p ORDER BY p.createdAt, p.id
WITH req, collect(p)[..$limit] AS found
WITH req, found, CASE size(found) WHEN 1 THEN found[0] END AS p
CALL (p, req) {
  MATCH (p)<-[:OF]-(e:Event)
  WHERE req.journey IS NOT NULL
    AND (req.journey.channels IS NULL OR e.channel IN req.journey.channels)
    AND (req.journey.types IS NULL OR e.type IN req.journey.types)
    AND (req.journey.since IS NULL OR e.at >= req.journey.since)
    AND (req.journey.until IS NULL OR e.at < req.journey.until)
    AND (req.journey.afterAt IS NULL OR e.at < req.journey.afterAt
         OR (e.at = req.journey.afterAt AND e.key < req.journey.afterKey))
  WITH e ORDER BY e.at DESC, e.key DESC
  RETURN collect(e) AS journey
}
RETURN collect({
       index: req.index,
       persons: [q IN found | {id: q.id, mergedFrom: q.mergedFrom, splitFrom: q.splitFrom,
                      createdAt: toString(q.createdAt)}],
       identifiers: COLLECT {
         CALL (p) {
           MATCH (p)<-[:OF]-(i:Identifier)
           RETURN i
           UNION
           MATCH (p)<-[:OF]-(:Item)-[:HAS]->(i:Identifier)
           WHERE NOT i.linking
           RETURN i
         }
         WITH i WHERE req.identifiers
         ORDER BY i.type, i.value
         RETURN {key: i.key, type: i.type, value: i.value, display: i.display,
                 linking: i.linking, shared: i.shared, sharedReason: i.sharedReason,
                 blocked: i.blocked, firstSeen: toString(i.firstSeen),
                 lastSeen: toString(i.lastSeen),
                 sources: CASE WHEN req.sources THEN
                   COLLECT { MATCH (i)<-[:HAS]-(it:Item)-[:OF]->(p) RETURN DISTINCT it.source }
                 END}
       },
       events: [e IN journey[..coalesce(req.journey.limit, 0)] | {
         key: e.key, source: e.source, sourceId: e.sourceId, channel: e.channel, type: e.type,
         at: toString(e.at), attributes: e.attributes,
         identifiers: CASE WHEN req.seenWith THEN
           [(e)-[:HAS]->(x:Identifier) | {type: x.type, value: x.value}]
         END
       }]
}) AS pages;

// name: identifiers-of-persons(ids)
// Every identifier of each person: its linking identifiers, and the non-linking ones
// (addresses, shared and blocked values) carried by its records and events.
UNWIND $ids AS id
MATCH (p:Person {id: id})
CALL (p) {
  MATCH (p)<-[:OF]-(i:Identifier)
  RETURN i
  UNION
  MATCH (p)<-[:OF]-(:Item)-[:HAS]->(i:Identifier)
  WHERE NOT i.linking
  RETURN i
}
RETURN id AS person, i.key AS key, i.type AS type, i.value AS value, i.display AS display,
       i.linking AS linking, i.shared AS shared, i.sharedReason AS sharedReason,
       i.blocked AS blocked, toString(i.firstSeen) AS firstSeen, toString(i.lastSeen) AS lastSeen,
       COLLECT { MATCH (i)<-[:HAS]-(it:Item)-[:OF]->(p) RETURN DISTINCT it.source } AS sources
ORDER BY person, type, value;

// name: records-of-persons(ids)
UNWIND $ids AS id
MATCH (q:Person {id: id})<-[:OF]-(r:Record)
USING INDEX SEEK q:Person(id)
RETURN id AS person, r.key AS key, r.source AS source, r.sourceId AS sourceId,
       r.attributes AS attributes, toString(r.firstSeen) AS firstSeen,
       toString(r.updatedAt) AS updatedAt,
       [(r)-[:HAS]->(i:Identifier) | i.key] AS identifiers
ORDER BY person, source, sourceId;

// name: channels-of-persons(ids)
// Per person and channel: how many events, the first and the last.
UNWIND $ids AS id
MATCH (q:Person {id: id})<-[:OF]-(e:Event)
USING INDEX SEEK q:Person(id)
WITH id, e.channel AS channel, count(e) AS events, min(e.at) AS first, max(e.at) AS last
RETURN id AS person, channel, events, toString(first) AS first, toString(last) AS last
ORDER BY person, first;

// name: activity-of-persons(ids)
// First and last time each person was seen: events by when they happened, records by
// when they were received.
UNWIND $ids AS id
MATCH (q:Person {id: id})<-[:OF]-(n:Item)
USING INDEX SEEK q:Person(id)
WITH id, min(coalesce(n.at, n.firstSeen)) AS first, max(coalesce(n.at, n.updatedAt)) AS last
RETURN id AS person, toString(first) AS first, toString(last) AS last;

// name: explain^(a, b)
// Why two identifiers are one person: the shortest chain of linking identifiers and the
// records/events that carry them. No row when they are not the same person.
MATCH (a:Identifier {key: $a})-[:OF]->(p:Person)<-[:OF]-(b:Identifier {key: $b})
USING INDEX SEEK a:Identifier(key)
USING INDEX SEEK b:Identifier(key)
MATCH path = SHORTEST 1 (a) ((x)-[:HAS]-(y) WHERE y:Item OR y.linking){1,64} (b)
RETURN p.id AS person,
       [n IN nodes(path) | CASE
          WHEN n:Identifier THEN {identifier: true, key: n.key, type: n.type, value: n.value}
          ELSE {identifier: false, key: n.key, kind: CASE WHEN n:Event THEN 'event' ELSE 'record' END,
                source: n.source, sourceId: n.sourceId, channel: n.channel, type: n.type,
                at: toString(coalesce(n.at, n.updatedAt))}
        END] AS chain,
       [r IN relationships(path) | {source: r.source, at: toString(r.at)}] AS links;
