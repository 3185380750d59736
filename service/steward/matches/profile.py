"""What matching reads from a record: names, birth date, address parts, contact points.

A record's attributes are free JSON; the usual spellings of each field are read
(``given_name``/``firstName``, ``surname``/``lastName``, a full ``name`` split when
the parts are absent, ``birthDate``/``date_of_birth``/``dob`` ...) and folded for
comparison (lowercased, accents removed, spaces collapsed)::

    profile_of({"name": "Ana  Silva", "birthDate": "1980-03-07"}, [("EMAIL", "ana@x.es")])
    -> Profile(given="ana", surname="silva", birth="19800307", emails=("ana@x.es",), ...)
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Profile", "email_local", "fold", "profile_of", "record_profile"]

_GIVEN = ("given_name", "givenName", "firstName", "first_name", "forename")
_SURNAME = ("surname", "lastName", "last_name", "familyName", "family_name")
_FULL = ("name", "fullName", "full_name")
_BIRTH = ("birthDate", "dateOfBirth", "date_of_birth", "birth_date", "dob")
_STREET_NUMBER = ("street_number", "streetNumber", "houseNumber")
_STREET = ("address_1", "street", "address1", "addressLine1")
_STREET_2 = ("address_2", "address2", "addressLine2")
_LOCALITY = ("suburb", "city", "locality", "town")
_POSTCODE = ("postcode", "postalCode", "postal_code", "zip")
_STATE = ("state", "region", "province")
_NATIONAL_ID = ("nationalId", "national_id", "soc_sec_id", "ssn", "taxId")
_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^\w\s]")


@dataclass(frozen=True, slots=True)
class Profile:
    """A record's fields as matching compares them ('' or () when unknown)."""

    given: str = ""
    surname: str = ""
    birth: str = ""  # digits, YYYYMMDD when the source gave a full date
    street_number: str = ""
    street: str = ""
    street_2: str = ""
    locality: str = ""
    postcode: str = ""
    state: str = ""
    national_id: str = ""
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()  # normalized ADDRESS identifiers


def fold(value: object) -> str:
    """Lowercase, accents removed, punctuation dropped, spaces collapsed."""
    if value is None or isinstance(value, float):  # NaN from data frames: unknown
        return ""
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return _SPACES.sub(" ", _NOT_WORD.sub(" ", text)).strip()


def email_local(email: str) -> str:
    """An email's local part as mailboxes read it: without dots or a +tag (Gmail's
    normalized form has no dots; another domain's may: compare them alike)."""
    return email.partition("@")[0].split("+", 1)[0].replace(".", "")


def _first(attributes: Mapping[str, Any], names: Sequence[str]) -> str:
    for name in names:
        value = fold(attributes.get(name))
        if value:
            return value
    return ""


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


def profile_of(attributes: Mapping[str, Any], identifiers: Iterable[Sequence[str]]) -> Profile:
    """The profile of one record: its attributes and its (type, normalized value) pairs."""
    given, surname = _first(attributes, _GIVEN), _first(attributes, _SURNAME)
    if not given and not surname:
        words = _first(attributes, _FULL).split()
        # "a silva" (an initial) keeps the initial as given name: it still compares
        if words:
            given, surname = (words[0], words[-1]) if len(words) > 1 else ("", words[0])
    by_type: dict[str, list[str]] = {"EMAIL": [], "PHONE": [], "ADDRESS": []}
    for type_, value in identifiers:
        if type_ in by_type:
            by_type[type_].append(value)
    return Profile(
        given=given,
        surname=surname,
        birth=_digits(_first(attributes, _BIRTH)),
        street_number=_first(attributes, _STREET_NUMBER),
        street=_first(attributes, _STREET),
        street_2=_first(attributes, _STREET_2),
        locality=_first(attributes, _LOCALITY),
        postcode=_first(attributes, _POSTCODE).replace(" ", ""),
        state=_first(attributes, _STATE),
        national_id=_digits(_first(attributes, _NATIONAL_ID)) or _first(attributes, _NATIONAL_ID),
        emails=tuple(sorted(by_type["EMAIL"])),
        phones=tuple(sorted(by_type["PHONE"])),
        addresses=tuple(sorted(fold(a) for a in by_type["ADDRESS"])),
    )


def record_profile(attributes_json: str | None, identifiers: Iterable[Sequence[str]]) -> Profile:
    """The profile of a record as stored (attributes as JSON text)."""
    try:
        attributes = json.loads(attributes_json) if attributes_json else {}
    except ValueError:
        attributes = {}
    if not isinstance(attributes, dict):
        attributes = {}
    return profile_of(attributes, identifiers)
