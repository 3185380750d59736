"""Comparisons and scores of profiles, without the graph: the levels the reasons show."""

from __future__ import annotations

from service.steward.matches import block_keys
from service.steward.matches.comparisons import Comparison, compare
from service.steward.matches.profile import profile_of
from service.steward.matches.scoring import MU, estimate_m, score


def levels(a: dict[str, str], b: dict[str, str], ids_a=(), ids_b=()) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {c.field: c.level for c in compare(profile_of(a, ids_a), profile_of(b, ids_b))}


def test_near_identical_identifiers_are_typos() -> None:
    email = levels({}, {}, [("EMAIL", "ana.silva@gmail.com")], [("EMAIL", "anasilva@gmial.com")])
    assert email == {"email": "typo"}
    phone = levels({}, {}, [("PHONE", "+34600123456")], [("PHONE", "+34600124356")])
    assert phone == {"phone": "typo"}
    assert levels({}, {}, [("PHONE", "+34600123456")], [("PHONE", "+34611987654")]) == {
        "phone": "different"
    }


def test_dates_names_and_missing_fields() -> None:
    found = levels(
        {"given_name": "Jonas", "surname": "Becker", "dob": "1984-03-07"},
        {"given_name": "Becker", "surname": "Jonas", "dob": "1984-07-03", "postcode": "1"},
    )
    # names swapped read as equal; day and month swapped; a postcode one side lacks: none
    assert found == {"given_name": "exact", "surname": "exact", "birth_date": "swapped"}
    assert levels({"name": "Ana Silva"}, {"name": "Ána  Sílva"}) == {
        "given_name": "exact",
        "surname": "exact",
    }


def test_the_score_is_the_sum_of_its_reasons() -> None:
    same = score([Comparison("surname", "exact", 1.0), Comparison("birth_date", "exact", 1.0)])
    other = score([Comparison("surname", "exact", 1.0), Comparison("birth_date", "different", 0)])
    assert same.probability > 0.9 > other.probability
    assert abs(same.weight - (-10 + sum(r.weight for r in same.reasons))) < 0.02
    assert [r.field for r in same.reasons] == ["surname", "birth_date"]


def test_estimate_m_follows_the_known_pairs() -> None:
    pairs = [[Comparison("surname", "close", 0.95)]] * 50 + [[Comparison("surname", "exact", 1)]]
    table = estimate_m(pairs)
    assert table["surname"]["close"][0] > table["surname"]["exact"][0]
    assert table["surname"]["close"][1] == MU["surname"]["close"][1]  # u kept


def test_block_keys_are_hashed_and_share_a_typo() -> None:
    a = block_keys(profile_of({"name": "Ana Silva"}, [("EMAIL", "ana@gmail.com")]))
    b = block_keys(profile_of({"name": "Anna Silva"}, [("EMAIL", "ana@gmial.com")]))
    assert all(":" in k and "ana" not in k for k in a)
    assert set(a) & set(b)
