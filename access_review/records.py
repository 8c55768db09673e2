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

AccountKind = Literal["person", "student", "service", "computer", "unknown"]
# account / group; contact: a mail contact (AD contact, Entra orgContact) — a member without
# sign-in, counted in group sizes and mail reach, never an access holder; foreign: anything
# else the directory names as a member (a trusted domain's SID, a Google CUSTOMER, ...).
MemberType = Literal["account", "group", "contact", "foreign"]
# How a member belongs: "member" (a plain member), "primary" (AD: the account's primary
# group, named by primaryGroupID and absent from the group's ``member`` values), "manager"
# and "owner" (Google group roles: members who can also add and remove members).
MemberRole = Literal["member", "primary", "manager", "owner"]
GrantLevel = Literal["read", "write", "manage", "admin"]
PersonType = Literal["employee", "volunteer", "contractor"]
PersonStatus = Literal["active", "leave", "separated"]

# "manage" (manages who has access: a group owner/manager who can add anyone, themselves
# included, to a group that reaches the resource) ranks above write — it can hand out the
# group's access, write included, to anyone — and below admin, which (a drive organizer, a
# directory role) changes the resource's own permissions, and so its access control, directly.
# docs/access-model.md, "Levels".
LEVEL_ORDER: dict[str, int] = {"read": 1, "write": 2, "manage": 3, "admin": 4}
LEVEL_LABELS: dict[str, str] = {"manage": "manages who has access"}
MANAGING_ROLES = frozenset({"manager", "owner"})

# Views of a snapshot a connector could read only in part (Snapshot.partial_views keys).
VIEW_HOLDS = "holds"  # Vault holds: the subject cannot see every matter
VIEW_SIGN_IN = "sign_in"  # last sign-in: not readable (licence) or not refreshed


def level_label(level: str) -> str:
    """How a level reads for people: "read", "write", "admin", "manages who has access"."""
    return LEVEL_LABELS.get(level, level)


def account_key(source: str, id: str) -> str:
    return f"{source}:account:{id}"


def group_key(source: str, id: str) -> str:
    return f"{source}:group:{id}"


def resource_key(source: str, id: str) -> str:
    return f"{source}:resource:{id}"


def grant_key(source: str, id: str) -> str:
    return f"{source}:grant:{id}"


def contact_key(source: str, id: str) -> str:
    return f"{source}:contact:{id}"


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
    # The user principal name where the directory has one (AD userPrincipalName; Entra's
    # login): a join candidate when the account has no mail.
    upn: str | None = None
    # An external person invited into the directory (Entra userType "Guest").
    guest: bool = False
    # False when the directory's sign-in data could not be read or refreshed (Entra without
    # a P1/P2 licence, sign-in reading switched off): last_sign_in then means "unknown",
    # never "never signed in".
    sign_in_known: bool = True
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
    # security | distribution | m365 | dynamic | google | ... A "distribution" group is not a
    # security principal: it confers no access (docs/access-model.md).
    kind: str = "security"
    authority: str | None = None
    aliases: tuple[str, ...] = ()
    # Entra: the group can hold directory roles (isAssignableToRole); only Privileged Role
    # Administrators and Global Administrators can change its members.
    role_assignable: bool = False
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
    role: MemberRole = "member"


@dataclass(frozen=True, slots=True)
class Contact:
    """A mail contact that is a group member (AD contact, Entra orgContact): it counts in
    group sizes and mail reach, and holds no access (it cannot sign in)."""

    source: str
    id: str
    name: str
    email: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> str:
        return contact_key(self.source, self.id)


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
    # Where a role applies when it is not the whole directory, in words: "administrative
    # unit 'North Schools'" (Entra), "org unit /Staff/Lincoln" (Google). A scoped role is a
    # resource of its own, so that it is a different finding from the tenant-wide role.
    scope: str = ""
    # What a role may do, as the directory names it (Google rolePrivileges "serviceId/name").
    privileges: tuple[str, ...] = ()
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
    # The grant reaches the group's direct members only, not members of nested groups
    # (Entra app-role assignments to a group: docs/access-model.md).
    direct_members_only: bool = False
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
    ``partial_views`` names what the connector could see only in part, view -> why
    (``VIEW_HOLDS``: Vault holds may be missing; ``VIEW_SIGN_IN``: last sign-in unknown). The
    snapshot is still complete for everything else; outputs that rest on a partial view
    must say so.
    """

    source: str
    accounts: list[Account] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    cursor: dict[str, Any] = field(default_factory=dict)
    mode: Literal["full", "incremental"] = "full"
    complete: bool = False
    started_at: datetime | None = None
    finished_at: datetime | None = None
    stats: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    partial_views: dict[str, str] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            "accounts": len(self.accounts),
            "groups": len(self.groups),
            "memberships": len(self.memberships),
            "resources": len(self.resources),
            "grants": len(self.grants),
            "contacts": len(self.contacts),
        }
