"""File names built from data (a reviewer's name and employee id), made safe: a slug of
ASCII letters, digits and hyphens — transliterated, so "Søren" is "Soren", not "Sren" — and a
path that is proved to stay inside the folder it is meant for. An employee id such as
``../../../../../elsewhere/PWNED`` becomes ``elsewhere-PWNED``, never a path.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from access_review.errors import AccessReviewError

# Letters NFKD does not decompose into ASCII (they are letters of their own, not accented ones).
TRANSLITERATION = str.maketrans(
    {
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ß": "ss",
        "ẞ": "SS",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "Th",
        "ł": "l",
        "Ł": "L",
        "ı": "i",
        "ħ": "h",
        "Ħ": "H",
        "ŋ": "ng",
        "Ŋ": "NG",
        "ĸ": "k",
        "ſ": "s",
    }
)
MAX_SLUG = 60


def slug(text: str, fallback: str = "x") -> str:
    """``Zoë O'Brien`` -> ``Zoe-OBrien``; nothing but ``[A-Za-z0-9-]``, at most 60 characters."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(TRANSLITERATION))
    ascii_text = ascii_text.encode("ascii", "ignore").decode()
    ascii_text = ascii_text.replace("'", "").replace("’", "")
    out = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-")[:MAX_SLUG].strip("-")
    return out or fallback


def confined(folder: Path, name: str) -> Path:
    """``folder / name``, refusing anything that would land outside ``folder``."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise AccessReviewError(f"refusing the file name {name!r}: it is not a plain file name")
    path = folder / name
    if path.resolve().parent != folder.resolve():
        raise AccessReviewError(f"refusing to write {path}: it is outside {folder}")
    return path
