// The possible-match benchmark's own statements (bench/matching.py).

// name: matching-pairs
// Every scored pair of records, with the records' ids at their source.
MATCH (a:Record)-[m:MAY_MATCH]->(b:Record)
RETURN a.sourceId AS a, b.sourceId AS b, m.score AS score;

// name: matching-sample(limit)
// Stored records to write variants of (bench/matching_latency.py --reuse).
MATCH (r:Record)
WHERE r.source <> 'bench-new'
RETURN r.attributes AS attributes,
       [(r)-[:HAS]->(i:Identifier {type: 'EMAIL'}) | i.value] AS emails
LIMIT $limit;

// name: matching-person-count$
MATCH (p:Person) RETURN count(p) AS persons;
