"""The review's pure assessment (service/steward/suspicion.py): names, birth dates,
countries, size guards, bridges and the score."""

from __future__ import annotations

import pytest

from service.steward.suspicion import Facts, Limits, Rec, assess, names_agree


@pytest.mark.parametrize(
    ("a", "b", "agree"),
    [
        ("Ana Silva", "ana silva", True),
        ("Ana", "Ana Silva", True),
        ("A. Silva", "Ana Silva", True),
        ("Marta López", "Marta Lopez", True),
        ("Silva, Ana", "Ana Silva", True),
        ("Ana Silva", "Pedro Silva", False),
        ("Ana Silva", "Ana García", False),
        ("J. Dupond", "Ana Dupond", False),
    ],
)
def test_names_agree(a: str, b: str, agree: bool) -> None:
    assert names_agree(a, b) is agree
    assert names_agree(b, a) is agree


def rec(key: str, *links: str, country: str = "ES", **attributes: object) -> Rec:
    return Rec(key, attributes, country, links)


def test_names_that_all_fit_in_one_full_name_agree() -> None:
    # "H. Ehlert" and "Hans Jörg" do not fit in each other, but both fit in the full name.
    records = [
        rec("r1", "e", name="H. Ehlert"),
        rec("r2", "e", name="Hans Jörg"),
        rec("r3", "e", name="Hans Jörg Ehlert"),
    ]
    assert assess(Facts(records, (), {"EMAIL": 1}), Limits()).reasons == ()
    assert assess(Facts(records[:2], (), {"EMAIL": 1}), Limits()).reasons[0].code == "NAMES_DIFFER"


def test_reasons_and_their_combined_score() -> None:
    records = [
        rec("r1", "e", name="Ana Silva", birthDate="1980-01-02", country="ES"),
        rec("r2", "e", name="Pedro Gil", dob="1981-05-06T00:00:00", country="FR"),
    ]
    found = assess(Facts(records, (), {"EMAIL": 11}), Limits())
    codes = [r.code for r in found.reasons]
    assert codes == [
        "NAMES_DIFFER",
        "BIRTH_DATES_DIFFER",
        "COUNTRIES_DIFFER",
        "TOO_MANY_IDENTIFIERS",
    ]
    assert found.score == round(1 - 0.5 * 0.4 * 0.7 * 0.5, 4)
    assert found.bridges == ()


def test_a_bridge_needs_records_on_both_sides() -> None:
    # Two parts of two records each, joined only by "glue".
    left = [rec("a1", "a", "glue", name="Ana"), rec("a2", "a", name="Ana")]
    right = [rec("b1", "b", "glue", name="Ana"), rec("b2", "b", name="Ana")]
    counts = {"EMAIL": 3}
    alone = assess(Facts([*left, *right], (), counts), Limits())
    assert alone.bridges == ("glue",)
    assert [r.code for r in alone.reasons] == ["BRIDGE"] and alone.score == 0.2
    # A record hanging on the value alone is no side; nor is one record.
    assert assess(Facts([*left, rec("b1", "glue")], (), counts), Limits()).bridges == ()
    assert assess(Facts([*left, right[0]], (), counts), Limits()).bridges == ()
    # An event carrying both sides' values holds them together too.
    assert assess(Facts([*left, *right], [("a", "b")], counts), Limits()).bridges == ()


def test_a_bridge_with_disagreeing_sides_weighs_more() -> None:
    left = [rec("a1", "a", "glue", name="Ana Silva"), rec("a2", "a", name="Ana Silva")]
    right = [rec("b1", "b", "glue", name="Pedro Gil"), rec("b2", "b", name="Pedro Gil")]
    found = assess(Facts([*left, *right], (), {"EMAIL": 3}), Limits())
    assert [r.code for r in found.reasons] == ["NAMES_DIFFER", "BRIDGE"]
    assert found.score == 0.75


def test_the_signature_changes_with_the_reasons_only() -> None:
    records = [rec("r1", "e", name="Ana Silva"), rec("r2", "e", name="Pedro Gil")]
    one = assess(Facts(records, (), {"EMAIL": 1}), Limits())
    same = assess(Facts(records, [("e", "x")], {"EMAIL": 1, "DEVICE": 1}), Limits())
    more = assess(Facts([*records, rec("r3", "e", name="Luis Paz")], (), {"EMAIL": 1}), Limits())
    assert one.signature == same.signature != more.signature
