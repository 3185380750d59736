"""Settings: typed, from the environment, errors naming the variable, secrets masked."""

from __future__ import annotations

import pytest

from service.errors import InvalidInput
from service.settings import DEV_API_KEY, load_settings


def test_defaults_and_overrides() -> None:
    s = load_settings({})
    assert s.neo4j_uri == "bolt://127.0.0.1:7687"
    assert s.api_keys == {DEV_API_KEY: ["read", "write", "admin"]}
    s = load_settings(
        {
            "NEO4J_URI": "bolt://db:7687",
            "NEO4J_USERNAME": "omnid",
            "OMNID_PORT": "9000",
            "OMNID_API_KEYS": '{"k": ["read"]}',
            "OMNID_SHARED_RULES": '{"PHONE": {"EMAIL": 2}}',
            "OMNID_INTROSPECTION": "false",
        }
    )
    assert (s.neo4j_uri, s.neo4j_user, s.port) == ("bolt://db:7687", "omnid", 9000)
    assert s.api_keys == {"k": ["read"]}
    assert s.shared_rules == {"PHONE": {"EMAIL": 2}}
    assert s.introspection is False


def test_only_the_given_mapping_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMNID_PORT", "1234")
    assert load_settings({}).port == 8000
    assert load_settings().port == 1234


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OMNID_PORT", "eighty"),
        ("OMNID_PORT", "70000"),
        ("OMNID_API_KEYS", "not json"),
        ("OMNID_BATCH_SIZE", "0"),
        ("OMNID_INTROSPECTION", "maybe"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(InvalidInput) as error:
        load_settings({name: value})
    assert error.value.field == name


def test_secrets_do_not_leak_in_repr() -> None:
    s = load_settings({"NEO4J_PASSWORD": "s3cret", "OMNID_API_KEYS": '{"k3y": ["read"]}'})
    assert "s3cret" not in repr(s) and "s3cret" not in str(s.neo4j_password)
    assert "k3y" not in repr(s)
    assert s.neo4j_password.get_secret_value() == "s3cret"


def test_settings_are_frozen() -> None:
    s = load_settings({})
    with pytest.raises(Exception, match="frozen"):
        s.port = 1  # type: ignore[misc]
