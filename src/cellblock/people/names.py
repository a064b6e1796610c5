"""Comparison keys for names and document numbers.

"José Ñúñez", "JOSE NUNEZ" and "jose  nunez" are the same name to a booking
clerk, so they get the same key.  Keys are stored beside the names and
indexed: matching is then a plain equality or prefix test that behaves the
same on SQLite and PostgreSQL (whose accent-insensitive collations differ).
"""

from __future__ import annotations

import re
import unicodedata

# Anything that is not a letter or digit of any script separates words.
_NOT_ALNUM = re.compile(r"[\W_]+")
# The width of the stored name keys (Person.given_key, family_key).
KEY_LENGTH = 100
_IDENTIFIER_NOISE = re.compile(r"[\s\-./]+")
# Letters that do not decompose into a base letter plus an accent (U+0131 is the dotless i).
_FOLD = str.maketrans(
    {
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "æ": "ae",
        "œ": "oe",
        "\u0131": "i",
        "ħ": "h",
    }
)


def name_key(name: str) -> str:
    """Lower case, accents removed, punctuation as single spaces; at most 100 characters."""
    # Decompose first, so "Ǽ" becomes "æ" plus an accent before "æ" is folded.
    decomposed = unicodedata.normalize("NFKD", name.casefold()).translate(_FOLD)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NOT_ALNUM.sub(" ", bare).strip()[:KEY_LENGTH]


def identifier_key(value: str) -> str:
    """Upper case with spaces, dashes, dots and slashes removed: 'ab-12 3' -> 'AB123'."""
    return _IDENTIFIER_NOISE.sub("", unicodedata.normalize("NFKC", value)).upper()[:64]
