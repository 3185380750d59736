"""omnid's development tools: the demo data generator, the local Neo4j server built from
Maven jars, and the resolution quality metric.

They sit beside the product package, never inside it: ``service`` does not import
``devtools``. The CLI picks up their commands (``omnid neo4j``, ``omnid demo``) through
the ``omnid.commands`` entry points, and ``omnid serve`` loads the demo into an empty
graph through ``omnid.demo`` when this package's extra (``pip install 'omnid[demo]'``)
is installed.
"""

from pathlib import Path

#: Statements of the development tools (``item-partition``), loaded beside the product's
#: by the tests and benchmarks that use them.
DEVTOOLS_CYPHER = Path(__file__).resolve().parent / "cypher"

__all__ = ["DEVTOOLS_CYPHER"]
