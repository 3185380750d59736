"""Folding text for comparison, and country codes from codes or common names."""

from __future__ import annotations

import functools
import re
import unicodedata

import phonenumbers

__all__ = ["COUNTRY_BY_NAME", "ISO_ALPHA2", "country_code", "fold"]

# Country names accepted besides ISO alpha-2 codes, compared folded and without spaces.
_COUNTRY_NAMES: dict[str, str] = {
    "AT": "aut austria osterreich",
    "BE": "bel belgium belgique belgie",
    "BR": "bra brazil brasil",
    "CA": "can canada",
    "CH": "che switzerland schweiz suisse svizzera",
    "CN": "chn china",
    "DE": "deu germany deutschland",
    "DK": "dnk denmark danmark",
    "ES": "esp spain espana",
    "FR": "fra france",
    "GB": "gbr uk unitedkingdom greatbritain england scotland",
    "IE": "irl ireland",
    "IT": "ita italy italia",
    "JP": "jpn japan",
    "LU": "lux luxembourg",
    "MA": "mar morocco maroc",
    "NL": "nld netherlands nederland holland",
    "PL": "pol poland polska",
    "PT": "prt portugal",
    "SE": "swe sweden sverige",
    "US": "usa us unitedstates unitedstatesofamerica",
}
COUNTRY_BY_NAME: dict[str, str] = {
    name: code for code, names in _COUNTRY_NAMES.items() for name in names.split()
}
ISO_ALPHA2 = frozenset(phonenumbers.SUPPORTED_REGIONS) - {"AC", "TA"}


def _fold_once(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    # Accents are stripped from Latin letters: tills, forms and address books disagree on
    # them ("Malaga"/"Málaga", upper-case "MALAGA" usually drops them) while two streets
    # in one postcode and city that differ only by an accent do not exist in practice.
    # Marks on other scripts (Thai vowels, Devanagari signs...) carry meaning: kept.
    # Marks with no letter to carry them (after a space or a digit) are dropped too.
    out: list[str] = []
    keep_marks = False
    for char in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(char):
            if not keep_marks:
                continue
        else:
            keep_marks = char.isalpha() and not char.isascii()
        out.append(char)
    text = unicodedata.normalize("NFC", "".join(out))
    # Apostrophes join ("O'Connell" -> "oconnell"), other punctuation and symbols
    # separate ("C/Mayor" -> "c mayor").
    text = re.sub(r"['\u2019\u2018`\u00b4]", "", text)
    text = "".join(" " if unicodedata.category(c)[0] in "PSZC" else c for c in text)
    # Runs of single letters are one abbreviation: "N.W." == "NW", "s/n" == "sn".
    return re.sub(r"(?<!\S)[^\W\d_](?: [^\W\d_])+(?!\S)", _join_letters, " ".join(text.split()))


def _join_letters(match: re.Match[str]) -> str:
    return match.group().replace(" ", "")


def fold(text: str) -> str:
    """NFKC, casefold, strip Latin accents and punctuation, collapse whitespace."""
    for _ in range(4):  # reach a fixed point: NFKC/casefold/NFC can feed each other
        folded = _fold_once(text)
        if folded == text:
            break
        text = folded
    return text


@functools.lru_cache(maxsize=1024)
def country_code(text: str) -> str | None:
    """ISO alpha-2 code for an alpha-2, alpha-3 or common country name, else None."""
    key = fold(text).replace(" ", "")
    if key.upper() in ISO_ALPHA2:
        return key.upper()
    return COUNTRY_BY_NAME.get(key)
