// A person's journey: their events across every channel, newest first.

// name: journeys(requests)
// One page per request {index, person, limit, channels, types, since, until, afterAt,
// afterKey}; the cursor (afterAt, afterKey) is the last event of the previous page.
// One row per request holding its events: the Python driver pays per row, so this is
// about three times faster than a row per event.
UNWIND $requests AS req
CALL (req) {
  MATCH (p:Person {id: req.person})<-[:OF]-(e:Event)
  USING INDEX SEEK p:Person(id)
  WHERE (req.channels IS NULL OR e.channel IN req.channels)
    AND (req.types IS NULL OR e.type IN req.types)
    AND (req.since IS NULL OR e.at >= req.since)
    AND (req.until IS NULL OR e.at < req.until)
    AND (req.afterAt IS NULL OR e.at < req.afterAt OR (e.at = req.afterAt AND e.key < req.afterKey))
  WITH e ORDER BY e.at DESC, e.key DESC
  WITH collect(e) AS all
  RETURN [e IN all[..req.limit] | {
    key: e.key, source: e.source, sourceId: e.sourceId, channel: e.channel, type: e.type,
    at: toString(e.at), attributes: e.attributes,
    identifiers: [(e)-[:HAS]->(i:Identifier) | {type: i.type, value: i.value}]
  }] AS events
}
RETURN req.index AS index, events;

// name: channel-sequence(person)
// Every event's time and channel, oldest first: transitions between channels come from it.
MATCH (p:Person {id: $person})<-[:OF]-(e:Event)
USING INDEX SEEK p:Person(id)
RETURN e.channel AS channel, toString(e.at) AS at, e.type AS type
ORDER BY e.at, e.key;

// name: lookup^(key)
// The hot path of a counter screen, as one query: the person of an identifier, their
// identifiers and their 50 latest events. The API benchmark's raw-driver baseline.
MATCH (i:Identifier {key: $key})-[:OF]->(p:Person)
USING INDEX SEEK i:Identifier(key)
RETURN p.id AS id,
       COLLECT { MATCH (p)<-[:OF]-(i:Identifier) RETURN {type: i.type, value: i.value} } AS identifiers,
       COLLECT {
         MATCH (p)<-[:OF]-(e:Event)
         WITH e ORDER BY e.at DESC LIMIT 50
         RETURN {at: toString(e.at), channel: e.channel, type: e.type, source: e.source,
                 id: e.sourceId, attributes: e.attributes}
       } AS events;

// name: events-received-since(since, limit)
// Events committed recently (by any process), oldest first, with their person: the
// live subscription's feed for writes made elsewhere.
MATCH (e:Event)
WHERE e.receivedAt > $since
WITH e ORDER BY e.receivedAt LIMIT $limit
MATCH (e)-[:OF]->(p:Person)
RETURN e.key AS key, e.source AS source, e.sourceId AS sourceId, e.channel AS channel,
       e.type AS type, toString(e.at) AS at, e.attributes AS attributes, p.id AS person,
       [(e)-[:HAS]->(i:Identifier) | {type: i.type, value: i.value}] AS identifiers;
