"""Accumulates one demo directory's records and hands them over as a complete Snapshot."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any, Iterable, Mapping

from access_review.records import (
    Account,
    Grant,
    GrantLevel,
    Group,
    Membership,
    MemberRole,
    MemberType,
    Resource,
    Snapshot,
    account_key,
    grant_key,
    group_key,
    resource_key,
)

# One shared, never-mutated mapping for every record without extras: the records' default
# factory would otherwise allocate an empty dict per record (~64 bytes x millions at `state`).
NO_EXTRA: Mapping[str, Any] = {}


class SnapshotBuilder:
    """Records of one directory. ``id_style`` is "guid" (AD objectGUID, Graph ids) or
    "google" (Google's 21-digit numeric ids)."""

    def __init__(self, source: str, rng: random.Random, id_style: str = "guid"):
        self.source, self.rng, self.id_style = source, rng, id_style
        self.accounts: list[Account] = []
        self.groups: list[Group] = []
        self.memberships: list[Membership] = []
        self.resources: list[Resource] = []
        self.grants: list[Grant] = []
        self.group_by_name: dict[str, str] = {}  # group name -> key
        self.resource_by_name: dict[str, str] = {}  # resource name -> key
        self.account_of_employee: dict[
            str, str
        ] = {}  # employee id -> the person's main account key
        self.account_by_login: dict[str, str] = {}  # staff and service logins -> key

    def new_id(self) -> str:
        if self.id_style == "google":
            return str(self.rng.randrange(10**20, 10**21))
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def add_account(self, *, login: str, remember: bool = True, **fields: Any) -> str:
        fields.setdefault("extra", NO_EXTRA)
        account = Account(
            source=self.source, id=fields.pop("id", None) or self.new_id(), login=login, **fields
        )
        self.accounts.append(account)
        key = account_key(self.source, account.id)
        if remember:
            self.account_by_login[login] = key
        return key

    def add_group(
        self,
        name: str,
        *,
        email: str | None = None,
        kind: str = "security",
        extra: Mapping[str, Any] = NO_EXTRA,
        role_assignable: bool = False,
    ) -> str:
        group = Group(
            source=self.source,
            id=self.new_id(),
            name=name,
            email=email,
            kind=kind,
            extra=extra,
            role_assignable=role_assignable,
        )
        self.groups.append(group)
        key = group_key(self.source, group.id)
        self.group_by_name[name] = key
        return key

    def add_member(
        self,
        group: str,
        member: str,
        member_type: MemberType = "account",
        role: MemberRole = "member",
    ) -> None:
        self.memberships.append(Membership(self.source, group, member, member_type, role))

    def add_members(
        self, group: str, members: Iterable[str], member_type: MemberType = "account"
    ) -> None:
        source, append = self.source, self.memberships.append
        for member in members:
            append(Membership(source, group, member, member_type))

    def add_resource(
        self,
        name: str,
        kind: str,
        *,
        privileged: bool = False,
        id: str | None = None,
        extra: Mapping[str, Any] = NO_EXTRA,
        scope: str = "",
    ) -> str:
        resource = Resource(
            source=self.source,
            id=id or self.new_id(),
            name=name,
            kind=kind,
            privileged=privileged,
            extra=extra,
            scope=scope,
        )
        self.resources.append(resource)
        key = resource_key(self.source, resource.id)
        self.resource_by_name[name] = key
        return key

    def add_grant(
        self,
        resource: str,
        principal: str,
        *,
        level: GrantLevel,
        kind: str,
        role: str = "",
        scopes: tuple[str, ...] = (),
        id: str | None = None,
        extra: Mapping[str, Any] = NO_EXTRA,
        direct_members_only: bool = False,
    ) -> str:
        grant = Grant(
            source=self.source,
            id=id or self.new_id(),
            resource_key=resource,
            principal_key=principal,
            level=level,
            kind=kind,
            scopes=scopes,
            role=role,
            extra=extra,
            direct_members_only=direct_members_only,
        )
        self.grants.append(grant)
        return grant_key(self.source, grant.id)

    def snapshot(self, read_at: datetime) -> Snapshot:
        return Snapshot(
            source=self.source,
            accounts=self.accounts,
            groups=self.groups,
            memberships=self.memberships,
            resources=self.resources,
            grants=self.grants,
            mode="full",
            complete=True,
            started_at=read_at,
            finished_at=read_at,
            stats={"generated": 1},
        )
