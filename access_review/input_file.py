"""A file a person hands the tool, read once: its bytes and the name messages give it — the
path they typed, or a stored import ("inventory.xlsx in stored inventory version 3 (imported
2026-05-01 14:03 UTC)"). What is checked is then exactly what gets stored, and nothing ever
names a temporary copy."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from access_review.errors import InputError

CSV_SUFFIXES = frozenset({".csv"})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})


@dataclass(frozen=True, slots=True)
class InputFile:
    """A file's bytes and how messages name it (``label``). ``name`` is the file's own name;
    its suffix says CSV or XLSX."""

    label: str
    name: str
    data: bytes = field(repr=False)

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()


def read_input(path: str | Path) -> InputFile:
    """Read a file the user named, once; a wrong type, a missing file or an unreadable one is
    an ``InputError``."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES | XLSX_SUFFIXES:
        raise InputError(
            str(path),
            f"unsupported file type {path.suffix or '(none)'!r}; use .csv (UTF-8) or .xlsx",
        )
    if not path.is_file():
        raise InputError(str(path), "file not found")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from None
    return InputFile(label=str(path), name=path.name, data=data)


InputSource = str | Path | InputFile


def as_input(source: InputSource) -> InputFile:
    return source if isinstance(source, InputFile) else read_input(source)
