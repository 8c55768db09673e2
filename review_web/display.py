"""Every value from data is shown as the text it is. Jinja2's autoescape takes care of HTML;
this takes care of what autoescape lets through: C0/C1 controls and the invisible format
characters that reorder or hide text (bidi overrides and isolates, zero-width characters —
the "Trojan Source" characters, https://trojansource.codes/). They are shown as escapes
(``\\u202e``), as the terminal shows them (``access_review.cli.common.safe``)."""

from __future__ import annotations

import re

from markupsafe import Markup

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def visible(value: object) -> object:
    """Jinja2 ``finalize``: every ``{{ value }}`` passes here before it is escaped. Markup the
    templates made themselves is left alone; text has its hidden characters made visible."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return _UNSAFE.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}"
        ),
        value,
    )
