"""Normalized records: one vocabulary for Active Directory, Entra ID and Google Workspace.

Every connector transforms its raw pages into these frozen records; everything after the
connectors (store, graph, findings, campaigns, exports) speaks only this vocabulary.

Keys are stable strings, ``<source>:<kind>:<id>``, where ``source`` is the configured source
name (``ad``, ``entra``, ``google`` by default) and ``id`` is the directory's immutable id
(objectGUID, Graph object id, Google id).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, Mapping

AccountKind = Literal["person", "student", "service", "unknown"]
MemberType = Literal["account", "group", "foreign"]
GrantLevel = Literal["read", "write", "admin"]
PersonType = Literal["employee", "volunteer", "contractor"]
PersonStatus = Literal["active", "leave", "separated"]

LEVEL_ORDER: dict[str, int] = {"read": 1, "write": 2, "admin": 3}


def account_key(source: str, id: str) -> str:
    return f"{source}:account:{id}"


def group_key(source: str, id: str) -> str:
    return f"{source}:group:{id}"


def resource_key(source: str, id: str) -> str:
    return f"{source}:resource:{id}"


def grant_key(source: str, id: str) -> str:
    return f"{source}:grant:{id}"


def person_key(employee_id: str) -> str:
    return f"person:{employee_id}"


def source_of(key: str) -> str:
    """The source name a record key belongs to (``ad:account:x`` -> ``ad``)."""
    return key.split(":", 1)[0]


@dataclass(frozen=True, slots=True)
class Account:
    source: str
    id: str
    login: str
    email: str | None = None
    display_name: str = ""
    employee_id: str | None = None
    enabled: bool = True
    last_sign_in: datetime | None = None
    created: datetime | None = None
    org_unit: str = ""
    kind: AccountKind = "unknown"
    title: str = ""
    department: str = ""
    aliases: tuple[str, ...] = ()
    # Where the account is mastered when it is not this directory: an Entra user synced
    # from on-premises AD has authority "ad" and must be changed there.
    authority: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    # The key is computed once: it is read hundreds of thousands of times at district scale.
    key: str = field(init=False, repr=False, compare=False, hash=False, default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", account_key(self.source, self.id))


@dataclass(frozen=True, slots=True)
class Group:
    source: str
    id: str
    name: str
    email: str | None = None
    # security | distribution | m365 | dynamic | google | ...
    kind: str = "security"
    authority: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    # The key is computed once: it is read hundreds of thousands of times at district scale.
    key: str = field(init=False, repr=False, compare=False, hash=False, default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", group_key(self.source, self.id))


@dataclass(frozen=True, slots=True)
class Membership:
    """A direct membership. Nesting is derived by the entitlement graph, never stored."""

    source: str
    group_key: str
    member_key: str
    member_type: MemberType = "account"


@dataclass(frozen=True, slots=True)
class Resource:
    """Something a principal can be granted beyond group membership.

    kind: admin_role (Domain Admins, Global Administrator, Google super admin), app (an
    enterprise app / service principal), oauth_app (a third-party OAuth client),
    shared_drive, ...
    """

    source: str
    id: str
    name: str
    kind: str
    privileged: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    # The key is computed once: it is read hundreds of thousands of times at district scale.
    key: str = field(init=False, repr=False, compare=False, hash=False, default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", resource_key(self.source, self.id))


@dataclass(frozen=True, slots=True)
class Grant:
    """A principal (account or group key) holding a resource at a level.

    ``id`` is the directory's own id for the grant where it has one (role assignment id,
    permission id, OAuth client id for a user), so that it can be removed.
    """

    source: str
    id: str
    resource_key: str
    principal_key: str
    level: GrantLevel = "read"
    # role | app_role | oauth | drive_permission | privileged_group | ...
    kind: str = "role"
    scopes: tuple[str, ...] = ()
    role: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    # The key is computed once: it is read hundreds of thousands of times at district scale.
    key: str = field(init=False, repr=False, compare=False, hash=False, default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", grant_key(self.source, self.id))


@dataclass(frozen=True, slots=True)
class Person:
    """A row of the staff roster."""

    employee_id: str
    name: str
    email: str | None = None
    title: str = ""
    department: str = ""
    building: str = ""
    person_type: PersonType = "employee"
    status: PersonStatus = "active"
    status_date: date | None = None
    training_date: date | None = None
    aliases: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return person_key(self.employee_id)


@dataclass
class Snapshot:
    """One source's read. ``complete`` is set only when every listing paged to its end.

    ``cursor`` is JSON-serialisable incremental state (delta links, highestCommittedUSN and
    the DC it came from, ...) handed back to the connector on the next sync.
    ``stats`` counts what the read cost (requests, LDAP operations, round trips).
    """

    source: str
    accounts: list[Account] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    cursor: dict[str, Any] = field(default_factory=dict)
    mode: Literal["full", "incremental"] = "full"
    complete: bool = False
    started_at: datetime | None = None
    finished_at: datetime | None = None
    stats: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "accounts": len(self.accounts),
            "groups": len(self.groups),
            "memberships": len(self.memberships),
            "resources": len(self.resources),
            "grants": len(self.grants),
        }
