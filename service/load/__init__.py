"""The initial load: a whole input resolved offline and written with neo4j-admin."""
