// Changed persons: one PersonChange mark per transaction that changes what persons are
// made of (resolution, consents, erasure), written in that transaction; consumers (the
// segment engine) read them with a cursor of their own. Run by
// service/identity/changes.py, whose docstring describes the mark.

// name: schema-person-change-at!
// Consumers read marks by time, from their cursor.
CREATE RANGE INDEX person_change_at IF NOT EXISTS
FOR (m:PersonChange) ON (m.at);

// name: schema-person-change-id!
// The evaluation that answers a mark flags it (marks-evaluated) by id.
CREATE RANGE INDEX person_change_id IF NOT EXISTS
FOR (m:PersonChange) ON (m.id);

// name: schema-change-cursor-name!
CREATE CONSTRAINT change_cursor_name IF NOT EXISTS
FOR (c:ChangeCursor) REQUIRE c.name IS UNIQUE;

// name: mark-persons-changed$(id, origin, persons, kinds)
// The mark of this transaction. `at` is the server's real time when this statement runs
// (not the transaction's start: a long or retried transaction commits soon after its
// last statement, and consumers look back a few seconds before their cursor for it).
CREATE (m:PersonChange {id: $id, at: datetime.realtime(), origin: $origin,
                        persons: $persons, kinds: $kinds})
RETURN m.at.epochMillis AS at;

// name: person-changes-since(after, limit)
// Marks after `after` (epoch milliseconds), oldest first.
MATCH (m:PersonChange)
WHERE m.at > datetime({epochMillis: $after})
WITH m ORDER BY m.at, m.id LIMIT $limit
RETURN m.id AS id, m.at.epochMillis AS at, m.origin AS origin, m.persons AS persons,
       m.kinds AS kinds, coalesce(m.evaluated, false) AS evaluated;

// name: marks-evaluated!(ids)
// These marks are answered (every person of theirs evaluated), in the transaction that
// finishes them: the other service processes' catch-up leaves them alone.
UNWIND $ids AS id
MATCH (m:PersonChange {id: id})
SET m.evaluated = true;

// name: prune-person-changes$(before, limit)
// Forget marks older than `before` (epoch milliseconds), at most `limit` at a time.
MATCH (m:PersonChange)
WHERE m.at < datetime({epochMillis: $before})
WITH m LIMIT $limit
DELETE m
RETURN count(*) AS pruned;

// name: change-cursor$(consumer)
// Where a consumer has read up to (epoch milliseconds), or null.
MATCH (c:ChangeCursor {name: $consumer})
RETURN c.at.epochMillis AS at;

// name: save-change-cursor!(consumer, at)
MERGE (c:ChangeCursor {name: $consumer})
SET c.at = datetime({epochMillis: $at});
