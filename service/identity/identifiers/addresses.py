"""Postal addresses to one canonical spelling: a line or a mapping of fields, street
types spelled out per country, postcodes, house numbers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from service.errors import InvalidIdentifier
from service.identity.identifiers.checks import TRIM, check_text, region_of
from service.identity.identifiers.countries import COUNTRY_BY_NAME, country_code, fold
from service.identity.identifiers.model import MAX_VALUE_LENGTH, Identifier, IdentifierRules

__all__ = ["address"]

# --------------------------------------------------------------------------------- ADDRESS

_ADDRESS_FIELDS = ("line1", "line2", "postcode", "city", "region", "country")
_SEPARATOR = "|"


# Street types per country: every spelling -> the full word. The canonical form spells
# them out (re-normalizing the full word is a no-op, which keeps normalization idempotent).


def _spellings(table: str) -> dict[str, str]:
    """ "calle: c cl; plaza: pza" -> {"c": "calle", "cl": "calle", "pza": "plaza"}."""
    out: dict[str, str] = {}
    for entry in table.split(";"):
        word, _, spellings = entry.partition(":")
        out.update(dict.fromkeys(spellings.split(), word.strip()))
    return out


_STREET_TYPES: dict[str, dict[str, str]] = {
    "ES": _spellings(
        "calle: c cl cll; avenida: av avd avda; plaza: pza pl plz plza; paseo: po pso;"
        "carretera: ctra; ronda: rda; travesia: trav; glorieta: gta"
    ),
    "FR": _spellings(
        "rue: r; avenue: av ave; boulevard: bd bld blvd boul; place: pl; chemin: ch chem;"
        "route: rte; impasse: imp; faubourg: fg fbg"
    ),
    "DE": _spellings("strasse: str; platz: pl"),  # plus the "-str" suffix, see below
    "GB": _spellings(
        "road: rd; avenue: av ave; lane: ln; place: pl; court: ct; crescent: cres;"
        "square: sq; gardens: gdns; terrace: ter terr"
    ),  # "st" (street/saint) and "dr" (drive/doctor) depend on their position
    "US": _spellings(
        "avenue: av ave; road: rd; boulevard: blvd; lane: ln; court: ct; place: pl;"
        "parkway: pkwy; highway: hwy; suite: ste; apartment: apt"
    ),
}
# Where the street type sits: at the start of the street (after a house number) in ES/FR,
# anywhere in GB/US (with "st"/"dr" read from their position), as a suffix in DE.
_LEADING_TYPE = frozenset({"ES", "FR"})
_HOUSE_NUMBER_WORDS = frozenset({"bis", "ter", "quater"})
_ES_NUMBER_WORDS = frozenset({"n", "no", "num", "numero", "nro"})

_POSTCODE: dict[str, re.Pattern[str]] = {
    "GB": re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE | re.ASCII),
    "US": re.compile(r"\b\d{5}(?:-\d{4})?\b", re.ASCII),
    "CA": re.compile(r"\b[A-Z]\d[A-Z]\s*\d[A-Z]\d\b", re.IGNORECASE | re.ASCII),
    "PT": re.compile(r"\b\d{4}-\d{3}\b", re.ASCII),
    "NL": re.compile(r"\b\d{4}\s?[A-Z]{2}\b", re.IGNORECASE | re.ASCII),
    "IE": re.compile(r"\b[A-Z]\d[\dW]\s*[A-Z\d]{4}\b", re.IGNORECASE | re.ASCII),
}
_POSTCODE_4 = re.compile(r"\b\d{4}\b", re.ASCII)
_POSTCODE_DEFAULT = re.compile(r"\b\d{5}\b", re.ASCII)
_FOUR_DIGIT_POSTCODES = frozenset({"AT", "BE", "CH", "DK", "LU", "NO", "HU", "AU", "NZ"})
# A house number alone, as folded: "5", "5 b", "no 5", "5 7" (from "5-7").
_HOUSE_NUMBER_PART = re.compile(r"(?:no?\s*)?\d{1,4}(?:\s?[a-z])?(?:\s\d{1,4}(?:\s?[a-z])?)?")
_US_STATE = re.compile(r"[A-Za-z]{2}", re.ASCII)


def _expand_street(line: str, country: str | None, *, first_line: bool) -> str:
    tokens = line.split()
    table = _STREET_TYPES.get(country or "", {})
    if not tokens or not table:
        return line
    if country in _LEADING_TYPE:
        if country == "ES":  # "Calle Mayor nº 5" == "Calle Mayor 5"
            tokens = _drop_number_words(tokens)
        if not first_line:
            return " ".join(tokens)
        for i, token in enumerate(tokens):
            if token[0].isdigit() or token in _HOUSE_NUMBER_WORDS:
                continue
            tokens[i] = table.get(token, token)
            break
        return " ".join(tokens)
    if country == "DE":
        return " ".join(_german_street(t) for t in tokens)
    words = [i for i, t in enumerate(tokens) if not t[0].isdigit()]
    for i, token in enumerate(tokens):
        if token in ("st", "dr"):
            # "St John St": a leading "st"/"dr" followed by a name is Saint/Doctor.
            leading = bool(words) and i == words[0] and any(tokens[j].isalpha() for j in words[1:])
            if token == "st":
                tokens[i] = "saint" if leading else "street"
            else:
                tokens[i] = "doctor" if leading else "drive"
        else:
            tokens[i] = table.get(token, token)
    return " ".join(tokens)


def _drop_number_words(tokens: list[str]) -> list[str]:
    """Drop "n", "no", "num"... in front of a house number (runs of them too)."""
    kept: list[str] = []
    for token in reversed(tokens):
        if token in _ES_NUMBER_WORDS and kept and kept[-1][0].isdigit():
            continue
        kept.append(token)
    return kept[::-1]


def _german_street(token: str) -> str:
    if token in ("str", "pl"):
        return "strasse" if token == "str" else "platz"
    if len(token) > 3 and token.endswith("str"):  # "Hauptstr." -> "hauptstrasse"
        return token[:-3] + "strasse"
    return token


def _postcode_pattern(country: str | None) -> re.Pattern[str]:
    if country in _POSTCODE:
        return _POSTCODE[country]
    return _POSTCODE_4 if country in _FOUR_DIGIT_POSTCODES else _POSTCODE_DEFAULT


def _postcode(text: str, country: str | None) -> str:
    code = fold(text).replace(" ", "")
    for _ in range(4):  # joining may compose characters (Hangul jamo): fold again
        joined = fold(code).replace(" ", "")
        if joined == code:
            break
        code = joined
    if country == "US" and re.fullmatch(r"\d{9}", code):
        code = code[:5]  # ZIP+4 -> ZIP: channels disagree on giving the +4
    return code


@dataclass(slots=True)
class _Parts:
    line1: str
    line2: str = ""
    postcode: str = ""
    city: str = ""
    region: str = ""
    country: str | None = None


def address(value: object, region: object, rules: IdentifierRules) -> Identifier:
    kind = "ADDRESS"
    if isinstance(value, Mapping):
        parts, display = _address_mapping(kind, value)
    elif isinstance(value, str):
        text = check_text(kind, value)
        lines = (" ".join(line.split()).strip(",; ") for line in text.splitlines())
        display = ", ".join(line for line in lines if line)
        parts = _address_line(kind, display)
    else:
        raise InvalidIdentifier(
            "must be a string or an address object {line1, line2, postcode, city, region, country}",
            type=kind,
            value=value,
        )
    country = parts.country or region_of(kind, region, rules)
    line1 = _expand_street(fold(parts.line1), country, first_line=True)
    if not line1:
        raise InvalidIdentifier("line1 has no letters or digits", type=kind, value=display)
    line2 = _expand_street(fold(parts.line2), country, first_line=False)
    fields = (line1, line2, _postcode(parts.postcode, country), fold(parts.city), country or "")
    return Identifier(kind, _SEPARATOR.join(fields), display)


def _address_mapping(kind: str, value: Mapping[object, object]) -> tuple[_Parts, str]:
    if any(key not in _ADDRESS_FIELDS for key in value):
        raise InvalidIdentifier(
            "address fields must be among " + ", ".join(_ADDRESS_FIELDS),
            type=kind,
            value="{...}",
        )
    texts: dict[str, str] = {}
    for name in _ADDRESS_FIELDS:
        raw = value.get(name)
        if raw is None:
            continue
        if not isinstance(raw, str):
            raise InvalidIdentifier(f"{name} must be a string", type=kind, value=raw)
        texts[name] = raw
    total = sum(len(text) for text in texts.values())
    if total > MAX_VALUE_LENGTH:
        raise InvalidIdentifier(
            f"is longer than MAX_VALUE_LENGTH ({MAX_VALUE_LENGTH} characters)",
            type=kind,
            value="{...}",
            limit=MAX_VALUE_LENGTH,
        )
    clean: dict[str, str] = {}
    for name, raw in texts.items():
        if name == "line1" or TRIM.sub("", raw):
            clean[name] = check_text(kind, raw, name)
    if "line1" not in clean:
        raise InvalidIdentifier("line1 is empty", type=kind, value="{...}")
    country: str | None = None
    if "country" in clean:
        country = country_code(clean["country"])
        if country is None:
            raise InvalidIdentifier(
                "country must be an ISO 3166 code or a common country name",
                type=kind,
                value=clean["country"],
            )
    readable = {name: " ".join(text.split()) for name, text in clean.items()}
    town = " ".join(filter(None, (readable.get("postcode"), readable.get("city"))))
    display = ", ".join(
        filter(
            None,
            (
                readable["line1"],
                readable.get("line2"),
                town,
                readable.get("region"),
                readable.get("country"),
            ),
        )
    )
    parts = _Parts(
        line1=clean["line1"],
        line2=clean.get("line2", ""),
        postcode=clean.get("postcode", ""),
        city=clean.get("city", ""),
        region=clean.get("region", ""),
        country=country,
    )
    return parts, display


def _address_line(kind: str, text: str) -> _Parts:
    """Best-effort split of a one-line address; the canonical form splits exactly."""
    if text.count(_SEPARATOR) == 4:
        line1, line2, postcode, city, country_text = (f.strip() for f in text.split("|"))
        code = country_code(country_text) if country_text else None
        if country_text and code is None:
            raise InvalidIdentifier(
                "country must be an ISO 3166 code or a common country name",
                type=kind,
                value=country_text,
            )
        return _Parts(line1, line2, postcode, city, "", code)
    parts = [p.strip() for p in re.split(r"[,;\n\r]+", text) if p.strip()]
    if not parts:
        return _Parts(line1="")
    country: str | None = None
    if len(parts) >= 2 and (country := country_code(parts[-1])) is not None:
        parts.pop()
    else:
        country = _trailing_country(parts)
    # A part that is only a house number belongs to the street before it ("C/ Mayor, 5"),
    # or after it when it comes first ("5, rue de la Paix").
    pattern = _postcode_pattern(country)
    merged: list[str] = []
    for part in parts:
        if merged and (
            _house_number(part, pattern) or (len(merged) == 1 and _house_number(merged[0], pattern))
        ):
            merged[-1] = f"{merged[-1]} {part}"
        else:
            merged.append(part)
    parts = merged
    result = _Parts(line1=parts[0], country=country)
    if len(parts) == 1:
        # "Calle Mayor 5 28013 Madrid": split around a postcode followed by a city.
        for match in pattern.finditer(parts[0]):
            before, after = parts[0][: match.start()].strip(), parts[0][match.end() :].strip()
            if before and after and not after[0].isdigit():
                result.line1, result.postcode, result.city = before, match.group(), after
        return result
    used: set[int] = set()
    for index in range(len(parts) - 1, 0, -1):
        matches = list(pattern.finditer(parts[index]))
        if not matches:
            continue
        match = matches[-1]
        result.postcode = match.group()
        rest = (parts[index][: match.start()] + " " + parts[index][match.end() :]).strip(" ,.")
        rest = " ".join(rest.split())
        used.add(index)
        if country == "US" and _US_STATE.fullmatch(rest):
            result.region, rest = rest, ""
        if rest:
            result.city = rest
        elif index + 1 < len(parts):
            result.city = parts[index + 1]
            used.add(index + 1)
        elif index - 1 >= 1:
            result.city = parts[index - 1]
            used.add(index - 1)
        break
    else:
        result.city = parts[-1]
        used.add(len(parts) - 1)
    result.line2 = " ".join(p for i, p in enumerate(parts) if i and i not in used)
    return result


def _house_number(part: str, postcode: re.Pattern[str]) -> bool:
    return bool(_HOUSE_NUMBER_PART.fullmatch(fold(part))) and not postcode.fullmatch(part)


def _trailing_country(parts: list[str]) -> str | None:
    """Country named by the last words of the last part ("... 28013 Madrid España")."""
    words = parts[-1].split()
    for size in (3, 2, 1):
        if len(words) > size or (len(parts) > 1 and len(words) == size):
            key = fold(" ".join(words[-size:])).replace(" ", "")
            if key in COUNTRY_BY_NAME:
                rest = " ".join(words[:-size])
                if rest:
                    parts[-1] = rest
                else:
                    parts.pop()
                return COUNTRY_BY_NAME[key]
    return None
