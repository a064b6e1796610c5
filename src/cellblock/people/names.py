"""Comparison keys for names and document numbers.

"José Ñúñez", "JOSE NUNEZ" and "jose  nunez" are the same name to a booking
clerk, so they get the same key.  Keys are stored beside the names and
indexed: matching is then a plain equality or prefix test that behaves the
same on SQLite and PostgreSQL (whose accent-insensitive collations differ).
"""

from __future__ import annotations

import re
import unicodedata

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_IDENTIFIER_NOISE = re.compile(r"[\s\-./]+")
# Letters that do not decompose into a base letter plus an accent.
_FOLD = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe"})


def name_key(name: str) -> str:
    """Lower case, accents removed, punctuation as single spaces."""
    decomposed = unicodedata.normalize("NFKD", name.casefold().translate(_FOLD))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NOT_ALNUM.sub(" ", bare).strip()


def identifier_key(value: str) -> str:
    """Upper case with spaces, dashes, dots and slashes removed: 'ab-12 3' -> 'AB123'."""
    return _IDENTIFIER_NOISE.sub("", value).upper()
