"""The statements the tests run: the product's (``cypher/``), the tests' own
(``tests/cypher/``: invariants and partitions) and the development tools'."""

from pathlib import Path

from devtools import DEVTOOLS_CYPHER
from service.store.cypher import CYPHER_DIR, load_statements

TESTS_CYPHER = Path(__file__).resolve().parent / "cypher"
STATEMENTS = load_statements(CYPHER_DIR, TESTS_CYPHER, DEVTOOLS_CYPHER)
