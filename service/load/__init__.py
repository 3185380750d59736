"""The initial load: a whole input resolved offline and written with neo4j-admin."""

__all__: list[str] = []
