"""Typed errors. Only the CLI turns these into messages and exit codes (see cli.py).

A failed read is always one of these, never an empty list: "could not read" must never
look like "none exist".
"""

from __future__ import annotations

from typing import Sequence


# What each exit code of `access-review` means. `access-review --help` and the README's list are
# built from, or checked against, this table (tests/test_cli_help.py), and every error type's
# exit_code is one of these.
EXIT_CODES: dict[int, str] = {
    0: "done",
    1: "a check found a problem (doctor, campaign verify), or another error",
    2: "the command line or the config is wrong, or a secret is missing or exposed",
    3: "a bad input file (roster, inventory, workbook): nothing from it was stored",
    4: "the store cannot be used (another sync holds it, damaged, newer version)",
    5: "a directory or the mail server failed: the rest went on; run it again",
    6: "a change was refused (a protected account, a campaign's state)",
    7: "the audit log does not verify (altered, cut short, anchor missing)",
    8: "waiting for confirmation: run it again with --yes",
}


class AccessReviewError(Exception):
    """Base of every error the tool reports to a person. ``str()`` is the one-line message."""

    exit_code = 1
    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class ConfigError(AccessReviewError):
    exit_code = 2


class SecretError(ConfigError):
    """A secret is missing, or its file can be read by someone other than its owner."""


class InputError(AccessReviewError):
    """Bad input file: names the file, the row (1-based, as a spreadsheet shows it) and column."""

    exit_code = 3
    # The other problems found with it (errors or their lines), which the CLI lists after it.
    also: Sequence[InputError | str] = ()

    def __init__(
        self,
        path: str,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ):
        self.path, self.row, self.column, self.reason = str(path), row, column, message
        where = self.path
        if row is not None:
            where += f", row {row}"
        if column:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}", hint=hint)


class EmptyInput(InputError):
    """A file (or sheet) with a header and no rows, given where it would replace stored data
    with nothing: that needs saying so (``--allow-empty``)."""


class ConfirmationNeeded(AccessReviewError):
    """An import would shrink a register by surprise (more than the configured share removed,
    or a hold released). Nothing was stored; ``changes`` is what it would have done."""

    exit_code = 8

    def __init__(self, message: str, changes: object, *, hint: str | None = None):
        self.changes = changes
        super().__init__(message, hint=hint)


class StoreError(AccessReviewError):
    exit_code = 4


class StoreBusy(StoreError):
    """Another process holds the sync lock."""


class SourceError(AccessReviewError):
    """A directory call failed. ``call`` names it (e.g. ``GET /v1.0/users``, ``LDAP search users``)."""

    exit_code = 5

    def __init__(self, source: str, call: str, message: str, *, hint: str | None = None):
        self.source, self.call, self.detail = source, call, message
        super().__init__(f"{source}: {call}: {message}", hint=hint)


class AuthError(SourceError):
    """Authentication failed (bad password, expired secret or token). Never retried."""


class PermissionDenied(SourceError):
    """The service identity lacks a permission or scope; ``permission`` names it when known."""

    def __init__(
        self,
        source: str,
        call: str,
        message: str,
        *,
        permission: str | None = None,
        hint: str | None = None,
    ):
        self.permission = permission
        super().__init__(source, call, message, hint=hint)


class RetryableError(SourceError):
    """Throttled or transiently unavailable. ``retry_after`` is seconds, from the server if it said;
    ``throttled`` when the server asked us to slow down (HTTP 429, a quota), not when it was
    unavailable (503, 5xx) or the network failed: the two are logged and reported apart, so a
    persistent outage is never called "throttling"."""

    def __init__(
        self,
        source: str,
        call: str,
        message: str,
        *,
        retry_after: float | None = None,
        throttled: bool = False,
        hint: str | None = None,
    ):
        self.retry_after = retry_after
        self.throttled = throttled
        super().__init__(source, call, message, hint=hint)


class IncompleteRead(SourceError):
    """A listing stopped before its end (a page missing, a cursor lost): the snapshot is not complete."""


class DeltaExpired(SourceError):
    """The incremental cursor is no longer valid; the caller falls back to a full sync."""


class ActionRefused(AccessReviewError):
    """A planned change that must not be made (protected account, wrong authority, ...)."""

    exit_code = 6
