"""The rule language: what it accepts, and typed errors naming the path otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from service.errors import InvalidRule, InvalidWebhook
from service.segments.compile import compile_rule, verdict
from service.segments.rules import parse_definition
from service.segments.webhooks import parse_targets, sign, verify
from tests.segments.conftest import TRAVELLING_ABROAD


def _rule(rule: Any) -> dict[str, Any]:
    return {"name": "s", "rule": rule}


def test_the_travelling_abroad_example_compiles_to_one_event_atom() -> None:
    definition = parse_definition(TRAVELLING_ABROAD)
    plan = compile_rule(definition.name, definition.rule)
    (atom,) = plan.atoms
    assert atom["kind"] == "event"
    assert atom["types"] == ["card_payment"]
    assert atom["window"] == 3 * 86400
    assert atom["where"] == [{"prop": "attr.country", "op": "ne", "value": None, "home": True}]
    assert plan.attributes == {"attr.country"}


def test_all_any_not_combine_the_atoms_in_order() -> None:
    rule = {
        "all": [
            {"identifier": {"type": "PHONE"}},
            {
                "any": [
                    {"record": {"where": [{"attribute": "tier", "eq": "gold"}]}},
                    {"event": {"type": "purchase", "atLeast": 3}},
                ]
            },
            {"not": {"identifier": {"type": "LOYALTY_CARD"}}},
        ]
    }
    definition = parse_definition(_rule(rule))
    plan = compile_rule("s", definition.rule)
    assert [a["kind"] for a in plan.atoms] == ["identifier", "record", "event", "identifier"]
    assert verdict(definition.rule, {0: True, 1: False, 2: True, 3: False})
    assert not verdict(definition.rule, {0: True, 1: False, 2: True, 3: True})
    assert not verdict(definition.rule, {0: True, 1: False, 2: False, 3: False})


@pytest.mark.parametrize(
    ("rule", "path", "words"),
    [
        (
            {"all": [{"identifier": {"type": "PHONE"}}, {"event": {"within": "3 days"}}]},
            "rule.all[1].event.within",
            'must be a duration like "3d"',
        ),
        ({"event": {"type": "x", "colour": "red"}}, "rule.event.colour", "unknown field"),
        ({"identifier": {"type": "FAX"}}, "rule.identifier.type", "unknown identifier type"),
        ({"shape": {}}, "rule.shape", "unknown condition"),
        ({"event": {"channel": "TELEPATHY"}}, "rule.event.channel[0]", "must be one of"),
        ({"event": {"atLeast": 0}}, "rule.event.atLeast", "between 1 and 1000"),
        (
            {"event": {"where": [{"attribute": "amount", "gt": True}]}},
            "rule.event.where[0].gt",
            "string or number",
        ),
        (
            {"event": {"where": [{"attribute": "amount", "gt": {"home": "country"}}]}},
            "rule.event.where[0].gt",
            "only eq and ne",
        ),
        (
            {"event": {"where": [{"attribute": "a", "eq": 1, "ne": 2}]}},
            "rule.event.where[0]",
            "exactly one operator",
        ),
        ({"event": {"within": "400d"}}, "rule.event.within", "at most 366 days"),
        ({"all": []}, "rule.all", "non-empty list"),
        ({"not": {"identifier": {"type": "PHONE"}}}, "rule", "outside 'not'"),
    ],
)
def test_bad_rules_name_the_path(rule: Any, path: str, words: str) -> None:
    with pytest.raises(InvalidRule) as raised:
        parse_definition(_rule(rule), identifier_types=("EMAIL", "PHONE", "LOYALTY_CARD"))
    assert raised.value.field == path
    assert words in raised.value.message
    assert raised.value.message.startswith(f"{path}: ")


def test_bad_names_and_unknown_top_level_fields() -> None:
    with pytest.raises(InvalidRule) as raised:
        parse_definition({"name": "Bad Name", "rule": {"identifier": {"type": "PHONE"}}})
    assert raised.value.field == "name"
    with pytest.raises(InvalidRule) as raised:
        parse_definition({"name": "ok", "rule": {"identifier": {"type": "PHONE"}}, "x": 1})
    assert raised.value.field == "x"
    with pytest.raises(InvalidRule):
        parse_definition("not an object")


def test_consent_conditions_compile_to_the_channel_and_all() -> None:
    with pytest.raises(InvalidRule) as raised:
        parse_definition(_rule({"consent": {"purpose": "marketing", "channel": "FAX"}}))
    assert raised.value.field == "rule.consent.channel"
    with pytest.raises(InvalidRule) as unknown:
        parse_definition(
            _rule({"consent": {"purpose": "bingo", "channel": "SMS"}}), purposes=["marketing"]
        )
    assert unknown.value.field == "rule.consent.purpose"
    rule = parse_definition(_rule({"consent": {"purpose": "Marketing", "channel": "SMS"}})).rule
    (atom,) = compile_rule("r", rule).atoms
    assert (atom["kind"], atom["purpose"], atom["channels"]) == (
        "consent",
        "marketing",
        ["ALL", "SMS"],
    )
    plan = compile_rule("r", rule)
    assert plan.concerns({"consent"}) and not plan.concerns({"event:card_payment"})


TARGET = {"name": "crm", "url": "https://hooks.example.com/x", "secret": "s" * 16}


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"url": "ftp://hooks.example.com/x"}, "OMNID_WEBHOOKS[0].url", "http or https"),
        ({"url": "https://evil.example.net/x"}, "OMNID_WEBHOOKS[0].url", "not in"),
        ({"url": "https://u:p@hooks.example.com/"}, "OMNID_WEBHOOKS[0].url", "credentials"),
        ({"secret": "short"}, "OMNID_WEBHOOKS[0].secret", "16 characters"),
        ({"segments": "all"}, "OMNID_WEBHOOKS[0].segments", "list"),
    ],
)
def test_webhook_targets_are_refused_with_typed_errors(
    change: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(InvalidWebhook) as raised:
        parse_targets([{**TARGET, **change}], ["hooks.example.com"])
    assert raised.value.field == field
    assert words in raised.value.message


def test_signatures_cover_timestamp_and_body() -> None:
    (target,) = parse_targets([TARGET], ["hooks.example.com"])
    signature = sign(target.secret, 1767225600, b'{"a":1}')
    assert verify(target.secret, "1767225600", b'{"a":1}', signature)
    assert not verify(target.secret, "1767225601", b'{"a":1}', signature)
    assert not verify(target.secret, "1767225600", b'{"a":2}', signature)
