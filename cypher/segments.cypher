// Segments: definitions, membership, its history (the outbox) and webhook deliveries.
// Run by service/segments/. A rule is never formatted into Cypher: it compiles to the
// parameters ($atoms) of the one fixed statement segment-evaluate.

// name: schema-segment-name!
CREATE CONSTRAINT segment_name IF NOT EXISTS
FOR (s:Segment) REQUIRE s.name IS UNIQUE;

// name: schema-membership-key!
// One membership state per segment and person: key = <segment>|<person id>.
CREATE CONSTRAINT membership_key IF NOT EXISTS
FOR (m:Membership) REQUIRE m.key IS UNIQUE;

// name: schema-membership-person!
CREATE RANGE INDEX membership_person IF NOT EXISTS
FOR (m:Membership) ON (m.person);

// name: schema-membership-segment!
CREATE RANGE INDEX membership_segment IF NOT EXISTS
FOR (m:Membership) ON (m.segment, m.member);

// name: schema-membership-expires!
// The scheduler finds memberships whose time window closes.
CREATE RANGE INDEX membership_expires IF NOT EXISTS
FOR (m:Membership) ON (m.expiresAt);

// name: schema-segment-change-id!
CREATE CONSTRAINT segment_change_id IF NOT EXISTS
FOR (c:SegmentChange) REQUIRE c.id IS UNIQUE;

// name: schema-segment-change-person!
CREATE RANGE INDEX segment_change_person IF NOT EXISTS
FOR (c:SegmentChange) ON (c.person);

// name: schema-webhook-delivery-id!
CREATE CONSTRAINT webhook_delivery_id IF NOT EXISTS
FOR (d:WebhookDelivery) REQUIRE d.id IS UNIQUE;

// name: schema-webhook-delivery-status!
CREATE RANGE INDEX webhook_delivery_status IF NOT EXISTS
FOR (d:WebhookDelivery) ON (d.status);

// name: segment-save^(segment, definition, description, now)
// Store a definition: a new segment gets version 1, a changed one the next version and
// a fresh evaluation over the whole graph (status evaluating, cursor from the start).
MERGE (s:Segment {name: $segment})
  ON CREATE SET s.version = 0, s.createdAt = datetime($now)
WITH s, s.definition = $definition AS same
SET s.version = CASE WHEN same THEN s.version ELSE s.version + 1 END,
    s.definition = $definition,
    s.description = $description,
    s.status = CASE WHEN same THEN s.status ELSE 'EVALUATING' END,
    s.cursor = CASE WHEN same THEN s.cursor ELSE '' END,
    s.evaluated = CASE WHEN same THEN s.evaluated ELSE 0 END,
    s.updatedAt = CASE WHEN same THEN s.updatedAt ELSE datetime($now) END
RETURN s.version AS version, same AS unchanged;

// name: segment-exists$(segment)
// The segment's status (EVALUATING, READY, DROPPING), or null when there is none.
MATCH (s:Segment {name: $segment})
RETURN s.status AS status;

// name: segments-all
// Every definition with its evaluation progress, by name.
MATCH (s:Segment)
RETURN s.name AS name, s.version AS version, s.definition AS definition,
       s.description AS description, s.status AS status, s.evaluated AS evaluated,
       s.cursor AS cursor, toString(s.createdAt) AS createdAt,
       toString(s.updatedAt) AS updatedAt
ORDER BY name;

// name: segment-dropping$(segment)
// Start dropping a segment: it is no longer evaluated; its members leave in batches
// (segment-leave-page), then segment-drop removes it. Null: no such segment.
MATCH (s:Segment {name: $segment})
SET s.status = 'DROPPING'
RETURN s.version AS version;

// name: segment-leave-page$(segment, limit)
// The next members of a segment being dropped, by person id.
MATCH (m:Membership {segment: $segment, member: true})
WITH m.person AS person ORDER BY person LIMIT $limit
RETURN collect(person) AS persons;

// name: segment-drop$(segment, limit)
// Once no member is left: delete up to `limit` remaining (non-member) states, then the
// segment itself when none is left; whether it is gone (its change history stays).
MATCH (s:Segment {name: $segment})
CALL (s) {
  MATCH (m:Membership {segment: s.name})
  WITH m LIMIT $limit
  DELETE m
  RETURN count(*) AS deleted
}
WITH s, deleted
WHERE deleted < $limit
DELETE s
RETURN true AS dropped;

// name: segment-progress!(segment, version, cursor, evaluated, done)
// The background evaluation's position; ignored when the definition changed meanwhile.
MATCH (s:Segment {name: $segment})
WHERE s.version = $version
SET s.cursor = $cursor, s.evaluated = s.evaluated + $evaluated,
    s.status = CASE WHEN $done THEN 'READY' ELSE 'EVALUATING' END;

// name: persons-page$(after, limit)
// Person ids in id order after `after`: the background evaluation's batches.
MATCH (p:Person)
WHERE p.id > $after
WITH p.id AS id ORDER BY id LIMIT $limit
RETURN collect(id) AS ids;

// name: items-to-project(persons)
// The items of these persons with their stored attributes (JSON text), for the
// projection of the attributes rules compare.
UNWIND $persons AS pid
MATCH (:Person {id: pid})<-[:OF]-(x:Item)
WHERE x.attributes IS NOT NULL AND x.attributes <> '{}'
RETURN x.key AS key, x.attributes AS attributes;

// name: project-attributes!(rows)
// rows {key, props: {`attr.<name>`: value}}: the item's scalar attributes that rules
// compare, as properties segment-evaluate can read (attributes are stored as JSON text,
// which Cypher cannot look into). Stale ones (a record that changed) are removed first.
UNWIND $rows AS row
MATCH (x:Item {key: row.key})
FOREACH (k IN [k IN keys(x) WHERE k STARTS WITH 'attr.'] | SET x[k] = null)
SET x += row.props;

// name: segment-evaluate(checks, atoms, now)
// Per check {person, atoms: [indexes into $atoms]} and atom (a rule's leaf, see
// service/segments/compile.py): whether it holds, when it stops holding on its own (a
// sliding window closing: the atLeast-th newest matching event leaves it), and the
// newest matching event (the cause). Each person is checked only against the atoms of
// the segments its writes can change. A person who no longer exists answers exists =
// false. Atoms of kind event/record count the person's items matching every comparison
// of `where`; `home` compares with the countries of the person's records. Consent atoms
// go to segment-consents (a statement of their own: planning them in this one tripled
// its planning time).
UNWIND $checks AS check
OPTIONAL MATCH (p:Person {id: check.person})
WITH check.person AS pid, check.atoms AS indexes, p, COLLECT {
  MATCH (p)<-[:OF]-(r:Record) WHERE r.country IS NOT NULL RETURN DISTINCT r.country
} AS homes
UNWIND indexes AS index
WITH pid, p, homes, $atoms[index] AS a
WITH pid, p, homes, a,
  CASE WHEN p IS NULL OR a.kind = 'identifier' THEN [] ELSE COLLECT {
    MATCH (p)<-[:OF]-(x:Item)
    WHERE ((a.kind = 'event' AND x:Event) OR (a.kind = 'record' AND x:Record))
      AND (a.types IS NULL OR x.type IN a.types)
      AND (a.channels IS NULL OR x.channel IN a.channels)
      AND (a.sources IS NULL OR x.source IN a.sources)
      AND (a.window IS NULL OR x.at > datetime($now) - duration({seconds: a.window}))
      AND all(c IN a.where WHERE coalesce(CASE c.op
        WHEN 'eq' THEN CASE WHEN c.home THEN x[c.prop] IN homes ELSE x[c.prop] = c.value END
        WHEN 'ne' THEN CASE WHEN c.home THEN size(homes) > 0 AND NOT x[c.prop] IN homes
                            ELSE x[c.prop] <> c.value END
        WHEN 'gt' THEN x[c.prop] > c.value
        WHEN 'lt' THEN x[c.prop] < c.value
        WHEN 'in' THEN x[c.prop] IN c.value
      END, false))
    WITH x ORDER BY x.at DESC, x.key DESC LIMIT 1000
    RETURN {at: x.at, key: x.key, type: x.type, channel: x.channel}
  } END AS found
WITH pid, p, a, found,
  CASE
    WHEN p IS NULL THEN false
    WHEN a.kind = 'identifier' THEN
      EXISTS { MATCH (p)<-[:OF]-(:Identifier {type: a.type}) }
      OR EXISTS { MATCH (p)<-[:OF]-(:Item)-[:HAS]->(:Identifier {type: a.type}) }
    ELSE size(found) >= a.atLeast
  END AS ok
RETURN pid AS person, p IS NOT NULL AS exists, a.segment AS segment, a.index AS atom,
       ok,
       CASE WHEN ok AND a.window IS NOT NULL
            THEN toString(found[a.atLeast - 1].at + duration({seconds: a.window})) END
         AS expires,
       CASE WHEN size(found) > 0 THEN {key: found[0].key, type: found[0].type,
            channel: found[0].channel, at: toString(found[0].at)} END AS cause;

// name: segment-consents(checks, atoms)
// Consent atoms, as segment-evaluate answers the others: per check {person, atoms} and
// atom, whether the person's effective consent for the atom's purpose is a grant: the
// latest (by at, then source, then id, as service/privacy/consents.py reads it) of the
// consents given through the person's identifiers (its linking ones, and the
// non-linking ones its items carry, less shared or blocked values) on the atom's
// channels (the channel asked for and ALL).
UNWIND $checks AS check
OPTIONAL MATCH (p:Person {id: check.person})
UNWIND check.atoms AS index
WITH check.person AS pid, p, $atoms[index] AS a
CALL (p, a) {
  OPTIONAL MATCH (p)<-[:OF]-(:Identifier)<-[:THROUGH]-(c:Consent)
  WHERE c.purpose = a.purpose AND c.channel IN a.channels
  RETURN c
  UNION
  OPTIONAL MATCH (p)<-[:OF]-(:Item)-[:HAS]->(x:Identifier)<-[:THROUGH]-(c:Consent)
  WHERE NOT x.linking AND x.shared IS NULL AND x.blocked IS NULL
    AND c.purpose = a.purpose AND c.channel IN a.channels
  RETURN c
}
WITH pid, p, a, c ORDER BY c.at DESC, c.source DESC, c.sourceId DESC
WITH pid, p, a, collect(c.status)[0] AS status
RETURN pid AS person, p IS NOT NULL AS exists, a.segment AS segment, a.index AS atom,
       coalesce(status = 'granted', false) AS ok, null AS expires, null AS cause;

// name: memberships-of(persons, segments)
// The stored membership states of these persons in these segments.
UNWIND $persons AS pid
MATCH (m:Membership {person: pid})
WHERE m.segment IN $segments
RETURN m.key AS key, m.segment AS segment, m.person AS person, m.member AS member,
       toString(m.since) AS since, toString(m.expiresAt) AS expiresAt;

// name: transfer-merged-memberships!(persons)
// A merge: memberships of these persons that are now aliases (merged into another)
// become the survivor's, keeping the earlier `since`, before the survivor is evaluated.
UNWIND $persons AS pid
MATCH (a:PersonAlias {id: pid})
USING INDEX SEEK a:PersonAlias(id)
MATCH (m:Membership {person: pid})
MERGE (n:Membership {key: m.segment + '|' + a.mergedInto})
  ON CREATE SET n.segment = m.segment, n.person = a.mergedInto, n.member = m.member,
                n.since = m.since, n.expiresAt = m.expiresAt
  ON MATCH SET n.member = n.member OR m.member,
               n.since = CASE WHEN m.member AND (n.since IS NULL OR m.since < n.since)
                         THEN m.since ELSE n.since END
DELETE m;

// name: apply-memberships!(upserts, deletes)
// Write the new membership states: upserts {key, segment, person, member, since,
// expiresAt}; deletes: keys of states no longer worth keeping (not a member, nothing to
// expire).
CALL () {
  UNWIND $upserts AS row
  MERGE (m:Membership {key: row.key})
  SET m.segment = row.segment, m.person = row.person, m.member = row.member,
      m.since = datetime(row.since), m.expiresAt = datetime(row.expiresAt)
}
CALL () {
  UNWIND $deletes AS key
  MATCH (m:Membership {key: key})
  DELETE m
};

// name: record-changes!(changes, deliveries)
// The outbox, in the transaction that changed the memberships: changes {id, seq,
// segment, version, person, change, at, cause, payload} are the history of entries and
// exits; deliveries {id, change, target, person, seq, body, at} wait for the webhook
// drainer.
CALL () {
  UNWIND $changes AS row
  CREATE (:SegmentChange {id: row.id, seq: row.seq, segment: row.segment,
          version: row.version, person: row.person, change: row.change,
          at: datetime(row.at), cause: row.cause, payload: row.payload})
}
CALL () {
  UNWIND $deliveries AS row
  CREATE (:WebhookDelivery {id: row.id, change: row.change, target: row.target,
          person: row.person, seq: row.seq, body: row.body, status: 'PENDING',
          attempts: 0, createdAt: datetime(row.at), nextAttemptAt: datetime(row.at)})
};

// name: due-memberships$(now, limit)
// Persons whose window closes by now: the scheduler re-evaluates them.
MATCH (m:Membership)
WHERE m.expiresAt <= datetime($now)
WITH DISTINCT m.person AS person LIMIT $limit
RETURN collect(person) AS persons;

// name: next-expiry$
// When the next window closes (the scheduler sleeps until then, or its interval).
MATCH (m:Membership)
WHERE m.expiresAt IS NOT NULL
RETURN toString(min(m.expiresAt)) AS next;

// name: segment-members(segment, after, limit)
// One page of a segment's members, by person id.
MATCH (m:Membership {segment: $segment, member: true})
WHERE m.person > $after
WITH m ORDER BY m.person LIMIT $limit
RETURN m.person AS person, toString(m.since) AS since;

// name: segment-size$(segment)
MATCH (m:Membership {segment: $segment, member: true})
RETURN count(m) AS size;

// name: segments-of-persons(persons)
// The segments each person is a member of, with since.
UNWIND $persons AS pid
MATCH (m:Membership {person: pid, member: true})
RETURN pid AS person, m.segment AS segment, toString(m.since) AS since
ORDER BY pid, m.segment;

// name: segment-history(person, limit)
// A person's entries and exits, newest first.
MATCH (c:SegmentChange {person: $person})
WITH c ORDER BY c.seq DESC LIMIT $limit
RETURN c.id AS id, c.segment AS segment, c.change AS change, toString(c.at) AS at,
       c.cause AS cause;

// name: due-deliveries(now, limit, parked)
// The next delivery of each (target, person), oldest first, when it is due: one person's
// changes go out in order, one at a time; a parked target sends nothing.
MATCH (d:WebhookDelivery {status: 'PENDING'})
WHERE NOT d.target IN $parked
WITH d ORDER BY d.seq
WITH d.target AS target, d.person AS person, collect(d)[0] AS d
WHERE d.nextAttemptAt <= datetime($now)
RETURN d.id AS id, d.target AS target, d.person AS person, d.body AS body,
       d.attempts AS attempts
ORDER BY d.seq LIMIT $limit;

// name: parked-targets$
MATCH (d:WebhookDelivery {status: 'PARKED'})
RETURN collect(DISTINCT d.target) AS targets;

// name: delivery-results!(rows)
// rows {id, status, attempts, nextAttemptAt, error, at}: after an attempt.
UNWIND $rows AS row
MATCH (d:WebhookDelivery {id: row.id})
SET d.status = row.status, d.attempts = row.attempts,
    d.nextAttemptAt = datetime(row.nextAttemptAt), d.lastError = row.error,
    d.lastAttemptAt = datetime(row.at),
    d.deliveredAt = CASE WHEN row.status = 'DELIVERED' THEN datetime(row.at) END;

// name: webhook-deliveries(status, target, limit)
// Deliveries by status (null: any) and target (null: any), newest first.
MATCH (d:WebhookDelivery)
WHERE ($status IS NULL OR d.status = $status) AND ($target IS NULL OR d.target = $target)
WITH d ORDER BY d.seq DESC LIMIT $limit
RETURN d.id AS id, d.target AS target, d.person AS person, d.change AS change,
       d.status AS status, d.attempts AS attempts, d.lastError AS lastError,
       toString(d.createdAt) AS createdAt, toString(d.nextAttemptAt) AS nextAttemptAt,
       toString(d.deliveredAt) AS deliveredAt;

// name: retry-deliveries$(ids, target, now)
// Parked deliveries (these ids, or all of a target) wait again, attempts from zero.
MATCH (d:WebhookDelivery {status: 'PARKED'})
WHERE d.id IN $ids OR d.target = $target
SET d.status = 'PENDING', d.attempts = 0, d.nextAttemptAt = datetime($now)
RETURN count(d) AS retried;
