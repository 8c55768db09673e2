"""Text that no spreadsheet evaluates: the one rule every CSV and workbook the tool writes follows.

Display names, titles, group and app names come from directories and the roster, which
anyone with a self-service profile page can influence. A value such as ``=HYPERLINK(...)``
or ``+cmd|' /C calc'!A0`` is a formula to Excel, LibreOffice and Google Sheets when it
arrives through CSV, and becomes one in a workbook the moment someone edits the cell.

We follow OWASP's CSV-injection advice (https://owasp.org/www-community/attacks/CSV_Injection):
text that begins with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading single
quote, so every reader shows the literal text. The quote is part of the stored value on
purpose: Excel's own "quote prefix" (the ``quotePrefix`` style openpyxl can set) is a
display flag that CSV export drops and that not every reader honours, so on its own it is
not enough. Workbooks set it as well so that editing the cell in Excel keeps it text.

Also neutralized: line feed (some importers start a new record-then-formula on it) and the
full-width forms of the trigger characters, which East Asian Excel locales accept as
formula starts.
"""

from __future__ import annotations

import re

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
NEUTRALIZING_PREFIX = "'"

# XML 1.0 forbids these control characters; openpyxl raises IllegalCharacterError on them.
# A directory value carrying one must not make the whole export fail. (ESC is among them, so a
# CSV printed to a terminal cannot carry an escape sequence either.)
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

# Excel's hard limit for one cell's text.
EXCEL_CELL_LIMIT = 32767


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def safe_text(text: str) -> str:
    """``text`` as a spreadsheet must show it: never a formula, never invalid XML."""
    # XML parsers turn a raw CR into LF (XML 1.0 section 2.11), so a workbook could never keep
    # it; every output writes line breaks as LF so that the workbook, CSV and reader agree.
    cleaned = _XML_ILLEGAL.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))
    if is_formula_like(cleaned):
        cleaned = NEUTRALIZING_PREFIX + cleaned
    if len(cleaned) > EXCEL_CELL_LIMIT:
        cleaned = cleaned[: EXCEL_CELL_LIMIT - 1] + "\u2026"
    return cleaned
