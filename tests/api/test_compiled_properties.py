"""Random person operations: a compiled lookup answers the same bytes as strawberry.

Hypothesis writes documents over every field a plan covers (aliases, repeated response
keys that merge, inline fragments and fragment spreads, ``__typename``, identifier
type filters and journey arguments, several roots), sends each both ways (see
test_compiled.py) and requires the same response; documents a plan covers must be
answered by it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, Phase, event, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.api.conftest import Api
from tests.api.test_compiled import _both
from tests.api.test_prefetch import _load

PERSON_IDENTIFIER = [
    *("type", "value", "display", "linking", "shared", "sharedReason"),
    *("blocked", "blockedReason", "firstSeen", "lastSeen", "sources"),
]
#: type -> field -> the object type below it (None: a leaf). Arguments are drawn apart.
FIELDS: dict[str, dict[str, str | None]] = {
    "Person": {
        "id": None,
        "mergedFrom": None,
        "splitFrom": None,
        "identifiers": "PersonIdentifier",
        "journey": "EventConnection",
    },
    "PersonIdentifier": dict.fromkeys(PERSON_IDENTIFIER),
    "EventConnection": {"edges": "EventEdge", "pageInfo": "PageInfo"},
    "EventEdge": {"cursor": None, "node": "Event"},
    "Event": {
        "source": None,
        "id": None,
        "channel": None,
        "type": None,
        "at": None,
        "attributes": None,
        "seenWith": "SeenWith",
    },
    "SeenWith": {"type": None, "value": None},
    "PageInfo": {"hasNextPage": None, "endCursor": None},
}

IDENTIFIER_TYPES = ["EMAIL", "PHONE", "LOYALTY_CARD", "ADDRESS"]
CHANNELS = ["WEB", "STORE", "APP", "EMAIL"]
ENUM_VALUES = {*IDENTIFIER_TYPES, *CHANNELS}
JOURNEY_ARGUMENTS = st.fixed_dictionaries(
    {},
    optional={
        "first": st.integers(1, 40),
        "channels": st.lists(st.sampled_from(CHANNELS), max_size=3),
        "types": st.lists(st.sampled_from(["purchase", "page_view", "order"]), max_size=2),
        "since": st.sampled_from(["2026-10-01T00:00:00Z", "2026-10-10T12:00:00+02:00"]),
    },
)
ROOTS = [
    '{type: LOYALTY_CARD, value: "7001 2345"}',
    '{type: PHONE, value: "0034600123456"}',
    '{type: EMAIL, value: "card@example.org"}',
    '{type: EMAIL, value: "nobody@example.org"}',
]


@pytest.fixture
def api(compiled_api: Api) -> Api:
    """These tests are about the compiled path: on whatever OMNID_COMPILED_LOOKUPS says."""
    return compiled_api


@dataclass
class Document:
    fragments: list[str] = field(default_factory=list)
    #: The journey field of the person being written, as first drawn: every later
    #: journey selection of that person repeats it (one page per person, and fields of
    #: one response key must have the same arguments).
    journey: str | None = None


def _literal(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, int):
        return str(value)
    assert isinstance(value, str)
    return value if value in ENUM_VALUES else f'"{value}"'


@st.composite
def selection(draw: st.DrawFn, type_: str, doc: Document) -> str:
    """A selection set on ``type_``: some of its fields, aliased, repeated, in fragments."""
    names = draw(st.lists(st.sampled_from([*FIELDS[type_], "__typename"]), min_size=1, max_size=4))
    parts = []
    for name in names:
        # an alias names one field with one set of arguments, so repeated keys merge
        head = draw(st.sampled_from([name, name, name, f"{name}A: {name}"]))
        if name == "identifiers" and draw(st.booleans()):
            types = draw(st.lists(st.sampled_from(IDENTIFIER_TYPES), min_size=1, max_size=2))
            head = f"ids{''.join(t[0] for t in types)}: identifiers(types: {_literal(types)})"
        if name == "journey":
            if doc.journey is None:
                given_ = draw(JOURNEY_ARGUMENTS)
                arguments = ", ".join(f"{k}: {_literal(v)}" for k, v in given_.items())
                doc.journey = f"journey({arguments})" if arguments else "journey"
            head = doc.journey
        below = FIELDS[type_].get(name)
        part = head if below is None else f"{head} {{ {draw(selection(below, doc))} }}"
        wrap = draw(st.sampled_from(["", "", "inline", "spread"]))
        if wrap == "inline":
            part = f"... on {type_} {{ {part} }}"
        elif wrap == "spread":
            fragment = f"F{len(doc.fragments)}"
            doc.fragments.append(f"fragment {fragment} on {type_} {{ {part} }}")
            part = f"...{fragment}"
        parts.append(part)
    return " ".join(parts)


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A query of 1-3 person roots."""
    doc = Document()
    roots = []
    for n in range(draw(st.integers(1, 3))):
        doc.journey = None
        body = draw(selection("Person", doc))
        roots.append(f"p{n}: person(identifier: {draw(st.sampled_from(ROOTS))}) {{ {body} }}")
    return " ".join(doc.fragments) + " query { " + " ".join(roots) + " }"


async def _loaded(api: Api) -> None:
    body = await api.gql('{ person(identifier: {type: EMAIL, value: "card@example.org"}) { id } }')
    if body["data"]["person"] is None:
        await _load(api)


@hsettings(
    max_examples=60,
    deadline=None,
    # no "explain" phase, and shrinking stops early: each example is two HTTP requests
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=documents())
async def test_random_person_operations_answer_the_same(api: Api, query: str) -> None:
    await _loaded(api)
    compiled, body = await _both(api, query)
    event("refused by validation" if "errors" in body else "answered by a plan")
    if "errors" in body:
        # over a limit (aliases, depth, tokens): refused by validation, by both paths
        assert not compiled, query
        assert {e["extensions"]["code"] for e in body["errors"]} == {"GRAPHQL_VALIDATION_FAILED"}, (
            body
        )
    else:
        assert compiled, query
