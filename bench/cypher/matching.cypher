// The possible-match benchmark's own statements (bench/matching.py).

// name: matching-pairs
// Every scored pair of records, with the records' ids at their source.
MATCH (a:Record)-[m:MAY_MATCH]->(b:Record)
RETURN a.sourceId AS a, b.sourceId AS b, m.score AS score;
