"""Applying a delta round to the previous snapshot's records. Pure.

Graph delta semantics (https://learn.microsoft.com/graph/delta-query-overview,
https://learn.microsoft.com/graph/delta-query-groups):
- an object with ``@removed`` left the collection (deleted or out of scope);
- an updated object carries its id and at least the changed properties;
- ``members@delta`` lists membership changes: a reference with ``@removed`` was removed,
  one without was added. In an initial round a large group may come back on several
  pages, each with more members: adds accumulate.
- the same object may appear more than once in a round; the later one wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from access_review.records import Account, Group, Membership, account_key, group_key

from .transform import member_ref, patch_group, patch_user, transform_group, transform_user


@dataclass
class DirectoryState:
    """Users, groups and direct memberships, keyed for merging."""

    accounts: dict[str, Account] = field(default_factory=dict)  # by Graph id
    groups: dict[str, Group] = field(default_factory=dict)  # by Graph id
    members: dict[str, dict[str, Membership]] = field(
        default_factory=dict
    )  # group id -> member key -> m

    @classmethod
    def of(
        cls, accounts: Iterable[Account], groups: Iterable[Group], memberships: Iterable[Membership]
    ) -> "DirectoryState":
        state = cls({a.id: a for a in accounts}, {g.id: g for g in groups})
        by_key = {g.key: g.id for g in state.groups.values()}
        for m in memberships:
            gid = by_key.get(m.group_key)
            if gid is not None:
                state.members.setdefault(gid, {})[m.member_key] = m
        return state

    def memberships(self) -> list[Membership]:
        return [m for gid, ms in self.members.items() if gid in self.groups for m in ms.values()]


def apply_user_changes(state: DirectoryState, changes: Iterable[Mapping], source: str) -> int:
    """Upsert changed users, drop removed ones (and their memberships). Returns the count."""
    n = 0
    removed_keys = set()
    for raw in changes:
        n += 1
        uid = raw["id"]
        if "@removed" in raw:
            if state.accounts.pop(uid, None) is not None:
                removed_keys.add(account_key(source, uid))
            continue
        old = state.accounts.get(uid)
        state.accounts[uid] = patch_user(old, raw) if old else transform_user(raw, source)
    if removed_keys:
        _drop_members(state, removed_keys)
    return n


def apply_group_changes(state: DirectoryState, changes: Iterable[Mapping], source: str) -> int:
    n = 0
    removed_keys = set()
    for raw in changes:
        n += 1
        gid = raw["id"]
        if "@removed" in raw:
            if state.groups.pop(gid, None) is not None:
                removed_keys.add(group_key(source, gid))
            state.members.pop(gid, None)
            continue
        old = state.groups.get(gid)
        state.groups[gid] = patch_group(old, raw) if old else transform_group(raw, source)
        members = state.members.setdefault(gid, {})
        gkey = group_key(source, gid)
        for ref in raw.get("members@delta", []):
            key, kind = member_ref(source, ref)
            if "@removed" in ref:
                members.pop(key, None)
            else:
                members[key] = Membership(
                    source=source, group_key=gkey, member_key=key, member_type=kind
                )
    if removed_keys:
        _drop_members(state, removed_keys)
    return n


def _drop_members(state: DirectoryState, member_keys: set[str]) -> None:
    for members in state.members.values():
        for key in member_keys & members.keys():
            del members[key]
