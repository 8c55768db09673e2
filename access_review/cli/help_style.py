"""How `--help` reads: the conventions of typer's classic help and of GAM, not typer 0.29's own.

typer 0.29 prints a flag as ``--apply <bool>``, an option as ``--case <str>`` or
``--source <list[str]>``, and a required argument as ``{person}`` in the usage line, and it
parses every help text as rich markup (so "SMTP from [smtp]" loses "[smtp]"). Here:
- a flag shows no value (``--apply``); an option shows an upper-case metavar, its own when it
  names one (``--format [table|csv|json]``, ``--today DATE``), else its type's (``TEXT``,
  ``INTEGER``, ``PATH``); a repeatable option says "(repeat)" in its help, not ``list[str]``;
- arguments are upper-case in the usage line: ``why [OPTIONS] PERSON RESOURCE``, an optional
  one in brackets (``[FILE]``), a repeatable one with ``...``;
- help texts are text, never markup, and a docstring's wrapped lines are joined into paragraphs.

Every command and group of the app is built through these classes (``common.command`` and
``common.command_group``), so every `--help` reads the same way.
"""

from __future__ import annotations

import re
from typing import Any

import typer.core
from rich.markup import escape

_TYPE_METAVARS = {
    "str": "TEXT",
    "int": "INTEGER",
    "float": "NUMBER",
    "Path": "PATH",
    "date": "DATE",
}


def reflow(text: str | None) -> str | None:
    """Paragraphs of a docstring, each on one line (blank lines still separate paragraphs),
    with rich markup escaped: help is text."""
    if not text:
        return text
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(
        escape(" ".join(line.strip() for line in p.splitlines())) for p in paragraphs
    )


class ReadableOption(typer.core.TyperOption):
    """A flag shows no value; an option an upper-case metavar."""

    def display_type_rich(self, ctx: Any) -> str | None:
        if self.is_flag or self.is_bool_flag or self.count:  # -v, -vv: a flag given again
            return None
        if self.metavar is not None:
            return self.metavar
        desc = self.type_descriptor
        annotation = desc.annotation
        if desc.is_list:
            args = getattr(annotation, "__args__", ())
            annotation = args[0] if args else str
        name = getattr(annotation, "__name__", str(annotation))
        return "PATH" if desc.is_path else _TYPE_METAVARS.get(name, name.upper())


class ReadableArgument(typer.core.TyperArgument):
    """``PERSON`` in the usage line and the arguments panel, ``[FILE]`` when optional."""

    @property
    def display_name_raw(self) -> str:
        return self.metavar or (self.name or "").upper()

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def get_usage_pieces(self, ctx: Any) -> list[str]:
        name = self.display_name_raw
        if not self.required:
            name = f"[{name}]"
        if self.nargs != 1:
            name += "..."
        return [name]


def _tidy(param: Any) -> None:
    """Give a parameter the readable behaviour (once): the class swap keeps every attribute."""
    if type(param) is typer.core.TyperOption:
        param.__class__ = ReadableOption
    elif type(param) is typer.core.TyperArgument:
        param.__class__ = ReadableArgument
    else:
        return
    help_text = param.help or ""
    if getattr(param, "multiple", False) and "repeat" not in help_text:
        help_text = (
            help_text.rstrip(".") + " (repeat for more)." if help_text else "Repeat for more."
        )
    param.help = reflow(help_text) if help_text else param.help


class ReadableCommand(typer.core.TyperCommand):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.help = reflow(self.help)

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        for param in params:
            _tidy(param)
        return params


class ReadableGroup(typer.core.TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.help = reflow(self.help)

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        for param in params:
            _tidy(param)
        return params
