"""What a config table may hold, declared once by the code that reads it: each key with its
default and what it is for. ``access-review init`` writes the starter config from these
declarations (so it lists every key of every connector, commented, with its default, and
cannot drift from the code), and a source's table is checked against them (so a misspelt key
is an error naming the known ones, not a setting silently ignored).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from .errors import ConfigError

REQUIRED = object()  # a setting with no default: the table must set it


@dataclass(frozen=True)
class Setting:
    key: str
    default: Any  # REQUIRED when the table must set it; None when unset means "none"
    help: str
    example: Any = None  # what the starter shows when the default is not a useful value
    alternative_to: str = ""  # "password_env" for password_file: set one or the other

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def shown_value(self) -> Any:
        """The value the starter writes: the example, else the default."""
        return self.example if self.example is not None else self.default

    def note(self) -> str:
        note = self.help
        if self.required:
            note = f"required: {note}"
        elif self.example is not None and "(default" not in note:
            note += (
                " (default: not set)"
                if self.default in (None, "", ())
                else f" (default {toml_value(self.default)})"
            )
        if self.alternative_to:
            note = f"or instead of {self.alternative_to}: {note}"
        return note


def default_of(settings: Sequence[Setting], key: str) -> Any:
    for s in settings:
        if s.key == key:
            if s.required:
                raise KeyError(f"{key} has no default")
            return s.default
    raise KeyError(f"{key} is not declared")


def check_known(
    where: str,
    table: Mapping[str, Any],
    settings: Sequence[Setting],
    also: Iterable[str] = ("type",),
) -> None:
    """A key the code does not read is an error: a typo would otherwise be ignored silently."""
    known = {s.key for s in settings} | set(also)
    # A secret written in the table itself (``password = ...``) is left to the secret reader,
    # whose refusal says where secrets go instead.
    secrets = {s.key[: -len("_env")] for s in settings if s.key.endswith("_env")}
    unknown = sorted(set(table) - known - secrets)
    if unknown:
        raise ConfigError(
            f"{where}: unknown setting {unknown[0]!r}",
            hint=f"known: {', '.join(sorted(known))} (access-review init lists them with their defaults)",
        )


def toml_value(value: Any) -> str:
    """A Python value as TOML (the starter's values are strings, numbers, booleans and lists)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def render_table(
    header: str,
    settings: Sequence[Setting],
    *,
    intro: Sequence[str] = (),
    commented: bool = True,
    preset: Mapping[str, Any] | None = None,
) -> str:
    """A config table as the starter shows it: every key with its default (or an example) and
    what it is for. ``commented``: the whole table behind ``#``, for the user to take up;
    otherwise only the optional keys are (the table is valid as written, every key at its
    default). ``preset`` keys are written as given (``type = "ad"``)."""
    rows = [(f"{key} = {toml_value(value)}", "") for key, value in (preset or {}).items()]
    for s in settings:
        line = f"{s.key} = {toml_value(s.shown_value())}"
        rows.append((line if commented or s.required else f"# {line}", s.note()))
    width = max(len(text) for text, _ in rows) + 2 if rows else 0
    body = [f"[{header}]"] + [f"{text:<{width}}# {note}" if note else text for text, note in rows]
    prefix = "# " if commented else ""
    return (
        "\n".join([f"# {line}".rstrip() for line in intro] + [prefix + line for line in body])
        + "\n"
    )
