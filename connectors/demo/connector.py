"""The demo source: reads one demo directory from the state file and applies actions to it.

It is served through the same Connector interface as AD, Entra and Google, so the demo runs
exactly the pipeline a district runs. Like a real directory it refuses what the real one
would (changing a synced user in Entra, editing a dynamic group) and it never deletes an
account.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from access_review import activity
from access_review.errors import ConfigError
from access_review.records import (
    Account,
    Grant,
    Group,
    Membership,
    Resource,
    Snapshot,
    account_key,
    contact_key,
    group_key,
    resource_key,
    source_of,
)
from access_review.connector import Action, ActionResult, Check, Progress, account_ids, no_progress

from access_review.demo import state_file as state
from access_review.demo.state_file import DemoStateError, record_id

DIRECTORY_TYPES = ("ad", "entra", "google")
AUTHORITY_LABEL = {"ad": "AD", "entra": "Entra ID", "google": "Google Workspace"}
SUPPORTED = (
    "disable_account",
    "enable_account",
    "revoke_sessions",
    "remove_membership",
    "remove_grant",
    "revoke_oauth_token",
)


def build_connector(
    name: str, settings: Mapping[str, Any], *, base_dir: str = "."
) -> "DemoConnector":
    directory = settings.get("directory", name)
    if directory not in DIRECTORY_TYPES:
        raise ConfigError(
            f"source {name!r}: directory {directory!r} is not a demo directory",
            hint=f"set directory to one of: {', '.join(DIRECTORY_TYPES)}",
        )
    state_setting = settings.get("state")
    if not state_setting:
        raise ConfigError(f'source {name!r}: a demo source needs state = "{state.STATE_FILE_NAME}"')
    path = Path(state_setting).expanduser()
    if not path.is_absolute():
        path = Path(base_dir) / path
    return DemoConnector(name=name, directory=directory, state_path=path)


class _Memo:
    """Parses repeated column texts once: pooled timestamps and shared extras repeat a lot."""

    def __init__(self, parse, limit: int = 4096):
        self.parse, self.limit = parse, limit
        self.seen: dict[str, Any] = {}

    def __call__(self, text: str | None):
        if not text:
            return None
        value = self.seen.get(text)
        if value is None:
            value = self.parse(text)
            if len(self.seen) < self.limit:
                self.seen[text] = value
        return value


ACCOUNT_COLUMNS = (
    "id, login, email, display_name, employee_id, enabled, last_sign_in, created, org_unit, kind,"
    " title, department, aliases, authority, extra, sessions_revoked, upn, guest, sign_in_known"
)
_REVOKED = {"sessions_revoked": True}
_NO_EXTRA: dict = {}


def _account(name: str, row: tuple, when: _Memo, extra_of: _Memo) -> Account:
    (
        id_,
        login,
        email,
        display,
        employee_id,
        enabled,
        last,
        created,
        org_unit,
        kind,
        title,
        department,
        aliases,
        authority,
        extra,
        sessions_revoked,
        upn,
        guest,
        sign_in_known,
    ) = row
    extras = extra_of(extra) or _NO_EXTRA
    if sessions_revoked:
        extras = {**extras, **_REVOKED}
    return Account(
        source=name,
        id=id_,
        login=login,
        email=email,
        display_name=display or "",
        employee_id=employee_id,
        enabled=bool(enabled),
        last_sign_in=when(last),
        created=when(created),
        org_unit=org_unit or "",
        kind=kind or "unknown",
        title=title or "",
        department=department or "",
        aliases=tuple(json.loads(aliases)) if aliases else (),
        authority=authority,
        upn=upn,
        guest=bool(guest),
        sign_in_known=bool(sign_in_known),
        extra=extras,
    )


@dataclass
class DemoConnector:
    name: str
    directory: str
    state_path: Path
    type: str = "demo"

    # ---- reading -------------------------------------------------------------------------
    def fetch_snapshot(
        self, previous: Snapshot | None = None, progress: Progress = no_progress
    ) -> Snapshot:
        started = datetime.now(timezone.utc)
        db = state.connect(self.state_path, source=self.name)
        try:
            snap = self._read(db, progress)
        except sqlite3.DatabaseError as exc:
            raise DemoStateError(self.name, f"read {self.state_path}", str(exc)) from None
        finally:
            db.close()
        snap.started_at, snap.finished_at = started, datetime.now(timezone.utc)
        return snap

    def _read(self, db: sqlite3.Connection, progress: Progress) -> Snapshot:
        name, where = self.name, (self.directory,)
        if self.directory not in state.directories(db):
            raise DemoStateError(
                name,
                f"read {self.state_path}",
                f"no directory {self.directory!r} in the demo state file",
            )
        when, extra_of = _Memo(datetime.fromisoformat), _Memo(json.loads)
        no_extra: dict = {}

        accounts = [
            _account(name, row, when, extra_of)
            for row in state.rows(
                db,
                f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE directory=? ORDER BY rowid",  # noqa: S608 (a constant column list)
                where,
            )
        ]
        progress("accounts", len(accounts), len(accounts))

        groups = [
            Group(
                source=name,
                id=id_,
                name=group_name,
                email=email,
                kind=kind or "security",
                authority=authority,
                extra=extra_of(extra) or no_extra,
                aliases=tuple(json.loads(aliases)) if aliases else (),
                role_assignable=bool(role_assignable),
            )
            for id_, group_name, email, kind, authority, extra, aliases, role_assignable in state.rows(
                db,
                "SELECT id, name, email, kind, authority, extra, aliases, role_assignable FROM groups_"
                " WHERE directory=? ORDER BY rowid",
                where,
            )
        ]
        progress("groups", len(groups), len(groups))

        # Keys are built once per id and shared by every membership that names it.
        account_keys = {a.id: account_key(name, a.id) for a in accounts}
        group_keys = {g.id: group_key(name, g.id) for g in groups}
        memberships: list[Membership] = []
        append = memberships.append
        for group_id, member_id, member_type, role in state.rows(
            db,
            "SELECT group_id, member_id, member_type, role FROM memberships WHERE directory=?"
            " ORDER BY rowid",
            where,
        ):
            keys = group_keys if member_type == "group" else account_keys
            member = keys.get(member_id) or (
                group_key(name, member_id)
                if member_type == "group"
                else contact_key(name, member_id)
                if member_type == "contact"
                else account_key(name, member_id)
            )
            append(
                Membership(
                    name,
                    group_keys.get(group_id) or group_key(name, group_id),
                    member,
                    member_type,
                    role or "member",
                )
            )
        progress("memberships", len(memberships), len(memberships))

        resources = [
            Resource(
                source=name,
                id=id_,
                name=resource_name,
                kind=kind,
                privileged=bool(privileged),
                extra=extra_of(extra) or no_extra,
                scope=scope or "",
                privileges=tuple(json.loads(privileges)) if privileges else (),
            )
            for id_, resource_name, kind, privileged, extra, scope, privileges in state.rows(
                db,
                "SELECT id, name, kind, privileged, extra, scope, privileges FROM resources"
                " WHERE directory=? ORDER BY rowid",
                where,
            )
        ]
        grants = []
        for (
            id_,
            resource_id,
            principal_type,
            principal_id,
            level,
            kind,
            scopes,
            role,
            extra,
            direct_only,
        ) in state.rows(
            db,
            "SELECT id, resource_id, principal_type, principal_id, level, kind, scopes, role, extra,"
            " direct_members_only FROM grants WHERE directory=? ORDER BY rowid",
            where,
        ):
            principal = (
                group_key(name, principal_id)
                if principal_type == "group"
                else account_key(name, principal_id)
            )
            grants.append(
                Grant(
                    source=name,
                    id=id_,
                    resource_key=resource_key(name, resource_id),
                    principal_key=principal,
                    level=level,
                    kind=kind,
                    scopes=tuple(json.loads(scopes)) if scopes else (),
                    role=role or "",
                    direct_members_only=bool(direct_only),
                    extra=extra_of(extra) or no_extra,
                )
            )
        progress("grants", len(grants), len(grants))
        # The demo directory is read in six queries of the state file, each one whole page:
        # counted like a real directory's requests, so the demo's log reads like a district's.
        for table, rows in (
            ("accounts", accounts),
            ("groups", groups),
            ("memberships", memberships),
            ("resources", resources),
            ("grants", grants),
            ("contacts", []),
        ):
            activity.note_request(name, f"SELECT {table}", "ok")
            activity.note_page(name, f"SELECT {table}", len(rows))
        return Snapshot(
            source=name,
            accounts=accounts,
            groups=groups,
            memberships=memberships,
            resources=resources,
            grants=grants,
            mode="full",
            complete=True,
            stats={"queries": 6},
        )

    def fetch_accounts(self, keys: Sequence[str]) -> dict[str, Account | None]:
        """The named accounts as the state file holds them now: one query, by id."""
        ids = account_ids(self.name, keys)
        wanted = sorted(set(ids.values()))
        db = state.connect(self.state_path, source=self.name)
        try:
            rows = {}
            for chunk in range(0, len(wanted), 500):
                part = wanted[chunk : chunk + 500]
                for row in db.execute(
                    f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE directory=?"  # noqa: S608 (a constant column list; values bound)
                    f" AND id IN ({','.join('?' * len(part))})",
                    (self.directory, *part),
                ):
                    rows[row[0]] = row
        except sqlite3.DatabaseError as exc:
            raise DemoStateError(self.name, f"read {self.state_path}", str(exc)) from None
        finally:
            db.close()
        when, extra_of = _Memo(datetime.fromisoformat), _Memo(json.loads)
        return {
            key: _account(self.name, rows[i], when, extra_of) if i in rows else None
            for key, i in ids.items()
        }

    # ---- planning ------------------------------------------------------------------------
    def refusal(self, action: Action, snapshot: Snapshot | None = None) -> str | None:
        if action.kind == "delete_account":
            return "a demo source never deletes an account"
        if action.kind not in SUPPORTED:
            return f"the demo source cannot {action.kind}"
        if source_of(action.target) != self.name:
            return (
                f"{action.target} belongs to source {source_of(action.target)!r}, not {self.name!r}"
            )
        if action.kind == "remove_membership" and not action.params.get("member"):
            return "remove_membership needs params['member'] (the member key)"
        if action.kind == "revoke_oauth_token" and not action.params.get("client_id"):
            return "revoke_oauth_token needs params['client_id']"
        if action.kind in ("disable_account", "enable_account"):
            authority = self._authority_of(action.target, snapshot)
            if authority and authority != self.directory:
                label = AUTHORITY_LABEL.get(authority, authority)
                return f"synced from {label}: change it in {label}"
        if action.kind == "remove_membership":
            kind = self._group_kind(action.target, snapshot)
            if kind == "dynamic":
                return "dynamic group: its rule decides membership; change the rule or the user's attributes"
        return None

    def _authority_of(self, key: str, snapshot: Snapshot | None) -> str | None:
        if snapshot is not None:
            return next((a.authority for a in snapshot.accounts if a.key == key), None)
        with self._open() as db:
            row = db.execute(
                "SELECT authority FROM accounts WHERE directory=? AND id=?",
                (self.directory, record_id(key)[2]),
            ).fetchone()
        return row[0] if row else None

    def _group_kind(self, key: str, snapshot: Snapshot | None) -> str | None:
        if snapshot is not None:
            return next((g.kind for g in snapshot.groups if g.key == key), None)
        with self._open() as db:
            row = db.execute(
                "SELECT kind FROM groups_ WHERE directory=? AND id=?",
                (self.directory, record_id(key)[2]),
            ).fetchone()
        return row[0] if row else None

    # ---- acting --------------------------------------------------------------------------
    def apply(self, action: Action) -> ActionResult:
        reason = self.refusal(action)
        if reason:
            return ActionResult(action, "refused", message=reason)
        handler: Callable[[sqlite3.Connection, Action], ActionResult] = getattr(
            self, f"_{action.kind}"
        )
        db = state.connect(self.state_path, source=self.name, write=True)
        try:
            with db:  # one transaction: the prior state is read and changed together
                return handler(db, action)
        finally:
            db.close()

    def _open(self) -> closing[sqlite3.Connection]:
        return closing(state.connect(self.state_path, source=self.name))

    def _account_row(self, db, action: Action, column: str):
        return db.execute(
            f"SELECT {column} FROM accounts WHERE directory=? AND id=?",  # noqa: S608 (callers pass a constant column)
            (self.directory, record_id(action.target)[2]),
        ).fetchone()

    def _set_enabled(self, db, action: Action, wanted: bool) -> ActionResult:
        row = self._account_row(db, action, "enabled")
        if row is None:
            return ActionResult(action, "failed", message=f"no account {action.target}")
        prior = {"enabled": bool(row[0])}
        if prior["enabled"] == wanted:
            return ActionResult(action, "unchanged", prior=prior, after=prior)
        db.execute(
            "UPDATE accounts SET enabled=? WHERE directory=? AND id=?",
            (int(wanted), self.directory, record_id(action.target)[2]),
        )
        return ActionResult(action, "changed", prior=prior, after={"enabled": wanted})

    def _disable_account(self, db, action: Action) -> ActionResult:
        return self._set_enabled(db, action, False)

    def _enable_account(self, db, action: Action) -> ActionResult:
        return self._set_enabled(db, action, True)

    def _revoke_sessions(self, db, action: Action) -> ActionResult:
        # The demo has no sign-ins after generation, so a revoked account stays revoked: a
        # second revoke finds nothing to do.
        row = self._account_row(db, action, "sessions_revoked")
        if row is None:
            return ActionResult(action, "failed", message=f"no account {action.target}")
        prior = {"sessions_revoked": bool(row[0])}
        if prior["sessions_revoked"]:
            return ActionResult(action, "unchanged", prior=prior, after=prior)
        db.execute(
            "UPDATE accounts SET sessions_revoked=1 WHERE directory=? AND id=?",
            (self.directory, record_id(action.target)[2]),
        )
        return ActionResult(action, "changed", prior=prior, after={"sessions_revoked": True})

    def _remove_membership(self, db, action: Action) -> ActionResult:
        group_id = record_id(action.target)[2]
        member = str(action.params["member"])
        if (
            db.execute(
                "SELECT 1 FROM groups_ WHERE directory=? AND id=?", (self.directory, group_id)
            ).fetchone()
            is None
        ):
            return ActionResult(action, "failed", message=f"no group {action.target}")
        row = db.execute(
            "SELECT member_type FROM memberships WHERE directory=? AND group_id=? AND member_id=?",
            (self.directory, group_id, record_id(member)[2]),
        ).fetchone()
        if row is None:
            prior = {"member": member, "present": False}
            return ActionResult(action, "unchanged", prior=prior, after=prior)
        db.execute(
            "DELETE FROM memberships WHERE directory=? AND group_id=? AND member_id=?",
            (self.directory, group_id, record_id(member)[2]),
        )
        return ActionResult(
            action,
            "changed",
            prior={"member": member, "member_type": row[0], "present": True},
            after={"member": member, "present": False},
        )

    def _grant_prior(self, row: tuple) -> dict[str, Any]:
        id_, resource_id, principal_type, principal_id, level, kind, scopes, role = row
        principal = (group_key if principal_type == "group" else account_key)(
            self.name, principal_id
        )
        return {
            "present": True,
            "grant": f"{self.name}:grant:{id_}",
            "resource": resource_key(self.name, resource_id),
            "principal": principal,
            "level": level,
            "kind": kind,
            "role": role or "",
            "scopes": json.loads(scopes) if scopes else [],
        }

    _GRANT_COLUMNS = "id, resource_id, principal_type, principal_id, level, kind, scopes, role"
    _GRANT_COLUMNS_G = ", ".join(f"g.{c}" for c in _GRANT_COLUMNS.split(", "))

    def _remove_grant(self, db, action: Action) -> ActionResult:
        grant_id = record_id(action.target)[2]
        row = db.execute(
            f"SELECT {self._GRANT_COLUMNS} FROM grants WHERE directory=? AND id=?",  # noqa: S608 (a constant column list)
            (self.directory, grant_id),
        ).fetchone()
        if row is None:
            prior = {"present": False}
            return ActionResult(action, "unchanged", prior=prior, after=prior)
        db.execute("DELETE FROM grants WHERE directory=? AND id=?", (self.directory, grant_id))
        return ActionResult(
            action, "changed", prior=self._grant_prior(row), after={"present": False}
        )

    def _revoke_oauth_token(self, db, action: Action) -> ActionResult:
        client_id = str(action.params["client_id"])
        account_id = record_id(action.target)[2]
        if self._account_row(db, action, "1") is None:
            return ActionResult(action, "failed", message=f"no account {action.target}")
        found = [
            row
            for row in db.execute(
                f"SELECT {self._GRANT_COLUMNS_G}, r.extra FROM grants g"  # noqa: S608 (a constant column list)
                " JOIN resources r ON r.directory = g.directory AND r.id = g.resource_id"
                " WHERE g.directory=? AND g.principal_type='account' AND g.principal_id=? AND g.kind='oauth'",
                (self.directory, account_id),
            )
            if row[1] == client_id or (json.loads(row[8] or "{}").get("client_id") == client_id)
        ]
        if not found:
            prior = {"client_id": client_id, "present": False}
            return ActionResult(action, "unchanged", prior=prior, after=prior)
        db.executemany(
            "DELETE FROM grants WHERE directory=? AND id=?",
            [(self.directory, row[0]) for row in found],
        )
        return ActionResult(
            action,
            "changed",
            prior={
                "client_id": client_id,
                "present": True,
                "grants": [self._grant_prior(row[:8]) for row in found],
            },
            after={"client_id": client_id, "present": False},
        )

    # ---- doctor --------------------------------------------------------------------------
    def doctor(self) -> list[Check]:
        path = self.state_path
        if not path.is_file():
            return [
                Check(
                    f"{self.name}: demo state file",
                    False,
                    f"{path} does not exist",
                    fix="run `access-review demo` to generate the demo district",
                )
            ]
        checks = [Check(f"{self.name}: demo state file", True, str(path))]
        try:
            with self._open() as db:
                counts = state.count_rows(db, self.directory)
        except (DemoStateError, sqlite3.DatabaseError) as exc:
            return checks + [
                Check(
                    f"{self.name}: demo state readable",
                    False,
                    str(exc),
                    fix="regenerate it with `access-review demo`",
                )
            ]
        ok = counts["accounts"] > 0
        return checks + [
            Check(
                f"{self.name}: directory {self.directory!r}",
                ok,
                f"{counts['accounts']} accounts, {counts['groups']} groups"
                if ok
                else "no accounts for this directory in the state file",
                fix="" if ok else "check `directory` in the source's config",
            )
        ]
