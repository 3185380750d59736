"""Neo4j access without business rules: the named Cypher statements of ``cypher/``
(``cypher``), the driver with its retries and timeouts (``graph``), and the schema
(``schema``)."""

__all__: list[str] = []
