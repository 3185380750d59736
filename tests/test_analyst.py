"""Every analyst query in cypher/analyst/ answers with rows on the demo data.

The statements are the ones analysts paste into Neo4j Browser; each one's parameters
come from ``SAMPLES`` (what the comment's ``:param`` lines suggest), or from another
query's answer where a value must exist in the graph (an identifier key).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from devtools import demo
from service.identity.ingest import Ingestor
from service.store.cypher import CYPHER_DIR
from service.store.graph import Graph

ANALYST = CYPHER_DIR / "analyst"

#: Values for the parameters analysts set with :param (identifier keys are looked up).
SAMPLES: dict[str, Any] = {
    "limit": 20,
    "days": 7,
    "fromChannel": "WEB",
    "toChannel": "STORE",
    "channel": "STORE",
    "source": "newsletter",
}


async def _load_demo(graph: Graph) -> None:
    report = await Ingestor(graph).ingest(demo.generate(customers=40, seed=11).items)
    assert not report.errors


async def test_every_analyst_query_returns_rows(graph: Graph) -> None:
    await _load_demo(graph)
    names = graph.statements.names("analyst/")
    assert len(names) >= 6

    largest = await graph.query("analyst/largest-persons", limit=1)
    shared = await graph.query("analyst/shared-identifiers", limit=50)
    assert largest and shared, "the demo data has persons and shared or blocked values"
    # A shared value if the demo has one at this size, else a blocked one (the junk).
    shared_key = next((r["key"] for r in shared if r["status"] == "shared"), shared[0]["key"])
    params = {**SAMPLES, "key": largest[0]["keys"][0], "sharedKey": shared_key}
    for name in names:
        statement = graph.statements[name]
        missing = statement.params - set(params)
        assert not missing, f"{name}: add a sample value for {sorted(missing)}"
        rows = await graph.query(name, **{p: params[p] for p in statement.params})
        assert rows, f"{name} ({statement.origin}) returned no rows on the demo data"


async def test_person_graph_draws_the_sofa_buyer(graph: Graph) -> None:
    await _load_demo(graph)
    rows = await graph.query("analyst/person-graph", key="PHONE:+34600123456")
    assert len({r["person"] for r in rows}) == 1
    emails = {
        node["value"]
        for r in rows
        for node in r["path"]
        if isinstance(node, dict) and node.get("type") == "EMAIL"
    }
    assert emails == {"ana.silva@example.com", "anasilvacasa@gmail.com", "asilva@bufete-mayor.es"}


async def test_channel_transitions_count_web_to_store(graph: Graph) -> None:
    await _load_demo(graph)
    (row,) = await graph.query(
        "analyst/channel-transitions", fromChannel="WEB", toChannel="STORE", days=7
    )
    assert 0 < row["customersWhoWent"] <= row["customersOnFromChannel"]
    (none,) = await graph.query(
        "analyst/channel-transitions", fromChannel="WEB", toChannel="STORE", days=0
    )
    assert none["customersWhoWent"] == 0


@pytest.mark.parametrize("path", sorted(ANALYST.glob("*.cypher")), ids=lambda p: p.name)
def test_each_statement_documents_its_parameters(path: Path) -> None:
    """Each parameter appears in a `:param name =>` line of its statement's comment."""
    from service.store.cypher import load_statements

    statements = load_statements()
    for name in statements.names("analyst/"):
        statement = statements[name]
        if not statement.origin.startswith(f"cypher/analyst/{path.name}:"):
            continue
        documented = set(re.findall(r":param (\w+) =>", statement.doc))
        assert documented == set(statement.params), f"{name}: document {statement.params}"
        assert len(statement.doc) > 40, f"{name}: explain what it shows"


def _parse_grass(text: str) -> dict[str, dict[str, str]]:
    """GraSS read the way Neo4j Browser 5.24 reads it (``parseGrass`` in its bundle).

    No comments (their text would join the next selector) and captions in quotes
    (unquoted braces are dropped); a property whose value holds a ':' is ignored.
    """
    rules: dict[str, str] = {}
    quoted = in_rule = in_braces = False
    selector = body = ""
    for ch in text:
        if ch == "{" and not quoted:
            if in_rule:
                in_braces = True
            else:
                in_rule = True
            continue
        if ch == "}" and not quoted:
            if in_braces:
                in_braces = False
            else:
                in_rule = False
                rules[selector], selector, body = body, "", ""
            continue
        if ch in "'\"":
            quoted = not quoted
            continue
        if in_rule:
            body += ch
        elif not ch.isspace():
            selector += ch
    parsed = {}
    for name, props in rules.items():
        pairs = [p.split(":") for p in props.split(";")]
        parsed[name] = {k.strip(): v.strip() for k, v in (p for p in pairs if len(p) == 2)}
    return parsed


def test_style_file_gives_every_label_a_colour_and_caption() -> None:
    style = _parse_grass((ANALYST / "omnid.grass").read_text())
    captions = {
        "Person": "{id}",
        "PersonAlias": "{id}",
        "Identifier": "{value}",
        "Email": "{value}",
        "Phone": "{value}",
        "LoyaltyCard": "{value}",
        "Device": "{value}",
        "Address": "{display}",
        "CustomerId": "{value}",
        "PaymentToken": "{value}",
        "Record": "{source}",
        "Event": "{channel} {type}",
    }
    for label, caption in captions.items():
        rule = style[f"node.{label}"]
        assert rule["caption"] == caption, label
        assert re.fullmatch(r"#[0-9A-Fa-f]{6}", rule["color"]), label
    for rel in ("OF", "HAS", "MERGED_INTO"):
        assert style[f"relationship.{rel}"]["caption"] == "<type>"
    assert set(style) <= {"node", "relationship"} | {
        s for s in style if s.startswith(("node.", "relationship."))
    }
