// The review list of suspicious persons (service/steward/review.py). A person's review
// is stored on it, recomputed for the persons a write touched: `reviewScore` (set only
// while the person is listed, indexed for the ordered list), `reviewReasons` (JSON text
// [{code, detail}]), `reviewBridges` (identifier keys), `reviewSignature` (what a
// dismissal holds for), `reviewedAt`; a dismissal: `reviewDismissed` (the signature
// dismissed), `reviewDismissedBy`, `reviewDismissedReason`, `reviewDismissedAt`.
// Merged persons lose the label Person and deleted ones are gone: they leave the list.

// name: schema-person-review-score!
// The review list, ordered by score.
CREATE RANGE INDEX person_review_score IF NOT EXISTS
FOR (p:Person) ON (p.reviewScore);

// name: review-facts(ids)
// What a person's review is computed from: its records (attributes as JSON text,
// country, the linking identifiers each carries), the distinct sets of linking
// identifiers of its events that carry two or more, and its identifiers per type.
UNWIND $ids AS id
MATCH (p:Person {id: id})
USING INDEX SEEK p:Person(id)
RETURN p.id AS id,
       COLLECT {
         MATCH (p)<-[:OF]-(r:Record)
         RETURN {key: r.key, attributes: r.attributes, country: r.country,
                 links: [(r)-[:HAS]->(x:Identifier WHERE x.linking) | x.key]}
       } AS records,
       COLLECT {
         MATCH (p)<-[:OF]-(e:Event)
         WITH [(e)-[:HAS]->(x:Identifier WHERE x.linking) | x.key] AS links
         WHERE size(links) > 1
         RETURN DISTINCT links
       } AS eventLinks,
       COLLECT {
         MATCH (p)<-[:OF]-(i:Identifier)
         WITH i.type AS type, count(*) AS n
         RETURN {type: type, n: n}
       } AS counts;

// name: review-store!(rows, now)
// Store reviews: rows {id, listed, score, reasons, bridges, signature}. A person stays
// off the list while its signature is the one a steward dismissed; a new signature
// (the person changed) ends the dismissal.
UNWIND $rows AS row
MATCH (p:Person {id: row.id})
USING INDEX SEEK p:Person(id)
WITH p, row, coalesce(p.reviewDismissed = row.signature, false) AS dismissed
SET p.reviewScore = CASE WHEN row.listed AND NOT dismissed THEN row.score ELSE null END,
    p.reviewReasons = CASE WHEN row.listed THEN row.reasons ELSE null END,
    p.reviewBridges = CASE WHEN row.listed THEN row.bridges ELSE null END,
    p.reviewSignature = CASE WHEN row.listed THEN row.signature ELSE null END,
    p.reviewedAt = $now,
    p.reviewDismissed = CASE WHEN dismissed THEN p.reviewDismissed ELSE null END,
    p.reviewDismissedBy = CASE WHEN dismissed THEN p.reviewDismissedBy ELSE null END,
    p.reviewDismissedReason = CASE WHEN dismissed THEN p.reviewDismissedReason ELSE null END,
    p.reviewDismissedAt = CASE WHEN dismissed THEN p.reviewDismissedAt ELSE null END;

// name: review-forget-aliases!(ids)
// Persons merged into others keep no review (they are aliases now).
UNWIND $ids AS id
MATCH (a:PersonAlias {id: id})
USING INDEX SEEK a:PersonAlias(id)
REMOVE a.reviewScore, a.reviewReasons, a.reviewBridges, a.reviewSignature, a.reviewedAt,
       a.reviewDismissed, a.reviewDismissedBy, a.reviewDismissedReason, a.reviewDismissedAt;

// name: review-split-parents$(ids)
// The persons these were split from: after a split both parts are reviewed again.
UNWIND $ids AS id
MATCH (p:Person {id: id})
USING INDEX SEEK p:Person(id)
WITH p WHERE p.splitFrom IS NOT NULL
RETURN collect(DISTINCT p.splitFrom) AS ids;

// name: review-page(score, after, limit)
// One page of the list, by score (highest first) then person id, after the cursor
// (score, id); each bridge with its type and a display form (null when it is gone).
MATCH (p:Person)
WHERE p.reviewScore IS NOT NULL
  AND (p.reviewScore < $score OR (p.reviewScore = $score AND p.id > $after))
WITH p ORDER BY p.reviewScore DESC, p.id ASC LIMIT $limit
RETURN p.id AS id, p.reviewScore AS score, p.reviewReasons AS reasons,
       toString(p.reviewedAt) AS reviewedAt,
       [k IN coalesce(p.reviewBridges, []) | head(COLLECT {
          MATCH (i:Identifier {key: k})
          RETURN {key: i.key, type: i.type, value: coalesce(i.display[0], i.value)}
       })] AS bridges;

// name: review-listed$
// How many persons the list holds.
MATCH (p:Person) WHERE p.reviewScore IS NOT NULL
RETURN count(p) AS n;

// name: review-dismiss^(person, reason, by, now)
// A steward dismisses a listed person: off the list until its review changes.
MATCH (p:Person {id: $person})
USING INDEX SEEK p:Person(id)
WHERE p.reviewScore IS NOT NULL
SET p.reviewDismissed = p.reviewSignature, p.reviewDismissedBy = $by,
    p.reviewDismissedReason = $reason, p.reviewDismissedAt = $now, p.reviewScore = null
RETURN p.id AS id;

// name: persons-split-from$(ids)
// Persons split off these: they lost the items a write touched, so are reviewed too.
UNWIND $ids AS id
MATCH (p:Person {splitFrom: id})
RETURN collect(DISTINCT p.id) AS ids;
